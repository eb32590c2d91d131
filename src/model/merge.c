/*
 * Profile merging, a re-implementation of pprof's profile.Merge (see
 * merge.h for the rules).  Each source is mapped into the output through
 * per-source memo tables (position in the source -> position in the
 * output); the output's builder interns functions, locations and samples,
 * and a local index interns mappings with pprof's looser key.
 */
#include "model/merge.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/htab.h"
#include "model/profile.h"
#include "model/units.h"

struct merger {
    struct cprof_profile *p;   /* the output */
    struct cprof_htab map_idx; /* pprof mapping keys -> positions in p->mappings */

    /* Per source: position in src -> position in p (CPROF_NONE = not yet). */
    const struct cprof_profile *src;
    uint32_t *strs, *maps, *funcs, *locs;
    int64_t *map_off; /* address shift for locations of a deduplicated mapping */

    /* Scratch for one sample or location. */
    uint32_t *stack;
    size_t stack_cap;
    struct cprof_line *lines;
    size_t lines_cap;
    struct sorted_label *labels;
    size_t labels_cap;
};

struct sorted_label {
    struct cprof_label l; /* in output strings */
    uint32_t numeric;     /* 0: string label, 1: numeric (pprof encodes them after) */
    uint32_t idx;         /* position in the source, keeps equal keys in order */
};

static bool str_equal(const struct cprof_profile *a, uint32_t ia, const struct cprof_profile *b,
                      uint32_t ib)
{
    const char *sa = cprof_profile_str(a, ia), *sb = cprof_profile_str(b, ib);
    size_t la = ia < a->nstrings ? a->strings[ia].len : 0;
    size_t lb = ib < b->nstrings ? b->strings[ib].len : 0;

    return la == lb && memcmp(sa, sb, la) == 0;
}

static bool vt_equal(const struct cprof_profile *a, const struct cprof_value_type *va,
                     const struct cprof_profile *b, const struct cprof_value_type *vb)
{
    return str_equal(a, va->type, b, vb->type) && str_equal(a, va->unit, b, vb->unit);
}

static void fmt_types(char *buf, size_t n, const struct cprof_profile *p)
{
    size_t used = 0;

    used += (size_t)snprintf(buf, n, "[");
    for (uint32_t i = 0; i < p->nsample_types && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s/%s", i ? " " : "",
                                 cprof_profile_str(p, p->sample_types[i].type),
                                 cprof_profile_str(p, p->sample_types[i].unit));
    if (used < n)
        snprintf(buf + used, n - used, "]");
}

/* pprof's Profile.compatible. */
static int compatible(const struct cprof_profile *a, const struct cprof_profile *b,
                      struct cprof_diag *diag)
{
    char ta[80], tb[80];

    if (!vt_equal(a, &a->period_type, b, &b->period_type))
        return cprof_diag_set(
            diag, CPROF_EMISMATCH, "incompatible period types %s/%s and %s/%s",
            cprof_profile_str(a, a->period_type.type), cprof_profile_str(a, a->period_type.unit),
            cprof_profile_str(b, b->period_type.type), cprof_profile_str(b, b->period_type.unit));
    bool same = a->nsample_types == b->nsample_types;
    for (uint32_t i = 0; same && i < a->nsample_types; i++)
        same = vt_equal(a, &a->sample_types[i], b, &b->sample_types[i]);
    if (same)
        return 0;
    fmt_types(ta, sizeof(ta), a);
    fmt_types(tb, sizeof(tb), b);
    return cprof_diag_set(diag, CPROF_EMISMATCH, "incompatible sample types %s and %s", ta, tb);
}

static int map_str(struct merger *m, uint32_t s, uint32_t *out)
{
    int rc;

    if (s >= m->src->nstrings || s == 0) {
        *out = 0;
        return 0;
    }
    if (m->strs[s] == CPROF_NONE) {
        rc =
            cprof_profile_intern(m->p, m->src->strings[s].ptr, m->src->strings[s].len, &m->strs[s]);
        if (rc)
            return rc;
    }
    *out = m->strs[s];
    return 0;
}

/* ---- header ------------------------------------------------------------- */

