/*
 * pprof codec: profile.proto <-> struct cprof_profile, with protobuf-c for
 * the wire format and zlib for gzip.
 *
 * Decoding unpacks into a temporary arena whose size is capped relative to
 * the input (a protobuf message can claim far more memory than its bytes),
 * then converts into the model while checking every count against the
 * limits and every id and string index against its table.  Encoding builds
 * protobuf-c messages that point into the model and packs them: fields come
 * out in field-number order, so the bytes are a function of the model only.
 */
#include "model/codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/check.h"
#include "base/err.h"
#include "model/profile.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile PbProfile;
typedef Perftools__Profiles__ValueType PbValueType;
typedef Perftools__Profiles__Sample PbSample;
typedef Perftools__Profiles__Label PbLabel;
typedef Perftools__Profiles__Mapping PbMapping;
typedef Perftools__Profiles__Location PbLocation;
typedef Perftools__Profiles__Line PbLine;
typedef Perftools__Profiles__Function PbFunction;

/* protobuf-c's objects for an input of n bytes stay under this many bytes. */
#define UNPACK_MEM_FACTOR 48
#define UNPACK_MEM_SLACK (1u << 20)

void cprof_limits_default(struct cprof_limits *lim)
{
    lim->max_bytes = (size_t)1 << 30;
    lim->max_samples = (size_t)1 << 28;
    lim->max_strings = (size_t)1 << 26;
    lim->max_locations = (size_t)1 << 26;
    lim->max_depth = (size_t)1 << 16;
    lim->max_labels = (size_t)1 << 12;
    lim->max_lines = (size_t)1 << 12;
    lim->max_values = (size_t)1 << 10;
}

/* ---- gzip ---------------------------------------------------------------- */

/*
 * libdeflate rather than zlib: profiles are whole buffers anyway, and it
 * compresses and inflates several times faster (bench/codec.sh).
 */

int cprof_gzip(const uint8_t *in, size_t len, int level, struct cprof_buf *out)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    size_t bound, n;
    int err;

    if (!c)
        return -ENOMEM;
    bound = libdeflate_gzip_compress_bound(c, len);
    err = cprof_buf_reserve(out, bound);
    if (!err) {
        n = libdeflate_gzip_compress(c, in, len, out->data + out->len, bound);
        if (n == 0)
            err = CPROF_ETOOBIG;
        out->len += n;
    }
    libdeflate_free_compressor(c);
    return err;
}

/* The size a gzip member says it inflates to (ISIZE, modulo 2^32). */
static size_t gzip_isize(const uint8_t *in, size_t len)
{
    if (len < 18)
        return 0;
    return (size_t)in[len - 4] | (size_t)in[len - 3] << 8 | (size_t)in[len - 2] << 16 |
           (size_t)in[len - 1] << 24;
}

/* Inflates one gzip member at in; *used = input bytes it took. */
static int gunzip_member(struct libdeflate_decompressor *d, const uint8_t *in, size_t len,
                         size_t max, size_t hint, struct cprof_buf *out, size_t *used,
                         struct cprof_diag *diag)
{
    size_t room = hint > 0 && hint <= max - out->len ? hint : 1 << 20;

    for (;;) {
        enum libdeflate_result r;
        size_t got = 0;
        int err;

        if (room > max - out->len)
            room = max - out->len;
        err = cprof_buf_reserve(out, room);
        if (err)
            return cprof_diag_set(diag, err, "cannot hold the decompressed profile: %s",
                                  cprof_strerror(err));
        r = libdeflate_gzip_decompress_ex(d, in, len, out->data + out->len, room, used, &got);
        if (r == LIBDEFLATE_SUCCESS) {
            out->len += got;
            return 0;
        }
        if (r != LIBDEFLATE_INSUFFICIENT_SPACE)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "truncated or corrupt gzip data");
        if (room >= max - out->len)
            return cprof_diag_set(diag, CPROF_ETOOBIG, "decompressed profile exceeds %zu bytes",
                                  max);
        room = room > (max - out->len) / 2 ? max - out->len : room * 2;
    }
}

int cprof_gunzip(const uint8_t *in, size_t len, size_t max, struct cprof_buf *out,
                 struct cprof_diag *diag)
{
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    int err = 0;

    if (!d)
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    if (out->len > max)
        max = out->len;
    do {
        size_t used = 0;

        /* The trailer's size fits the whole input only when it is one member. */
        err = gunzip_member(d, in, len, max, gzip_isize(in, len), out, &used, diag);
        in += used;
        len -= used;
        /* Further gzip members are read as one stream, as Go does; other bytes end it. */
    } while (!err && len >= 2 && in[0] == 0x1f && in[1] == 0x8b);
    libdeflate_free_decompressor(d);
    return err;
}

/* ---- capped arena allocator for protobuf-c --------------------------------- */

