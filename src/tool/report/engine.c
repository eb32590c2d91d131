/*
 * Report engine core: option handling, the working copy of the stacks and
 * pprof's filters (drop_frames, focus/ignore/hide/show, show_from, tag
 * filters, prune_from, granularity), the call graph and its trimming.
 *
 * Speed: locations are mapped to graph nodes once per build (an array, not
 * a map per sample); cum-once-per-sample and edge-once-per-sample use
 * generation stamps, so the per-sample loop allocates nothing.
 */
#include "tool/report/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/par.h"
#include "model/filter.h"
#include "model/profile.h"

/* ---- strings ------------------------------------------------------------ */

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;

    h ^= 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static int strs_grow(struct rep_strs *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : 1024;
    uint32_t *slots = calloc(ns, sizeof(*slots));

    if (!slots)
        return -ENOMEM;
    for (uint32_t id = 0; id < t->n; id++) {
        size_t i = hash_bytes(t->s[id], t->len[id], 0) & (ns - 1);

        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = id + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
    return 0;
}

int cprof__rep_intern(struct rep_strs *t, const char *s, size_t len, uint32_t *id)
{
    size_t i;
    char *copy;

    if ((size_t)t->n * 2 + 2 > t->nslots && strs_grow(t))
        return -ENOMEM;
    i = hash_bytes(s, len, 0) & (t->nslots - 1);
    for (; t->slots[i]; i = (i + 1) & (t->nslots - 1)) {
        uint32_t k = t->slots[i] - 1;

        if (t->len[k] == len && memcmp(t->s[k], s, len) == 0) {
            *id = k;
            return 0;
        }
    }
    if (t->n == t->cap) {
        uint32_t nc = t->cap ? t->cap * 2 : 1024;
        const char **ns = realloc(t->s, nc * sizeof(*ns));
        uint32_t *nl;

        if (!ns)
            return -ENOMEM;
        t->s = ns;
        nl = realloc(t->len, nc * sizeof(*nl));
        if (!nl)
            return -ENOMEM;
        t->len = nl;
        t->cap = nc;
    }
    copy = cprof_arena_strndup(&t->arena, s, len);
    if (!copy)
        return -ENOMEM;
    t->s[t->n] = copy;
    t->len[t->n] = (uint32_t)len;
    t->slots[i] = t->n + 1;
    *id = t->n++;
    return 0;
}

static void strs_release(struct rep_strs *t)
{
    cprof_arena_release(&t->arena);
    free(t->s);
    free(t->len);
    free(t->slots);
}

const char *cprof__rep_str(const struct rep *r, uint32_t i)
{
    return cprof_profile_str(r->p, i);
}

/* ---- regular expressions -------------------------------------------------- */

int cprof__rep_regcomp(struct rep *r, regex_t *re, const char *what, const char *pattern)
{
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);

    if (rc) {
        char msg[128];

        regerror(rc, re, msg, sizeof(msg));
        return cprof_diag_set(r->diag, CPROF_EUSAGE, "parsing %s regexp: %s", what, msg);
    }
    return 0;
}

bool cprof__rep_match(const regex_t *re, const char *s)
{
    return regexec(re, s, 0, NULL, 0) == 0;
}

/* ---- Go's filepath.Clean ------------------------------------------------- */

char *cprof__rep_clean_path(struct cprof_arena *a, const char *path)
{
    size_t n = strlen(path), w = 0, i = 0, dotdot = 0;
    bool rooted = n > 0 && path[0] == '/';
    char *out = cprof_arena_alloc(a, n + 2);

    if (!out)
        return NULL;
    if (n == 0) {
        strcpy(out, ".");
        return out;
    }
    if (rooted) {
        out[w++] = '/';
        i = 1;
        dotdot = 1;
    }
    while (i < n) {
        if (path[i] == '/') {
            i++;
        } else if (path[i] == '.' && (i + 1 == n || path[i + 1] == '/')) {
            i++;
        } else if (path[i] == '.' && path[i + 1] == '.' && (i + 2 == n || path[i + 2] == '/')) {
            i += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            for (; i < n && path[i] != '/'; i++)
                out[w++] = path[i];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = 0;
    return out;
}

/* pprof's trimPath (report/source.go): applied to every function file name. */
const char *cprof__rep_trim_path(struct cprof_arena *a, const char *path, const char *trim,
                                const char *search)
{
    if (!trim || !*trim) {
        const char *d = search ? search : "";

        while (*d) {
            const char *end = strchr(d, ':');
            size_t len = end ? (size_t)(end - d) : strlen(d);
            char dir[4096], want[4200];
            const char *base, *hit;

            if (len < sizeof(dir)) {
                memcpy(dir, d, len);
                dir[len] = 0;
                while (len > 1 && dir[len - 1] == '/')
                    dir[--len] = 0;
                base = strrchr(dir, '/');
                base = (base && len > 1) ? base + 1 : (len == 0 ? "." : dir);
                snprintf(want, sizeof(want), "/%s/", base);
                hit = strstr(path, want);
                if (hit)
                    return hit + strlen(want);
            }
            if (!end)
                break;
            d = end + 1;
        }
    }
    {
        const char *d = trim ? trim : "";
        static const char *const fixed[] = {"/proc/self/cwd/./", "/proc/self/cwd/"};

        while (*d) {
            const char *end = strchr(d, ':');
            size_t len = end ? (size_t)(end - d) : strlen(d);
            char *pre = cprof_arena_alloc(a, len + 2);

            if (pre) {
                memcpy(pre, d, len);
                pre[len] = 0;
                if (len == 0 || pre[len - 1] != '/')
                    strcat(pre, "/");
                if (strncmp(path, pre, strlen(pre)) == 0)
                    return path + strlen(pre);
            }
            if (!end)
                break;
            d = end + 1;
        }
        for (int i = 0; i < 2; i++)
            if (strncmp(path, fixed[i], strlen(fixed[i])) == 0)
                return path + strlen(fixed[i]);
    }
    return path;
}

/* ---- options ---------------------------------------------------------------- */

void cprof_report_opts_init(struct cprof_report_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->divide_by = 1.0;
    o->unit = "minimum";
    o->nodecount = -1;
    o->nodefraction = 0.005;
    o->edgefraction = 0.001;
    o->trim = true;
    o->granularity = CPROF_GRAN_FUNCTIONS;
    o->threads = 1;
}

int cprof_report_granularity_parse(const char *s, enum cprof_report_granularity *g)
{
    static const char *const names[] = {"functions", "filefunctions", "files", "lines",
                                        "addresses"};

    for (int i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0) {
            *g = (enum cprof_report_granularity)i;
            return 0;
        }
    }
    return CPROF_EUSAGE;
}

static bool set(const char *s)
{
    return s && *s;
}

/* pprof's applyCommandOverrides. */
static void apply_overrides(struct rep *r)
{
    const struct cprof_report_opts *o = r->o;
    bool trim = o->trim;

    r->nodecount = o->nodecount;
    r->nodefraction = o->nodefraction;
    r->edgefraction = o->edgefraction;
    r->gran = o->granularity;
    r->noinlines = o->noinlines;
    switch (r->kind) {
    case CPROF_REPORT_PEEK:
        trim = false;
        break;
    case CPROF_REPORT_LIST:
        trim = false;
        r->gran = CPROF_GRAN_LINES;
        break;
    case CPROF_REPORT_DISASM:
        trim = false;
        r->gran = CPROF_GRAN_ADDRESSES;
        r->noinlines = true;
        break;
    case CPROF_REPORT_TOP:
    case CPROF_REPORT_TOPPROTO:
    case CPROF_REPORT_TRACES:
    case CPROF_REPORT_TAGS:
    case CPROF_REPORT_COMMENTS:
        if ((r->kind == CPROF_REPORT_TOP || r->kind == CPROF_REPORT_TOPPROTO) &&
            r->nodecount == -1)
            r->nodecount = 0;
        else if (r->nodecount == -1)
            r->nodecount = 80;
        break;
    default:
        if (r->nodecount == -1)
            r->nodecount = 80;
        break;
    }
    if (r->kind == CPROF_REPORT_CALLGRIND) {
        trim = false;
        r->gran = CPROF_GRAN_ADDRESSES;
        r->noinlines = false;
    }
    if (r->kind == CPROF_REPORT_COLLAPSED || r->kind == CPROF_REPORT_FLAMEGRAPH)
        trim = false;
    if (!trim) {
        r->nodecount = 0;
        r->nodefraction = 0;
        r->edgefraction = 0;
    }
    r->visual = r->kind == CPROF_REPORT_DOT;
    r->call_tree =
        o->call_tree && (r->kind == CPROF_REPORT_DOT || r->kind == CPROF_REPORT_CALLGRIND);
    r->obj_names = r->kind == CPROF_REPORT_LIST || r->kind == CPROF_REPORT_CALLGRIND ||
                   r->kind == CPROF_REPORT_DISASM;
}

static int parse_int(const char *s, long *out)
{
    char *end;

    errno = 0;
    if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
        return -1;
    *out = strtol(s, &end, 10);
    return (*end || errno) ? -1 : 0;
}

/* pprof's SampleIndexByName and sampleFormat. */
static int select_sample(struct rep *r)
{
    const struct cprof_profile *p = r->p;
    const char *si = r->o->sample_index;
    long idx;

    if (p->nsample_types == 0)
        return cprof_diag_set(r->diag, CPROF_EUSAGE, "profile has no samples");
    if (!set(si)) {
        r->si = p->nsample_types - 1;
        if (p->default_sample_type) {
            const char *dst = cprof__rep_str(r, p->default_sample_type);

            for (uint32_t i = 0; i < p->nsample_types; i++)
                if (strcmp(cprof__rep_str(r, p->sample_types[i].type), dst) == 0) {
                    r->si = i;
                    break;
                }
        }
    } else if (parse_int(si, &idx) == 0) {
        if (idx < 0 || idx >= (long)p->nsample_types)
            return cprof_diag_set(r->diag, CPROF_EUSAGE,
                                  "sample_index %s is outside the range [0..%u]", si,
                                  p->nsample_types - 1);
        r->si = (uint32_t)idx;
    } else {
        const char *noinuse = strncmp(si, "inuse_", 6) == 0 ? si + 6 : si;
        uint32_t i;
        char list[160];
        size_t w = 0;

        for (i = 0; i < p->nsample_types; i++) {
            const char *t = cprof__rep_str(r, p->sample_types[i].type);

            if (strcmp(t, si) == 0 || strcmp(t, noinuse) == 0)
                break;
        }
        if (i == p->nsample_types) {
            for (i = 0; i < p->nsample_types && w < sizeof(list); i++)
                w += (size_t)snprintf(list + w, sizeof(list) - w, "%s%s", i ? " " : "",
                                      cprof__rep_str(r, p->sample_types[i].type));
            return cprof_diag_set(r->diag, CPROF_EUSAGE,
                                  "sample_index \"%s\" must be one of: [%s]", si, list);
        }
        r->si = i;
    }
    r->mean = r->o->mean;
    snprintf(r->sample_type, sizeof(r->sample_type), "%s%s", r->mean ? "mean_" : "",
             cprof__rep_str(r, p->sample_types[r->si].type));
    r->sample_unit = cprof__rep_str(r, p->sample_types[r->si].unit);
    if (r->o->divide_by == 0)
        return cprof_diag_set(r->diag, CPROF_EUSAGE, "zero divisor specified");
    r->ratio = 1 / r->o->divide_by;
    snprintf(r->out_unit, sizeof(r->out_unit), "%s", set(r->o->unit) ? r->o->unit : "minimum");
    return 0;
}

void cprof__rep_sample_value(const struct rep *r, const struct cprof_sample *s, int64_t *w,
                             int64_t *dw)
{
    *w = s->values[r->si];
    *dw = r->mean ? s->values[0] : 0;
}

/* ---- working copy ------------------------------------------------------------ */

static int working_copy(struct rep *r)
{
    const struct cprof_profile *p = r->p;
    size_t nl = 0, ns = 0;

    for (uint32_t i = 0; i < p->nlocations; i++)
        nl += p->locations[i].nlines ? p->locations[i].nlines : 1;
    for (size_t i = 0; i < p->nsamples; i++)
        ns += p->samples[i].nlocs;
    r->lfunc = malloc((nl + 1) * sizeof(*r->lfunc));
    r->lline = malloc((nl + 1) * sizeof(*r->lline));
    r->locnode = malloc((nl + 1) * sizeof(*r->locnode));
    r->loc_first = malloc((p->nlocations + 1) * sizeof(*r->loc_first));
    r->loc_n = malloc((p->nlocations + 1) * sizeof(*r->loc_n));
    r->stk = malloc((ns + 1) * sizeof(*r->stk));
    r->s_first = malloc((p->nsamples + 1) * sizeof(*r->s_first));
    r->s_n = malloc((p->nsamples + 1) * sizeof(*r->s_n));
    r->samples = malloc((p->nsamples + 1) * sizeof(*r->samples));
    r->key_hidden = calloc(p->nstrings + 1, sizeof(*r->key_hidden));
    if (!r->lfunc || !r->lline || !r->locnode || !r->loc_first || !r->loc_n || !r->stk ||
        !r->s_first || !r->s_n || !r->samples || !r->key_hidden)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    nl = 0;
    for (uint32_t i = 0; i < p->nlocations; i++) {
        const struct cprof_location *l = &p->locations[i];

        r->loc_first[i] = (uint32_t)nl;
        r->loc_n[i] = l->nlines;
        for (uint32_t j = 0; j < l->nlines; j++) {
            r->lfunc[nl] = l->lines[j].func < p->nfunctions ? l->lines[j].func : REP_NONE;
            r->lline[nl++] = l->lines[j].line;
        }
        if (!l->nlines)
            nl++; /* room for pprof's empty line */
    }
    ns = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        r->s_first[i] = ns;
        r->s_n[i] = p->samples[i].nlocs;
        memcpy(r->stk + ns, p->samples[i].locs, p->samples[i].nlocs * sizeof(*r->stk));
        ns += p->samples[i].nlocs;
        /* pprof's Merge (run on every input) drops all-zero samples. */
        for (uint32_t k = 0; k < p->nsample_types; k++) {
            if (p->samples[i].values[k]) {
                r->samples[r->nsamples++] = (uint32_t)i;
                break;
            }
        }
    }
    return 0;
}

