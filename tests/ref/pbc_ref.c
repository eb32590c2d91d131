/*
 * Reference codec for tests and fuzzing, built on protobuf-c's generic
 * unpacker and packer.  The codec's hand-written reader and writer must
 * agree with it exactly: same inputs accepted, same profiles, same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "model/codec.h"
#include "model/codec_int.h"
#include "model/profile.h"
#include "pbc_ref.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile PbProfile;
typedef Perftools__Profiles__ValueType PbValueType;
typedef Perftools__Profiles__Sample PbSample;
typedef Perftools__Profiles__Label PbLabel;
typedef Perftools__Profiles__Mapping PbMapping;
typedef Perftools__Profiles__Location PbLocation;
typedef Perftools__Profiles__Line PbLine;
typedef Perftools__Profiles__Function PbFunction;

struct encoder {
    const struct cprof_profile *p;
    struct cprof_arena arena; /* protobuf-c messages pointing into the model */
};

/* protobuf-c's objects for an input of n bytes stay under this many bytes. */
#define UNPACK_MEM_FACTOR 48
#define UNPACK_MEM_SLACK  (1u << 20)

/* ---- capped arena allocator for protobuf-c --------------------------------- */

struct unpack_mem {
    struct cprof_arena arena;
    size_t cap; /* bytes protobuf-c may allocate */
    size_t used;
    bool over; /* the cap was hit */
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

/* ---- reference decoder: protobuf-c unpack, then conversion ---------------- */

struct decoder {
    const PbProfile *pb;
    struct cprof_profile *p;
    const struct cprof_limits *lim;
    struct cprof_diag *diag;
    struct cprof_idmap funcs, maps, locs;
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
        return cprof_diag_set(d->diag, CPROF_ETOOBIG, "too many %s: %zu (limit %zu)", what, n, max);
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

static int build_idmap(struct decoder *d, struct cprof_idmap *m, size_t n, const char *kind,
                       uint64_t (*id_of)(const PbProfile *, size_t))
{
    uint64_t *ids = malloc((n ? n : 1) * sizeof(*ids));
    int err;

    if (!ids)
        return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        ids[i] = id_of(d->pb, i);
    err = cprof__idmap_build(m, ids, n, sizeof(*ids), kind, d->diag);
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
        o->mapping = cprof__idmap_get(&d->maps, l->mapping_id);
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

        o->lines[j].func = cprof__idmap_get(&d->funcs, ln->function_id);
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
        err = cprof__grow((void **)&p->samples, &p->samples_cap, pb->n_sample, sizeof(*p->samples));
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
                                  "sample %zu has %zu values, expected %u (one per sample type)", i,
                                  s->n_value, p->nsample_types);
        o->nlocs = (uint32_t)s->n_location_id;
        o->locs = cprof_arena_array(&p->arena, s->n_location_id, sizeof(*o->locs));
        o->values = cprof_arena_array(&p->arena, s->n_value, sizeof(*o->values));
        if (!o->locs || !o->values)
            return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
        for (size_t j = 0; j < s->n_location_id; j++) {
            o->locs[j] = cprof__idmap_get(&d->locs, s->location_id[j]);
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
        err = dec_str(d, pb->default_sample_type, &p->default_sample_type, "default_sample_type");
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

int pbc_ref_decode(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
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
    cprof__idmap_release(&d.funcs);
    cprof__idmap_release(&d.maps);
    cprof__idmap_release(&d.locs);
    if (err) {
        cprof_profile_free(d.p);
        goto out_arena;
    }
    *out = d.p;
out_arena:
    cprof_arena_release(&mem.arena);
    return err;
}

static PbValueType *enc_value_type(struct encoder *e, const struct cprof_value_type *vt)
{
    PbValueType *o = cprof_arena_alloc(&e->arena, sizeof(*o));

    if (!o)
        return NULL;
    perftools__profiles__value_type__init(o);
    o->type = vt->type;
    o->unit = vt->unit;
    return o;
}

static int enc_samples(struct encoder *e, PbProfile *pb)
{
    const struct cprof_profile *p = e->p;
    PbSample *arr = cprof_arena_array(&e->arena, p->nsamples, sizeof(*arr));

    pb->sample = cprof_arena_array(&e->arena, p->nsamples, sizeof(*pb->sample));
    if (!arr || !pb->sample)
        return -ENOMEM;
    pb->n_sample = p->nsamples;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct cprof_sample *s = &p->samples[i];
        PbSample *o = &arr[i];

        perftools__profiles__sample__init(o);
        pb->sample[i] = o;
        o->n_location_id = s->nlocs;
        o->location_id = cprof_arena_array(&e->arena, s->nlocs, sizeof(*o->location_id));
        o->n_value = p->nsample_types;
        o->value = s->values;
        o->n_label = s->nlabels;
        o->label = cprof_arena_array(&e->arena, s->nlabels, sizeof(*o->label));
        PbLabel *lbs = cprof_arena_array(&e->arena, s->nlabels, sizeof(*lbs));
        if (!o->location_id || !o->label || !lbs)
            return -ENOMEM;
        for (uint32_t j = 0; j < s->nlocs; j++)
            o->location_id[j] = p->locations[s->locs[j]].id;
        for (uint32_t j = 0; j < s->nlabels; j++) {
            perftools__profiles__label__init(&lbs[j]);
            lbs[j].key = s->labels[j].key;
            lbs[j].str = s->labels[j].str;
            lbs[j].num = s->labels[j].num;
            lbs[j].num_unit = s->labels[j].num_unit;
            o->label[j] = &lbs[j];
        }
    }
    return 0;
}

static int enc_locations(struct encoder *e, PbProfile *pb)
{
    const struct cprof_profile *p = e->p;
    PbLocation *arr = cprof_arena_array(&e->arena, p->nlocations, sizeof(*arr));

    pb->location = cprof_arena_array(&e->arena, p->nlocations, sizeof(*pb->location));
    if (!arr || !pb->location)
        return -ENOMEM;
    pb->n_location = p->nlocations;
    for (uint32_t i = 0; i < p->nlocations; i++) {
        const struct cprof_location *l = &p->locations[i];
        PbLocation *o = &arr[i];
        PbLine *lines;

        perftools__profiles__location__init(o);
        pb->location[i] = o;
        o->id = l->id;
        o->mapping_id = l->mapping == CPROF_NONE ? 0 : p->mappings[l->mapping].id;
        o->address = l->address;
        o->is_folded = l->is_folded;
        o->n_line = l->nlines;
        o->line = cprof_arena_array(&e->arena, l->nlines, sizeof(*o->line));
        lines = cprof_arena_array(&e->arena, l->nlines, sizeof(*lines));
        if (!o->line || !lines)
            return -ENOMEM;
        for (uint32_t j = 0; j < l->nlines; j++) {
            perftools__profiles__line__init(&lines[j]);
            lines[j].function_id = p->functions[l->lines[j].func].id;
            lines[j].line = l->lines[j].line;
            lines[j].column = l->lines[j].column;
            o->line[j] = &lines[j];
        }
    }
    return 0;
}

static int enc_functions_mappings(struct encoder *e, PbProfile *pb)
{
    const struct cprof_profile *p = e->p;
    PbFunction *fa = cprof_arena_array(&e->arena, p->nfunctions, sizeof(*fa));
    PbMapping *ma = cprof_arena_array(&e->arena, p->nmappings, sizeof(*ma));

    pb->function = cprof_arena_array(&e->arena, p->nfunctions, sizeof(*pb->function));
    pb->mapping = cprof_arena_array(&e->arena, p->nmappings, sizeof(*pb->mapping));
    if (!fa || !ma || !pb->function || !pb->mapping)
        return -ENOMEM;
    pb->n_function = p->nfunctions;
    for (uint32_t i = 0; i < p->nfunctions; i++) {
        const struct cprof_function *f = &p->functions[i];

        perftools__profiles__function__init(&fa[i]);
        fa[i].id = f->id;
        fa[i].name = f->name;
        fa[i].system_name = f->system_name;
        fa[i].filename = f->filename;
        fa[i].start_line = f->start_line;
        pb->function[i] = &fa[i];
    }
    pb->n_mapping = p->nmappings;
    for (uint32_t i = 0; i < p->nmappings; i++) {
        const struct cprof_mapping *m = &p->mappings[i];

        perftools__profiles__mapping__init(&ma[i]);
        ma[i].id = m->id;
        ma[i].memory_start = m->start;
        ma[i].memory_limit = m->limit;
        ma[i].file_offset = m->offset;
        ma[i].filename = m->filename;
        ma[i].build_id = m->build_id;
        ma[i].has_functions = m->has_functions;
        ma[i].has_filenames = m->has_filenames;
        ma[i].has_line_numbers = m->has_line_numbers;
        ma[i].has_inline_frames = m->has_inline_frames;
        pb->mapping[i] = &ma[i];
    }
    return 0;
}

static int enc_header(struct encoder *e, PbProfile *pb)
{
    const struct cprof_profile *p = e->p;

    pb->sample_type = cprof_arena_array(&e->arena, p->nsample_types, sizeof(*pb->sample_type));
    pb->string_table = cprof_arena_array(&e->arena, p->nstrings, sizeof(*pb->string_table));
    pb->comment = cprof_arena_array(&e->arena, p->ncomments, sizeof(*pb->comment));
    if (!pb->sample_type || !pb->string_table || !pb->comment)
        return -ENOMEM;
    pb->n_sample_type = p->nsample_types;
    for (uint32_t i = 0; i < p->nsample_types; i++) {
        pb->sample_type[i] = enc_value_type(e, &p->sample_types[i]);
        if (!pb->sample_type[i])
            return -ENOMEM;
    }
    pb->n_string_table = p->nstrings;
    for (uint32_t i = 0; i < p->nstrings; i++) {
        pb->string_table[i].data = (uint8_t *)(uintptr_t)p->strings[i].ptr;
        pb->string_table[i].len = p->strings[i].len;
    }
    pb->n_comment = p->ncomments;
    for (uint32_t i = 0; i < p->ncomments; i++)
        pb->comment[i] = p->comments[i];
    pb->drop_frames = p->drop_frames;
    pb->keep_frames = p->keep_frames;
    pb->time_nanos = p->time_nanos;
    pb->duration_nanos = p->duration_nanos;
    pb->period = p->period;
    pb->default_sample_type = p->default_sample_type;
    if (p->period_type.type || p->period_type.unit) {
        pb->period_type = enc_value_type(e, &p->period_type);
        if (!pb->period_type)
            return -ENOMEM;
    }
    return 0;
}

/* protobuf-c output sink appending to a cprof_buf; remembers the first error. */
struct buf_sink {
    ProtobufCBuffer base;
    struct cprof_buf *out;
    int err;
};

static void sink_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    struct buf_sink *s = (struct buf_sink *)b;

    if (!s->err)
        s->err = cprof_buf_append(s->out, data, len);
}

int pbc_ref_encode(const struct cprof_profile *p, struct cprof_buf *out)
{
    struct encoder e = {p, {0}};
    PbProfile pb;
    struct buf_sink sink;
    int err;

    cprof_arena_init(&e.arena);
    perftools__profiles__profile__init(&pb);
    err = enc_header(&e, &pb);
    if (!err)
        err = enc_samples(&e, &pb);
    if (!err)
        err = enc_locations(&e, &pb);
    if (!err)
        err = enc_functions_mappings(&e, &pb);
    if (err)
        goto out_arena;
    sink.base.append = sink_append;
    sink.out = out;
    sink.err = 0;
    err = cprof_buf_reserve(sink.out, perftools__profiles__profile__get_packed_size(&pb));
    if (!err) {
        perftools__profiles__profile__pack_to_buffer(&pb, &sink.base);
        err = sink.err;
    }
out_arena:
    cprof_arena_release(&e.arena);
    return err;
}