static int add_comment_once(struct merger *m, uint32_t c, uint8_t **seen, size_t *seen_cap)
{
    uint32_t s;
    int rc = map_str(m, c, &s);

    if (rc)
        return rc;
    if (s >= *seen_cap) {
        size_t ncap = (size_t)s * 2 + 16;
        uint8_t *n = realloc(*seen, ncap);
        if (!n)
            return -ENOMEM;
        memset(n + *seen_cap, 0, ncap - *seen_cap);
        *seen = n;
        *seen_cap = ncap;
    }
    if ((*seen)[s])
        return 0;
    (*seen)[s] = 1;
    rc = cprof__grow32((void **)&m->p->comments, &m->p->comments_cap, (size_t)m->p->ncomments + 1,
                       sizeof(*m->p->comments));
    if (rc)
        return rc;
    m->p->comments[m->p->ncomments++] = s;
    return 0;
}

static int begin_source(struct merger *m, const struct cprof_profile *src);

/* pprof's combineHeaders, after the compatibility check. */
static int combine_headers(struct merger *m, struct cprof_profile *const *srcs, size_t n)
{
    struct cprof_profile *p = m->p;
    uint8_t *seen = NULL;
    size_t seen_cap = 0;
    int rc = 0;

    for (size_t i = 0; i < n && !rc; i++) {
        const struct cprof_profile *s = srcs[i];
        if (p->time_nanos == 0 || s->time_nanos < p->time_nanos)
            p->time_nanos = s->time_nanos;
        p->duration_nanos = (int64_t)((uint64_t)p->duration_nanos + (uint64_t)s->duration_nanos);
        if (p->period == 0 || p->period < s->period)
            p->period = s->period;
        rc = begin_source(m, s);
        for (uint32_t c = 0; c < s->ncomments && !rc; c++)
            rc = add_comment_once(m, s->comments[c], &seen, &seen_cap);
        if (!rc && p->default_sample_type == 0)
            rc = map_str(m, s->default_sample_type, &p->default_sample_type);
        if (!rc && i == 0) {
            rc = map_str(m, s->drop_frames, &p->drop_frames);
            if (!rc)
                rc = map_str(m, s->keep_frames, &p->keep_frames);
            if (!rc)
                rc = map_str(m, s->period_type.type, &p->period_type.type);
            if (!rc)
                rc = map_str(m, s->period_type.unit, &p->period_type.unit);
            for (uint32_t t = 0; t < s->nsample_types && !rc; t++)
                rc = cprof_profile_add_sample_type(p, cprof_profile_str(s, s->sample_types[t].type),
                                                   cprof_profile_str(s, s->sample_types[t].unit));
        }
    }
    free(seen);
    return rc;
}

/* ---- per-source memo tables --------------------------------------------- */

static int fill_none(uint32_t **arr, size_t n)
{
    free(*arr);
    *arr = malloc((n ? n : 1) * sizeof(**arr));
    if (!*arr)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        (*arr)[i] = CPROF_NONE;
    return 0;
}

static int begin_source(struct merger *m, const struct cprof_profile *src)
{
    int rc;

    m->src = src;
    rc = fill_none(&m->strs, src->nstrings);
    if (!rc)
        rc = fill_none(&m->maps, src->nmappings);
    if (!rc)
        rc = fill_none(&m->funcs, src->nfunctions);
    if (!rc)
        rc = fill_none(&m->locs, src->nlocations);
    if (rc)
        return rc;
    free(m->map_off);
    m->map_off = calloc(src->nmappings ? src->nmappings : 1, sizeof(*m->map_off));
    return m->map_off ? 0 : -ENOMEM;
}

static void merger_release(struct merger *m)
{
    cprof_htab_release(&m->map_idx);
    free(m->strs);
    free(m->maps);
    free(m->funcs);
    free(m->locs);
    free(m->map_off);
    free(m->stack);
    free(m->lines);
    free(m->labels);
}

/* ---- mappings ----------------------------------------------------------- */

struct map_key {
    const struct cprof_profile *p;
    uint64_t size, offset;
    uint32_t build_id_or_file; /* string in p */
};

/* pprof's Mapping.key(): sizes rounded up to 4 KiB absorb small differences. */
static struct map_key map_key_of(const struct cprof_profile *p, const struct cprof_mapping *mp)
{
    struct map_key k = {p, mp->limit - mp->start, mp->offset, 0};

    k.size = k.size + 0xfff;
    k.size -= k.size % 0x1000;
    k.build_id_or_file = mp->build_id ? mp->build_id : mp->filename;
    return k;
}