static const char *map_file(const struct rep *r, uint32_t loc)
{
    uint32_t m = r->p->locations[loc].mapping;

    return m < r->p->nmappings ? cprof__rep_str(r, r->p->mappings[m].filename) : NULL;
}

static bool line_matches(const struct rep *r, uint32_t slot, const regex_t *re)
{
    const struct cprof_function *f;

    if (r->lfunc[slot] == REP_NONE)
        return false;
    f = &r->p->functions[r->lfunc[slot]];
    return cprof__rep_match(re, cprof__rep_str(r, f->name)) ||
           cprof__rep_match(re, cprof__rep_str(r, f->filename));
}

/* Location.matchesName */
static bool loc_matches(const struct rep *r, uint32_t loc, const regex_t *re)
{
    const char *mf;

    for (uint32_t j = 0; j < r->loc_n[loc]; j++)
        if (line_matches(r, r->loc_first[loc] + j, re))
            return true;
    mf = map_file(r, loc);
    return mf && cprof__rep_match(re, mf);
}

/* Keeps the lines of loc for which keep(line) holds, in order. */
static void loc_filter_lines(struct rep *r, uint32_t loc, const regex_t *re, bool want)
{
    uint32_t f = r->loc_first[loc], w = 0;

    for (uint32_t j = 0; j < r->loc_n[loc]; j++) {
        bool m = line_matches(r, f + j, re);

        /* Lines without a function survive both hide and show. */
        if (r->lfunc[f + j] == REP_NONE || m == want) {
            r->lfunc[f + w] = r->lfunc[f + j];
            r->lline[f + w++] = r->lline[f + j];
        }
    }
    r->loc_n[loc] = w;
}

/* Whether pprof's simplifyFunc of func's name (at most 1023 bytes of it) matches re. */
static bool simplified_matches(const struct rep *r, uint32_t func, const regex_t *re)
{
    const char *name;
    char buf[1024];

    if (func == REP_NONE)
        return false;
    name = cprof__rep_str(r, r->p->functions[func].name);
    if (!*name)
        return false;
    cprof_simplify_func(name, buf, sizeof(buf));
    return cprof__rep_match(re, buf);
}

/* Profile.Prune with drop_frames/keep_frames (RemoveUninteresting). */
static int prune_uninteresting(struct rep *r)
{
    const struct cprof_profile *p = r->p;
    regex_t drop, keep;
    bool has_keep = false;
    uint8_t *mark;
    char *pat;
    int err = 0;

    if (!p->drop_frames || !*cprof__rep_str(r, p->drop_frames))
        return 0;
    pat = malloc(strlen(cprof__rep_str(r, p->drop_frames)) +
                 strlen(cprof__rep_str(r, p->keep_frames)) + 8);
    mark = calloc(p->nlocations + 1, 1); /* 1 = prune, 2 = prune beneath */
    if (!pat || !mark) {
        err = cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        goto out;
    }
    sprintf(pat, "^(%s)$", cprof__rep_str(r, p->drop_frames));
    if (regcomp(&drop, pat, REG_EXTENDED | REG_NOSUB))
        goto out; /* pprof ignores the error too */
    if (*cprof__rep_str(r, p->keep_frames)) {
        sprintf(pat, "^(%s)$", cprof__rep_str(r, p->keep_frames));
        has_keep = regcomp(&keep, pat, REG_EXTENDED | REG_NOSUB) == 0;
    }
    for (uint32_t l = 0; l < p->nlocations; l++) {
        int i;
        uint32_t f = r->loc_first[l];

        for (i = (int)r->loc_n[l] - 1; i >= 0; i--) {
            uint32_t fn = r->lfunc[f + (uint32_t)i];

            if (simplified_matches(r, fn, &drop) &&
                (!has_keep || !simplified_matches(r, fn, &keep)))
                break;
        }
        if (i >= 0) {
            mark[l] = 2;
            if (i == (int)r->loc_n[l] - 1) {
                mark[l] = 3;
            } else {
                uint32_t k = (uint32_t)i + 1, w = 0;

                for (; k < r->loc_n[l]; k++, w++) {
                    r->lfunc[f + w] = r->lfunc[f + k];
                    r->lline[f + w] = r->lline[f + k];
                }
                r->loc_n[l] = w;
            }
        }
    }
    for (size_t si = 0; si < r->nsamples; si++) {
        uint32_t s = r->samples[si], *stk = r->stk + r->s_first[s];
        bool found_user = false;

        for (int i = (int)r->s_n[s] - 1; i >= 0; i--) {
            uint8_t m = mark[stk[i]];

            if (!m) {
                found_user = true;
                continue;
            }
            if (!found_user)
                continue;
            if (m == 3) {
                memmove(stk, stk + i + 1, (r->s_n[s] - (uint32_t)i - 1) * sizeof(*stk));
                r->s_n[s] -= (uint32_t)i + 1;
            } else {
                memmove(stk, stk + i, (r->s_n[s] - (uint32_t)i) * sizeof(*stk));
                r->s_n[s] -= (uint32_t)i;
            }
            break;
        }
    }
    regfree(&drop);
    if (has_keep)
        regfree(&keep);
out:
    free(pat);
    free(mark);
    return err;
}