struct unpack_mem {
    struct cprof_arena arena;
    size_t cap; /* bytes protobuf-c may allocate */
    size_t used;
    bool over;  /* the cap was hit */
};

static void *unpack_alloc(void *data, size_t size)
{
    struct unpack_mem *m = data;

    if (size > m->cap - m->used) {
        m->over = true;
        return NULL;
    }
    m->used += size;
    return cprof_arena_alloc(&m->arena, size);
}

static void unpack_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr; /* released with the arena */
}

/* ---- id -> position maps ------------------------------------------------- */

struct id_pos {
    uint64_t id;
    uint32_t pos;
};

struct idmap {
    uint32_t *dense;       /* dense[id] = pos + 1 when ids are compact */
    uint64_t dense_len;
    struct id_pos *sorted; /* otherwise (id, pos) sorted by id */
    size_t n;
};

static int cmp_id_pos(const void *a, const void *b)
{
    const struct id_pos *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Builds the map for ids[0..n); fails on a zero or duplicate id with a
 * message naming kind ("location", ...).
 */
static int idmap_build(struct idmap *m, const uint64_t *ids, size_t n, const char *kind,
                       struct cprof_diag *diag)
{
    uint64_t max = 0;

    memset(m, 0, sizeof(*m));
    m->n = n;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == 0)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "%s %zu has id 0", kind, i);
        if (ids[i] > max)
            max = ids[i];
    }
    if (max <= 4 * (uint64_t)n + 1024) {
        m->dense_len = max + 1;
        m->dense = calloc(m->dense_len, sizeof(*m->dense));
        if (!m->dense)
            return cprof_diag_set(diag, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            if (m->dense[ids[i]])
                return cprof_diag_set(diag, CPROF_ECORRUPT, "duplicate %s id %llu", kind,
                                      (unsigned long long)ids[i]);
            m->dense[ids[i]] = (uint32_t)i + 1;
        }
        return 0;
    }
    m->sorted = malloc((n ? n : 1) * sizeof(*m->sorted));
    if (!m->sorted)
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        m->sorted[i].id = ids[i];
        m->sorted[i].pos = (uint32_t)i;
    }
    qsort(m->sorted, n, sizeof(*m->sorted), cmp_id_pos);
    for (size_t i = 1; i < n; i++)
        if (m->sorted[i].id == m->sorted[i - 1].id)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "duplicate %s id %llu", kind,
                                  (unsigned long long)m->sorted[i].id);
    return 0;
}

/* Position of id, or CPROF_NONE. */
static uint32_t idmap_get(const struct idmap *m, uint64_t id)
{
    size_t lo = 0, hi = m->n;

    if (m->dense)
        return id < m->dense_len && m->dense[id] ? m->dense[id] - 1 : CPROF_NONE;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->sorted[mid].id < id)
            lo = mid + 1;
        else if (m->sorted[mid].id > id)
            hi = mid;
        else
            return m->sorted[mid].pos;
    }
    return CPROF_NONE;
}

static void idmap_release(struct idmap *m)
{
    free(m->dense);
    free(m->sorted);
}

/* ---- decode -------------------------------------------------------------- */

struct decoder {
    const PbProfile *pb;
    struct cprof_profile *p;
    const struct cprof_limits *lim;
    struct cprof_diag *diag;
    struct idmap funcs, maps, locs;
};

/* Checks a string index; writes the position to *out. */
static int dec_str(struct decoder *d, int64_t idx, uint32_t *out, const char *what)
{
    if (idx < 0 || (uint64_t)idx >= d->p->nstrings)
        return cprof_diag_set(d->diag, CPROF_ECORRUPT,
                              "%s: string index %lld out of range (table has %u)", what,
                              (long long)idx, d->p->nstrings);
    *out = (uint32_t)idx;
    return 0;
}

static int dec_limit(struct decoder *d, size_t n, size_t max, const char *what)
{
    if (n > max)
        return cprof_diag_set(d->diag, CPROF_ETOOBIG, "too many %s: %zu (limit %zu)", what, n,
                              max);
    return 0;
}

static int dec_strings(struct decoder *d)
{
    const PbProfile *pb = d->pb;
    struct cprof_profile *p = d->p;
    int err;

    if (pb->n_string_table == 0 || pb->string_table[0].len != 0)
        return cprof_diag_set(d->diag, CPROF_ECORRUPT, "string_table[0] must be \"\"");
    err = dec_limit(d, pb->n_string_table, d->lim->max_strings, "strings");
    if (err)
        return err;
    err = cprof__grow32((void **)&p->strings, &p->strings_cap, pb->n_string_table,
                        sizeof(*p->strings));
    if (err)
        return cprof_diag_set(d->diag, err, "string table: %s", cprof_strerror(err));
    /* Slot 0 was set by cprof_profile_new(). */
    for (size_t i = 1; i < pb->n_string_table; i++) {
        const ProtobufCBinaryData *s = &pb->string_table[i];
        char *copy;

        if (s->len > UINT32_MAX)
            return cprof_diag_set(d->diag, CPROF_ETOOBIG, "string %zu too long", i);
        copy = cprof_arena_strndup(&p->arena, (const char *)s->data, s->len);
        if (!copy)
            return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
        p->strings[i].ptr = copy;
        p->strings[i].len = (uint32_t)s->len;
    }
    p->nstrings = (uint32_t)pb->n_string_table;
    return 0;
}