static uint64_t map_key_hash(const struct map_key *k)
{
    uint64_t h = cprof_hash_u64(0x9a9, k->size);

    h = cprof_hash_u64(h, k->offset);
    return cprof_hash_u64(h, k->build_id_or_file);
}

static bool map_key_eq(const void *ctx, uint32_t pos)
{
    const struct map_key *k = ctx;
    struct map_key e = map_key_of(k->p, &k->p->mappings[pos]);

    return e.size == k->size && e.offset == k->offset && e.build_id_or_file == k->build_id_or_file;
}

/* pprof's mapMapping: *out is CPROF_NONE for a location without mapping. */
static int map_mapping(struct merger *m, uint32_t sp, uint32_t *out)
{
    const struct cprof_mapping *s;
    struct cprof_mapping nm;
    struct map_key k;
    uint32_t pos;
    int rc;

    if (sp >= m->src->nmappings) {
        *out = CPROF_NONE;
        return 0;
    }
    if (m->maps[sp] != CPROF_NONE) {
        *out = m->maps[sp];
        return 0;
    }
    s = &m->src->mappings[sp];
    nm = *s;
    rc = map_str(m, s->filename, &nm.filename);
    if (!rc)
        rc = map_str(m, s->build_id, &nm.build_id);
    if (rc)
        return rc;
    k = map_key_of(m->p, &nm);
    rc = cprof_htab_lookup(&m->map_idx, map_key_hash(&k), map_key_eq, &k, UINT32_MAX, &pos);
    if (rc == 1) {
        m->maps[sp] = pos;
        m->map_off[sp] = (int64_t)(m->p->mappings[pos].start - s->start);
        *out = pos;
        return 0;
    }
    rc = cprof__grow32((void **)&m->p->mappings, &m->p->mappings_cap, (size_t)m->p->nmappings + 1,
                       sizeof(*m->p->mappings));
    if (rc)
        return rc;
    pos = m->p->nmappings;
    nm.id = (uint64_t)pos + 1;
    m->p->mappings[pos] = nm;
    rc = cprof_htab_lookup(&m->map_idx, map_key_hash(&k), map_key_eq, &k, pos, &pos);
    if (rc < 0)
        return rc;
    m->p->nmappings++;
    m->maps[sp] = pos;
    *out = pos;
    return 0;
}

/* ---- functions and locations -------------------------------------------- */

static int map_function(struct merger *m, uint32_t sf, uint32_t *out)
{
    const struct cprof_function *s;
    struct cprof_function f;
    int rc;

    if (m->funcs[sf] != CPROF_NONE) {
        *out = m->funcs[sf];
        return 0;
    }
    s = &m->src->functions[sf];
    f = *s;
    rc = map_str(m, s->name, &f.name);
    if (!rc)
        rc = map_str(m, s->system_name, &f.system_name);
    if (!rc)
        rc = map_str(m, s->filename, &f.filename);
    if (!rc)
        rc = cprof_profile_add_function(m->p, &f, &m->funcs[sf]);
    *out = m->funcs[sf];
    return rc;
}

static int map_location(struct merger *m, uint32_t sl, uint32_t *out)
{
    const struct cprof_location *s;
    uint32_t mp;
    uint64_t addr;
    int rc;

    if (sl >= m->src->nlocations)
        return CPROF_ECORRUPT;
    if (m->locs[sl] != CPROF_NONE) {
        *out = m->locs[sl];
        return 0;
    }
    s = &m->src->locations[sl];
    rc = map_mapping(m, s->mapping, &mp);
    if (rc)
        return rc;
    addr = s->address;
    if (mp != CPROF_NONE)
        addr += (uint64_t)m->map_off[s->mapping];
    rc = cprof__grow((void **)&m->lines, &m->lines_cap, (size_t)s->nlines + 1, sizeof(*m->lines));
    if (rc)
        return rc;
    for (uint32_t i = 0; i < s->nlines; i++) {
        if (s->lines[i].func >= m->src->nfunctions)
            return CPROF_ECORRUPT;
        m->lines[i] = s->lines[i];
        rc = map_function(m, s->lines[i].func, &m->lines[i].func);
        if (rc)
            return rc;
    }
    rc =
        cprof_profile_add_location(m->p, mp, addr, m->lines, s->nlines, s->is_folded, &m->locs[sl]);
    *out = m->locs[sl];
    return rc;
}

/* ---- samples ------------------------------------------------------------ */

