/*
 * cprof_symbolize_profile(): fills the lines of a profile's unsymbolized
 * locations from a symbolizer and marks the mappings the way Go's runtime
 * does (a has_* flag only when every location looked up resolved it).
 * JIT code is named from perf maps (/tmp/perf-PID.map), and the share of
 * the profile left without real names is measured and, when asked, said
 * in a comment.
 */
#include "sym/symbolize.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/htab.h"
#include "model/profile.h"
#include "sym/funcstarts.h"

/* What happened in one mapping. */
struct map_state {
    bool eligible;                     /* its locations are to be looked up */
    bool tried;                        /* at least one location was looked up */
    bool missing;                      /* its file could not be used */
    bool all_func, all_file, all_line; /* every lookup resolved this */
    bool perf_map;                     /* a JIT's perf map, not an ELF file */
    double unnamed;                    /* leaf value in code without symbols */
};

/* Whether file's base name is perf-PID.map. */
static bool perf_map_name(const char *file)
{
    const char *base = strrchr(file, '/'), *c;

    base = base ? base + 1 : file;
    if (strncmp(base, "perf-", 5) != 0)
        return false;
    for (c = base + 5; *c >= '0' && *c <= '9'; c++)
        ;
    return c > base + 5 && strcmp(c, ".map") == 0;
}

/* pprof's Mapping.Unsymbolizable(), plus an empty name. */
static bool unsymbolizable(const char *file)
{
    const char *base = strrchr(file, '/');

    base = base ? base + 1 : file;
    return file[0] == '\0' || base[0] == '[' || strncmp(base, "linux-vdso", 10) == 0 ||
           strncmp(file, "/dev/dri/", 9) == 0;
}

static void init_states(const struct cprof_profile *p, struct map_state *st, unsigned flags)
{
    for (uint32_t i = 0; i < p->nmappings; i++) {
        const struct cprof_mapping *m = &p->mappings[i];
        bool done = m->has_functions || m->has_filenames || m->has_line_numbers;

        st[i] = (struct map_state){.all_func = true, .all_file = true, .all_line = true};
        st[i].eligible = !unsymbolizable(cprof_profile_str(p, m->filename)) &&
                         ((flags & CPROF_SYM_FORCE) || !done);
        st[i].perf_map = perf_map_name(cprof_profile_str(p, m->filename));
    }
}

/* Turns frames into the location's lines (functions interned into p). */
static int set_lines(struct cprof_profile *p, struct cprof_location *l,
                     const struct cprof_sym_frame *fr, size_t n, struct map_state *st)
{
    struct cprof_line *lines = cprof_arena_array(&p->arena, n, sizeof(*lines));
    int err;

    if (!lines)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct cprof_function fn = {.start_line = fr[i].start_line};

        if ((err = cprof_profile_intern_cstr(p, fr[i].name, &fn.name)) ||
            (err = cprof_profile_intern_cstr(p, fr[i].system_name, &fn.system_name)) ||
            (err = cprof_profile_intern_cstr(p, fr[i].file, &fn.filename)) ||
            (err = cprof_profile_add_function(p, &fn, &lines[i].func)))
            return err;
        lines[i].line = fr[i].line;
        lines[i].column = 0;
        st->all_func &= fr[i].name[0] != '\0' && !fr[i].unnamed;
        st->all_file &= fr[i].file[0] != '\0';
        st->all_line &= fr[i].line != 0;
    }
    l->lines = lines;
    l->nlines = (uint32_t)n;
    return 0;
}

/* Looks one location up.  0 (also when its file is missing) or an error. */
static int symbolize_location(struct cprof_profile *p, struct cprof_symbolizer *s, uint32_t li,
                              struct map_state *st, struct cprof_sym_stats *stats, uint8_t *unnamed)
{
    struct cprof_sym_frame fr[CPROF_SYM_MAX_FRAMES];
    struct cprof_location *l = &p->locations[li];
    const struct cprof_mapping *pm = &p->mappings[l->mapping];
    struct cprof_sym_mapping m = {pm->start, pm->limit, pm->offset,
                                  cprof_profile_str(p, pm->filename),
                                  cprof_profile_str(p, pm->build_id)};
    size_t n;
    int err = cprof_symbolizer_lookup(s, &m, l->address, fr, CPROF_SYM_MAX_FRAMES, &n);