/* pprof's computeTotal over the selected samples. */
static void compute_total(struct rep *r)
{
    int64_t total = 0, div = 0, dtotal = 0, ddiv = 0;

    for (size_t i = 0; i < r->nsamples; i++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[i]];
        int64_t v, d;
        bool base = false;

        cprof__rep_sample_value(r, s, &v, &d);
        if (v < 0)
            v = -v;
        total += v;
        div += d;
        for (uint32_t k = 0; k < s->nlabels; k++)
            if (s->labels[k].str &&
                strcmp(cprof__rep_str(r, s->labels[k].key), "pprof::base") == 0 &&
                strcmp(cprof__rep_str(r, s->labels[k].str), "true") == 0)
                base = true;
        if (base) {
            dtotal += v;
            ddiv += d;
        }
    }
    if (dtotal > 0) {
        total = dtotal;
        div = ddiv;
    }
    r->total = div ? total / div : total;
}

static bool warn(struct rep *r, bool ok, const char *what)
{
    if (!ok && r->o->warn)
        fprintf(r->o->warn, "%s expression matched no samples\n", what);
    return ok;
}

/* FilterSamplesByName */
static int filter_by_name(struct rep *r, regex_t *focus, regex_t *ignore, regex_t *hide,
                          regex_t *show)
{
    const struct cprof_profile *p = r->p;
    uint8_t *fi = calloc(p->nlocations + 1, 1); /* 1 focus, 2 ignore */
    bool *hidden = calloc(p->nlocations + 1, 1);
    bool fm = false, im = false, hm = false, hnm = false, any_hidden = false;
    size_t w = 0;

    if (!fi || !hidden) {
        free(fi);
        free(hidden);
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    }
    for (uint32_t l = 0; l < p->nlocations; l++) {
        if (ignore && loc_matches(r, l, ignore)) {
            im = true;
            fi[l] = 2;
        } else if (!focus || loc_matches(r, l, focus)) {
            fm = true;
            fi[l] = 1;
        }
        if (hide && loc_matches(r, l, hide)) {
            const char *mf = map_file(r, l);

            hm = true;
            if (mf && cprof__rep_match(hide, mf))
                r->loc_n[l] = 0;
            else
                loc_filter_lines(r, l, hide, false);
            if (r->loc_n[l] == 0)
                hidden[l] = any_hidden = true;
        }
        if (show) {
            const char *mf = map_file(r, l);

            if (!(mf && cprof__rep_match(show, mf)))
                loc_filter_lines(r, l, show, true);
            if (r->loc_n[l] == 0)
                hidden[l] = any_hidden = true;
            else
                hnm = true;
        }
    }
    for (size_t i = 0; i < r->nsamples; i++) {
        uint32_t s = r->samples[i], *stk = r->stk + r->s_first[s], n = 0;
        bool f = false, ign = false;

        for (uint32_t k = 0; k < r->s_n[s] && !ign; k++) {
            if (fi[stk[k]] == 1)
                f = true;
            else if (fi[stk[k]] == 2)
                ign = true;
        }
        if (ign || !f)
            continue;
        if (any_hidden) {
            for (uint32_t k = 0; k < r->s_n[s]; k++)
                if (!hidden[stk[k]])
                    stk[n++] = stk[k];
            if (n == 0)
                continue;
            r->s_n[s] = n;
        }
        r->samples[w++] = s;
    }
    r->nsamples = w;
    free(fi);
    free(hidden);
    warn(r, !focus || fm, "Focus");
    warn(r, !ignore || im, "Ignore");
    warn(r, !hide || hm, "Hide");
    warn(r, !show || hnm, "Show");
    return 0;
}

/* Profile.ShowFrom */
static int filter_show_from(struct rep *r, regex_t *re)
{
    const struct cprof_profile *p = r->p;
    bool *from = calloc(p->nlocations + 1, 1), matched = false;
    size_t w = 0;

    if (!from)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    for (uint32_t l = 0; l < p->nlocations; l++) {
        const char *mf = map_file(r, l);

        if (mf && cprof__rep_match(re, mf)) {
            from[l] = matched = true;
            continue;
        }
        for (int i = (int)r->loc_n[l] - 1; i >= 0; i--) {
            if (line_matches(r, r->loc_first[l] + (uint32_t)i, re)) {
                r->loc_n[l] = (uint32_t)i + 1;
                from[l] = matched = true;
                break;
            }
        }
    }
    for (size_t i = 0; i < r->nsamples; i++) {
        uint32_t s = r->samples[i], *stk = r->stk + r->s_first[s];

        for (int k = (int)r->s_n[s] - 1; k >= 0; k--) {
            if (from[stk[k]]) {
                r->s_n[s] = (uint32_t)k + 1;
                r->samples[w++] = s;
                break;
            }
        }
    }
    r->nsamples = w;
    free(from);
    warn(r, matched, "ShowFrom");
    return 0;
}

/* ---- tag filters (driver_focus.go) ------------------------------------------- */

/* The unit pprof's NumLabelUnits gives a numeric label key. */
const char *cprof__rep_num_label_unit(const struct rep *r, const char *key)
{
    for (size_t i = 0; i < r->p->nsamples; i++) {
        const struct cprof_sample *s = &r->p->samples[i];

        for (uint32_t k = 0; k < s->nlabels; k++)
            if (!s->labels[k].str && s->labels[k].num_unit &&
                strcmp(cprof__rep_str(r, s->labels[k].key), key) == 0)
                return cprof__rep_str(r, s->labels[k].num_unit);
    }
    if (strcmp(key, "alignment") == 0 || strcmp(key, "request") == 0)
        return "bytes";
    return key;
}

/* FilterSamplesByTag with the model's tag filters (model/filter.h). */
static int filter_by_tag(struct rep *r)
{
    const char *spec[2] = {r->o->tagfocus, r->o->tagignore}, *name[2] = {"tagfocus", "tagignore"};
    struct cprof_tagfilter *tf[2] = {NULL, NULL};
    struct cprof_label_units *lu;
    bool matched[2] = {false, false};
    size_t w = 0;
    int err = 0;

    if (!set(spec[0]) && !set(spec[1]))
        return 0;
    if (!(lu = cprof_label_units_new(r->p)))
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    for (int i = 0; i < 2 && !err; i++) {
        const char *range;

        if (!set(spec[i]))
            continue;
        err = cprof_tagfilter_new(name[i], spec[i], &tf[i], &range, r->diag);
        if (!err && range && r->o->warn)
            fprintf(r->o->warn, "%s:Interpreted '%s' as range, not regexp\n", name[i], range);
    }
    for (size_t i = 0; i < r->nsamples && !err; i++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[i]];
        bool f = true, g = false;

        if (tf[0])
            err = cprof_tagfilter_match(r->p, tf[0], lu, s, &f);
        if (!err && tf[1])
            err = cprof_tagfilter_match(r->p, tf[1], lu, s, &g);
        matched[0] = matched[0] || f;
        matched[1] = matched[1] || g;
        if (f && !g)
            r->samples[w++] = r->samples[i];
    }
    if (err == -ENOMEM)
        err = cprof_diag_set(r->diag, err, "out of memory");
    if (!err) {
        r->nsamples = w;
        warn(r, !tf[0] || matched[0], "TagFocus");
        warn(r, !tf[1] || matched[1], "TagIgnore");
    }
    cprof_tagfilter_free(tf[0]);
    cprof_tagfilter_free(tf[1]);
    cprof_label_units_free(lu);
    return err;
}

/* FilterTagsByName: a per-key decision, kept as a mask over key strings. */
static int filter_tags_by_name(struct rep *r)
{
    regex_t show, hide;
    bool hs = set(r->o->tagshow), hh = set(r->o->taghide), sm = false, hm = false;
    int err;

    if (!hs && !hh)
        return 0;
    if (hs && (err = cprof__rep_regcomp(r, &show, "tagshow", r->o->tagshow)))
        return err;
    if (hh && (err = cprof__rep_regcomp(r, &hide, "taghide", r->o->taghide))) {
        if (hs)
            regfree(&show);
        return err;
    }
    for (size_t i = 0; i < r->nsamples; i++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[i]];

        for (uint32_t k = 0; k < s->nlabels; k++) {
            const char *key = cprof__rep_str(r, s->labels[k].key);
            bool ms = !hs || cprof__rep_match(&show, key);
            bool mh = hh && cprof__rep_match(&hide, key);

            sm = sm || ms;
            hm = hm || mh;
            if (!ms || mh)
                r->key_hidden[s->labels[k].key] = true;
        }
    }
    if (hs)
        regfree(&show);
    if (hh)
        regfree(&hide);
    warn(r, !hs || sm, "TagShow");
    warn(r, !hh || hm, "TagHide");
    return 0;
}

/* Profile.PruneFrom */
static void prune_from(struct rep *r, const regex_t *re)
{
    const struct cprof_profile *p = r->p;
    bool *mark = calloc(p->nlocations + 1, 1);

    if (!mark)
        return;
    for (uint32_t l = 0; l < p->nlocations; l++) {
        uint32_t f = r->loc_first[l];

        for (uint32_t i = 0; i < r->loc_n[l]; i++) {
            if (simplified_matches(r, r->lfunc[f + i], re)) {
                mark[l] = true;
                memmove(r->lfunc + f, r->lfunc + f + i, (r->loc_n[l] - i) * sizeof(*r->lfunc));
                memmove(r->lline + f, r->lline + f + i, (r->loc_n[l] - i) * sizeof(*r->lline));
                r->loc_n[l] -= i;
                break;
            }
        }
    }
    for (size_t i = 0; i < r->nsamples; i++) {
        uint32_t s = r->samples[i], *stk = r->stk + r->s_first[s];

        for (uint32_t k = 0; k < r->s_n[s]; k++) {
            if (mark[stk[k]]) {
                memmove(stk, stk + k, (r->s_n[s] - k) * sizeof(*stk));
                r->s_n[s] -= k;
                break;
            }
        }
    }
    free(mark);
}