static int label_cmp(const void *a, const void *b, void *ctx)
{
    const struct sorted_label *x = a, *y = b;
    const struct cprof_profile *p = ctx;
    const struct cprof_str *kx = &p->strings[x->l.key], *ky = &p->strings[y->l.key];
    int c;

    if (x->numeric != y->numeric)
        return x->numeric < y->numeric ? -1 : 1;
    c = memcmp(kx->ptr, ky->ptr, kx->len < ky->len ? kx->len : ky->len);
    if (c == 0 && kx->len != ky->len)
        c = kx->len < ky->len ? -1 : 1;
    if (c == 0)
        c = x->idx < y->idx ? -1 : 1;
    return c;
}

/*
 * Puts the labels of s in the order pprof's encoder writes its label maps,
 * so that equal maps give equal lists.  *n = labels kept.
 */
static int canonical_labels(struct merger *m, const struct cprof_sample *s, uint32_t *n)
{
    uint32_t k = 0;
    int rc;

    rc = cprof__grow((void **)&m->labels, &m->labels_cap, (size_t)s->nlabels + 1,
                     sizeof(*m->labels));
    if (rc)
        return rc;
    for (uint32_t i = 0; i < s->nlabels; i++) {
        const struct cprof_label *l = &s->labels[i];
        struct sorted_label *o = &m->labels[k];
        if (l->str == 0 && l->num == 0 && l->num_unit == 0)
            continue; /* pprof's decoder ignores such a label */
        o->l.num = l->str ? 0 : l->num;
        o->l.str = o->l.num_unit = 0;
        o->numeric = l->str == 0;
        o->idx = i;
        rc = map_str(m, l->key, &o->l.key);
        if (!rc && l->str)
            rc = map_str(m, l->str, &o->l.str);
        if (!rc && !l->str)
            rc = map_str(m, l->num_unit, &o->l.num_unit);
        if (rc)
            return rc;
        k++;
    }
    qsort_r(m->labels, k, sizeof(*m->labels), label_cmp, m->p);
    /* The builder wants plain labels: compact them in place. */
    for (uint32_t i = 0; i < k; i++)
        memmove((struct cprof_label *)m->labels + i, &m->labels[i].l, sizeof(struct cprof_label));
    *n = k;
    return 0;
}

static bool is_zero(const int64_t *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i] != 0)
            return false;
    return true;
}

static int map_sample(struct merger *m, const struct cprof_sample *s)
{
    uint32_t nlabels;
    int rc;

    rc = cprof__grow((void **)&m->stack, &m->stack_cap, (size_t)s->nlocs + 1, sizeof(*m->stack));
    if (rc)
        return rc;
    for (uint32_t i = 0; i < s->nlocs; i++) {
        rc = map_location(m, s->locs[i], &m->stack[i]);
        if (rc)
            return rc;
    }
    rc = canonical_labels(m, s, &nlabels);
    if (rc)
        return rc;
    return cprof_profile_add_sample(m->p, m->stack, s->nlocs, s->values,
                                    (const struct cprof_label *)m->labels, nlabels,
                                    CPROF_ADD_MERGE);
}

