/*
 * Profile model and builder: growable tables, string interning and the
 * intern indexes that deduplicate functions, mappings, locations and
 * samples.  Indexes are built lazily so a decoded profile that is only read
 * never pays for them.
 */
#include "model/profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

/* Hard ceiling on any table: positions are uint32 and CPROF_NONE is reserved. */
#define TABLE_MAX (UINT32_MAX - 1)

int cprof__grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    size_t ncap;
    void *p;

    if (need <= *cap)
        return 0;
    if (need > TABLE_MAX || need > SIZE_MAX / 2 / elem)
        return CPROF_ETOOBIG;
    ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    p = realloc(*arr, ncap * elem);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

int cprof__grow32(void **arr, uint32_t *cap, size_t need, size_t elem)
{
    size_t c = *cap;
    int err;

    if (need > TABLE_MAX)
        return CPROF_ETOOBIG;
    err = cprof__grow(arr, &c, need, elem);
    if (!err)
        *cap = c > TABLE_MAX ? TABLE_MAX : (uint32_t)c;
    return err;
}

#define GROW32(p, field, n)                                                                        \
    cprof__grow32((void **)&(p)->field, &(p)->field##_cap, (n), sizeof(*(p)->field))

struct cprof_profile *cprof_profile_new(void)
{
    struct cprof_profile *p = calloc(1, sizeof(*p));
    uint32_t zero;

    if (!p)
        return NULL;
    cprof_arena_init(&p->arena);
    cprof_htab_init(&p->str_idx);
    cprof_htab_init(&p->func_idx);
    cprof_htab_init(&p->loc_idx);
    cprof_htab_init(&p->map_idx);
    cprof_htab_init(&p->sample_idx);
    if (cprof_profile_intern(p, "", 0, &zero) != 0) {
        cprof_profile_free(p);
        return NULL;
    }
    return p;
}

void cprof_profile_free(struct cprof_profile *p)
{
    if (!p)
        return;
    cprof_htab_release(&p->str_idx);
    cprof_htab_release(&p->func_idx);
    cprof_htab_release(&p->loc_idx);
    cprof_htab_release(&p->map_idx);
    cprof_htab_release(&p->sample_idx);
    free(p->strings);
    free(p->sample_types);
    free(p->samples);
    free(p->mappings);
    free(p->locations);
    free(p->functions);
    free(p->comments);
    cprof_arena_release(&p->arena);
    free(p);
}

const char *cprof_profile_str(const struct cprof_profile *p, uint32_t i)
{
    return i < p->nstrings ? p->strings[i].ptr : "";
}

/* ---- strings ------------------------------------------------------------ */

struct str_key {
    const struct cprof_profile *p;
    const char *s;
    size_t len;
};

static bool str_eq(const void *ctx, uint32_t pos)
{
    const struct str_key *k = ctx;
    const struct cprof_str *e = &k->p->strings[pos];

    return e->len == k->len && memcmp(e->ptr, k->s, k->len) == 0;
}

static uint64_t str_hash(const char *s, size_t len)
{
    return cprof_hash_bytes(s, len, 0x5151);
}

/* Indexes strings appended by the decoder since the last call. */
static int str_index_catch_up(struct cprof_profile *p)
{
    for (; p->str_indexed < p->nstrings; p->str_indexed++) {
        const struct cprof_str *e = &p->strings[p->str_indexed];
        struct str_key k = {p, e->ptr, e->len};
        uint32_t pos;
        int rc = cprof_htab_lookup(&p->str_idx, str_hash(e->ptr, e->len), str_eq, &k,
                                   p->str_indexed, &pos);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cprof_profile_intern(struct cprof_profile *p, const char *s, size_t len, uint32_t *out)
{
    struct str_key k = {p, s, len};
    uint32_t pos;
    char *copy;
    int rc;

    if (len > UINT32_MAX)
        return CPROF_ETOOBIG;
    rc = str_index_catch_up(p);
    if (rc)
        return rc;
    rc = cprof_htab_lookup(&p->str_idx, str_hash(s, len), str_eq, &k, UINT32_MAX, &pos);
    if (rc == 1) {
        *out = pos;
        return 0;
    }
    rc = GROW32(p, strings, (size_t)p->nstrings + 1);
    if (rc)
        return rc;
    copy = cprof_arena_strndup(&p->arena, s, len);
    if (!copy)
        return -ENOMEM;
    pos = p->nstrings;
    p->strings[pos].ptr = copy;
    p->strings[pos].len = (uint32_t)len;
    k.s = copy;
    rc = cprof_htab_lookup(&p->str_idx, str_hash(s, len), str_eq, &k, pos, &pos);
    if (rc < 0)
        return rc;
    p->nstrings++;
    p->str_indexed = p->nstrings;
    *out = pos;
    return 0;
}

int cprof_profile_intern_cstr(struct cprof_profile *p, const char *s, uint32_t *out)
{
    return cprof_profile_intern(p, s ? s : "", s ? strlen(s) : 0, out);
}

int cprof_profile_add_sample_type(struct cprof_profile *p, const char *type, const char *unit)
{
    struct cprof_value_type vt;
    int rc;

    rc = cprof_profile_intern_cstr(p, type, &vt.type);
    if (!rc)
        rc = cprof_profile_intern_cstr(p, unit, &vt.unit);
    if (!rc)
        rc = GROW32(p, sample_types, (size_t)p->nsample_types + 1);
    if (rc)
        return rc;
    p->sample_types[p->nsample_types++] = vt;
    return 0;
}

int cprof_profile_add_comment(struct cprof_profile *p, const char *text)
{
    uint32_t s;
    int rc = cprof_profile_intern_cstr(p, text, &s);

    if (!rc)
        rc = GROW32(p, comments, (size_t)p->ncomments + 1);
    if (rc)
        return rc;
    p->comments[p->ncomments++] = s;
    return 0;
}

/* ---- functions ---------------------------------------------------------- */

struct func_key {
    const struct cprof_profile *p;
    const struct cprof_function *f;
};

static uint64_t func_hash(const struct cprof_function *f)
{
    uint64_t h = cprof_hash_u64(0xf00, f->name);

    h = cprof_hash_u64(h, f->system_name);
    h = cprof_hash_u64(h, f->filename);
    return cprof_hash_u64(h, (uint64_t)f->start_line);
}

static bool func_eq(const void *ctx, uint32_t pos)
{
    const struct func_key *k = ctx;
    const struct cprof_function *a = &k->p->functions[pos], *b = k->f;

    return a->name == b->name && a->system_name == b->system_name && a->filename == b->filename &&
           a->start_line == b->start_line;
}

int cprof_profile_add_function(struct cprof_profile *p, const struct cprof_function *f,
                               uint32_t *out)
{
    struct func_key k = {p, NULL};
    uint32_t pos;
    int rc;

    for (; p->func_indexed < p->nfunctions; p->func_indexed++) {
        const struct cprof_function *e = &p->functions[p->func_indexed];
        k.f = e;
        if (e->id > p->max_func_id)
            p->max_func_id = e->id;
        rc = cprof_htab_lookup(&p->func_idx, func_hash(e), func_eq, &k, p->func_indexed, &pos);
        if (rc < 0)
            return rc;
    }
    k.f = f;
    rc = cprof_htab_lookup(&p->func_idx, func_hash(f), func_eq, &k, UINT32_MAX, &pos);
    if (rc == 1) {
        *out = pos;
        return 0;
    }
    rc = GROW32(p, functions, (size_t)p->nfunctions + 1);
    if (rc)
        return rc;
    pos = p->nfunctions;
    p->functions[pos] = *f;
    p->functions[pos].id = ++p->max_func_id;
    k.f = &p->functions[pos];
    rc = cprof_htab_lookup(&p->func_idx, func_hash(f), func_eq, &k, pos, &pos);
    if (rc < 0)
        return rc;
    p->nfunctions++;
    p->func_indexed = p->nfunctions;
    *out = pos;
    return 0;
}

/* ---- mappings ----------------------------------------------------------- */

struct map_key {
    const struct cprof_profile *p;
    const struct cprof_mapping *m;
};

static uint64_t map_hash(const struct cprof_mapping *m)
{
    uint64_t h = cprof_hash_u64(0x3a9, m->start);

    h = cprof_hash_u64(h, m->limit);
    h = cprof_hash_u64(h, m->offset);
    h = cprof_hash_u64(h, m->filename);
    return cprof_hash_u64(h, m->build_id);
}

static bool map_eq(const void *ctx, uint32_t pos)
{
    const struct map_key *k = ctx;
    const struct cprof_mapping *a = &k->p->mappings[pos], *b = k->m;

    return a->start == b->start && a->limit == b->limit && a->offset == b->offset &&
           a->filename == b->filename && a->build_id == b->build_id &&
           a->has_functions == b->has_functions && a->has_filenames == b->has_filenames &&
           a->has_line_numbers == b->has_line_numbers &&
           a->has_inline_frames == b->has_inline_frames;
}

int cprof_profile_add_mapping(struct cprof_profile *p, const struct cprof_mapping *m, uint32_t *out)
{
    struct map_key k = {p, NULL};
    uint32_t pos;
    int rc;

    for (; p->map_indexed < p->nmappings; p->map_indexed++) {
        const struct cprof_mapping *e = &p->mappings[p->map_indexed];
        k.m = e;
        if (e->id > p->max_map_id)
            p->max_map_id = e->id;
        rc = cprof_htab_lookup(&p->map_idx, map_hash(e), map_eq, &k, p->map_indexed, &pos);
        if (rc < 0)
            return rc;
    }
    k.m = m;
    rc = cprof_htab_lookup(&p->map_idx, map_hash(m), map_eq, &k, UINT32_MAX, &pos);
    if (rc == 1) {
        *out = pos;
        return 0;
    }
    rc = GROW32(p, mappings, (size_t)p->nmappings + 1);
    if (rc)
        return rc;
    pos = p->nmappings;
    p->mappings[pos] = *m;
    p->mappings[pos].id = ++p->max_map_id;
    k.m = &p->mappings[pos];
    rc = cprof_htab_lookup(&p->map_idx, map_hash(m), map_eq, &k, pos, &pos);
    if (rc < 0)
        return rc;
    p->nmappings++;
    p->map_indexed = p->nmappings;
    *out = pos;
    return 0;
}

/* ---- locations ---------------------------------------------------------- */

struct loc_key {
    const struct cprof_profile *p;
    uint32_t mapping;
    uint64_t address;
    const struct cprof_line *lines;
    uint32_t nlines;
    bool is_folded;
};

static uint64_t loc_hash(const struct loc_key *k)
{
    uint64_t h = cprof_hash_u64(0x10c, k->address);

    h = cprof_hash_u64(h, k->mapping);
    h = cprof_hash_u64(h, k->is_folded);
    for (uint32_t i = 0; i < k->nlines; i++) {
        h = cprof_hash_u64(h, k->lines[i].func);
        h = cprof_hash_u64(h, (uint64_t)k->lines[i].line);
        h = cprof_hash_u64(h, (uint64_t)k->lines[i].column);
    }
    return h;
}

static bool loc_eq(const void *ctx, uint32_t pos)
{
    const struct loc_key *k = ctx;
    const struct cprof_location *l = &k->p->locations[pos];

    if (l->address != k->address || l->mapping != k->mapping || l->nlines != k->nlines ||
        l->is_folded != k->is_folded)
        return false;
    for (uint32_t i = 0; i < k->nlines; i++) {
        if (l->lines[i].func != k->lines[i].func || l->lines[i].line != k->lines[i].line ||
            l->lines[i].column != k->lines[i].column)
            return false;
    }
    return true;
}

static struct loc_key loc_key_of(const struct cprof_profile *p, const struct cprof_location *l)
{
    struct loc_key k = {p, l->mapping, l->address, l->lines, l->nlines, l->is_folded};
    return k;
}

int cprof_profile_add_location(struct cprof_profile *p, uint32_t mapping, uint64_t address,
                               const struct cprof_line *lines, uint32_t nlines, bool is_folded,
                               uint32_t *out)
{
    struct loc_key k = {p, mapping, address, lines, nlines, is_folded};
    struct cprof_location *l;
    uint32_t pos;
    int rc;

    for (; p->loc_indexed < p->nlocations; p->loc_indexed++) {
        const struct cprof_location *e = &p->locations[p->loc_indexed];
        struct loc_key ek = loc_key_of(p, e);
        if (e->id > p->max_loc_id)
            p->max_loc_id = e->id;
        rc = cprof_htab_lookup(&p->loc_idx, loc_hash(&ek), loc_eq, &ek, p->loc_indexed, &pos);
        if (rc < 0)
            return rc;
    }
    rc = cprof_htab_lookup(&p->loc_idx, loc_hash(&k), loc_eq, &k, UINT32_MAX, &pos);
    if (rc == 1) {
        *out = pos;
        return 0;
    }
    rc = GROW32(p, locations, (size_t)p->nlocations + 1);
    if (rc)
        return rc;
    pos = p->nlocations;
    l = &p->locations[pos];
    l->lines = NULL;
    if (nlines) {
        l->lines = cprof_arena_array(&p->arena, nlines, sizeof(*lines));
        if (!l->lines)
            return -ENOMEM;
        memcpy(l->lines, lines, nlines * sizeof(*lines));
    }
    l->id = ++p->max_loc_id;
    l->address = address;
    l->nlines = nlines;
    l->mapping = mapping;
    l->is_folded = is_folded;
    k = loc_key_of(p, l);
    rc = cprof_htab_lookup(&p->loc_idx, loc_hash(&k), loc_eq, &k, pos, &pos);
    if (rc < 0)
        return rc;
    p->nlocations++;
    p->loc_indexed = p->nlocations;
    *out = pos;
    return 0;
}

/* ---- samples ------------------------------------------------------------ */

struct sample_key {
    const struct cprof_profile *p;
    const uint32_t *locs;
    uint32_t nlocs;
    const struct cprof_label *labels;
    uint32_t nlabels;
};

static uint64_t sample_hash(const struct sample_key *k)
{
    uint64_t h = cprof_hash_bytes(k->locs, k->nlocs * sizeof(*k->locs), 0x5a);

    for (uint32_t i = 0; i < k->nlabels; i++) {
        const struct cprof_label *l = &k->labels[i];
        h = cprof_hash_u64(h, l->key);
        h = cprof_hash_u64(h, l->str);
        h = cprof_hash_u64(h, (uint64_t)l->num);
        h = cprof_hash_u64(h, l->num_unit);
    }
    return h;
}

static bool sample_eq(const void *ctx, uint32_t pos)
{
    const struct sample_key *k = ctx;
    const struct cprof_sample *s = &k->p->samples[pos];

    if (s->nlocs != k->nlocs || s->nlabels != k->nlabels)
        return false;
    if (k->nlocs && memcmp(s->locs, k->locs, k->nlocs * sizeof(*k->locs)) != 0)
        return false;
    for (uint32_t i = 0; i < k->nlabels; i++) {
        const struct cprof_label *a = &s->labels[i], *b = &k->labels[i];
        if (a->key != b->key || a->str != b->str || a->num != b->num || a->num_unit != b->num_unit)
            return false;
    }
    return true;
}

static int sample_index_catch_up(struct cprof_profile *p)
{
    uint32_t pos;

    if (p->nsamples > TABLE_MAX)
        return CPROF_ETOOBIG;
    for (; p->sample_indexed < p->nsamples; p->sample_indexed++) {
        const struct cprof_sample *s = &p->samples[p->sample_indexed];
        struct sample_key k = {p, s->locs, s->nlocs, s->labels, s->nlabels};
        int rc = cprof_htab_lookup(&p->sample_idx, sample_hash(&k), sample_eq, &k,
                                   (uint32_t)p->sample_indexed, &pos);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cprof_profile_add_sample(struct cprof_profile *p, const uint32_t *locs, uint32_t nlocs,
                             const int64_t *values, const struct cprof_label *labels,
                             uint32_t nlabels, unsigned flags)
{
    struct sample_key k = {p, locs, nlocs, labels, nlabels};
    struct cprof_sample *s;
    uint64_t hash = 0;
    uint32_t pos;
    int rc;

    if (flags & CPROF_ADD_MERGE) {
        rc = sample_index_catch_up(p);
        if (rc)
            return rc;
        hash = sample_hash(&k);
        rc = cprof_htab_lookup(&p->sample_idx, hash, sample_eq, &k, UINT32_MAX, &pos);
        if (rc == 1) {
            s = &p->samples[pos];
            for (uint32_t i = 0; i < p->nsample_types; i++)
                s->values[i] = (int64_t)((uint64_t)s->values[i] + (uint64_t)values[i]);
            return 0;
        }
    }
    rc = cprof__grow((void **)&p->samples, &p->samples_cap, p->nsamples + 1, sizeof(*p->samples));
    if (rc)
        return rc;
    s = &p->samples[p->nsamples];
    s->locs = cprof_arena_array(&p->arena, nlocs, sizeof(*locs));
    s->values = cprof_arena_array(&p->arena, p->nsample_types, sizeof(*values));
    s->labels = cprof_arena_array(&p->arena, nlabels, sizeof(*labels));
    if (!s->locs || !s->values || !s->labels)
        return -ENOMEM;
    if (nlocs)
        memcpy(s->locs, locs, nlocs * sizeof(*locs));
    if (p->nsample_types)
        memcpy(s->values, values, p->nsample_types * sizeof(*values));
    if (nlabels)
        memcpy(s->labels, labels, nlabels * sizeof(*labels));
    s->nlocs = nlocs;
    s->nlabels = nlabels;
    if (flags & CPROF_ADD_MERGE) {
        k.locs = s->locs;
        k.labels = s->labels;
        rc = cprof_htab_lookup(&p->sample_idx, hash, sample_eq, &k, (uint32_t)p->nsamples, &pos);
        if (rc < 0)
            return rc;
        p->sample_indexed = p->nsamples + 1;
    }
    p->nsamples++;
    return 0;
}

uint32_t cprof_profile_sample_index(const struct cprof_profile *p, const char *name)
{
    if (p->nsample_types == 0)
        return CPROF_NONE;
    bool dflt = name == NULL;

    if (dflt) {
        if (!p->default_sample_type)
            return p->nsample_types - 1;
        name = cprof_profile_str(p, p->default_sample_type);
    }
    for (uint32_t i = 0; i < p->nsample_types; i++)
        if (strcmp(cprof_profile_str(p, p->sample_types[i].type), name) == 0)
            return i;
    return dflt ? p->nsample_types - 1 : CPROF_NONE;
}