/* applyFocus: the filters, in pprof's order. */
static int apply_focus(struct rep *r)
{
    const struct cprof_report_opts *o = r->o;
    regex_t rx[6];
    const char *names[6] = {"focus", "ignore", "hide", "show", "show_from", "prune_from"};
    const char *vals[6] = {o->focus, o->ignore, o->hide, o->show, o->show_from, o->prune_from};
    bool have[6] = {false};
    int err = 0;

    for (int i = 0; i < 6 && !err; i++)
        if (set(vals[i]) && !(err = cprof__rep_regcomp(r, &rx[i], names[i], vals[i])))
            have[i] = true;
    if (err)
        goto out;
    if (have[0] || have[1] || have[2] || have[3])
        err = filter_by_name(r, have[0] ? &rx[0] : NULL, have[1] ? &rx[1] : NULL,
                             have[2] ? &rx[2] : NULL, have[3] ? &rx[3] : NULL);
    if (!err && have[4])
        err = filter_show_from(r, &rx[4]);
    if (!err)
        err = filter_by_tag(r);
    if (!err)
        err = filter_tags_by_name(r);
    if (!err && have[5])
        prune_from(r, &rx[5]);
out:
    for (int i = 0; i < 6; i++)
        if (have[i])
            regfree(&rx[i]);
    return err;
}

/* ---- nodes ------------------------------------------------------------------- */

static uint64_t node_hash(const struct rep_node *n)
{
    uint64_t h = mix64(n->name * 0x9e3779b97f4a7c15ull + n->file);

    h = mix64(h ^ (n->obj + ((uint64_t)n->start_line << 32)));
    h = mix64(h ^ (uint64_t)n->lineno);
    return mix64(h ^ n->addr);
}

static bool node_eq(const struct rep_node *a, const struct rep_node *b)
{
    return a->name == b->name && a->file == b->file && a->obj == b->obj &&
           a->start_line == b->start_line && a->lineno == b->lineno && a->addr == b->addr;
}

/*
 * Rebuilds an index over nodes [from, nnodes) (open addressing, slot = id
 * + 1, 0 empty) at twice its size (4096 at first), hashing with hash.
 */
static int node_index_grow(struct rep *r, uint32_t **slots, size_t *nslots, uint32_t from,
                           uint64_t (*hash)(const struct rep_node *))
{
    size_t ns = *nslots ? *nslots * 2 : 4096;
    uint32_t *ns_slots = calloc(ns, sizeof(*ns_slots));

    if (!ns_slots)
        return -ENOMEM;
    for (uint32_t id = from; id < r->nnodes; id++) {
        size_t i = hash(&r->nodes[id]) & (ns - 1);

        while (ns_slots[i])
            i = (i + 1) & (ns - 1);
        ns_slots[i] = id + 1;
    }
    free(*slots);
    *slots = ns_slots;
    *nslots = ns;
    return 0;
}

/* Room for one more node at r->nodes[r->nnodes]: 0 or -ENOMEM. */
static int nodes_reserve(struct rep *r)
{
    uint32_t nc;
    struct rep_node *nn;

    if (r->nnodes < r->nodes_cap)
        return 0;
    nc = r->nodes_cap ? r->nodes_cap * 2 : 1024;
    if (!(nn = realloc(r->nodes, nc * sizeof(*nn))))
        return -ENOMEM;
    r->nodes = nn;
    r->nodes_cap = nc;
    return 0;
}

static char *printable_name(struct rep *r, const struct rep_node *n)
{
    char addr[32], line[32];
    const char *name = r->strs.s[n->name], *file = r->strs.s[n->file];
    const char *obj = r->strs.s[n->obj];
    size_t len = strlen(name) + strlen(file) + strlen(obj) + 64;
    char *out = cprof_arena_alloc(&r->arena, len), *w = out;

    if (!out)
        return NULL;
    *w = 0;
    if (n->addr) {
        snprintf(addr, sizeof(addr), "%016llx", (unsigned long long)n->addr);
        w += sprintf(w, "%s", addr);
    }
    if (*name)
        w += sprintf(w, "%s%s", w != out ? " " : "", name);
    if (n->lineno) {
        snprintf(line, sizeof(line), "%lld", (long long)n->lineno);
        w += sprintf(w, "%s%s:%s", w != out ? " " : "", file, line);
    } else if (*file) {
        w += sprintf(w, "%s%s", w != out ? " " : "", file);
    } else if (*name) {
        /* nothing */
    } else if (*obj) {
        const char *b = strrchr(obj, '/');

        b = b ? b + 1 : obj;
        if (!*b) /* filepath.Base of a path ending in '/' */
            b = obj;
        w += sprintf(w, "%s[%s]", w != out ? " " : "", b);
    } else {
        w += sprintf(w, "%s<unknown>", w != out ? " " : "");
    }
    return out;
}

static int node_find_or_add(struct rep *r, const struct rep_node *key, uint32_t *id)
{
    size_t i;

    if ((size_t)r->nnodes * 2 + 2 > r->node_nslots &&
        node_index_grow(r, &r->node_slots, &r->node_nslots, 0, node_hash))
        return -ENOMEM;
    i = node_hash(key) & (r->node_nslots - 1);
    for (; r->node_slots[i]; i = (i + 1) & (r->node_nslots - 1)) {
        if (node_eq(&r->nodes[r->node_slots[i] - 1], key)) {
            *id = r->node_slots[i] - 1;
            return 0;
        }
    }
    if (nodes_reserve(r))
        return -ENOMEM;
    r->nodes[r->nnodes] = *key;
    r->nodes[r->nnodes].pname = printable_name(r, key);
    if (!r->nodes[r->nnodes].pname)
        return -ENOMEM;
    r->node_slots[i] = r->nnodes + 1;
    *id = r->nnodes++;
    return 0;
}

/* Interned per-function and per-mapping strings, after trimPath and Clean. */
static int intern_names(struct rep *r)
{
    const struct cprof_profile *p = r->p;
    int err = 0;
    uint32_t dummy;

    r->fname_id = malloc((p->nfunctions + 1) * sizeof(*r->fname_id));
    r->ffile_id = malloc((p->nfunctions + 1) * sizeof(*r->ffile_id));
    r->map_id = malloc((p->nmappings + 1) * sizeof(*r->map_id));
    if (!r->fname_id || !r->ffile_id || !r->map_id)
        return -ENOMEM;
    err = cprof__rep_intern(&r->strs, "", 0, &dummy);
    for (uint32_t i = 0; i < p->nfunctions && !err; i++) {
        const char *name = cprof__rep_str(r, p->functions[i].name);
        const char *file = cprof__rep_str(r, p->functions[i].filename);

        err = cprof__rep_intern(&r->strs, name, strlen(name), &r->fname_id[i]);
        if (!err && *file) {
            file = cprof__rep_trim_path(&r->arena, file, r->o->trim_path, r->o->source_path);
            file = cprof__rep_clean_path(&r->arena, file);
            if (!file)
                return -ENOMEM;
        }
        if (!err)
            err = cprof__rep_intern(&r->strs, file, strlen(file), &r->ffile_id[i]);
    }
    for (uint32_t i = 0; i < p->nmappings && !err; i++) {
        const char *f = cprof__rep_str(r, p->mappings[i].filename);

        err = cprof__rep_intern(&r->strs, f, strlen(f), &r->map_id[i]);
    }
    return err;
}

/* The NodeInfo of one location line under the chosen granularity. */
static void node_key(struct rep *r, uint32_t loc, uint32_t slot, bool has_line,
                     struct rep_node *k)
{
    const struct cprof_location *l = &r->p->locations[loc];
    enum cprof_report_granularity g = r->gran;
    bool addr = g == CPROF_GRAN_ADDRESSES;
    bool lineno = g == CPROF_GRAN_LINES || addr;
    bool fname = g != CPROF_GRAN_FILES;
    bool ffile = g != CPROF_GRAN_FUNCTIONS;
    uint32_t obj = l->mapping < r->p->nmappings ? r->map_id[l->mapping] : 0;
    uint32_t fn = has_line ? r->lfunc[slot] : REP_NONE;

    memset(k, 0, sizeof(*k));
    k->addr = addr ? l->address : 0;
    if (fn == REP_NONE) {
        k->obj = obj;
        return;
    }
    k->lineno = lineno ? r->lline[slot] : 0;
    k->name = fname ? r->fname_id[fn] : 0;
    k->file = ffile ? r->ffile_id[fn] : 0;
    if (r->obj_names || k->name == 0) {
        k->obj = obj;
        k->start_line = r->p->functions[fn].start_line;
    }
}

/* Maps every line slot of every location to its node (the granularity's key). */
static int create_nodes(struct rep *r)
{
    int err = intern_names(r);

    for (uint32_t l = 0; l < r->p->nlocations && !err; l++) {
        uint32_t f = r->loc_first[l];

        if (r->noinlines && r->loc_n[l] > 1) {
            uint32_t last = f + r->loc_n[l] - 1;

            r->lfunc[f] = r->lfunc[last];
            r->lline[f] = r->lline[last];
            r->loc_n[l] = 1;
        }
        if (r->loc_n[l] == 0) {
            struct rep_node k;

            node_key(r, l, f, false, &k);
            err = node_find_or_add(r, &k, &r->locnode[f]);
            continue;
        }
        for (uint32_t j = 0; j < r->loc_n[l] && !err; j++) {
            struct rep_node k;

            node_key(r, l, f + j, true, &k);
            err = node_find_or_add(r, &k, &r->locnode[f + j]);
        }
    }
    for (uint32_t i = 0; i < r->nnodes; i++)
        r->nodes[i].kept = true;
    return err ? cprof_diag_set(r->diag, err, "out of memory") : 0;
}

