/*
 * pprof's binary search path, fake mapping and executable override, and
 * local symbolization with pprof's notes (see binaries.h).
 */
#include "tool/binaries.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/htab.h"
#include "model/profile.h"
#include "sym/maps.h"
#include "sym/symbolize.h"

/* A path in pprof's messages: Go's filepath.Join of the two, without "." and ".." cleaning. */
static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2, w = 0;
    char *raw = malloc(n), *out;

    if (!raw)
        return NULL;
    snprintf(raw, n, "%s%s%s", dir, *dir && *name ? "/" : "", name);
    out = raw;
    for (size_t i = 0; raw[i]; i++)
        if (!(raw[i] == '/' && w > 0 && out[w - 1] == '/'))
            out[w++] = raw[i];
    if (w > 1 && out[w - 1] == '/')
        w--;
    out[w] = '\0';
    return out;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');

    return b && b[1] ? b + 1 : path;
}

/* True when path is a readable ELF file (pprof's obj.Open succeeds). */
static bool is_elf(const char *path)
{
    unsigned char m[4];
    struct stat st;
    int fd;
    bool elf;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    elf = read(fd, m, 4) == 4 && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
    close(fd);
    return elf;
}

/*
 * Tries one candidate file for mapping m: true when it is taken (m's file
 * changed to it).  -ENOMEM in *err.
 */
static bool try_candidate(struct cprof_profile *p, struct cprof_mapping *m, const char *name,
                          FILE *warn, int *err)
{
    const char *want = cprof_profile_str(p, m->build_id);
    char have[2 * CPROF_BUILD_ID_MAX + 1] = "";

    if (!is_elf(name))
        return false;
    if (cprof_build_id_read(name, have, sizeof(have)) != 0)
        have[0] = '\0';
    if (*want && strcmp(want, have) != 0) {
        if (warn)
            fprintf(warn, "Ignoring local file %s: build-id mismatch (%s != %s)\n", name, want,
                    have);
        return false;
    }
    *err = cprof_profile_intern_cstr(p, name, &m->filename);
    return true;
}

/* The candidates of pprof's locateBinaries for m in one search directory, in its order. */
static int search_dir(struct cprof_profile *p, struct cprof_mapping *m, const char *dir, FILE *warn,
                      bool *found)
{
    /* Copies: taking a candidate interns a string, which may move the table. */
    char *file = strdup(cprof_profile_str(p, m->filename));
    char *id = strdup(cprof_profile_str(p, m->build_id));
    const char *base = file && *file ? base_name(file) : "";
    char *names[4] = {NULL}, *iddir = NULL, *filedir = NULL, *pattern = NULL;
    glob_t g = {0};
    bool globbed = false;
    int err = 0;

    if (!file || !id) {
        err = -ENOMEM;
        goto out;
    }
    if (*id) {
        iddir = join(dir, id);
        names[0] = iddir ? join(iddir, base) : NULL;
        pattern = iddir ? join(iddir, "*") : NULL;
        if (!pattern || !names[0]) {
            err = -ENOMEM;
            goto out;
        }
        globbed = glob(pattern, 0, NULL, &g) == 0;
        filedir = join(dir, file);
        names[1] = filedir ? join(filedir, id) : NULL; /* perf's layout */
    }
    if (*file) {
        names[2] = join(dir, base);
        names[3] = join(dir, file);
    }
    if ((*id && (!names[0] || !names[1])) || (*file && (!names[2] || !names[3]))) {
        err = -ENOMEM;
        goto out;
    }
    *found = names[0] && try_candidate(p, m, names[0], warn, &err);
    for (size_t i = 0; globbed && !*found && !err && i < g.gl_pathc; i++)
        *found = try_candidate(p, m, g.gl_pathv[i], warn, &err);
    for (int i = 1; i < 4 && !*found && !err; i++)
        *found = names[i] && try_candidate(p, m, names[i], warn, &err);
out:
    if (globbed)
        globfree(&g);
    for (int i = 0; i < 4; i++)
        free(names[i]);
    free(iddir);
    free(filedir);
    free(pattern);
    free(file);
    free(id);
    return err;
}