    if (err == CPROF_ENOTFOUND) {
        if (!st->missing)
            stats->missing_files++;
        st->missing = true;
        unnamed[li] = 1;
        return 0;
    }
    if (err)
        return err;
    st->tried = true;
    stats->locations++;
    if (n == 0) {
        st->all_func = st->all_file = st->all_line = false;
        unnamed[li] = 1;
        return 0;
    }
    stats->resolved++;
    unnamed[li] = fr[0].unnamed;
    return set_lines(p, l, fr, n, st);
}

/* Gives location l the one frame of JIT symbol e. */
static int jit_line(struct cprof_profile *p, struct cprof_location *l,
                    const struct cprof_perfmap_ent *e)
{
    struct cprof_line *line = cprof_arena_array(&p->arena, 1, sizeof(*line));
    struct cprof_function fn = {0};
    int err;

    if (!line)
        return -ENOMEM;
    if ((err = cprof_profile_intern_cstr(p, e->name, &fn.name)) ||
        (err = cprof_profile_intern_cstr(p, e->name, &fn.system_name)) ||
        (err = cprof_profile_add_function(p, &fn, &line->func)))
        return err;
    line->line = 0;
    line->column = 0;
    l->lines = line;
    l->nlines = 1;
    return 0;
}

/*
 * The locations of mapping mi (a perf map) from that file, when it is
 * there.  0 or an error from the builder.
 */
static int symbolize_perf_mapping(struct cprof_profile *p, uint32_t mi, struct map_state *st,
                                  unsigned flags, struct cprof_sym_stats *stats, uint8_t *unnamed)
{
    struct cprof_perfmap pm;
    int err = cprof_perfmap_read(&pm, cprof_profile_str(p, p->mappings[mi].filename));

    if (err) {
        st->missing = true;
        return err == -ENOMEM ? err : 0;
    }
    for (uint32_t i = 0; i < p->nlocations && !err; i++) {
        struct cprof_location *l = &p->locations[i];
        const struct cprof_perfmap_ent *e;

        if (l->mapping != mi || (l->nlines && !(flags & CPROF_SYM_FORCE)))
            continue;
        st->tried = true;
        stats->locations++;
        if (!(e = cprof_perfmap_find(&pm, l->address))) {
            st->all_func = false;
            unnamed[i] = 1;
            continue;
        }
        stats->resolved++;
        stats->jit++;
        err = jit_line(p, l, e);
    }
    st->all_file = st->all_line = false;
    cprof_perfmap_release(&pm);
    return err;
}

/*
 * This process's JIT code: locations outside every mapping, named from
 * /tmp/perf-PID.map; those found get a mapping named after the file (so a
 * reader of the profile can find it again) when it overlaps no other.
 */
static int symbolize_self_jit(struct cprof_profile *p, struct cprof_sym_stats *stats)
{
    char path[64];
    struct cprof_perfmap pm;
    uint64_t lo = UINT64_MAX, hi = 0;
    uint32_t found = 0, mi;
    struct cprof_mapping m = {0};
    int err;

    snprintf(path, sizeof(path), "/tmp/perf-%ld.map", (long)getpid());
    err = cprof_perfmap_read(&pm, path);
    if (err)
        return err == -ENOMEM ? err : 0;
    for (uint32_t i = 0; i < p->nlocations && !err; i++) {
        struct cprof_location *l = &p->locations[i];
        const struct cprof_perfmap_ent *e;

        if (l->mapping != CPROF_NONE || l->nlines || !(e = cprof_perfmap_find(&pm, l->address)))
            continue;
        err = jit_line(p, l, e);
        lo = l->address < lo ? l->address : lo;
        hi = l->address >= hi ? l->address + 1 : hi;
        found++;
    }
    cprof_perfmap_release(&pm);
    stats->jit += found;
    if (err || !found)
        return err;
    for (uint32_t i = 0; i < p->nmappings; i++)
        if (lo < p->mappings[i].limit && p->mappings[i].start < hi)
            return 0;
    m.start = lo;
    m.limit = hi;
    m.has_functions = true;
    if ((err = cprof_profile_intern_cstr(p, path, &m.filename)) ||
        (err = cprof_profile_add_mapping(p, &m, &mi)))
        return err;
    for (uint32_t i = 0; i < p->nlocations; i++) {
        struct cprof_location *l = &p->locations[i];

        if (l->mapping == CPROF_NONE && l->address >= lo && l->address < hi && l->nlines)
            l->mapping = mi;
    }
    return 0;
}