static int merge_sources(struct merger *m, struct cprof_profile *const *srcs, size_t n)
{
    int rc;

    for (size_t i = 0; i < n; i++) {
        const struct cprof_profile *src = srcs[i];
        uint32_t first;
        rc = begin_source(m, src);
        if (rc)
            return rc;
        /* The first mapping stands for the main binary: keep it first. */
        if (m->p->nmappings == 0 && src->nmappings > 0) {
            rc = map_mapping(m, 0, &first);
            if (rc)
                return rc;
        }
        for (size_t j = 0; j < src->nsamples; j++) {
            const struct cprof_sample *s = &src->samples[j];
            if (is_zero(s->values, src->nsample_types))
                continue;
            rc = map_sample(m, s);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int cprof_profile_merge(struct cprof_profile *const *srcs, size_t n, struct cprof_profile **out,
                        struct cprof_diag *diag)
{
    struct merger m = {0};
    int rc;

    *out = NULL;
    if (n == 0)
        return cprof_diag_set(diag, CPROF_EUSAGE, "no profiles to merge");
    for (size_t i = 1; i < n; i++) {
        rc = compatible(srcs[0], srcs[i], diag);
        if (rc)
            return rc;
    }
    m.p = cprof_profile_new();
    if (!m.p)
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    cprof_htab_init(&m.map_idx);
    rc = combine_headers(&m, srcs, n);
    if (!rc)
        rc = merge_sources(&m, srcs, n);
    merger_release(&m);
    if (rc) {
        cprof_profile_free(m.p);
        if (rc == CPROF_ECORRUPT)
            return cprof_diag_set(diag, rc, "merging: dangling reference in profile");
        return cprof_diag_set(diag, rc, "merging profiles: %s", cprof_strerror(rc));
    }
    /* Samples that summed to zero: merge once more to drop them and what only they used. */
    for (size_t i = 0; i < m.p->nsamples; i++) {
        if (is_zero(m.p->samples[i].values, m.p->nsample_types)) {
            struct cprof_profile *again = m.p;
            rc = cprof_profile_merge(&again, 1, out, diag);
            cprof_profile_free(again);
            return rc;
        }
    }
    *out = m.p;
    return 0;
}

/* ---- scaling and base profiles ------------------------------------------------ */

int cprof_profile_scale(struct cprof_profile *p, const double *ratios)
{
    size_t kept = 0;
    bool all_ones = true;

    for (uint32_t k = 0; k < p->nsample_types; k++)
        if (ratios[k] != 1)
            all_ones = false;
    if (all_ones)
        return 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        struct cprof_sample *s = &p->samples[i];
        bool keep = false;

        for (uint32_t k = 0; k < p->nsample_types; k++) {
            if (ratios[k] == 1)
                continue;
            s->values[k] = (int64_t)round((double)s->values[k] * ratios[k]);
            keep = keep || s->values[k] != 0;
        }
        if (keep)
            p->samples[kept++] = *s;
    }
    if (kept != p->nsamples) {
        p->nsamples = kept;
        /* Positions moved: the builder's sample index is stale. */
        cprof_htab_release(&p->sample_idx);
        cprof_htab_init(&p->sample_idx);
        p->sample_indexed = 0;
    }
    return 0;
}

/* pprof's compatibleValueTypes: names equal but for a trailing 's', units equal or of one kind. */
static bool vt_compatible(const struct cprof_profile *a, const struct cprof_value_type *va,
                          const struct cprof_profile *b, const struct cprof_value_type *vb)
{
    const char *ta = cprof_profile_str(a, va->type), *tb = cprof_profile_str(b, vb->type);
    const char *ua = cprof_profile_str(a, va->unit), *ub = cprof_profile_str(b, vb->unit);
    size_t la = strlen(ta), lb = strlen(tb);

    if (la && ta[la - 1] == 's')
        la--;
    if (lb && tb[lb - 1] == 's')
        lb--;
    if (la != lb || memcmp(ta, tb, la) != 0)
        return false;
    return strcmp(ua, ub) == 0 || cprof_units_same_kind(ua, ub);
}

/* A profile without a period type (pprof's nil PeriodType): both strings empty. */
static bool has_period_type(const struct cprof_profile *p)
{
    return p->period_type.type || p->period_type.unit;
}

/*
 * pprof's CommonValueType over the value types vt(ps[i]) of the profiles
 * selected by has (NULL = all): the position of the profile holding the
 * finest unit in *best, or CPROF_NONE when fewer than two were selected.
 * False when two are not compatible.
 */
static bool common_type(struct cprof_profile *const *ps, size_t n, uint32_t k, bool period,
                        size_t *best)
{
    size_t count = 0;

    *best = CPROF_NONE;
    for (size_t i = 0; i < n; i++) {
        const struct cprof_value_type *v, *bv;
        const char *u;

        if (period && !has_period_type(ps[i]))
            continue;
        count++;
        if (*best == CPROF_NONE) {
            *best = i;
            continue;
        }
        v = period ? &ps[i]->period_type : &ps[i]->sample_types[k];
        bv = period ? &ps[*best]->period_type : &ps[*best]->sample_types[k];
        if (!vt_compatible(ps[*best], bv, ps[i], v))
            return false;
        if (cprof_units_scale(1, cprof_profile_str(ps[i], v->unit),
                              cprof_profile_str(ps[*best], bv->unit), &u) < 1)
            *best = i;
    }
    if (count < 2)
        *best = CPROF_NONE;
    return true;
}

/* Converts p's period type to unit (a string of q) and scales its period. */
static int scale_period(struct cprof_profile *p, const struct cprof_profile *q, uint32_t unit)
{
    const char *to = cprof_profile_str(q, unit), *u;
    double v = cprof_units_scale(p->period, cprof_profile_str(p, p->period_type.unit), to, &u);

    /* Go's int64(float64) truncates; out of range is undefined there, saturate here. */
    p->period = v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
    return cprof_profile_intern_cstr(p, to, &p->period_type.unit);
}

int cprof_profile_scale_units(struct cprof_profile *const *ps, size_t n)
{
    uint32_t nt = n ? ps[0]->nsample_types : 0;
    size_t pbest, *tbest;
    double *ratios;
    int rc = 0;

    for (size_t i = 1; i < n; i++)
        if (ps[i]->nsample_types != nt)
            return 0;
    if (n < 2 || !common_type(ps, n, 0, true, &pbest))
        return 0;
    tbest = calloc((size_t)nt + 1, sizeof(*tbest));
    ratios = calloc((size_t)nt + 1, sizeof(*ratios));
    if (!tbest || !ratios) {
        rc = -ENOMEM;
        goto out;
    }
    for (uint32_t k = 0; k < nt; k++)
        if (!common_type(ps, n, k, false, &tbest[k]))
            goto out;
    for (size_t i = 0; i < n && !rc; i++) {
        struct cprof_profile *p = ps[i];

        if (pbest != CPROF_NONE && has_period_type(p))
            rc = scale_period(p, ps[pbest], ps[pbest]->period_type.unit);
        for (uint32_t k = 0; k < nt && !rc; k++) {
            const struct cprof_profile *q = ps[tbest[k]];
            const char *to = cprof_profile_str(q, q->sample_types[k].unit), *u;

            ratios[k] = cprof_units_scale(1, cprof_profile_str(p, p->sample_types[k].unit), to, &u);
            rc = cprof_profile_intern_cstr(p, to, &p->sample_types[k].unit);
        }
        if (!rc)
            rc = cprof_profile_scale(p, ratios);
    }
out:
    free(tbest);
    free(ratios);
    return rc;
}

int cprof_profile_normalize(struct cprof_profile *p, const struct cprof_profile *base,
                            struct cprof_diag *diag)
{
    double *ratios;
    int64_t *bv, *sv;
    uint32_t n = p->nsample_types;
    int rc;

    rc = compatible(p, base, diag);
    if (rc)
        return rc;
    ratios = calloc((size_t)n + 1, sizeof(*ratios));
    bv = calloc((size_t)n + 1, sizeof(*bv));
    sv = calloc((size_t)n + 1, sizeof(*sv));
    if (!ratios || !bv || !sv) {
        rc = cprof_diag_set(diag, -ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < base->nsamples; i++)
        for (uint32_t k = 0; k < n; k++)
            bv[k] += base->samples[i].values[k];
    for (size_t i = 0; i < p->nsamples; i++)
        for (uint32_t k = 0; k < n; k++)
            sv[k] += p->samples[i].values[k];
    for (uint32_t k = 0; k < n; k++)
        ratios[k] = sv[k] == 0 ? 0.0 : (double)bv[k] / (double)sv[k];
    rc = cprof_profile_scale(p, ratios);
out:
    free(ratios);
    free(bv);
    free(sv);
    return rc;
}

int cprof_profile_set_label(struct cprof_profile *p, const char *key, const char *value)
{
    uint32_t k, v;
    int rc;

    if ((rc = cprof_profile_intern_cstr(p, key, &k)) ||
        (rc = cprof_profile_intern_cstr(p, value, &v)))
        return rc;
    for (size_t i = 0; i < p->nsamples; i++) {
        struct cprof_sample *s = &p->samples[i];
        struct cprof_label *l;
        uint32_t n = 0;

        l = cprof_arena_array(&p->arena, (size_t)s->nlabels + 1, sizeof(*l));
        if (!l)
            return -ENOMEM;
        for (uint32_t j = 0; j < s->nlabels; j++)
            if (s->labels[j].key != k)
                l[n++] = s->labels[j];
        l[n++] = (struct cprof_label){.key = k, .str = v};
        s->labels = l;
        s->nlabels = n;
    }
    /* Labels changed: the builder's sample index is stale. */
    cprof_htab_release(&p->sample_idx);
    cprof_htab_init(&p->sample_idx);
    p->sample_indexed = 0;
    return 0;
}