static int dec_value_type(struct decoder *d, const PbValueType *vt, struct cprof_value_type *out,
                          const char *what)
{
    int err;

    out->type = out->unit = 0;
    if (!vt)
        return 0;
    err = dec_str(d, vt->type, &out->type, what);
    if (!err)
        err = dec_str(d, vt->unit, &out->unit, what);
    return err;
}

static int build_idmap(struct decoder *d, struct idmap *m, size_t n, const char *kind,
                       uint64_t (*id_of)(const PbProfile *, size_t))
{
    uint64_t *ids = malloc((n ? n : 1) * sizeof(*ids));
    int err;

    if (!ids)
        return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        ids[i] = id_of(d->pb, i);
    err = idmap_build(m, ids, n, kind, d->diag);
    free(ids);
    return err;
}

static uint64_t func_id_of(const PbProfile *pb, size_t i)
{
    return pb->function[i]->id;
}

static uint64_t map_id_of(const PbProfile *pb, size_t i)
{
    return pb->mapping[i]->id;
}

static uint64_t loc_id_of(const PbProfile *pb, size_t i)
{
    return pb->location[i]->id;
}

static int dec_functions(struct decoder *d)
{
    const PbProfile *pb = d->pb;
    struct cprof_profile *p = d->p;
    int err;

    err = dec_limit(d, pb->n_function, d->lim->max_locations, "functions");
    if (!err)
        err = build_idmap(d, &d->funcs, pb->n_function, "function", func_id_of);
    if (!err)
        err = cprof__grow32((void **)&p->functions, &p->functions_cap, pb->n_function,
                            sizeof(*p->functions));
    if (err)
        return d->diag && d->diag->err ? err : cprof_diag_set(d->diag, err, "functions");
    for (size_t i = 0; i < pb->n_function; i++) {
        const PbFunction *f = pb->function[i];
        struct cprof_function *o = &p->functions[i];

        o->id = f->id;
        o->start_line = f->start_line;
        err = dec_str(d, f->name, &o->name, "function name");
        if (!err)
            err = dec_str(d, f->system_name, &o->system_name, "function system name");
        if (!err)
            err = dec_str(d, f->filename, &o->filename, "function file name");
        if (err)
            return err;
    }
    p->nfunctions = (uint32_t)pb->n_function;
    return 0;
}

static int dec_mappings(struct decoder *d)
{
    const PbProfile *pb = d->pb;
    struct cprof_profile *p = d->p;
    int err;

    err = dec_limit(d, pb->n_mapping, d->lim->max_locations, "mappings");
    if (!err)
        err = build_idmap(d, &d->maps, pb->n_mapping, "mapping", map_id_of);
    if (!err)
        err = cprof__grow32((void **)&p->mappings, &p->mappings_cap, pb->n_mapping,
                            sizeof(*p->mappings));
    if (err)
        return d->diag && d->diag->err ? err : cprof_diag_set(d->diag, err, "mappings");
    for (size_t i = 0; i < pb->n_mapping; i++) {
        const PbMapping *m = pb->mapping[i];
        struct cprof_mapping *o = &p->mappings[i];

        o->id = m->id;
        o->start = m->memory_start;
        o->limit = m->memory_limit;
        o->offset = m->file_offset;
        o->has_functions = m->has_functions;
        o->has_filenames = m->has_filenames;
        o->has_line_numbers = m->has_line_numbers;
        o->has_inline_frames = m->has_inline_frames;
        err = dec_str(d, m->filename, &o->filename, "mapping file name");
        if (!err)
            err = dec_str(d, m->build_id, &o->build_id, "mapping build id");
        if (err)
            return err;
    }
    p->nmappings = (uint32_t)pb->n_mapping;
    return 0;
}

