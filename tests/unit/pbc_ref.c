/*
 * Reference encoder for tests: packs a profile with protobuf-c's generic
 * packer.  The codec's own writer must produce exactly these bytes; this
 * keeps the hand-written fast path honest.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
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
