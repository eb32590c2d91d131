/*
 * The list report: annotated source (pprof's report/source.go,
 * printSource).  For every function whose name matches the regexp, and
 * every source file it has samples in, a ROUTINE header and the file's
 * lines from the function's first line (or 5 lines before its first
 * sample) to 5 lines after its last sample, each with its flat and cum
 * values.  Sources are read from disk, searched as pprof does: -trim_path
 * prefixes (or a heuristic) are removed, and a relative name is looked for
 * under every -source_path directory (default: the current one) and their
 * parents.
 *
 * Where pprof differs: a source file that cannot be read gets pprof's
 * " Error: ..." line, and when no matched routine's source could be read
 * at all the report then fails (CPROF_ENOTFOUND), so a list of nothing
 * exits non-zero; pprof exits 0.  When some sources were shown (`-list=main`
 * also matching libc's __libc_start_call_main, whose source is elsewhere),
 * the report succeeds, as pprof's does.
 */
#include "tool/report/report_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"

#define MARGIN 5 /* lines shown before the first and after the last sample */

/* One source file, read once. */
struct src_file {
    const char *path;  /* as the profile names it (after the graph's trimming) */
    char *data;        /* file contents */
    const char **line; /* line[1..nlines]; line[0] unused */
    size_t *len;
    size_t nlines;
    char err[8400]; /* pprof's error text, "" when read */
};

struct reader {
    const char *search; /* ':'-separated directories */
    const char *trim;
    struct src_file *f;
    size_t n, cap;
    struct cprof_arena *arena;
};

/* Go's filepath.Dir. */
static char *dir_of(struct cprof_arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;

    if (!slash)
        return cprof__rep_clean_path(a, ".");
    d = cprof_arena_strndup(a, path, (size_t)(slash - path) + 1);
    return d ? cprof__rep_clean_path(a, d) : NULL;
}

/* Opens path as pprof's openSourceFile; fd or -1 with r's message in err. */
static int open_source(struct reader *rd, const char *path, char *err, size_t errn)
{
    const char *p = cprof__rep_trim_path(rd->arena, path, rd->trim, rd->search);
    const char *d = rd->search;

    if (p[0] == '/') {
        int fd = open(p, O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
            const char *m = strerror(errno);

            snprintf(err, errn, "open %s: %c%s", p, *m >= 'A' && *m <= 'Z' ? *m - 'A' + 'a' : *m,
                     *m ? m + 1 : "");
        }
        return fd;
    }
    while (*d) {
        const char *end = strchr(d, ':');
        size_t len = end ? (size_t)(end - d) : strlen(d);
        char *dir = cprof_arena_strndup(rd->arena, d, len);

        while (dir) {
            size_t dl = strlen(dir);
            char *join = cprof_arena_alloc(rd->arena, dl + strlen(p) + 2);
            char *parent;
            int fd;

            if (!join)
                break;
            sprintf(join, "%s%s%s", dir, dl ? "/" : "", p);
            join = cprof__rep_clean_path(rd->arena, join);
            if (join && (fd = open(join, O_RDONLY | O_CLOEXEC)) >= 0)
                return fd;
            parent = dir_of(rd->arena, dir);
            if (!parent || strcmp(parent, dir) == 0)
                break;
            dir = parent;
        }
        if (!end)
            break;
        d = end + 1;
    }
    snprintf(err, errn, "could not find file %s on path %s", p, rd->search);
    return -1;
}

/* Splits the file into lines as Go's bufio.ScanLines does (a final \r dropped). */
static int split_lines(struct src_file *f, size_t size)
{
    size_t n = 0, cap = 64;
    char *s = f->data, *end = f->data + size;

    f->line = malloc(cap * sizeof(*f->line));
    f->len = malloc(cap * sizeof(*f->len));
    if (!f->line || !f->len)
        return -ENOMEM;
    while (s < end) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t l = nl ? (size_t)(nl - s) : (size_t)(end - s);

        if (n + 2 > cap) {
            const char **nline;
            size_t *nlen;

            cap *= 2;
            nline = realloc(f->line, cap * sizeof(*f->line));
            if (nline)
                f->line = nline;
            nlen = realloc(f->len, cap * sizeof(*f->len));
            if (nlen)
                f->len = nlen;
            if (!nline || !nlen)
                return -ENOMEM;
        }
        if (l > 0 && s[l - 1] == '\r')
            l--;
        f->line[++n] = s;
        f->len[n] = l;
        s = nl ? nl + 1 : end;
    }
    f->nlines = n;
    return 0;
}