static int dec_location(struct decoder *d, const PbLocation *l, struct cprof_location *o)
{
    struct cprof_profile *p = d->p;

    o->id = l->id;
    o->address = l->address;
    o->is_folded = l->is_folded;
    o->mapping = CPROF_NONE;
    if (l->mapping_id) {
        o->mapping = idmap_get(&d->maps, l->mapping_id);
        if (o->mapping == CPROF_NONE)
            return cprof_diag_set(d->diag, CPROF_ECORRUPT,
                                  "location %llu refers to unknown mapping id %llu",
                                  (unsigned long long)l->id, (unsigned long long)l->mapping_id);
    }
    if (l->n_line > d->lim->max_lines)
        return cprof_diag_set(d->diag, CPROF_ETOOBIG, "location %llu has too many lines: %zu",
                              (unsigned long long)l->id, l->n_line);
    o->nlines = (uint32_t)l->n_line;
    o->lines = cprof_arena_array(&p->arena, l->n_line, sizeof(*o->lines));
    if (!o->lines)
        return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
    for (size_t j = 0; j < l->n_line; j++) {
        const PbLine *ln = l->line[j];

        o->lines[j].func = idmap_get(&d->funcs, ln->function_id);
        o->lines[j].line = ln->line;
        o->lines[j].column = ln->column;
        if (o->lines[j].func == CPROF_NONE)
            return cprof_diag_set(d->diag, CPROF_ECORRUPT,
                                  "location %llu refers to unknown function id %llu",
                                  (unsigned long long)l->id, (unsigned long long)ln->function_id);
    }
    return 0;
}

static int dec_locations(struct decoder *d)
{
    const PbProfile *pb = d->pb;
    struct cprof_profile *p = d->p;
    int err;

    err = dec_limit(d, pb->n_location, d->lim->max_locations, "locations");
    if (!err)
        err = build_idmap(d, &d->locs, pb->n_location, "location", loc_id_of);
    if (!err)
        err = cprof__grow32((void **)&p->locations, &p->locations_cap, pb->n_location,
                            sizeof(*p->locations));
    if (err)
        return d->diag && d->diag->err ? err : cprof_diag_set(d->diag, err, "locations");
    for (size_t i = 0; i < pb->n_location; i++) {
        err = dec_location(d, pb->location[i], &p->locations[i]);
        if (err)
            return err;
        p->nlocations = (uint32_t)i + 1;
    }
    return 0;
}

static int dec_labels(struct decoder *d, const PbSample *s, size_t si, struct cprof_sample *o)
{
    uint32_t n = 0;

    if (s->n_label > d->lim->max_labels)
        return cprof_diag_set(d->diag, CPROF_ETOOBIG, "sample %zu has too many labels: %zu", si,
                              s->n_label);
    o->labels = cprof_arena_array(&d->p->arena, s->n_label, sizeof(*o->labels));
    if (!o->labels)
        return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
    for (size_t j = 0; j < s->n_label; j++) {
        const PbLabel *lb = s->label[j];
        struct cprof_label *ol = &o->labels[n];
        int err;

        err = dec_str(d, lb->key, &ol->key, "label key");
        if (!err)
            err = dec_str(d, lb->str, &ol->str, "label value");
        if (!err)
            err = dec_str(d, lb->num_unit, &ol->num_unit, "label unit");
        if (err)
            return err;
        ol->num = lb->num;
        /* pprof's decoder drops labels that carry nothing but a key. */
        if (ol->str == 0 && ol->num == 0 && ol->num_unit == 0)
            continue;
        n++;
    }
    o->nlabels = n;
    return 0;
}

static int dec_samples(struct decoder *d)
{
    const PbProfile *pb = d->pb;
    struct cprof_profile *p = d->p;
    int err;

    err = dec_limit(d, pb->n_sample, d->lim->max_samples, "samples");
    if (!err)
        err = cprof__grow((void **)&p->samples, &p->samples_cap, pb->n_sample,
                          sizeof(*p->samples));
    if (err)
        return d->diag && d->diag->err ? err : cprof_diag_set(d->diag, err, "samples");
    for (size_t i = 0; i < pb->n_sample; i++) {
        const PbSample *s = pb->sample[i];
        struct cprof_sample *o = &p->samples[i];

        if (s->n_location_id > d->lim->max_depth)
            return cprof_diag_set(d->diag, CPROF_ETOOBIG, "sample %zu is too deep: %zu", i,
                                  s->n_location_id);
        if (s->n_value != p->nsample_types)
            return cprof_diag_set(d->diag, CPROF_ECORRUPT,
                                  "sample %zu has %zu values, expected %u (one per sample type)",
                                  i, s->n_value, p->nsample_types);
        o->nlocs = (uint32_t)s->n_location_id;
        o->locs = cprof_arena_array(&p->arena, s->n_location_id, sizeof(*o->locs));
        o->values = cprof_arena_array(&p->arena, s->n_value, sizeof(*o->values));
        if (!o->locs || !o->values)
            return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
        for (size_t j = 0; j < s->n_location_id; j++) {
            o->locs[j] = idmap_get(&d->locs, s->location_id[j]);
            if (o->locs[j] == CPROF_NONE)
                return cprof_diag_set(d->diag, CPROF_ECORRUPT,
                                      "sample %zu refers to unknown location id %llu", i,
                                      (unsigned long long)s->location_id[j]);
        }
        if (s->n_value)
            memcpy(o->values, s->value, s->n_value * sizeof(*o->values));
        err = dec_labels(d, s, i, o);
        if (err)
            return err;
        p->nsamples = i + 1;
    }
    return 0;
}