/* pprof's locateBinaries without a mapping: one empty mapping, id 1, for every location. */
static int add_fake_mapping(struct cprof_profile *p)
{
    int rc;

    if (p->nmappings > 0)
        return 0;
    rc = cprof__grow32((void **)&p->mappings, &p->mappings_cap, 1, sizeof(*p->mappings));
    if (rc)
        return rc;
    memset(&p->mappings[0], 0, sizeof(p->mappings[0]));
    p->mappings[0].id = 1;
    p->nmappings = 1;
    for (uint32_t i = 0; i < p->nlocations; i++)
        p->locations[i].mapping = 0;
    /* Locations changed: the builder's location index is stale. */
    cprof_htab_release(&p->loc_idx);
    cprof_htab_init(&p->loc_idx);
    p->loc_indexed = 0;
    return 0;
}

int cprof_locate_binaries(struct cprof_profile *p, const char *exec, FILE *warn)
{
    const char *env = getenv("PPROF_BINARY_PATH"), *home = getenv("HOME");
    char *list, *cur, **dirs;
    size_t ndirs = 0;
    int err = 0;

    if (env && *env)
        list = strdup(env);
    else
        list = join(home ? home : "", "pprof/binaries");
    dirs = list ? calloc(strlen(list) + 2, sizeof(*dirs)) : NULL;
    if (!dirs) {
        free(list);
        return -ENOMEM;
    }
    /* Go's filepath.SplitList: ':'-separated, and an empty list has no elements. */
    for (cur = *list ? list : NULL; cur;)
        dirs[ndirs++] = strsep(&cur, ":");
    for (uint32_t i = 0; i < p->nmappings && !err; i++) {
        bool found = false;

        for (size_t d = 0; d < ndirs && !found && !err; d++)
            err = search_dir(p, &p->mappings[i], dirs[d], warn, &found);
    }
    free(dirs);
    free(list);
    if (!err)
        err = add_fake_mapping(p);
    if (!err && exec)
        err = cprof_profile_intern_cstr(p, exec, &p->mappings[0].filename);
    return err;
}

/* ---- local symbolization ----------------------------------------------------------- */

/* pprof's Mapping.Unsymbolizable(). */
static bool unsymbolizable(const char *file)
{
    const char *base = base_name(file);

    return base[0] == '[' || strncmp(base, "linux-vdso", 10) == 0 ||
           strncmp(file, "/dev/dri/", 9) == 0;
}

/* A file name that Go's url.Parse takes for an absolute http(s) URL. */
static bool is_http_url(const char *file)
{
    const char *colon = strchr(file, ':');
    size_t n = colon ? (size_t)(colon - file) : 0;

    if (n < 4 || strcspn(file, "/?#") < n)
        return false;
    for (size_t i = 0; i + 4 <= n; i++)
        if (strncasecmp(file + i, "http", 4) == 0)
            return true;
    return false;
}

/* Go's text for errno e: glibc's, lower-cased at the start ("no such file or directory"). */
static void go_strerror(int e, char *out, size_t n)
{
    snprintf(out, n, "%s", strerror(e));
    if (out[0] >= 'A' && out[0] <= 'Z')
        out[0] = (char)(out[0] - 'A' + 'a');
}

/*
 * Why pprof's binutils.Open would refuse path, in msg; false when it
 * would open it.
 */
static bool open_error(const char *path, char *msg, size_t n)
{
    unsigned char m[4];
    char e[128];
    struct stat st;
    ssize_t r;
    int fd;

    if (stat(path, &st) != 0) {
        go_strerror(errno, e, sizeof(e));
        snprintf(msg, n, "stat %s: %s", path, e);
        return true;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        go_strerror(errno, e, sizeof(e));
        snprintf(msg, n, "error opening %s: open %s: %s", path, path, e);
        return true;
    }
    r = read(fd, m, 4);
    if (r < 0)
        go_strerror(errno, e, sizeof(e));
    close(fd);
    if (r < 0)
        snprintf(msg, n, "error reading magic number from %s: read %s: %s", path, path, e);
    else if (r < 4)
        snprintf(msg, n, "error reading magic number from %s: %s", path,
                 r == 0 ? "EOF" : "unexpected EOF");
    else if (m[0] != 0x7f || m[1] != 'E' || m[2] != 'L' || m[3] != 'F')
        snprintf(msg, n, "unrecognized binary format: %s", path);
    else
        return false;
    return true;
}