uint32_t cprof__rep_loc_nodes(struct rep *r, uint32_t loc, uint32_t *first)
{
    *first = r->loc_first[loc];
    return r->loc_n[loc] ? r->loc_n[loc] : 1;
}

/* ---- edges ------------------------------------------------------------------- */

static uint64_t edge_hash(uint32_t src, uint32_t dst)
{
    return mix64(((uint64_t)src << 32) | dst);
}

static int edge_slots_grow(struct rep *r)
{
    size_t ns = r->edge_nslots ? r->edge_nslots * 2 : 4096;
    struct rep_eslot *slots = calloc(ns, sizeof(*slots));

    if (!slots)
        return -ENOMEM;
    for (uint32_t id = 0; id < r->nedges; id++) {
        uint32_t src = r->edges[id].src, dst = r->edges[id].dst;
        size_t i = edge_hash(src, dst) & (ns - 1);

        while (slots[i].id1)
            i = (i + 1) & (ns - 1);
        slots[i] = (struct rep_eslot){id + 1, src, dst};
    }
    free(r->edge_slots);
    r->edge_slots = slots;
    r->edge_nslots = ns;
    return 0;
}

static int edge_find_or_add(struct rep *r, uint32_t src, uint32_t dst, uint32_t *id)
{
    size_t i;

    if ((size_t)r->nedges * 2 + 2 > r->edge_nslots && edge_slots_grow(r))
        return -ENOMEM;
    i = edge_hash(src, dst) & (r->edge_nslots - 1);
    for (; r->edge_slots[i].id1; i = (i + 1) & (r->edge_nslots - 1)) {
        const struct rep_eslot *e = &r->edge_slots[i];

        if (e->src == src && e->dst == dst) {
            *id = e->id1 - 1;
            return 0;
        }
    }
    if (r->nedges == r->edges_cap) {
        uint32_t nc = r->edges_cap ? r->edges_cap * 2 : 4096;
        struct rep_edge *ne = realloc(r->edges, nc * sizeof(*ne));

        if (!ne)
            return -ENOMEM;
        r->edges = ne;
        r->edges_cap = nc;
    }
    memset(&r->edges[r->nedges], 0, sizeof(r->edges[0]));
    r->edges[r->nedges].src = src;
    r->edges[r->nedges].dst = dst;
    r->edges[r->nedges].inl = true;
    r->edges[r->nedges].stamp = UINT32_MAX;
    r->edge_slots[i] = (struct rep_eslot){r->nedges + 1, src, dst};
    *id = r->nedges++;
    return 0;
}

/* Groups live edges by destination (in) and source (out). */
static int build_adjacency(struct rep *r)
{
    uint32_t *cin = calloc(r->nnodes + 1, sizeof(*cin)), *cout = calloc(r->nnodes + 1, 4);

    free(r->adj_in);
    free(r->adj_out);
    r->adj_in = malloc((r->nedges + 1) * sizeof(*r->adj_in));
    r->adj_out = malloc((r->nedges + 1) * sizeof(*r->adj_out));
    if (!cin || !cout || !r->adj_in || !r->adj_out) {
        free(cin);
        free(cout);
        return -ENOMEM;
    }
    for (uint32_t e = 0; e < r->nedges; e++) {
        cin[r->edges[e].dst]++;
        cout[r->edges[e].src]++;
    }
    for (uint32_t n = 0, si = 0, so = 0; n < r->nnodes; n++) {
        r->nodes[n].in0 = si;
        r->nodes[n].out0 = so;
        r->nodes[n].nin = 0;
        r->nodes[n].nout = 0;
        si += cin[n];
        so += cout[n];
    }
    for (uint32_t e = 0; e < r->nedges; e++) {
        struct rep_node *d = &r->nodes[r->edges[e].dst], *s = &r->nodes[r->edges[e].src];

        r->adj_in[d->in0 + d->nin++] = e;
        r->adj_out[s->out0 + s->nout++] = e;
    }
    free(cin);
    free(cout);
    return 0;
}

/* ---- graph build -------------------------------------------------------------- */

int64_t cprof__rep_flat(const struct rep_node *n)
{
    return n->flatdiv ? n->flat / n->flatdiv : n->flat;
}

int64_t cprof__rep_cum(const struct rep_node *n)
{
    return n->cumdiv ? n->cum / n->cumdiv : n->cum;
}

int cprof__rep_tags_add(struct rep *r, uint32_t node, const struct cprof_sample *s, int64_t w,
                        int64_t dw, bool flat);

/* Forgets the edges and tags of the last build. */
static void edges_clear(struct rep *r)
{
    r->nedges = 0;
    r->ntags = 0;
    if (r->edge_slots)
        memset(r->edge_slots, 0, r->edge_nslots * sizeof(*r->edge_slots));
}

/*
 * The end of a build: the kept nodes from first on with a value enter the
 * graph, in node order (r->order has room for them); the edges touching
 * the others (dropped negative nodes) leave it; adjacency is rebuilt.
 */
static int graph_select(struct rep *r, uint32_t first)
{
    r->norder = 0;
    for (uint32_t i = first; i < r->nnodes; i++) {
        struct rep_node *n = &r->nodes[i];

        if (!n->kept || (n->cum == 0 && n->flat == 0))
            continue;
        if (r->o->drop_negative && (n->flat < 0 || (n->flat == 0 && n->cum < 0)))
            continue;
        n->in_graph = true;
        r->order[r->norder++] = i;
    }
    for (uint32_t e = 0; e < r->nedges; e++)
        if (!r->nodes[r->edges[e].src].in_graph || !r->nodes[r->edges[e].dst].in_graph)
            r->edges[e].removed = true;
    if (build_adjacency(r))
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    return 0;
}

/*
 * The walk pprof's newGraph and newTree make over selected sample si: its
 * value in *w and *dw and, root to leaf, its nodes whose keep byte has bit
 * 0 set (keep NULL: all nodes) in r->path[0 .. *n), flagged REP_STEP_CALL
 * and REP_STEP_RESIDUAL; *tail_dropped when nodes were dropped after the
 * last one.  *n is 0 for a sample whose values are zero (pprof skips it).
 * 0 or -ENOMEM.
 */
static inline int sample_path(struct rep *r, size_t si, const uint8_t *keep, uint32_t *n,
                              int64_t *w, int64_t *dw, bool *tail_dropped)
{
    uint32_t s = r->samples[si], *stk = r->stk + r->s_first[s], k = 0;
    uint32_t residual = 0;

    *n = 0;
    *tail_dropped = false;
    cprof__rep_sample_value(r, &r->p->samples[s], w, dw);
    if (*w == 0 && *dw == 0)
        return 0;
    for (int i = (int)r->s_n[s] - 1; i >= 0; i--) {
        uint32_t first, nn = cprof__rep_loc_nodes(r, stk[i], &first);

        if (k + nn > r->path_cap) {
            uint32_t nc = r->path_cap ? r->path_cap : 256;
            struct rep_step *np;

            while (nc < k + nn)
                nc *= 2;
            if (!(np = realloc(r->path, nc * sizeof(*np))))
                return -ENOMEM;
            r->path = np;
            r->path_cap = nc;
        }
        for (int ni = (int)nn - 1; ni >= 0; ni--) {
            uint32_t id = r->locnode[first + (uint32_t)ni];

            if (keep && !(keep[id] & 1)) {
                residual = REP_STEP_RESIDUAL;
                continue;
            }
            r->path[k].id = id;
            r->path[k++].flags = (ni == (int)nn - 1 ? REP_STEP_CALL : 0) | residual;
            residual = 0;
        }
    }
    *n = k;
    *tail_dropped = residual != 0;
    return 0;
}

/* pprof's newGraph over the selected samples, with the current kept set. */
/*
 * What the build's walk reads and writes of a node, packed: the walk visits
 * millions of frames in node order that has nothing to do with memory
 * order, and a whole rep_node per visit would not stay in cache.
 */
struct build_node {
    int64_t cum, cumdiv, flat, flatdiv;
    uint32_t stamp; /* last sample that counted this node's cum */
};

/*
 * The walk of samples [lo, hi): node counters into bn, edges into r's edge
 * index (r may be a part's copy of the report, with edges of its own).
 */
static int build_walk(struct rep *r, struct build_node *bn, const uint8_t *keep, size_t lo,
                      size_t hi)
{
    int err = 0;

    for (size_t si = lo; si < hi && !err; si++) {
        uint32_t parent = REP_NONE, stamp = (uint32_t)si, np;
        bool tail_dropped;
        int64_t w, dw;

        err = sample_path(r, si, keep, &np, &w, &dw, &tail_dropped);
        for (uint32_t k = 0; k < np && !err; k++) {
            uint32_t id = r->path[k].id, e;
            struct build_node *n = &bn[id];

            if (n->stamp != stamp) {
                n->stamp = stamp;
                n->cum += w;
                n->cumdiv += dw;
            }
            if (parent != REP_NONE && id != parent) {
                err = edge_find_or_add(r, parent, id, &e);
                if (!err && r->edges[e].stamp != stamp) {
                    struct rep_edge *ed = &r->edges[e];

                    ed->stamp = stamp;
                    ed->w += w;
                    ed->wdiv += dw;
                    if (r->path[k].flags & REP_STEP_RESIDUAL)
                        ed->residual = true;
                    if (r->path[k].flags & REP_STEP_CALL)
                        ed->inl = false;
                }
            }
            parent = id;
        }
        if (parent != REP_NONE && !tail_dropped) {
            bn[parent].flat += w;
            bn[parent].flatdiv += dw;
        }
    }
    return err;
}

/*
 * A big build is walked in parts on several threads (opts.threads): part 0
 * into the report itself, the others into copies of it with their own
 * edges, path buffer and counters, merged back in part order, so edges keep
 * the order of their first sample as in one walk.
 */