/* The file named path, read on first use. NULL on ENOMEM. */
static struct src_file *source(struct reader *rd, const char *path)
{
    struct src_file *f;
    struct cprof_buf buf;
    int fd;

    for (size_t i = 0; i < rd->n; i++)
        if (strcmp(rd->f[i].path, path) == 0)
            return &rd->f[i];
    if (rd->n == rd->cap) {
        size_t cap = rd->cap ? 2 * rd->cap : 8;
        struct src_file *nf = realloc(rd->f, cap * sizeof(*nf));

        if (!nf)
            return NULL;
        rd->f = nf;
        rd->cap = cap;
    }
    f = &rd->f[rd->n++];
    memset(f, 0, sizeof(*f));
    f->path = path;
    fd = open_source(rd, path, f->err, sizeof(f->err));
    if (fd < 0)
        return f;
    cprof_buf_init(&buf, 0);
    for (;;) {
        ssize_t got;

        if (cprof_buf_reserve(&buf, 65536)) {
            close(fd);
            cprof_buf_release(&buf);
            return NULL;
        }
        got = read(fd, buf.data + buf.len, buf.cap - buf.len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(f->err, sizeof(f->err), "read %s: %s", path, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        buf.len += (size_t)got;
    }
    close(fd);
    f->data = (char *)buf.data;
    if (!f->err[0] && split_lines(f, buf.len))
        return NULL;
    return f;
}

static void reader_release(struct reader *rd)
{
    for (size_t i = 0; i < rd->n; i++) {
        free(rd->f[i].data);
        free(rd->f[i].line);
        free(rd->f[i].len);
    }
    free(rd->f);
}

/* pprof's NameOrder (name, then compareNodes). */
static int cmp_name(const void *pa, const void *pb, void *arg)
{
    struct rep *r = arg;
    const struct rep_node *a = &r->nodes[*(const uint32_t *)pa];
    const struct rep_node *b = &r->nodes[*(const uint32_t *)pb];
    int c = strcmp(r->strs.s[a->name], r->strs.s[b->name]);

    return c ? c : cprof__rep_compare_nodes(r, a, b);
}

/* Files by name (pprof's FileOrder, whose ties do not change the output). */
static int cmp_file(const void *pa, const void *pb, void *arg)
{
    struct rep *r = arg;
    const struct rep_node *a = &r->nodes[*(const uint32_t *)pa];
    const struct rep_node *b = &r->nodes[*(const uint32_t *)pb];
    int c = strcmp(r->strs.s[a->file], r->strs.s[b->file]);

    if (c)
        return c;
    if (a->start_line != b->start_line)
        return a->start_line < b->start_line ? -1 : 1;
    return cprof__rep_compare_nodes(r, a, b);
}

static void value_or_dot(struct rep *r, char *buf, size_t n, int64_t v)
{
    if (v == 0)
        snprintf(buf, n, ".");
    else
        cprof__rep_fmt(r, buf, n, v);
}

/*
 * getSourceFromFile and its printing: the lines of f around the nodes
 * fns[0..n) of one function in one file.
 */
static void print_lines(struct rep *r, struct src_file *f, const uint32_t *fns, uint32_t n)
{
    const struct rep_node *n0 = &r->nodes[fns[0]];
    int64_t start = n0->start_line ? n0->start_line : n0->lineno - MARGIN;
    int64_t end = n0->lineno + MARGIN;

    for (uint32_t i = 0; i < n; i++) {
        const struct rep_node *x = &r->nodes[fns[i]];
        int64_t ns = x->start_line ? x->start_line : x->lineno - MARGIN;
        int64_t ne = x->lineno + MARGIN;

        if (ns < start)
            start = ns;
        else if (ne > end)
            end = ne;
    }
    if (start < 1)
        start = 1;
    for (int64_t ln = start; ln <= end; ln++) {
        int64_t flat = 0, cum = 0;
        char a[64], b[64];

        if (ln <= 0 || (uint64_t)ln > f->nlines)
            break;
        for (uint32_t i = 0; i < n; i++) {
            if (r->nodes[fns[i]].lineno == ln) {
                flat += r->nodes[fns[i]].flat;
                cum += r->nodes[fns[i]].cum;
            }
        }
        value_or_dot(r, a, sizeof(a), flat);
        value_or_dot(r, b, sizeof(b), cum);
        fprintf(r->out, "%10s %10s %6lld:%.*s\n", a, b, (long long)ln, (int)f->len[ln],
                f->line[ln]);
    }
}

/* One function: its files in order, each with its header and lines. */
static int print_function(struct rep *r, struct reader *rd, uint32_t *nodes, uint32_t n,
                          char *missing, size_t missing_n, bool *shown)
{
    uint32_t k = 0;

    /* Nodes without a file carry no source. */
    for (uint32_t i = 0; i < n; i++)
        if (r->strs.s[r->nodes[nodes[i]].file][0])
            nodes[k++] = nodes[i];
    if (k == 0) {
        fprintf(r->out, "No source information for %s\n", r->strs.s[r->nodes[nodes[0]].name]);
        return 0;
    }
    qsort_r(nodes, k, sizeof(*nodes), cmp_file, r);
    for (uint32_t i = 0, j; i < k; i = j) {
        const char *file = r->strs.s[r->nodes[nodes[i]].file];
        int64_t flat = 0, cum = 0;
        struct src_file *f;
        char a[64], b[64], pct[64];

        for (j = i; j < k && r->nodes[nodes[j]].file == r->nodes[nodes[i]].file; j++) {
            flat += r->nodes[nodes[j]].flat;
            cum += r->nodes[nodes[j]].cum;
        }
        f = source(rd, file);
        if (!f)
            return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        fprintf(r->out, "ROUTINE ======================== %s in %s\n",
                r->strs.s[r->nodes[nodes[i]].name], file);
        fprintf(r->out, "%10s %10s (flat, cum) %s of Total\n",
                cprof__rep_fmt(r, a, sizeof(a), flat), cprof__rep_fmt(r, b, sizeof(b), cum),
                cprof__rep_percentage(pct, sizeof(pct), cum, r->total));
        if (f->err[0]) {
            fprintf(r->out, " Error: %s\n", f->err);
            if (!*missing)
                snprintf(missing, missing_n, "%s", f->err);
            continue;
        }
        *shown = true;
        print_lines(r, f, nodes + i, j - i);
    }
    return 0;
}

int cprof__rep_list(struct rep *r)
{
    struct reader rd = {0};
    char missing[8400] = "";
    bool shown = false; /* some routine's source was printed */
    uint32_t *match = NULL, nmatch = 0;
    char cwd[4096], tot[64];
    regex_t rx;
    int err;

    if ((err = cprof__rep_regcomp(r, &rx, "argument", r->o->symbol)))
        return err;
    if ((err = cprof__rep_build(r, true)))
        goto out;
    match = malloc((r->norder + 1) * sizeof(*match));
    if (!match) {
        err = cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < r->norder; i++)
        if (cprof__rep_match(&rx, r->strs.s[r->nodes[r->order[i]].name]))
            match[nmatch++] = r->order[i];
    if (nmatch == 0) {
        err = cprof_diag_set(r->diag, CPROF_ENOTFOUND, "no matches found for regexp: %s",
                             r->o->symbol);
        goto out;
    }
    qsort_r(match, nmatch, sizeof(*match), cmp_name, r);
    rd.arena = &r->arena;
    rd.trim = r->o->trim_path;
    rd.search = r->o->source_path;
    if (!rd.search || !*rd.search) {
        if (!getcwd(cwd, sizeof(cwd))) {
            err =
                cprof_diag_set(r->diag, -errno, "could not stat current dir: %s", strerror(errno));
            goto out;
        }
        rd.search = cwd;
    }
    fprintf(r->out, "Total: %s\n", cprof__rep_fmt(r, tot, sizeof(tot), r->total));
    for (uint32_t i = 0, j; i < nmatch && !err; i = j) {
        for (j = i; j < nmatch && r->nodes[match[j]].name == r->nodes[match[i]].name; j++)
            ;
        err = print_function(r, &rd, match + i, j - i, missing, sizeof(missing), &shown);
    }
    if (!err && missing[0] && !shown) {
        fflush(r->out);
        err = cprof_diag_set(r->diag, CPROF_ENOTFOUND, "list: %s", missing);
    }
out:
    regfree(&rx);
    free(match);
    reader_release(&rd);
    return err;
}