/*
 * The share of the default sample type whose leaf frame is in code without
 * symbols, by mapping, into stats and (CPROF_SYM_NOTE_UNNAMED) a comment:
 * "cprof: 23% of samples in code without symbols (liblzma.so.5 stripped:
 * 22%, ...)".
 */
static int note_unnamed(struct cprof_profile *p, struct map_state *st, const uint8_t *unnamed,
                        unsigned flags, struct cprof_sym_stats *stats)
{
    uint32_t vi = cprof_profile_sample_index(p, NULL);
    double total = 0, un = 0;
    char text[640];
    size_t off;
    bool any_stripped = false;

    if (vi == CPROF_NONE)
        return 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct cprof_sample *sm = &p->samples[i];
        double v = (double)sm->values[vi];
        uint32_t m;

        if (v <= 0)
            continue;
        total += v;
        if (!sm->nlocs || !unnamed[sm->locs[0]])
            continue;
        un += v;
        m = p->locations[sm->locs[0]].mapping;
        if (m < p->nmappings)
            st[m].unnamed += v;
    }
    stats->unnamed_share = total > 0 ? un / total : 0;
    if (!(flags & CPROF_SYM_NOTE_UNNAMED) || stats->unnamed_share < 0.01)
        return 0;
    off = (size_t)snprintf(text, sizeof(text), "cprof: %.0f%% of samples in code without symbols (",
                           100 * stats->unnamed_share);
    for (int k = 0; k < 3; k++) {
        uint32_t best = CPROF_NONE;
        const char *file, *base;

        for (uint32_t i = 0; i < p->nmappings; i++)
            if (st[i].unnamed > 0 && (best == CPROF_NONE || st[i].unnamed > st[best].unnamed))
                best = i;
        if (best == CPROF_NONE || st[best].unnamed < 0.005 * total)
            break;
        file = cprof_profile_str(p, p->mappings[best].filename);
        base = strrchr(file, '/');
        base = base ? base + 1 : file;
        off += (size_t)snprintf(
            text + off, sizeof(text) - off, "%s%s %s %.0f%%", k ? ", " : "", base,
            st[best].missing ? "not found:" : "stripped:", 100 * st[best].unnamed / total);
        any_stripped |= !st[best].missing;
        st[best].unnamed = 0;
        if (off >= sizeof(text))
            break;
    }
    if (off < sizeof(text))
        snprintf(text + off, sizeof(text) - off, ")%s",
                 any_stripped ? "; install their debug symbols (-dbgsym packages) or run "
                                "cprof -symbolize=force with DEBUGINFOD_URLS set"
                              : "");
    return cprof_profile_add_comment(p, text);
}

/*
 * Whether the runtime's function named name passes a program's call
 * through: one of its exported wrappers (the program's lookup of name
 * finds the runtime's definition, in [lo, hi)) or the trampoline new
 * threads start in.  No dlopen of the runtime's own file: at exit, while
 * the loader finalizes it, that would run its constructor again.
 */
static bool transparent(uint64_t lo, uint64_t hi, const char *name)
{
    void *sym;

    if (strcmp(name, "trampoline") == 0)
        return true;
    sym = name[0] ? dlsym(RTLD_DEFAULT, name) : NULL;
    return sym && (uint64_t)(uintptr_t)sym >= lo && (uint64_t)(uintptr_t)sym < hi;
}