static int dec_header(struct decoder *d)
{
    const PbProfile *pb = d->pb;
    struct cprof_profile *p = d->p;
    int err;

    err = dec_limit(d, pb->n_sample_type, d->lim->max_values, "sample types");
    if (!err)
        err = cprof__grow32((void **)&p->sample_types, &p->sample_types_cap, pb->n_sample_type,
                            sizeof(*p->sample_types));
    if (err)
        return d->diag && d->diag->err ? err : cprof_diag_set(d->diag, err, "sample types");
    for (size_t i = 0; i < pb->n_sample_type; i++) {
        err = dec_value_type(d, pb->sample_type[i], &p->sample_types[i], "sample type");
        if (err)
            return err;
    }
    p->nsample_types = (uint32_t)pb->n_sample_type;
    err = dec_value_type(d, pb->period_type, &p->period_type, "period type");
    if (!err)
        err = dec_str(d, pb->drop_frames, &p->drop_frames, "drop_frames");
    if (!err)
        err = dec_str(d, pb->keep_frames, &p->keep_frames, "keep_frames");
    if (!err)
        err = dec_str(d, pb->default_sample_type, &p->default_sample_type,
                      "default_sample_type");
    if (err)
        return err;
    p->time_nanos = pb->time_nanos;
    p->duration_nanos = pb->duration_nanos;
    p->period = pb->period;
    err = dec_limit(d, pb->n_comment, d->lim->max_strings, "comments");
    if (!err)
        err = cprof__grow32((void **)&p->comments, &p->comments_cap, pb->n_comment,
                            sizeof(*p->comments));
    if (err)
        return d->diag && d->diag->err ? err : cprof_diag_set(d->diag, err, "comments");
    for (size_t i = 0; i < pb->n_comment; i++) {
        err = dec_str(d, pb->comment[i], &p->comments[i], "comment");
        if (err)
            return err;
    }
    p->ncomments = (uint32_t)pb->n_comment;
    return 0;
}

static int decode_message(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                          struct cprof_profile **out, struct cprof_diag *diag)
{
    struct unpack_mem mem;
    ProtobufCAllocator alloc = {unpack_alloc, unpack_free, &mem};
    struct decoder d;
    PbProfile *pb;
    int err;

    if (len > lim->max_bytes)
        return cprof_diag_set(diag, CPROF_ETOOBIG, "profile exceeds %zu bytes", lim->max_bytes);
    cprof_arena_init(&mem.arena);
    mem.used = 0;
    mem.over = false;
    mem.cap = len > (SIZE_MAX - UNPACK_MEM_SLACK) / UNPACK_MEM_FACTOR
                  ? SIZE_MAX
                  : len * UNPACK_MEM_FACTOR + UNPACK_MEM_SLACK;
    pb = perftools__profiles__profile__unpack(&alloc, len, buf);
    if (!pb) {
        err = mem.over ? cprof_diag_set(diag, CPROF_ETOOBIG, "profile needs too much memory")
                       : cprof_diag_set(diag, CPROF_ECORRUPT, "invalid protobuf encoding");
        goto out_arena;
    }
    memset(&d, 0, sizeof(d));
    d.pb = pb;
    d.lim = lim;
    d.diag = diag;
    d.p = cprof_profile_new();
    if (!d.p) {
        err = cprof_diag_set(diag, -ENOMEM, "out of memory");
        goto out_arena;
    }
    err = dec_strings(&d);
    if (!err)
        err = dec_header(&d);
    if (!err)
        err = dec_functions(&d);
    if (!err)
        err = dec_mappings(&d);
    if (!err)
        err = dec_locations(&d);
    if (!err)
        err = dec_samples(&d);
    if (!err)
        err = cprof_profile_check(d.p, diag); /* what pprof's CheckValid also demands */
    idmap_release(&d.funcs);
    idmap_release(&d.maps);
    idmap_release(&d.locs);
    if (err) {
        cprof_profile_free(d.p);
        goto out_arena;
    }
    *out = d.p;
out_arena:
    cprof_arena_release(&mem.arena);
    return err;
}

int cprof_profile_decode(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                         struct cprof_profile **out, struct cprof_diag *diag)
{
    struct cprof_limits dflt;
    struct cprof_buf raw;
    int err;

    *out = NULL;
    if (diag) {
        diag->err = 0;
        diag->msg[0] = '\0';
    }
    if (!lim) {
        cprof_limits_default(&dflt);
        lim = &dflt;
    }
    if (len == 0)
        return cprof_diag_set(diag, CPROF_ECORRUPT, "empty input");
    if (len < 2 || buf[0] != 0x1f || buf[1] != 0x8b)
        return decode_message(buf, len, lim, out, diag);
    cprof_buf_init(&raw, lim->max_bytes);
    err = cprof_gunzip(buf, len, lim->max_bytes, &raw, diag);
    if (!err)
        err = raw.len ? decode_message(raw.data, raw.len, lim, out, diag)
                      : cprof_diag_set(diag, CPROF_ECORRUPT, "empty profile after gunzip");
    cprof_buf_release(&raw);
    return err;
}