struct build_part {
    struct rep rp;
    struct build_node *bn;
    int err;
};

struct build_job {
    struct rep *r;
    const uint8_t *keep;
    struct build_part *parts;
    int nparts;
};

static void build_part_run(void *ctx, int part)
{
    struct build_job *j = ctx;
    struct build_part *bp = &j->parts[part];
    size_t lo, hi;

    cprof_par_range(j->r->nsamples, j->nparts, part, &lo, &hi);
    bp->err = build_walk(part ? &bp->rp : j->r, bp->bn, j->keep, lo, hi);
}

static int build_parallel(struct rep *r, struct build_node *bn, const uint8_t *keep, int nparts)
{
    struct build_job j = {r, keep, calloc((size_t)nparts, sizeof(struct build_part)), nparts};
    int err = 0;

    if (!j.parts)
        return -ENOMEM;
    j.parts[0].bn = bn;
    for (int k = 1; k < nparts && !err; k++) {
        struct rep *c = &j.parts[k].rp;

        *c = *r;
        c->edges = NULL;
        c->nedges = c->edges_cap = 0;
        c->edge_slots = NULL;
        c->edge_nslots = 0;
        c->path = NULL;
        c->path_cap = 0;
        j.parts[k].bn = malloc((r->nnodes + 1) * sizeof(*bn));
        if (!j.parts[k].bn)
            err = -ENOMEM;
        else
            for (uint32_t i = 0; i < r->nnodes; i++)
                j.parts[k].bn[i] = (struct build_node){0, 0, 0, 0, UINT32_MAX};
    }
    if (!err)
        cprof_par_run(nparts, build_part_run, &j);
    for (int k = 0; k < nparts; k++) {
        struct build_part *bp = &j.parts[k];

        if (!err)
            err = bp->err;
        if (k == 0)
            continue;
        if (!err) {
            for (uint32_t i = 0; i < r->nnodes; i++) {
                bn[i].cum += bp->bn[i].cum;
                bn[i].cumdiv += bp->bn[i].cumdiv;
                bn[i].flat += bp->bn[i].flat;
                bn[i].flatdiv += bp->bn[i].flatdiv;
            }
            for (uint32_t e = 0; e < bp->rp.nedges && !err; e++) {
                const struct rep_edge *pe = &bp->rp.edges[e];
                uint32_t id;

                if ((err = edge_find_or_add(r, pe->src, pe->dst, &id)) != 0)
                    break;
                r->edges[id].w += pe->w;
                r->edges[id].wdiv += pe->wdiv;
                r->edges[id].residual |= pe->residual;
                r->edges[id].inl &= pe->inl;
            }
        }
        free(bp->rp.edges);
        free(bp->rp.edge_slots);
        free(bp->rp.path);
        free(bp->bn);
    }
    free(j.parts);
    return err;
}

int cprof__rep_build(struct rep *r, bool all_kept)
{
    struct build_node *bn = malloc((r->nnodes + 1) * sizeof(*bn));
    uint8_t *keep = malloc(r->nnodes + 1); /* bit 0: kept (sample_path) */
    int nparts = cprof_par_parts(r->nsamples, r->o->threads, 50000);
    int err = 0;

    if (!bn || !keep) {
        free(bn);
        free(keep);
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < r->nnodes; i++) {
        struct rep_node *n = &r->nodes[i];

        if (all_kept)
            n->kept = true;
        n->flat = n->flatdiv = n->cum = n->cumdiv = 0;
        n->stamp = UINT32_MAX;
        n->in_graph = false;
        n->ntags = 0;
        bn[i] = (struct build_node){0, 0, 0, 0, UINT32_MAX};
        keep[i] = n->kept;
    }
    edges_clear(r);
    if (nparts > 1)
        err = build_parallel(r, bn, keep, nparts);
    else
        err = build_walk(r, bn, keep, 0, r->nsamples);
    for (uint32_t i = 0; i < r->nnodes; i++) {
        r->nodes[i].cum = bn[i].cum;
        r->nodes[i].cumdiv = bn[i].cumdiv;
        r->nodes[i].flat = bn[i].flat;
        r->nodes[i].flatdiv = bn[i].flatdiv;
    }
    free(bn);
    free(keep);
    if (err)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    return graph_select(r, 0);
}

/*
 * The tag part of pprof's newGraph (Node.addSample's labels), for the nodes
 * marked tag_wanted only: the same walk as cprof__rep_build with the same
 * kept set, a node's cum tags once per sample, flat tags at the sample's
 * last kept node.  pprof tags every node, but only the shown ones (at most
 * nodecount) are ever read, and tagging all of a big profile's nodes was
 * most of -dot's time.
 */
static int tags_pass(struct rep *r)
{
    /* Per node, compactly (the walk touches nothing else of a node): 1 kept, 2 wanted. */
    uint8_t *ks = malloc(r->nnodes + 1);
    uint32_t *st = malloc((r->nnodes + 1) * sizeof(*st));
    int err = 0;

    if (!ks || !st) {
        free(ks);
        free(st);
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < r->nnodes; i++) {
        ks[i] = (uint8_t)(r->nodes[i].kept | r->nodes[i].tag_wanted << 1);
        st[i] = UINT32_MAX;
        r->nodes[i].ntags = 0;
    }
    r->ntags = 0;
    for (size_t si = 0; si < r->nsamples && !err; si++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[si]];
        uint32_t last = REP_NONE, stamp = (uint32_t)si, np;
        bool tail_dropped;
        int64_t w, dw;

        err = sample_path(r, si, ks, &np, &w, &dw, &tail_dropped);
        for (uint32_t k = 0; k < np && !err; k++) {
            uint32_t id = r->path[k].id;

            if ((ks[id] & 2) && st[id] != stamp) {
                st[id] = stamp;
                err = cprof__rep_tags_add(r, id, s, w, dw, false);
            }
            last = id;
        }
        if (!err && last != REP_NONE && !tail_dropped && (ks[last] & 2))
            err = cprof__rep_tags_add(r, last, s, w, dw, true);
    }
    free(ks);
    free(st);
    return err ? cprof_diag_set(r->diag, -ENOMEM, "out of memory") : 0;
}

/* Tags for the first n nodes of the display order (all with n = norder). */
static int tag_first(struct rep *r, uint32_t n)
{
    if (!r->want_tags)
        return 0;
    for (uint32_t i = 0; i < r->nnodes; i++)
        r->nodes[i].tag_wanted = false;
    for (uint32_t i = 0; i < n && i < r->norder; i++)
        r->nodes[r->order[i]].tag_wanted = true;
    return tags_pass(r);
}

/* ---- sorting ------------------------------------------------------------------ */

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

struct sort_ctx {
    struct rep *r;
    int order; /* 0 flat, 1 cum, 2 entropy */
    int64_t *score;
};

static char *info_string(const struct rep *r, const struct rep_node *n)
{
    char *s = NULL;

    if (asprintf(&s, "{%s  %llu %s %lld %lld %s}", r->strs.s[n->name],
                 (unsigned long long)n->addr, r->strs.s[n->file], (long long)n->start_line,
                 (long long)n->lineno, r->strs.s[n->obj]) < 0)
        return NULL;
    return s;
}

int cprof__rep_compare_nodes(const struct rep *r, const struct rep_node *a,
                            const struct rep_node *b)
{
    char *sa = info_string(r, a), *sb = info_string(r, b);
    int c = (sa && sb) ? strcmp(sa, sb) : 0;

    free(sa);
    free(sb);
    return c;
}

static int cmp_nodes(const void *pa, const void *pb, void *arg)
{
    const struct sort_ctx *c = arg;
    uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
    const struct rep_node *a = &c->r->nodes[ia], *b = &c->r->nodes[ib];
    int64_t x, y;
    int s;

    if (c->order == 0) {
        x = abs64(a->flat);
        y = abs64(b->flat);
        if (x != y)
            return x > y ? -1 : 1;
        if ((s = strcmp(a->pname, b->pname)) != 0)
            return s;
        x = abs64(a->cum);
        y = abs64(b->cum);
        if (x != y)
            return x > y ? -1 : 1;
        return cprof__rep_compare_nodes(c->r, a, b);
    }
    x = abs64(c->order == 1 ? a->cum : c->score[ia]);
    y = abs64(c->order == 1 ? b->cum : c->score[ib]);
    if (x != y)
        return x > y ? -1 : 1;
    if ((s = strcmp(a->pname, b->pname)) != 0)
        return s;
    x = abs64(a->flat);
    y = abs64(b->flat);
    if (x != y)
        return x > y ? -1 : 1;
    return cprof__rep_compare_nodes(c->r, a, b);
}

static double edge_entropy(struct rep *r, const uint32_t *ids, uint32_t n, int64_t self)
{
    double score = 0;
    int64_t total = self;

    for (uint32_t i = 0; i < n; i++)
        if (!r->edges[ids[i]].removed && r->edges[ids[i]].w > 0)
            total += abs64(r->edges[ids[i]].w);
    if (total != 0) {
        for (uint32_t i = 0; i < n; i++) {
            double frac;

            if (r->edges[ids[i]].removed)
                continue;
            frac = (double)abs64(r->edges[ids[i]].w) / (double)total;
            score += -frac * log2(frac);
        }
        if (self > 0) {
            double frac = (double)abs64(self) / (double)total;

            score += -frac * log2(frac);
        }
    }
    return score;
}

static uint32_t live_count(struct rep *r, const uint32_t *ids, uint32_t n)
{
    uint32_t c = 0;

    for (uint32_t i = 0; i < n; i++)
        c += !r->edges[ids[i]].removed;
    return c;
}