/* CPROF_SYM_DROP_SELF: see symbolize.h.  0 (nothing to do also counts). */
static int drop_self(struct cprof_profile *p)
{
    uint64_t me = (uint64_t)(uintptr_t)&cprof_symbolize_profile;
    uint32_t mi = CPROF_NONE;
    uint8_t *kind; /* per location: 0 not ours, 1 ours and transparent, 2 ours */
    size_t w = 0;

    for (uint32_t i = 0; i < p->nmappings && mi == CPROF_NONE; i++)
        if (me >= p->mappings[i].start && me < p->mappings[i].limit)
            mi = i;
    if (mi == CPROF_NONE)
        return 0;
    if (!(kind = calloc(p->nlocations ? p->nlocations : 1, 1)))
        return -ENOMEM;
    for (uint32_t i = 0; i < p->nlocations; i++) {
        const struct cprof_location *l = &p->locations[i];
        const char *fn;

        if (l->mapping != mi)
            continue;
        fn = l->nlines ? cprof_profile_str(p, p->functions[l->lines[l->nlines - 1].func].name) : "";
        kind[i] = transparent(p->mappings[mi].start, p->mappings[mi].limit, fn) ? 1 : 2;
    }
    for (size_t i = 0; i < p->nsamples; i++) {
        struct cprof_sample *sm = &p->samples[i];
        uint32_t k = 0;
        bool drop = false;

        for (uint32_t j = 0; j < sm->nlocs && !drop; j++) {
            drop = kind[sm->locs[j]] == 2;
            if (!kind[sm->locs[j]])
                sm->locs[k++] = sm->locs[j];
        }
        if (drop || k == 0)
            continue;
        sm->nlocs = k;
        p->samples[w++] = *sm;
    }
    free(kind);
    if (w != p->nsamples) {
        p->nsamples = w;
        cprof_htab_release(&p->sample_idx);
        cprof_htab_init(&p->sample_idx);
        p->sample_indexed = 0;
    }
    return 0;
}

static void set_flags(struct cprof_profile *p, const struct map_state *st)
{
    for (uint32_t i = 0; i < p->nmappings; i++) {
        struct cprof_mapping *m = &p->mappings[i];

        if (!st[i].tried || st[i].missing)
            continue;
        if (st[i].perf_map) {
            m->has_functions = st[i].all_func;
            continue;
        }
        m->has_functions = st[i].all_func;
        m->has_filenames = st[i].all_file;
        m->has_line_numbers = st[i].all_line;
        /* Lines everywhere means DWARF was read, inline chains included. */
        m->has_inline_frames = st[i].all_func && st[i].all_file && st[i].all_line;
    }
}

int cprof_symbolize_profile(struct cprof_profile *p, struct cprof_symbolizer *s, unsigned flags,
                            struct cprof_sym_stats *stats)
{
    struct cprof_sym_stats dummy;
    struct map_state *st;
    uint8_t *unnamed;
    bool changed = false;
    int err = 0;

    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof(*stats));
    if ((flags & CPROF_SYM_PERF_MAP_SELF) && (err = symbolize_self_jit(p, stats)) != 0)
        return err;
    changed = stats->jit > 0;
    if (p->nmappings == 0)
        goto out;
    st = calloc(p->nmappings, sizeof(*st));
    unnamed = calloc(p->nlocations ? p->nlocations : 1, 1);
    if (!st || !unnamed) {
        free(st);
        free(unnamed);
        return -ENOMEM;
    }
    init_states(p, st, flags);
    for (uint32_t i = 0; i < p->nmappings && !err; i++) {
        if (st[i].eligible && st[i].perf_map) {
            err = symbolize_perf_mapping(p, i, &st[i], flags, stats, unnamed);
            changed = true;
        }
    }
    for (uint32_t i = 0; i < p->nlocations && !err; i++) {
        const struct cprof_location *l = &p->locations[i];

        if (l->mapping >= p->nmappings || !st[l->mapping].eligible || st[l->mapping].perf_map ||
            (l->nlines && !(flags & CPROF_SYM_FORCE)))
            continue;
        err = symbolize_location(p, s, i, &st[l->mapping], stats, unnamed);
        changed = true;
    }
    if (!err)
        set_flags(p, st);
    if (!err && (flags & CPROF_SYM_DROP_SELF))
        err = drop_self(p);
    if (!err)
        err = note_unnamed(p, st, unnamed, flags, stats);
    free(unnamed);
    free(st);
out:
    if (changed) {
        /* Lines are part of a location's identity: the intern index is stale. */
        cprof_htab_release(&p->loc_idx);
        cprof_htab_init(&p->loc_idx);
        p->loc_indexed = 0;
    }
    return err;
}