/* ---- validity ------------------------------------------------------------- */

int cprof_profile_check(const struct cprof_profile *p, struct cprof_diag *diag)
{
    if (p->nsamples && p->nsample_types == 0)
        return cprof_diag_set(diag, CPROF_ECORRUPT, "missing sample type information");
    for (uint32_t i = 0; i < p->nfunctions; i++)
        if (p->functions[i].id == 0)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "found function with reserved id=0");
    for (uint32_t i = 0; i < p->nmappings; i++)
        if (p->mappings[i].id == 0)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "found mapping with reserved id=0");
    for (uint32_t i = 0; i < p->nlocations; i++) {
        const struct cprof_location *l = &p->locations[i];

        if (l->id == 0)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "found location with reserved id=0");
        if (l->mapping != CPROF_NONE && l->mapping >= p->nmappings)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "location %llu has a bad mapping",
                                  (unsigned long long)l->id);
        for (uint32_t j = 0; j < l->nlines; j++)
            if (l->lines[j].func >= p->nfunctions)
                return cprof_diag_set(diag, CPROF_ECORRUPT,
                                      "location %llu has a line with a bad function",
                                      (unsigned long long)l->id);
    }
    for (size_t i = 0; i < p->nsamples; i++)
        for (uint32_t j = 0; j < p->samples[i].nlocs; j++)
            if (p->samples[i].locs[j] >= p->nlocations)
                return cprof_diag_set(diag, CPROF_ECORRUPT, "sample %zu has a bad location", i);
    return 0;
}

/* ---- encode -------------------------------------------------------------- */

/*
 * The writer is hand-written rather than protobuf-c's generic packer: it
 * needs no intermediate message objects and is several times faster on
 * large profiles (bench/codec.sh).  tests/unit/test_codec.c checks that it
 * produces exactly the bytes protobuf-c's packer produces.  Fields go out
 * in field-number order; proto3 rules: zero scalars and empty packed
 * fields are omitted, repeated scalars are packed.
 */

enum { WT_VARINT = 0, WT_LEN = 2 };