static int64_t entropy_score(struct rep *r, const struct rep_node *n)
{
    double score = 0;

    if (live_count(r, r->adj_in + n->in0, n->nin) == 0)
        score++;
    else
        score += edge_entropy(r, r->adj_in + n->in0, n->nin, 0);
    if (live_count(r, r->adj_out + n->out0, n->nout) == 0)
        score++;
    else
        score += edge_entropy(r, r->adj_out + n->out0, n->nout, n->flat);
    score *= (double)n->cum;
    /*
     * Go on amd64 turns a NaN or out-of-range float into INT64_MIN and
     * wraps the sum (negative values of -base profiles get here): the
     * same, without C's undefined behaviour.
     */
    int64_t s = (isnan(score) || score >= 0x1p63 || score < -0x1p63) ? INT64_MIN : (int64_t)score;
    return (int64_t)((uint64_t)s + (uint64_t)n->flat);
}

static int sort_nodes(struct rep *r)
{
    struct sort_ctx c = {r, r->visual ? 2 : (r->o->cum ? 1 : 0), NULL};

    if (c.order == 2) {
        c.score = malloc((r->nnodes + 1) * sizeof(*c.score));
        if (!c.score)
            return -ENOMEM;
        for (uint32_t i = 0; i < r->norder; i++)
            c.score[r->order[i]] = entropy_score(r, &r->nodes[r->order[i]]);
    }
    qsort_r(r->order, r->norder, sizeof(*r->order), cmp_nodes, &c);
    free(c.score);
    return 0;
}

/* edgeList order: |weight| desc, then source and destination names. */
int cprof__rep_cmp_edges(const void *pa, const void *pb, void *arg)
{
    const struct rep *r = arg;
    const struct rep_edge *a = &r->edges[*(const uint32_t *)pa];
    const struct rep_edge *b = &r->edges[*(const uint32_t *)pb];
    int s;

    if (a->w != b->w)
        return abs64(a->w) > abs64(b->w) ? -1 : 1;
    if ((s = strcmp(r->nodes[a->src].pname, r->nodes[b->src].pname)) != 0)
        return s;
    return strcmp(r->nodes[a->dst].pname, r->nodes[b->dst].pname);
}

uint32_t cprof__rep_sorted_edges(struct rep *r, uint32_t node, bool in, uint32_t *out)
{
    const struct rep_node *n = &r->nodes[node];
    const uint32_t *ids = in ? r->adj_in + n->in0 : r->adj_out + n->out0;
    uint32_t cnt = in ? n->nin : n->nout, w = 0;

    for (uint32_t i = 0; i < cnt; i++)
        if (!r->edges[ids[i]].removed)
            out[w++] = ids[i];
    qsort_r(out, w, sizeof(*out), cprof__rep_cmp_edges, r);
    return w;
}

/* ---- trimming ------------------------------------------------------------------ */

static uint32_t trim_edges(struct rep *r, int64_t cutoff)
{
    uint32_t dropped = 0;

    for (uint32_t e = 0; e < r->nedges; e++) {
        if (!r->edges[e].removed && abs64(r->edges[e].w) < cutoff) {
            r->edges[e].removed = true;
            dropped++;
        }
    }
    return dropped;
}

int cprof__rep_tags_trim(struct rep *r, int64_t cutoff);
uint32_t cprof__rep_count_tags(const struct rep *r, uint32_t node);

static bool redundant_edge(struct rep *r, uint32_t eid, uint32_t *queue, uint8_t *seen)
{
    const struct rep_edge *e = &r->edges[eid];
    uint32_t head = 0, tail = 0;
    bool found = false;

    queue[tail++] = e->dst;
    seen[e->dst] = 1;
    while (head < tail && !found) {
        const struct rep_node *n = &r->nodes[queue[head++]];

        for (uint32_t i = 0; i < n->nin; i++) {
            uint32_t ie = r->adj_in[n->in0 + i];
            uint32_t src = r->edges[ie].src;

            if (r->edges[ie].removed || ie == eid || seen[src])
                continue;
            if (src == e->src) {
                found = true;
                break;
            }
            seen[src] = 1;
            queue[tail++] = src;
        }
    }
    for (uint32_t i = 0; i < tail; i++)
        seen[queue[i]] = 0;
    return found;
}

static int remove_redundant_edges(struct rep *r)
{
    uint32_t *queue = malloc((r->nnodes + 1) * sizeof(*queue));
    uint8_t *seen = calloc(r->nnodes + 1, 1);
    uint32_t *in = malloc((r->nedges + 1) * sizeof(*in));

    if (!queue || !seen || !in) {
        free(queue);
        free(seen);
        free(in);
        return -ENOMEM;
    }
    for (uint32_t i = r->norder; i > 0; i--) {
        uint32_t n = cprof__rep_sorted_edges(r, r->order[i - 1], true, in);

        for (uint32_t j = n; j > 0; j--) {
            uint32_t e = in[j - 1];

            if (!r->edges[e].residual)
                break;
            if (redundant_edge(r, e, queue, seen))
                r->edges[e].removed = true;
        }
    }
    free(queue);
    free(seen);
    free(in);
    return 0;
}

/* Keeps the first count nodes of the display order (selectTopNodes). */
static uint32_t select_top(struct rep *r, int count)
{
    uint32_t max = (uint32_t)count;

    if (r->visual) {
        uint32_t c = 0;

        for (uint32_t i = 0; i < r->norder; i++) {
            uint32_t t = cprof__rep_count_tags(r, r->order[i]);

            if (t > 4)
                t = 4;
            c += t + 1;
            if (c >= (uint32_t)count) {
                max = i + 1;
                break;
            }
        }
    }
    return max > r->norder ? r->norder : max;
}

static void keep_only(struct rep *r, uint32_t count)
{
    for (uint32_t i = 0; i < r->nnodes; i++)
        r->nodes[i].kept = false;
    for (uint32_t i = 0; i < count; i++)
        r->nodes[r->order[i]].kept = true;
}

/* ---- call tree (pprof's newTree and TrimTree) ------------------------------------- */

static uint64_t tree_hash(uint32_t parent, uint32_t base)
{
    return mix64(((uint64_t)parent << 32) | base);
}

static uint64_t tree_node_hash(const struct rep_node *n)
{
    return tree_hash(n->tparent, n->tbase);
}

/* The child of tree node parent (REP_NONE: a root) for graph node base, added when new. */
static int tree_child(struct rep *r, uint32_t parent, uint32_t base, uint32_t *id)
{
    size_t i;
    struct rep_node *n;

    if ((size_t)(r->nnodes - r->nbase) * 2 + 2 > r->tree_nslots &&
        node_index_grow(r, &r->tree_slots, &r->tree_nslots, r->nbase, tree_node_hash))
        return -ENOMEM;
    i = tree_hash(parent, base) & (r->tree_nslots - 1);
    for (; r->tree_slots[i]; i = (i + 1) & (r->tree_nslots - 1)) {
        const struct rep_node *x = &r->nodes[r->tree_slots[i] - 1];

        if (x->tparent == parent && x->tbase == base) {
            *id = r->tree_slots[i] - 1;
            return 0;
        }
    }
    if (nodes_reserve(r))
        return -ENOMEM;
    n = &r->nodes[r->nnodes];
    *n = r->nodes[base];
    n->flat = n->flatdiv = n->cum = n->cumdiv = 0;
    n->stamp = UINT32_MAX;
    n->kept = true;
    n->in_graph = false;
    n->ntags = 0;
    n->tparent = parent;
    n->tbase = base;
    r->tree_slots[i] = r->nnodes + 1;
    *id = r->nnodes++;
    return 0;
}

/*
 * pprof's newTree over the selected samples: a node per distinct path
 * from a root, appended after the graph's nodes (which leave the graph).
 * A child is always created after its parent, so ascending ids visit
 * parents first.
 */
static int tree_build(struct rep *r)
{
    int err = 0;
    uint32_t *order;

    r->nbase = r->nnodes;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        r->nodes[i].in_graph = false;
        r->nodes[i].ntags = 0;
    }
    edges_clear(r);
    for (size_t si = 0; si < r->nsamples && !err; si++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[si]];
        uint32_t parent = REP_NONE, np;
        bool tail_dropped;
        int64_t w, dw;

        err = sample_path(r, si, NULL, &np, &w, &dw, &tail_dropped);
        for (uint32_t k = 0; k < np && !err; k++) {
            uint32_t id, e;

            if ((err = tree_child(r, parent, r->path[k].id, &id)))
                break;
            r->nodes[id].cum += w;
            r->nodes[id].cumdiv += dw;
            if (r->want_tags && (err = cprof__rep_tags_add(r, id, s, w, dw, false)))
                break;
            if (parent != REP_NONE) {
                if ((err = edge_find_or_add(r, parent, id, &e)))
                    break;
                r->edges[e].w += w;
                r->edges[e].wdiv += dw;
                if (r->path[k].flags & REP_STEP_CALL)
                    r->edges[e].inl = false;
            }
            parent = id;
        }
        if (parent != REP_NONE && !err) {
            r->nodes[parent].flat += w;
            r->nodes[parent].flatdiv += dw;
            if (r->want_tags)
                err = cprof__rep_tags_add(r, parent, s, w, dw, true);
        }
    }
    if (err)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    order = realloc(r->order, (r->nnodes + 1) * sizeof(*order));
    if (!order)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    r->order = order;
    return graph_select(r, r->nbase);
}

/*
 * pprof's TrimTree: the graph nodes not kept leave it; the children of a
 * dropped node hang from its parent by residual edges (inline when both
 * edges were), those of a dropped root become roots.  Values are not
 * recomputed.  The display order keeps its order.
 */
