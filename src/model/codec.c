/*
 * pprof codec: profile.proto <-> struct cprof_profile, and gzip.
 *
 * The wire format is read by pbread.c and written here, both by hand: no
 * intermediate message objects, several times faster than protobuf-c's
 * generic code on large profiles.  protobuf-c stays the reference: the
 * tests and the fuzz target check that both readers accept the same inputs
 * with the same result, and that the writer produces exactly protobuf-c's
 * bytes.  Fields go out in field-number order, so the bytes are a function
 * of the model only.
 */
#include "model/codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/check.h"
#include "base/par.h"
#include "base/err.h"
#include "model/codec_int.h"
#include "model/profile.h"

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
    lim->max_threads = 1;
}

/* ---- gzip ---------------------------------------------------------------- */

/*
 * Compression is ISA-L's igzip, inflation libdeflate: each is the fastest
 * of the Debian libraries in its direction on profiles (bench/run.sh's
 * 35 MB message: igzip level 2 0.17 s vs libdeflate level 1 0.49 s for a
 * 3% larger file; libdeflate inflates it in 0.13 s vs igzip's 0.17 s).
 * igzip can also end a block byte-aligned without ending the stream, so
 * pieces compressed on different threads concatenate into one ordinary
 * gzip member: readers that take only one member (pako, speedscope)
 * read it too.
 */

/* Compresses in[0..len) as raw deflate (final when last) and appends it. */
static int deflate_piece(const uint8_t *in, size_t len, int level, bool last, struct cprof_buf *out)
{
    struct isal_zstream z;
    uint8_t *lvlbuf = NULL;
    size_t bound = len + len / 1024 * 8 + 1024; /* stored blocks at worst, plus headers */
    int err, rc;

    if (len > UINT32_MAX / 2)
        return CPROF_ETOOBIG;
    err = cprof_buf_reserve(out, bound);
    if (err)
        return err;
    isal_deflate_stateless_init(&z);
    z.level = (uint32_t)level;
    if (level > 0) {
        z.level_buf_size = level == 1   ? ISAL_DEF_LVL1_DEFAULT
                           : level == 2 ? ISAL_DEF_LVL2_DEFAULT
                                        : ISAL_DEF_LVL3_DEFAULT;
        lvlbuf = malloc(z.level_buf_size);
        if (!lvlbuf)
            return -ENOMEM;
        z.level_buf = lvlbuf;
    }
    z.next_in = (uint8_t *)in;
    z.avail_in = (uint32_t)len;
    z.next_out = out->data + out->len;
    z.avail_out = (uint32_t)bound;
    z.end_of_stream = last;
    z.flush = last ? NO_FLUSH : FULL_FLUSH;
    rc = isal_deflate_stateless(&z);
    free(lvlbuf);
    if (rc != COMP_OK)
        return rc == STATELESS_OVERFLOW ? CPROF_ETOOBIG : -EINVAL;
    out->len += z.total_out;
    return 0;
}

struct gz_job {
    const uint8_t *in;
    size_t len;
    int level, nparts;
    struct cprof_buf out[CPROF_PAR_MAX];
    int err[CPROF_PAR_MAX];
};

static void gz_part(void *ctx, int part)
{
    struct gz_job *j = ctx;
    size_t lo, hi;

    cprof_par_range(j->len, j->nparts, part, &lo, &hi);
    j->err[part] =
        deflate_piece(j->in + lo, hi - lo, j->level, part + 1 == j->nparts, &j->out[part]);
}

static void put_le32(uint8_t *w, uint32_t v)
{
    w[0] = (uint8_t)v;
    w[1] = (uint8_t)(v >> 8);
    w[2] = (uint8_t)(v >> 16);
    w[3] = (uint8_t)(v >> 24);
}

int cprof_gzip_parallel(const uint8_t *in, size_t len, int level, int nthreads,
                        struct cprof_buf *out)
{
    /* ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=unix: the same bytes every time. */
    static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    struct gz_job j = {in, len, level, cprof_par_parts(len, nthreads, 4 << 20), {{0}}, {0}};
    size_t base = out->len;
    int err = 0;

    if (level < 0 || level > ISAL_DEF_MAX_LEVEL)
        return -EINVAL;
    for (int i = 0; i < j.nparts; i++)
        cprof_buf_init(&j.out[i], 0);
    cprof_par_run(j.nparts, gz_part, &j);
    err = cprof_buf_append(out, header, sizeof(header));
    for (int i = 0; i < j.nparts; i++) {
        if (!err)
            err = j.err[i];
        if (!err)
            err = cprof_buf_append(out, j.out[i].data, j.out[i].len);
        cprof_buf_release(&j.out[i]);
    }
    if (!err)
        err = cprof_buf_reserve(out, 8);
    if (err) {
        out->len = base;
        return err;
    }
    put_le32(out->data + out->len, crc32_gzip_refl(0, in, len));
    put_le32(out->data + out->len + 4, (uint32_t)len); /* ISIZE is the size mod 2^32 */
    out->len += 8;
    return 0;
}