/*
 * The notes for mapping i, which pprof would have opened: none when
 * cprof's symbolizer could use a file for it.  *missing is set as pprof's
 * missingBinaries.
 */
static void note_mapping(const struct cprof_profile *p, uint32_t i, struct cprof_symbolizer *s,
                         FILE *warn, bool *missing)
{
    const struct cprof_mapping *pm = &p->mappings[i];
    const char *file = cprof_profile_str(p, pm->filename), *id = cprof_profile_str(p, pm->build_id);
    struct cprof_sym_mapping m = {pm->start, pm->limit, pm->offset, file, id};
    struct cprof_sym_frame fr[1];
    char have[2 * CPROF_BUILD_ID_MAX + 1], msg[2 * 4096 + 128];
    size_t nfr;

    if (!*file) {
        if (i == 0)
            fprintf(warn, "Main binary filename not available.\n");
        else
            *missing = true;
        return;
    }
    if (unsymbolizable(file) || (!*id && is_http_url(file)))
        return;
    /* The symbolizer keeps every file it opened: this asks how that went. */
    if (cprof_symbolizer_lookup(s, &m, pm->start, fr, 1, &nfr) != CPROF_ENOTFOUND)
        return;
    fprintf(warn, "Local symbolization failed for %s", base_name(file));
    if (*id)
        fprintf(warn, " (build ID %s)", id);
    if (open_error(file, msg, sizeof(msg))) {
        fprintf(warn, ": %s\n", msg);
        *missing = true;
    } else if (*id && cprof_build_id_read(file, have, sizeof(have)) == 0 &&
               strcasecmp(have, id) != 0) {
        fprintf(warn, ": build ID mismatch\n");
    } else {
        /* cprof refuses a file without a build id note when the profile names one. */
        fprintf(warn, ": %s\n", *id ? "build ID mismatch" : "cannot read its ELF image");
        *missing = *id == '\0';
    }
}

/*
 * pprof's newMapping: the used mappings it would open, in order, and their
 * notes.  pprof decides before symbolizing, so the mappings' flags are
 * taken from before[] (their state then).
 */
static void note_mappings(const struct cprof_profile *p, const struct cprof_mapping *before,
                          bool force, struct cprof_symbolizer *s, FILE *warn)
{
    bool *used = calloc((size_t)p->nmappings + 1, sizeof(*used)), missing = false;

    if (!used)
        return;
    for (uint32_t i = 0; i < p->nlocations; i++)
        if (p->locations[i].mapping < p->nmappings)
            used[p->locations[i].mapping] = true;
    for (uint32_t i = 0; i < p->nmappings; i++) {
        const struct cprof_mapping *m = &before[i];

        if (!used[i] || (!force && (m->has_functions || m->has_filenames || m->has_line_numbers)))
            continue;
        note_mapping(p, i, s, warn, &missing);
    }
    if (missing)
        fprintf(warn, "Some binary filenames not available. Symbolization may be incomplete.\n"
                      "Try setting PPROF_BINARY_PATH to the search path for local binaries.\n");
    free(used);
}

int cprof_symbolize_local(struct cprof_profile *p, bool force, FILE *warn)
{
    unsigned flags = CPROF_SYM_LOAD_DEMANGLER | (force ? CPROF_SYM_FORCE : 0);
    struct cprof_symbolizer *s = cprof_symbolizer_new(flags);
    struct cprof_mapping *before = malloc(((size_t)p->nmappings + 1) * sizeof(*before));
    int rc = -ENOMEM;

    if (!s || !before)
        goto out;
    memcpy(before, p->mappings, (size_t)p->nmappings * sizeof(*before));
    rc = cprof_symbolize_profile(p, s, flags, NULL);
    if (!rc && warn)
        note_mappings(p, before, force, s, warn);
out:
    free(before);
    cprof_symbolizer_free(s);
    return rc;
}