static int tree_trim(struct rep *r)
{
    uint32_t *pe = malloc((r->nnodes + 1) * sizeof(*pe)), w = 0;

    if (!pe)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    for (uint32_t i = 0; i < r->nnodes; i++)
        pe[i] = REP_NONE;
    for (uint32_t e = 0; e < r->nedges; e++)
        if (!r->edges[e].removed)
            pe[r->edges[e].dst] = e;
    for (uint32_t x = r->nbase; x < r->nnodes; x++) {
        struct rep_node *n = &r->nodes[x];
        uint32_t up = pe[x];

        if (!n->in_graph || n->kept)
            continue;
        n->in_graph = false;
        if (up != REP_NONE)
            r->edges[up].removed = true;
        for (uint32_t k = 0; k < n->nout; k++) {
            struct rep_edge *e = &r->edges[r->adj_out[n->out0 + k]];

            if (e->removed)
                continue;
            if (up == REP_NONE) {
                e->removed = true;
                pe[e->dst] = REP_NONE;
                continue;
            }
            e->src = r->edges[up].src;
            e->residual = true;
            e->inl = r->edges[up].inl && e->inl;
        }
    }
    free(pe);
    for (uint32_t i = 0; i < r->norder; i++)
        if (r->nodes[r->order[i]].in_graph)
            r->order[w++] = r->order[i];
    r->norder = w;
    if (build_adjacency(r))
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    return 0;
}

/* newTrimmedGraph's cutoffs: nodefraction and edgefraction of the graph's total flat value. */
static void cutoffs(const struct rep *r, int64_t *node_cut, int64_t *edge_cut)
{
    int64_t total = 0;

    for (uint32_t i = 0; i < r->norder; i++)
        total += r->nodes[r->order[i]].flat;
    *node_cut = abs64((int64_t)((double)total * r->nodefraction));
    *edge_cut = abs64((int64_t)((double)total * r->edgefraction));
}

/*
 * After the kept set shrank: the graph is rebuilt over it, the call tree
 * (built once) trimmed in place.
 */
static int rebuild_kept(struct rep *r)
{
    return r->call_tree ? tree_trim(r) : cprof__rep_build(r, false);
}

/*
 * Tags for the first n nodes of the display order; the call tree has all
 * its tags from its build.
 */
static int graph_tags(struct rep *r, uint32_t n)
{
    return r->call_tree ? 0 : tag_first(r, n);
}

/* pprof's newTrimmedGraph; with call_tree (dot, callgrind) over a tree of the stacks. */
int cprof__rep_trimmed_graph(struct rep *r, uint32_t *orig_count, uint32_t *dropped_nodes,
                             uint32_t *dropped_edges)
{
    int64_t node_cut, edge_cut;
    int err;

    *dropped_nodes = *dropped_edges = 0;
    if ((err = r->call_tree ? tree_build(r) : cprof__rep_build(r, true)))
        return err;
    cutoffs(r, &node_cut, &edge_cut);
    if (node_cut > 0) {
        uint32_t kept = 0;

        for (uint32_t i = 0; i < r->nnodes; i++)
            r->nodes[i].kept = false;
        for (uint32_t i = 0; i < r->norder; i++) {
            struct rep_node *n = &r->nodes[r->order[i]];

            if (abs64(n->cum) >= node_cut) {
                n->kept = true;
                kept++;
            }
        }
        if (kept != r->norder) {
            *dropped_nodes = r->norder - kept;
            if ((err = rebuild_kept(r)))
                return err;
        }
    }
    *orig_count = r->norder;
    if ((err = sort_nodes(r)))
        return err;
    if (r->nodecount > 0) {
        uint32_t top;

        /* select_top counts the tags of at most nodecount nodes. */
        if ((err = graph_tags(r, (uint32_t)r->nodecount)))
            return err;
        cprof__rep_tags_trim(r, node_cut);
        trim_edges(r, edge_cut);
        top = select_top(r, r->nodecount);
        if (top != r->norder) {
            keep_only(r, top);
            if ((err = rebuild_kept(r)) || (err = sort_nodes(r)))
                return err;
        }
    }
    if ((err = graph_tags(r, r->norder)))
        return err;
    cprof__rep_tags_trim(r, node_cut);
    *dropped_edges = trim_edges(r, edge_cut);
    if (r->visual && (err = remove_redundant_edges(r)))
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    return 0;
}

/* pprof's selectOutputUnit. */
void cprof__rep_select_unit(struct rep *r)
{
    int64_t minv = 0;

    if (strcmp(r->out_unit, "minimum") != 0 || r->norder == 0)
        return;
    for (uint32_t i = 0; i < r->norder; i++) {
        const struct rep_node *n = &r->nodes[r->order[i]];
        int64_t m = abs64(cprof__rep_flat(n));

        if (m == 0)
            m = abs64(cprof__rep_cum(n));
        if (m > 0 && (minv == 0 || m < minv))
            minv = m;
    }
    cprof__rep_choose_unit(r, minv);
}

/*
 * The second half of selectOutputUnit: picks the "minimum" output unit from
 * the smallest non-zero value shown, minv, and the total.
 */
void cprof__rep_choose_unit(struct rep *r, int64_t minv)
{
    int64_t maxv;
    const char *minu, *maxu, *unit;

    if (strcmp(r->out_unit, "minimum") != 0)
        return;
    maxv = r->total;
    if (minv == 0)
        minv = maxv;
    if (r->ratio > 0 && r->ratio != 1) {
        minv = (int64_t)((double)minv * r->ratio);
        maxv = (int64_t)((double)maxv * r->ratio);
    }
    cprof__rep_scale(minv, r->sample_unit, "minimum", &minu);
    cprof__rep_scale(maxv, r->sample_unit, "minimum", &maxu);
    unit = minu;
    if (strcmp(minu, maxu) != 0 && minv * 100 < maxv && r->kind != CPROF_REPORT_CALLGRIND)
        cprof__rep_scale(100 * minv, r->sample_unit, "minimum", &unit);
    snprintf(r->out_unit, sizeof(r->out_unit), "%s", *unit ? unit : r->sample_unit);
}

char *cprof__rep_fmt(const struct rep *r, char *buf, size_t n, int64_t v)
{
    if (r->ratio > 0 && r->ratio != 1)
        v = (int64_t)((double)v * r->ratio);
    return cprof__rep_scaled_label(buf, n, v, r->sample_unit, r->out_unit);
}

/* ---- entry point ---------------------------------------------------------------- */

static void rep_release(struct rep *r)
{
    free(r->lfunc);
    free(r->lline);
    free(r->locnode);
    free(r->loc_first);
    free(r->loc_n);
    free(r->stk);
    free(r->s_first);
    free(r->s_n);
    free(r->samples);
    free(r->key_hidden);
    free(r->fname_id);
    free(r->ffile_id);
    free(r->map_id);
    free(r->nodes);
    free(r->node_slots);
    free(r->edges);
    free(r->edge_slots);
    free(r->adj_in);
    free(r->adj_out);
    free(r->order);
    free(r->tags);
    free(r->tag_slots);
    free(r->tree_slots);
    free(r->path);
    strs_release(&r->strs);
    cprof_arena_release(&r->arena);
}

static int dispatch(struct rep *r)
{
    switch (r->kind) {
    case CPROF_REPORT_TOP:
        return cprof__rep_top(r);
    case CPROF_REPORT_TREE:
    case CPROF_REPORT_PEEK:
        return cprof__rep_tree(r);
    case CPROF_REPORT_TRACES:
        return cprof__rep_traces(r);
    case CPROF_REPORT_TAGS:
        return cprof__rep_tags(r);
    case CPROF_REPORT_COLLAPSED:
        return cprof__rep_collapsed(r);
    case CPROF_REPORT_COMMENTS:
        return cprof__rep_comments(r);
    case CPROF_REPORT_DOT:
        return cprof__rep_dot(r);
    case CPROF_REPORT_LIST:
        return cprof__rep_list(r);
    case CPROF_REPORT_CALLGRIND:
        return cprof__rep_callgrind(r);
    case CPROF_REPORT_TOPPROTO:
        return cprof__rep_topproto(r);
    case CPROF_REPORT_DISASM:
        return cprof__rep_disasm(r);
    case CPROF_REPORT_FLAMEGRAPH:
        return cprof__rep_flamegraph(r);
    case CPROF_REPORT_LABELS:
        if (cprof__rep_profile_labels(r, r->out))
            fputc('\n', r->out);
        return 0;
    }
    return cprof_diag_set(r->diag, CPROF_EUSAGE, "unexpected output format");
}

int cprof_report_run(const struct cprof_profile *p, enum cprof_report_kind kind,
                     const struct cprof_report_opts *o, FILE *out, struct cprof_diag *diag)
{
    struct rep r;
    int err;

    memset(&r, 0, sizeof(r));
    r.p = p;
    r.o = o;
    r.kind = kind;
    r.out = out;
    r.diag = diag;
    cprof_arena_init(&r.arena);
    cprof_arena_init(&r.strs.arena);
    apply_overrides(&r);
    r.want_tags = kind == CPROF_REPORT_DOT;
    if ((kind == CPROF_REPORT_PEEK || kind == CPROF_REPORT_LIST || kind == CPROF_REPORT_DISASM) &&
        !set(o->symbol)) {
        err = cprof_diag_set(diag, CPROF_EUSAGE, "this report needs a regexp argument");
        goto out;
    }
    if ((err = select_sample(&r)) || (err = working_copy(&r)) || (err = prune_uninteresting(&r)))
        goto out;
    if (!o->relative_percentages)
        compute_total(&r);
    if ((err = apply_focus(&r)))
        goto out;
    if (o->relative_percentages)
        compute_total(&r);
    if ((err = create_nodes(&r)))
        goto out;
    r.order = malloc((r.nnodes + 1) * sizeof(*r.order));
    if (!r.order) {
        err = cprof_diag_set(diag, -ENOMEM, "out of memory");
        goto out;
    }
    err = dispatch(&r);
    if (!err && (fflush(out) || ferror(out)))
        err = cprof_diag_set(diag, -EIO, "write error");
out:
    rep_release(&r);
    return err;
}