static size_t varint_size(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *w, uint64_t v)
{
    while (v >= 0x80) {
        *w++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *w++ = (uint8_t)v;
    return w;
}

/* Size of an optional varint field (omitted when zero). */
static size_t fsize_varint(uint64_t v)
{
    return v ? 1 + varint_size(v) : 0;
}

static uint8_t *put_fvarint(uint8_t *w, unsigned field, uint64_t v)
{
    if (!v)
        return w;
    *w++ = (uint8_t)(field << 3 | WT_VARINT);
    return put_varint(w, v);
}

/* Size of a length-delimited field whose body is n bytes (always written). */
static size_t fsize_len(size_t n)
{
    return 1 + varint_size(n) + n;
}

static uint8_t *put_flen(uint8_t *w, unsigned field, size_t n)
{
    *w++ = (uint8_t)(field << 3 | WT_LEN);
    return put_varint(w, n);
}

static size_t value_type_size(const struct cprof_value_type *vt)
{
    return fsize_varint(vt->type) + fsize_varint(vt->unit);
}

static uint8_t *put_value_type(uint8_t *w, unsigned field, const struct cprof_value_type *vt)
{
    w = put_flen(w, field, value_type_size(vt));
    w = put_fvarint(w, 1, vt->type);
    return put_fvarint(w, 2, vt->unit);
}

static size_t label_size(const struct cprof_label *l)
{
    return fsize_varint(l->key) + fsize_varint(l->str) + fsize_varint((uint64_t)l->num) +
           fsize_varint(l->num_unit);
}

/*
 * Per-encode scratch: location ids in a dense array (the sample loop reads
 * them ~10 million times on a big profile, so they must stay in cache) and
 * each sample's sizes, computed once for the size pass and reused by the
 * write pass.
 */
struct enc {
    const struct cprof_profile *p;
    uint64_t *loc_ids;     /* loc_ids[pos] = locations[pos].id */
    uint32_t *locs_size;   /* per sample: body of the packed location_id field */
    uint32_t *sample_size; /* per sample: body of the Sample message */
};

static size_t sample_size(struct enc *e, size_t i)
{
    const struct cprof_profile *p = e->p;
    const struct cprof_sample *s = &p->samples[i];
    size_t locs = 0, vals = 0, n = 0;

    for (uint32_t j = 0; j < s->nlocs; j++)
        locs += varint_size(e->loc_ids[s->locs[j]]);
    for (uint32_t j = 0; j < p->nsample_types; j++)
        vals += varint_size((uint64_t)s->values[j]);
    if (s->nlocs)
        n += fsize_len(locs);
    if (p->nsample_types)
        n += fsize_len(vals);
    for (uint32_t j = 0; j < s->nlabels; j++)
        n += fsize_len(label_size(&s->labels[j]));
    e->locs_size[i] = (uint32_t)locs;
    e->sample_size[i] = (uint32_t)n;
    return n;
}

static uint8_t *put_sample(uint8_t *w, const struct enc *e, size_t i)
{
    const struct cprof_profile *p = e->p;
    const struct cprof_sample *s = &p->samples[i];

    w = put_flen(w, 2, e->sample_size[i]);
    if (s->nlocs) {
        w = put_flen(w, 1, e->locs_size[i]);
        for (uint32_t j = 0; j < s->nlocs; j++)
            w = put_varint(w, e->loc_ids[s->locs[j]]);
    }
    if (p->nsample_types) {
        size_t vals = 0;
        for (uint32_t j = 0; j < p->nsample_types; j++)
            vals += varint_size((uint64_t)s->values[j]);
        w = put_flen(w, 2, vals);
        for (uint32_t j = 0; j < p->nsample_types; j++)
            w = put_varint(w, (uint64_t)s->values[j]);
    }
    for (uint32_t j = 0; j < s->nlabels; j++) {
        const struct cprof_label *l = &s->labels[j];
        w = put_flen(w, 3, label_size(l));
        w = put_fvarint(w, 1, l->key);
        w = put_fvarint(w, 2, l->str);
        w = put_fvarint(w, 3, (uint64_t)l->num);
        w = put_fvarint(w, 4, l->num_unit);
    }
    return w;
}

static size_t mapping_size(const struct cprof_mapping *m)
{
    return fsize_varint(m->id) + fsize_varint(m->start) + fsize_varint(m->limit) +
           fsize_varint(m->offset) + fsize_varint(m->filename) + fsize_varint(m->build_id) +
           2 * ((size_t)m->has_functions + m->has_filenames + m->has_line_numbers +
                m->has_inline_frames);
}

static uint8_t *put_mapping(uint8_t *w, const struct cprof_mapping *m)
{
    w = put_flen(w, 3, mapping_size(m));
    w = put_fvarint(w, 1, m->id);
    w = put_fvarint(w, 2, m->start);
    w = put_fvarint(w, 3, m->limit);
    w = put_fvarint(w, 4, m->offset);
    w = put_fvarint(w, 5, m->filename);
    w = put_fvarint(w, 6, m->build_id);
    w = put_fvarint(w, 7, m->has_functions);
    w = put_fvarint(w, 8, m->has_filenames);
    w = put_fvarint(w, 9, m->has_line_numbers);
    return put_fvarint(w, 10, m->has_inline_frames);
}

static size_t line_size(const struct cprof_profile *p, const struct cprof_line *ln)
{
    return fsize_varint(p->functions[ln->func].id) + fsize_varint((uint64_t)ln->line) +
           fsize_varint((uint64_t)ln->column);
}

static size_t location_size(const struct cprof_profile *p, const struct cprof_location *l)
{
    size_t n = fsize_varint(l->id) + fsize_varint(l->address) + 2 * (size_t)l->is_folded;

    if (l->mapping != CPROF_NONE)
        n += fsize_varint(p->mappings[l->mapping].id);
    for (uint32_t j = 0; j < l->nlines; j++)
        n += fsize_len(line_size(p, &l->lines[j]));
    return n;
}

static uint8_t *put_location(uint8_t *w, const struct cprof_profile *p,
                             const struct cprof_location *l)
{
    w = put_flen(w, 4, location_size(p, l));
    w = put_fvarint(w, 1, l->id);
    if (l->mapping != CPROF_NONE)
        w = put_fvarint(w, 2, p->mappings[l->mapping].id);
    w = put_fvarint(w, 3, l->address);
    for (uint32_t j = 0; j < l->nlines; j++) {
        const struct cprof_line *ln = &l->lines[j];
        w = put_flen(w, 4, line_size(p, ln));
        w = put_fvarint(w, 1, p->functions[ln->func].id);
        w = put_fvarint(w, 2, (uint64_t)ln->line);
        w = put_fvarint(w, 3, (uint64_t)ln->column);
    }
    return put_fvarint(w, 5, l->is_folded);
}

static size_t function_size(const struct cprof_function *f)
{
    return fsize_varint(f->id) + fsize_varint(f->name) + fsize_varint(f->system_name) +
           fsize_varint(f->filename) + fsize_varint((uint64_t)f->start_line);
}

static uint8_t *put_function(uint8_t *w, const struct cprof_function *f)
{
    w = put_flen(w, 5, function_size(f));
    w = put_fvarint(w, 1, f->id);
    w = put_fvarint(w, 2, f->name);
    w = put_fvarint(w, 3, f->system_name);
    w = put_fvarint(w, 4, f->filename);
    return put_fvarint(w, 5, (uint64_t)f->start_line);
}

static size_t comments_size(const struct cprof_profile *p)
{
    size_t n = 0;

    for (uint32_t i = 0; i < p->ncomments; i++)
        n += varint_size(p->comments[i]);
    return n;
}

static bool has_period_type(const struct cprof_profile *p)
{
    return p->period_type.type || p->period_type.unit;
}

static size_t profile_size(struct enc *e)
{
    const struct cprof_profile *p = e->p;
    size_t n = 0;

    for (uint32_t i = 0; i < p->nsample_types; i++)
        n += fsize_len(value_type_size(&p->sample_types[i]));
    for (size_t i = 0; i < p->nsamples; i++)
        n += fsize_len(sample_size(e, i));
    for (uint32_t i = 0; i < p->nmappings; i++)
        n += fsize_len(mapping_size(&p->mappings[i]));
    for (uint32_t i = 0; i < p->nlocations; i++)
        n += fsize_len(location_size(p, &p->locations[i]));
    for (uint32_t i = 0; i < p->nfunctions; i++)
        n += fsize_len(function_size(&p->functions[i]));
    for (uint32_t i = 0; i < p->nstrings; i++)
        n += fsize_len(p->strings[i].len);
    n += fsize_varint(p->drop_frames) + fsize_varint(p->keep_frames) +
         fsize_varint((uint64_t)p->time_nanos) + fsize_varint((uint64_t)p->duration_nanos);
    if (has_period_type(p))
        n += fsize_len(value_type_size(&p->period_type));
    n += fsize_varint((uint64_t)p->period);
    if (p->ncomments)
        n += fsize_len(comments_size(p));
    return n + fsize_varint(p->default_sample_type);
}

static uint8_t *put_profile(uint8_t *w, const struct enc *e)
{
    const struct cprof_profile *p = e->p;

    for (uint32_t i = 0; i < p->nsample_types; i++)
        w = put_value_type(w, 1, &p->sample_types[i]);
    for (size_t i = 0; i < p->nsamples; i++)
        w = put_sample(w, e, i);
    for (uint32_t i = 0; i < p->nmappings; i++)
        w = put_mapping(w, &p->mappings[i]);
    for (uint32_t i = 0; i < p->nlocations; i++)
        w = put_location(w, p, &p->locations[i]);
    for (uint32_t i = 0; i < p->nfunctions; i++)
        w = put_function(w, &p->functions[i]);
    for (uint32_t i = 0; i < p->nstrings; i++) {
        w = put_flen(w, 6, p->strings[i].len);
        if (p->strings[i].len)
            memcpy(w, p->strings[i].ptr, p->strings[i].len);
        w += p->strings[i].len;
    }
    w = put_fvarint(w, 7, p->drop_frames);
    w = put_fvarint(w, 8, p->keep_frames);
    w = put_fvarint(w, 9, (uint64_t)p->time_nanos);
    w = put_fvarint(w, 10, (uint64_t)p->duration_nanos);
    if (has_period_type(p))
        w = put_value_type(w, 11, &p->period_type);
    w = put_fvarint(w, 12, (uint64_t)p->period);
    if (p->ncomments) {
        w = put_flen(w, 13, comments_size(p));
        for (uint32_t i = 0; i < p->ncomments; i++)
            w = put_varint(w, p->comments[i]);
    }
    return put_fvarint(w, 14, p->default_sample_type);
}

int cprof_profile_encode(const struct cprof_profile *p, bool gzip, struct cprof_buf *out)
{
    struct enc e = {p, NULL, NULL, NULL};
    struct cprof_buf raw;
    struct cprof_buf *dst = gzip ? &raw : out;
    uint8_t *end;
    size_t n;
    int err = -ENOMEM;

    cprof_buf_init(&raw, 0);
    e.loc_ids = malloc(((size_t)p->nlocations + 1) * sizeof(*e.loc_ids));
    e.locs_size = malloc((p->nsamples + 1) * sizeof(*e.locs_size));
    e.sample_size = malloc((p->nsamples + 1) * sizeof(*e.sample_size));
    if (!e.loc_ids || !e.locs_size || !e.sample_size)
        goto out_free;
    for (uint32_t i = 0; i < p->nlocations; i++)
        e.loc_ids[i] = p->locations[i].id;
    n = profile_size(&e);
    err = cprof_buf_reserve(dst, n);
    if (err)
        goto out_free;
    end = put_profile(dst->data + dst->len, &e);
    if (CPROF_NEVER((size_t)(end - (dst->data + dst->len)) != n)) {
        err = CPROF_ECORRUPT;
        goto out_free;
    }
    dst->len += n;
    if (gzip)
        err = cprof_gzip(raw.data, raw.len, 1, out);
out_free:
    free(e.loc_ids);
    free(e.locs_size);
    free(e.sample_size);
    cprof_buf_release(&raw);
    return err;
}