int cprof_gzip(const uint8_t *in, size_t len, int level, struct cprof_buf *out)
{
    return cprof_gzip_parallel(in, len, level, 1, out);
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

/* ---- id -> position maps ------------------------------------------------- */

static int cmp_id_pos(const void *a, const void *b)
{
    const struct cprof_id_pos *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

static uint64_t id_at(const uint64_t *first, size_t i, size_t stride)
{
    return *(const uint64_t *)(const void *)((const char *)first + i * stride);
}

int cprof__idmap_build(struct cprof_idmap *m, const uint64_t *first, size_t n, size_t stride,
                       const char *kind, struct cprof_diag *diag)
{
    uint64_t max = 0;

    memset(m, 0, sizeof(*m));
    m->n = n;
    for (size_t i = 0; i < n; i++) {
        uint64_t id = id_at(first, i, stride);
        if (id == 0)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "%s %zu has id 0", kind, i);
        if (id > max)
            max = id;
    }
    if (max <= 4 * (uint64_t)n + 1024) {
        m->dense_len = max + 1;
        m->dense = calloc(m->dense_len, sizeof(*m->dense));
        if (!m->dense)
            return cprof_diag_set(diag, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            uint64_t id = id_at(first, i, stride);
            if (m->dense[id])
                return cprof_diag_set(diag, CPROF_ECORRUPT, "duplicate %s id %llu", kind,
                                      (unsigned long long)id);
            m->dense[id] = (uint32_t)i + 1;
        }
        return 0;
    }
    m->sorted = malloc((n ? n : 1) * sizeof(*m->sorted));
    if (!m->sorted)
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        m->sorted[i].id = id_at(first, i, stride);
        m->sorted[i].pos = (uint32_t)i;
    }
    qsort(m->sorted, n, sizeof(*m->sorted), cmp_id_pos);
    for (size_t i = 1; i < n; i++)
        if (m->sorted[i].id == m->sorted[i - 1].id)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "duplicate %s id %llu", kind,
                                  (unsigned long long)m->sorted[i].id);
    return 0;
}

uint32_t cprof__idmap_find(const struct cprof_idmap *m, uint64_t id)
{
    size_t lo = 0, hi = m->n;

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

void cprof__idmap_release(struct cprof_idmap *m)
{
    free(m->dense);
    free(m->sorted);
    memset(m, 0, sizeof(*m));
}

/* ---- decode -------------------------------------------------------------- */

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
        return cprof__decode_message(buf, len, lim, out, diag);
    cprof_buf_init(&raw, lim->max_bytes);
    err = cprof_gunzip(buf, len, lim->max_bytes, &raw, diag);
    if (!err)
        err = raw.len ? cprof__decode_message(raw.data, raw.len, lim, out, diag)
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
    uint64_t *loc_ids;                /* loc_ids[pos] = locations[pos].id */
    uint32_t *locs_size;              /* per sample: body of the packed location_id field */
    uint32_t *sample_size;            /* per sample: body of the Sample message */
    int nparts;                       /* the samples are done in this many parts */
    size_t part_bytes[CPROF_PAR_MAX]; /* encoded bytes of each part */
    uint8_t *samples_at;              /* where the first sample goes */
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

/*
 * The samples, by far the bulk of a big profile, are sized and written in
 * parts, on threads of their own when the caller allows (base/par.h):
 * part k's bytes start where part k-1's end.
 */
static void size_samples(void *ctx, int part)
{
    struct enc *e = ctx;
    size_t lo, hi, n = 0;

    cprof_par_range(e->p->nsamples, e->nparts, part, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        n += fsize_len(sample_size(e, i));
    e->part_bytes[part] = n;
}

static void put_samples(void *ctx, int part)
{
    struct enc *e = ctx;
    uint8_t *w = e->samples_at;
    size_t lo, hi;

    for (int k = 0; k < part; k++)
        w += e->part_bytes[k];
    cprof_par_range(e->p->nsamples, e->nparts, part, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        w = put_sample(w, e, i);
}

static size_t profile_size(struct enc *e)
{
    const struct cprof_profile *p = e->p;
    size_t n = 0;

    for (uint32_t i = 0; i < p->nsample_types; i++)
        n += fsize_len(value_type_size(&p->sample_types[i]));
    cprof_par_run(e->nparts, size_samples, e);
    for (int k = 0; k < e->nparts; k++)
        n += e->part_bytes[k];
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

static uint8_t *put_profile(uint8_t *w, struct enc *e)
{
    const struct cprof_profile *p = e->p;

    for (uint32_t i = 0; i < p->nsample_types; i++)
        w = put_value_type(w, 1, &p->sample_types[i]);
    e->samples_at = w;
    cprof_par_run(e->nparts, put_samples, e);
    for (int k = 0; k < e->nparts; k++)
        w += e->part_bytes[k];
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
    return cprof_profile_encode_threads(p, gzip, 1, out);
}

int cprof_profile_encode_threads(const struct cprof_profile *p, bool gzip, int nthreads,
                                 struct cprof_buf *out)
{
    struct enc e = {p, NULL, NULL, NULL, cprof_par_parts(p->nsamples, nthreads, 20000), {0}, NULL};
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
        err = cprof_gzip_parallel(raw.data, raw.len, CPROF_GZIP_LEVEL, nthreads, out);
out_free:
    free(e.loc_ids);
    free(e.locs_size);
    free(e.sample_size);
    cprof_buf_release(&raw);
    return err;
}
