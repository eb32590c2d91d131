/*
 * Reader of the profile.proto wire format straight into the model.
 *
 * Hand-written rather than protobuf-c's generic unpacker: it builds no
 * intermediate message objects (whose memory can reach ~40x the input) and
 * is several times faster on large profiles (bench/run.sh).  The fuzz
 * target checks it against protobuf-c on every input: both must accept the
 * same inputs and produce the same profile.
 *
 * Every length is checked against the bytes left, every count against the
 * limits, every id and string index against its table.  Passes:
 *   1. scan the top level: validate framing, count each repeated field;
 *   2. decode strings, sample types, functions, mappings and scalars, and
 *      remember where locations and samples are;
 *   3. resolve locations (their mappings and functions are known now);
 *   4. resolve samples (their locations are known now).
 * References may thus appear in any order, as the format allows.
 */
#include "model/codec_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/par.h"
#include "model/codec.h"
#include "model/profile.h"

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* A window on the input; off is the window's offset in the whole message. */
struct rd {
    const uint8_t *p, *end;
    const uint8_t *base; /* start of the whole message, for offsets in messages */
};

struct span {
    const uint8_t *p;
    size_t len;
};

struct pbdec {
    const struct cprof_limits *lim;
    struct cprof_diag *diag;
    struct cprof_profile *p;
    const uint8_t *base;
    size_t n_vt, n_sample, n_map, n_loc, n_func, n_str, n_comment;
    struct span *loc_spans, *sample_spans;
    size_t got_vt, got_sample, got_map, got_loc, got_func, got_str, got_comment;
    bool have_time;
    /* string indices of scalars, checked at the end (the last value wins) */
    uint64_t drop_frames, keep_frames, default_sample_type, period_type, period_unit;
    struct cprof_idmap funcs, maps, locs;
    struct cprof_arena *arena; /* where samples' arrays go (one per decoding thread) */
};

static int bad(struct pbdec *d, const struct rd *r, const char *what)
{
    return cprof_diag_set(d->diag, CPROF_ECORRUPT, "invalid protobuf: %s at offset %zu", what,
                          (size_t)(r->p - r->base));
}

static int rd_varint_slow(struct pbdec *d, struct rd *r, uint64_t *v);

/*
 * The common case inline: a one-byte varint, or any varint at least ten
 * bytes from the end of the window (no bound check per byte).  The same
 * results and errors as rd_varint_slow.
 */
static inline int rd_varint(struct pbdec *d, struct rd *r, uint64_t *v)
{
    uint64_t x = 0;

    if (r->p < r->end && *r->p < 0x80) {
        *v = *r->p++;
        return 0;
    }
    if (r->end - r->p < 10)
        return rd_varint_slow(d, r, v);
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return bad(d, r, "varint longer than 10 bytes");
}

static int rd_varint_slow(struct pbdec *d, struct rd *r, uint64_t *v)
{
    uint64_t x = 0;

    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end)
            return bad(d, r, "truncated varint");
        uint8_t b = *r->p++;
        /* Bits past 64 are dropped, as pprof's and protobuf-c's readers do. */
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return bad(d, r, "varint longer than 10 bytes");
}

/* Reads a field key.  0 at the end of the window, 1 with a key, or an error. */
static inline int rd_key(struct pbdec *d, struct rd *r, uint32_t *field, int *wt)
{
    const uint8_t *start = r->p;
    uint64_t k;
    int err;

    if (r->p >= r->end)
        return 0;
    err = rd_varint(d, r, &k);
    if (err)
        return err;
    /*
     * As protobuf-c reads keys: at most 5 bytes (32-bit field numbers), and
     * a one-byte key of field 0 is malformed.  A longer encoding of field 0
     * is an unknown field, skipped (pprof skips field 0 in any form).
     */
    if (r->p - start > 5 || start[0] < 8)
        return bad(d, r, "invalid field number");
    *field = (uint32_t)(k >> 3);
    *wt = (int)(k & 7);
    return 1;
}

/* Reads a length and carves the sub-window it covers. */
static int rd_sub(struct pbdec *d, struct rd *r, struct rd *sub)
{
    const uint8_t *start = r->p;
    uint64_t n;
    int err = rd_varint(d, r, &n);

    if (err)
        return err;
    /* As protobuf-c reads them: a length takes at most 5 bytes. */
    if (r->p - start > 5)
        return bad(d, r, "length prefix longer than 5 bytes");
    if (n > (uint64_t)(r->end - r->p))
        return bad(d, r, "length exceeds the input");
    sub->p = r->p;
    sub->end = r->p + n;
    sub->base = r->base;
    r->p += n;
    return 0;
}

/* Skips a field of an unknown number (newer pprof fields are harmless). */
static int rd_skip(struct pbdec *d, struct rd *r, int wt)
{
    struct rd sub;
    uint64_t v;

    switch (wt) {
    case WT_VARINT: return rd_varint(d, r, &v);
    case WT_I64:
        if (r->end - r->p < 8)
            return bad(d, r, "truncated fixed64");
        r->p += 8;
        return 0;
    case WT_LEN: return rd_sub(d, r, &sub);
    case WT_I32:
        if (r->end - r->p < 4)
            return bad(d, r, "truncated fixed32");
        r->p += 4;
        return 0;
    default: return bad(d, r, "unsupported wire type");
    }
}

/* A non-repeated scalar: must be a varint. */
static int rd_scalar(struct pbdec *d, struct rd *r, int wt, uint64_t *v)
{
    if (wt != WT_VARINT)
        return bad(d, r, "wrong wire type for a scalar field");
    return rd_varint(d, r, v);
}

/*
 * Repeated scalar field: calls fn for each element, packed (wire type 2) or
 * not (wire type 0), as both encodings are legal.
 */
typedef int (*elem_fn)(struct pbdec *d, void *ctx, uint64_t v);

static int rd_repeated(struct pbdec *d, struct rd *r, int wt, elem_fn fn, void *ctx)
{
    struct rd sub;
    uint64_t v;
    int err;

    if (wt == WT_VARINT) {
        err = rd_varint(d, r, &v);
        return err ? err : fn(d, ctx, v);
    }
    if (wt != WT_LEN)
        return bad(d, r, "wrong wire type for a repeated scalar field");
    err = rd_sub(d, r, &sub);
    while (!err && sub.p < sub.end) {
        err = rd_varint(d, &sub, &v);
        if (!err)
            err = fn(d, ctx, v);
    }
    return err;
}

/* Counts the elements a repeated scalar field holds (wire type already checked). */
static int count_repeated(struct pbdec *d, struct rd *r, int wt, size_t *n)
{
    struct rd sub;
    uint64_t v;
    int err;

    if (wt == WT_VARINT) {
        (*n)++;
        return rd_varint(d, r, &v);
    }
    if (wt != WT_LEN)
        return bad(d, r, "wrong wire type for a repeated scalar field");
    err = rd_sub(d, r, &sub);
    for (const uint8_t *q = sub.p; !err && q < sub.end; q++)
        *n += !(*q & 0x80);
    return err;
}

static int str_idx(struct pbdec *d, uint64_t idx, uint32_t *out, const char *what)
{
    if (idx >= d->p->nstrings)
        return cprof_diag_set(d->diag, CPROF_ECORRUPT,
                              "%s: string index %lld out of range (table has %u)", what,
                              (long long)idx, d->p->nstrings);
    *out = (uint32_t)idx;
    return 0;
}

static int over_limit(struct pbdec *d, size_t n, size_t max, const char *what)
{
    if (n > max)
        return cprof_diag_set(d->diag, CPROF_ETOOBIG, "too many %s: %zu (limit %zu)", what, n, max);
    return 0;
}

/* ---- pass 1: framing and counts ------------------------------------------ */

static int pass_count(struct pbdec *d, struct rd r)
{
    uint32_t field = 0;
    int wt = 0, rc;

    while ((rc = rd_key(d, &r, &field, &wt)) == 1) {
        size_t *count = NULL;

        switch (field) {
        case 1: count = &d->n_vt; break;
        case 2: count = &d->n_sample; break;
        case 3: count = &d->n_map; break;
        case 4: count = &d->n_loc; break;
        case 5: count = &d->n_func; break;
        case 6: count = &d->n_str; break;
        case 11:
            if (wt != WT_LEN)
                return bad(d, &r, "wrong wire type for period_type");
            break;
        case 13:
            rc = count_repeated(d, &r, wt, &d->n_comment);
            if (rc)
                return rc;
            continue;
        default:
            if (field <= 14 && wt != WT_VARINT)
                return bad(d, &r, "wrong wire type for a scalar field");
            break;
        }
        if (count) {
            if (wt != WT_LEN)
                return bad(d, &r, "wrong wire type for a message field");
            (*count)++;
        }
        rc = rd_skip(d, &r, wt);
        if (rc)
            return rc;
    }
    return rc;
}

/* ---- pass 2: tables that have no references ------------------------------- */

/*
 * Scalars may repeat inside a message, the last one winning (protobuf's
 * rule, which pprof's reader and protobuf-c follow), so string indices are
 * checked once the whole message is read.
 */
/* Reads a ValueType's two string indices, unchecked (the caller checks). */
static int dec_value_type_raw(struct pbdec *d, struct rd r, uint64_t *type, uint64_t *unit)
{
    uint32_t field = 0;
    uint64_t v = 0;
    int wt = 0, rc;

    while ((rc = rd_key(d, &r, &field, &wt)) == 1) {
        if (field == 1 || field == 2) {
            rc = rd_scalar(d, &r, wt, &v);
            *(field == 1 ? type : unit) = v;
        } else {
            rc = rd_skip(d, &r, wt);
        }
        if (rc)
            return rc;
    }
    return rc;
}

static int dec_value_type(struct pbdec *d, struct rd r, struct cprof_value_type *vt)
{
    uint64_t type = 0, unit = 0;
    int rc = dec_value_type_raw(d, r, &type, &unit);

    if (!rc)
        rc = str_idx(d, type, &vt->type, "value type");
    if (!rc)
        rc = str_idx(d, unit, &vt->unit, "value type");
    return rc;
}

static int dec_function(struct pbdec *d, struct rd r, struct cprof_function *f)
{
    uint64_t name = 0, sys = 0, file = 0, v = 0;
    uint32_t field = 0;
    int wt = 0, rc;

    memset(f, 0, sizeof(*f));
    while ((rc = rd_key(d, &r, &field, &wt)) == 1) {
        if (field >= 1 && field <= 5) {
            rc = rd_scalar(d, &r, wt, &v);
            if (rc)
                return rc;
        }
        switch (field) {
        case 1: f->id = v; break;
        case 2: name = v; break;
        case 3: sys = v; break;
        case 4: file = v; break;
        case 5: f->start_line = (int64_t)v; break;
        default: rc = rd_skip(d, &r, wt); break;
        }
        if (rc)
            return rc;
    }
    if (!rc)
        rc = str_idx(d, name, &f->name, "function name");
    if (!rc)
        rc = str_idx(d, sys, &f->system_name, "function system name");
    if (!rc)
        rc = str_idx(d, file, &f->filename, "function file name");
    return rc;
}

static int dec_mapping(struct pbdec *d, struct rd r, struct cprof_mapping *m)
{
    uint64_t file = 0, build = 0, v = 0;
    uint32_t field = 0;
    int wt = 0, rc;

    memset(m, 0, sizeof(*m));
    while ((rc = rd_key(d, &r, &field, &wt)) == 1) {
        if (field >= 1 && field <= 10) {
            rc = rd_scalar(d, &r, wt, &v);
            if (rc)
                return rc;
        }
        switch (field) {
        case 1: m->id = v; break;
        case 2: m->start = v; break;
        case 3: m->limit = v; break;
        case 4: m->offset = v; break;
        case 5: file = v; break;
        case 6: build = v; break;
        case 7: m->has_functions = v != 0; break;
        case 8: m->has_filenames = v != 0; break;
        case 9: m->has_line_numbers = v != 0; break;
        case 10: m->has_inline_frames = v != 0; break;
        default: rc = rd_skip(d, &r, wt); break;
        }
        if (rc)
            return rc;
    }
    if (!rc)
        rc = str_idx(d, file, &m->filename, "mapping file name");
    if (!rc)
        rc = str_idx(d, build, &m->build_id, "mapping build id");
    return rc;
}

static int add_comment(struct pbdec *d, void *ctx, uint64_t v)
{
    (void)ctx;
    if (d->got_comment >= d->n_comment)
        return cprof_diag_set(d->diag, CPROF_ECORRUPT, "comment count changed");
    return str_idx(d, v, &d->p->comments[d->got_comment++], "comment");
}

/* Decodes one top-level field of pass 2; tables were sized by pass 1. */
static int dec_top_field(struct pbdec *d, struct rd *r, uint32_t field, int wt)
{
    struct cprof_profile *p = d->p;
    struct rd sub;
    uint64_t v;
    int rc;

    switch (field) {
    case 1:
        rc = rd_sub(d, r, &sub);
        return rc ? rc : dec_value_type(d, sub, &p->sample_types[d->got_vt++]);
    case 2:
        rc = rd_sub(d, r, &sub);
        if (rc || d->got_sample >= d->n_sample)
            return rc ? rc : bad(d, r, "inconsistent framing");
        d->sample_spans[d->got_sample].p = sub.p;
        d->sample_spans[d->got_sample++].len = (size_t)(sub.end - sub.p);
        return 0;
    case 3:
        rc = rd_sub(d, r, &sub);
        return rc ? rc : dec_mapping(d, sub, &p->mappings[d->got_map++]);
    case 4:
        rc = rd_sub(d, r, &sub);
        if (rc || d->got_loc >= d->n_loc)
            return rc ? rc : bad(d, r, "inconsistent framing");
        d->loc_spans[d->got_loc].p = sub.p;
        d->loc_spans[d->got_loc++].len = (size_t)(sub.end - sub.p);
        return 0;
    case 5:
        rc = rd_sub(d, r, &sub);
        return rc ? rc : dec_function(d, sub, &p->functions[d->got_func++]);
    case 6: return rd_sub(d, r, &sub); /* strings were read first */
    case 11:
        /* A repeated period_type replaces the earlier one, as in pprof's reader. */
        rc = rd_sub(d, r, &sub);
        d->period_type = d->period_unit = 0;
        return rc ? rc : dec_value_type_raw(d, sub, &d->period_type, &d->period_unit);
    case 13: return rd_repeated(d, r, wt, add_comment, NULL);
    case 7:
    case 8:
    case 9:
    case 10:
    case 12:
    case 14:
        rc = rd_scalar(d, r, wt, &v);
        if (rc)
            return rc;
        switch (field) {
        case 7: d->drop_frames = v; return 0;
        case 8: d->keep_frames = v; return 0;
        case 9:
            /* pprof refuses a second nonzero time: two profiles were concatenated. */
            if (d->have_time && p->time_nanos != 0)
                return cprof_diag_set(d->diag, CPROF_ECORRUPT, "concatenated profiles detected");
            d->have_time = true;
            p->time_nanos = (int64_t)v;
            return 0;
        case 10: p->duration_nanos = (int64_t)v; return 0;
        case 12: p->period = (int64_t)v; return 0;
        default: d->default_sample_type = v; return 0;
        }
    default: return rd_skip(d, r, wt);
    }
}

static int dec_strings(struct pbdec *d, struct rd r)
{
    struct cprof_profile *p = d->p;
    uint32_t field = 0;
    int wt = 0, rc;

    while ((rc = rd_key(d, &r, &field, &wt)) == 1) {
        struct rd sub;
        size_t n;

        if (field != 6) {
            rc = rd_skip(d, &r, wt);
            if (rc)
                return rc;
            continue;
        }
        rc = rd_sub(d, &r, &sub);
        if (rc)
            return rc;
        n = (size_t)(sub.end - sub.p);
        if (d->got_str == 0) {
            if (n != 0)
                return cprof_diag_set(d->diag, CPROF_ECORRUPT, "string_table[0] must be \"\"");
        } else {
            char *copy = cprof_arena_strndup(&p->arena, (const char *)sub.p, n);
            if (n > UINT32_MAX)
                return cprof_diag_set(d->diag, CPROF_ETOOBIG, "string %zu too long", d->got_str);
            if (!copy)
                return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
            p->strings[d->got_str].ptr = copy;
            p->strings[d->got_str].len = (uint32_t)n;
        }
        d->got_str++;
    }
    return rc;
}

/* ---- pass 3: locations ---------------------------------------------------- */

static int dec_line(struct pbdec *d, struct rd r, struct cprof_line *ln, uint64_t loc_id)
{
    uint64_t fid = 0, v = 0;
    uint32_t field = 0;
    int wt = 0, rc;

    memset(ln, 0, sizeof(*ln));
    while ((rc = rd_key(d, &r, &field, &wt)) == 1) {
        if (field >= 1 && field <= 3) {
            rc = rd_scalar(d, &r, wt, &v);
            if (field == 1)
                fid = v;
            else if (field == 2)
                ln->line = (int64_t)v;
            else
                ln->column = (int64_t)v;
        } else {
            rc = rd_skip(d, &r, wt);
        }
        if (rc)
            return rc;
    }
    if (rc)
        return rc;
    ln->func = cprof__idmap_get(&d->funcs, fid);
    if (ln->func == CPROF_NONE)
        return cprof_diag_set(d->diag, CPROF_ECORRUPT,
                              "location %llu refers to unknown function id %llu",
                              (unsigned long long)loc_id, (unsigned long long)fid);
    return 0;
}

static int dec_location(struct pbdec *d, struct span s, struct cprof_location *l)
{
    struct rd r = {s.p, s.p + s.len, d->base};
    uint64_t mid = 0, v = 0;
    uint32_t field = 0, nlines = 0, j = 0;
    size_t n = 0;
    int wt = 0, rc;

    memset(l, 0, sizeof(*l));
    /* First the scalars and the number of lines. */
    while ((rc = rd_key(d, &r, &field, &wt)) == 1) {
        if (field == 4) {
            if (wt != WT_LEN)
                return bad(d, &r, "wrong wire type for a message field");
            n++;
            rc = rd_skip(d, &r, wt);
        } else if (field >= 1 && field <= 5) {
            rc = rd_scalar(d, &r, wt, &v);
            if (field == 1)
                l->id = v;
            else if (field == 2)
                mid = v;
            else if (field == 3)
                l->address = v;
            else
                l->is_folded = v != 0;
        } else {
            rc = rd_skip(d, &r, wt);
        }
        if (rc)
            return rc;
    }
    if (rc)
        return rc;
    if (n > d->lim->max_lines)
        return cprof_diag_set(d->diag, CPROF_ETOOBIG, "location %llu has too many lines: %zu",
                              (unsigned long long)l->id, n);
    nlines = (uint32_t)n;
    l->mapping = CPROF_NONE;
    if (mid) {
        l->mapping = cprof__idmap_get(&d->maps, mid);
        if (l->mapping == CPROF_NONE)
            return cprof_diag_set(d->diag, CPROF_ECORRUPT,
                                  "location %llu refers to unknown mapping id %llu",
                                  (unsigned long long)l->id, (unsigned long long)mid);
    }
    l->lines = cprof_arena_array(&d->p->arena, nlines, sizeof(*l->lines));
    if (!l->lines)
        return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
    r.p = s.p;
    while (j < nlines && (rc = rd_key(d, &r, &field, &wt)) == 1) {
        struct rd sub;
        if (field != 4) {
            rc = rd_skip(d, &r, wt);
        } else {
            rc = rd_sub(d, &r, &sub);
            if (!rc)
                rc = dec_line(d, sub, &l->lines[j++], l->id);
        }
        if (rc)
            return rc;
    }
    l->nlines = nlines;
    return rc < 0 ? rc : 0;
}

/* ---- pass 4: samples ------------------------------------------------------ */

struct sample_ctx {
    struct cprof_sample *s;
    uint32_t nvals;  /* values stored so far */
    size_t max_locs; /* room in s->locs, from the counting pass */
    size_t index;    /* sample number, for messages */
};

static int add_loc(struct pbdec *d, void *ctx, uint64_t v)
{
    struct sample_ctx *c = ctx;
    uint32_t pos = cprof__idmap_get(&d->locs, v);

    if (pos == CPROF_NONE)
        return cprof_diag_set(d->diag, CPROF_ECORRUPT,
                              "sample %zu refers to unknown location id %llu", c->index,
                              (unsigned long long)v);
    if (c->s->nlocs >= c->max_locs)
        return cprof_diag_set(d->diag, CPROF_ECORRUPT, "sample %zu: inconsistent framing",
                              c->index);
    c->s->locs[c->s->nlocs++] = pos;
    return 0;
}

/* A packed location_id field: add_loc over its elements, in one loop. */
static int rd_locs(struct pbdec *d, struct rd *r, struct sample_ctx *c)
{
    struct rd sub;
    uint64_t v;
    int err = rd_sub(d, r, &sub);

    while (!err && sub.p < sub.end) {
        uint32_t pos;

        err = rd_varint(d, &sub, &v);
        if (err)
            break;
        pos = cprof__idmap_get(&d->locs, v);
        if (pos == CPROF_NONE || c->s->nlocs >= c->max_locs)
            return add_loc(d, c, v); /* says why */
        c->s->locs[c->s->nlocs++] = pos;
    }
    return err;
}

static int add_value(struct pbdec *d, void *ctx, uint64_t v)
{
    struct sample_ctx *c = ctx;

    if (c->nvals >= d->p->nsample_types)
        return cprof_diag_set(d->diag, CPROF_ECORRUPT, "sample %zu: inconsistent framing",
                              c->index);
    c->s->values[c->nvals++] = (int64_t)v;
    return 0;
}

static int dec_label(struct pbdec *d, struct rd r, struct cprof_label *l)
{
    uint64_t key = 0, str = 0, unit = 0, v = 0;
    uint32_t field = 0;
    int wt = 0, rc;

    memset(l, 0, sizeof(*l));
    while ((rc = rd_key(d, &r, &field, &wt)) == 1) {
        if (field >= 1 && field <= 4) {
            rc = rd_scalar(d, &r, wt, &v);
            if (rc)
                return rc;
        }
        switch (field) {
        case 1: key = v; break;
        case 2: str = v; break;
        case 3: l->num = (int64_t)v; break;
        case 4: unit = v; break;
        default: rc = rd_skip(d, &r, wt); break;
        }
        if (rc)
            return rc;
    }
    if (!rc)
        rc = str_idx(d, key, &l->key, "label key");
    if (!rc)
        rc = str_idx(d, str, &l->str, "label value");
    if (!rc)
        rc = str_idx(d, unit, &l->num_unit, "label unit");
    return rc;
}

static int count_sample(struct pbdec *d, struct rd r, size_t *nlocs, size_t *nvals, size_t *nlabels)
{
    uint32_t field = 0;
    int wt = 0, rc;

    while ((rc = rd_key(d, &r, &field, &wt)) == 1) {
        if (field == 1)
            rc = count_repeated(d, &r, wt, nlocs);
        else if (field == 2)
            rc = count_repeated(d, &r, wt, nvals);
        else if (field == 3 && wt != WT_LEN)
            rc = bad(d, &r, "wrong wire type for a message field");
        else {
            *nlabels += field == 3;
            rc = rd_skip(d, &r, wt);
        }
        if (rc)
            return rc;
    }
    return rc;
}

static int dec_sample(struct pbdec *d, size_t i)
{
    struct cprof_profile *p = d->p;
    struct cprof_sample *s = &p->samples[i];
    struct rd r = {d->sample_spans[i].p, d->sample_spans[i].p + d->sample_spans[i].len, d->base};
    struct sample_ctx c = {s, 0, 0, i};
    size_t nlocs = 0, nvals = 0, nlabels = 0;
    uint32_t field = 0, kept = 0;
    int wt = 0, rc;

    rc = count_sample(d, r, &nlocs, &nvals, &nlabels);
    if (rc)
        return rc;
    if (nlocs > d->lim->max_depth)
        return cprof_diag_set(d->diag, CPROF_ETOOBIG, "sample %zu is too deep: %zu", i, nlocs);
    if (nlabels > d->lim->max_labels)
        return cprof_diag_set(d->diag, CPROF_ETOOBIG, "sample %zu has too many labels: %zu", i,
                              nlabels);
    if (nvals != p->nsample_types)
        return cprof_diag_set(d->diag, CPROF_ECORRUPT,
                              "sample %zu has %zu values, expected %u (one per sample type)", i,
                              nvals, p->nsample_types);
    s->nlocs = 0;
    c.max_locs = nlocs;
    /* One block per sample: labels, values (both 8-aligned), then locations. */
    s->labels =
        cprof_arena_alloc(d->arena, nlabels * sizeof(*s->labels) + nvals * sizeof(*s->values) +
                                        nlocs * sizeof(*s->locs));
    if (!s->labels)
        return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
    s->values = (int64_t *)(void *)(s->labels + nlabels);
    s->locs = (uint32_t *)(void *)(s->values + nvals);
    while ((rc = rd_key(d, &r, &field, &wt)) == 1) {
        struct rd sub;

        if (field == 1 && wt == WT_LEN) {
            rc = rd_locs(d, &r, &c);
        } else if (field == 1) {
            rc = rd_repeated(d, &r, wt, add_loc, &c);
        } else if (field == 2) {
            rc = rd_repeated(d, &r, wt, add_value, &c);
        } else if (field == 3) {
            struct cprof_label *l = &s->labels[kept];
            if (kept >= nlabels)
                return bad(d, &r, "inconsistent framing");
            rc = rd_sub(d, &r, &sub);
            if (!rc)
                rc = dec_label(d, sub, l);
            /* pprof's decoder drops labels that carry nothing but a key. */
            if (!rc && (l->str || l->num || l->num_unit))
                kept++;
        } else {
            rc = rd_skip(d, &r, wt);
        }
        if (rc)
            return rc;
    }
    s->nlabels = kept;
    return rc;
}

/*
 * Samples are independent once locations are known: with max_threads > 1
 * and enough of them, parts of the sample table are decoded on threads of
 * their own, each with its own arena and diag (adopted by the profile
 * afterwards).  The error reported is the first in sample order, as when
 * decoding on one thread.
 */
struct sample_part {
    struct pbdec d;
    struct cprof_arena arena;
    struct cprof_diag diag;
    int rc;
};

struct sample_job {
    struct sample_part parts[CPROF_PAR_MAX];
    int nparts;
};

static void dec_sample_part(void *ctx, int part)
{
    struct sample_job *j = ctx;
    struct sample_part *sp = &j->parts[part];
    size_t lo, hi;

    cprof_par_range(sp->d.n_sample, j->nparts, part, &lo, &hi);
    for (size_t i = lo; i < hi && !sp->rc; i++)
        sp->rc = dec_sample(&sp->d, i);
}

static int dec_samples(struct pbdec *d)
{
    struct sample_job *j;
    int rc = 0, nparts = cprof_par_parts(d->n_sample, d->lim->max_threads, 20000);

    if (nparts == 1) {
        d->arena = &d->p->arena;
        for (size_t i = 0; !rc && i < d->n_sample; i++)
            rc = dec_sample(d, i);
        d->p->nsamples = rc ? 0 : d->n_sample;
        return rc;
    }
    j = calloc(1, sizeof(*j));
    if (!j)
        return cprof_diag_set(d->diag, -ENOMEM, "out of memory");
    j->nparts = nparts;
    for (int i = 0; i < nparts; i++) {
        j->parts[i].d = *d;
        cprof_arena_init(&j->parts[i].arena);
        j->parts[i].d.arena = &j->parts[i].arena;
        j->parts[i].d.diag = &j->parts[i].diag;
    }
    cprof_par_run(nparts, dec_sample_part, j);
    for (int i = 0; i < nparts; i++) {
        if (!rc && j->parts[i].rc) {
            rc = j->parts[i].rc;
            if (d->diag)
                *d->diag = j->parts[i].diag;
        }
        cprof_arena_adopt(&d->p->arena, &j->parts[i].arena);
    }
    free(j);
    d->p->nsamples = rc ? 0 : d->n_sample;
    return rc;
}

/* ---- driver --------------------------------------------------------------- */

static int alloc_tables(struct pbdec *d)
{
    struct cprof_profile *p = d->p;
    const struct cprof_limits *lim = d->lim;
    int err;

    if ((err = over_limit(d, d->n_str, lim->max_strings, "strings")) ||
        (err = over_limit(d, d->n_vt, lim->max_values, "sample types")) ||
        (err = over_limit(d, d->n_sample, lim->max_samples, "samples")) ||
        (err = over_limit(d, d->n_map, lim->max_locations, "mappings")) ||
        (err = over_limit(d, d->n_loc, lim->max_locations, "locations")) ||
        (err = over_limit(d, d->n_func, lim->max_locations, "functions")) ||
        (err = over_limit(d, d->n_comment, lim->max_strings, "comments")))
        return err;
    if (d->n_str == 0)
        return cprof_diag_set(d->diag, CPROF_ECORRUPT, "string_table[0] must be \"\"");
    err = cprof__grow32((void **)&p->strings, &p->strings_cap, d->n_str, sizeof(*p->strings));
    if (!err)
        err = cprof__grow32((void **)&p->sample_types, &p->sample_types_cap, d->n_vt,
                            sizeof(*p->sample_types));
    if (!err)
        err = cprof__grow((void **)&p->samples, &p->samples_cap, d->n_sample, sizeof(*p->samples));
    if (!err)
        err =
            cprof__grow32((void **)&p->mappings, &p->mappings_cap, d->n_map, sizeof(*p->mappings));
    if (!err)
        err = cprof__grow32((void **)&p->locations, &p->locations_cap, d->n_loc,
                            sizeof(*p->locations));
    if (!err)
        err = cprof__grow32((void **)&p->functions, &p->functions_cap, d->n_func,
                            sizeof(*p->functions));
    if (!err)
        err = cprof__grow32((void **)&p->comments, &p->comments_cap, d->n_comment,
                            sizeof(*p->comments));
    d->loc_spans = malloc((d->n_loc + 1) * sizeof(*d->loc_spans));
    d->sample_spans = malloc((d->n_sample + 1) * sizeof(*d->sample_spans));
    if (!err && (!d->loc_spans || !d->sample_spans))
        err = -ENOMEM;
    if (err)
        return cprof_diag_set(d->diag, err, "cannot hold the profile: %s", cprof_strerror(err));
    if (d->n_vt)
        memset(p->sample_types, 0, d->n_vt * sizeof(*p->sample_types));
    return 0;
}

static int build_idmaps_defs(struct pbdec *d)
{
    struct cprof_profile *p = d->p;
    /* No &table[0] on an empty (NULL) table: that is undefined behaviour. */
    const uint64_t *fids = p->nfunctions ? &p->functions[0].id : NULL;
    const uint64_t *mids = p->nmappings ? &p->mappings[0].id : NULL;
    int err = cprof__idmap_build(&d->funcs, fids, p->nfunctions, sizeof(*p->functions), "function",
                                 d->diag);

    if (!err)
        err = cprof__idmap_build(&d->maps, mids, p->nmappings, sizeof(*p->mappings), "mapping",
                                 d->diag);
    return err;
}

static int decode_passes(struct pbdec *d, struct rd whole)
{
    struct cprof_profile *p = d->p;
    struct rd r = whole;
    uint32_t field = 0;
    int wt = 0, rc;

    rc = pass_count(d, whole);
    if (!rc)
        rc = alloc_tables(d);
    if (!rc)
        rc = dec_strings(d, whole);
    if (rc)
        return rc;
    p->nstrings = (uint32_t)d->n_str;
    while ((rc = rd_key(d, &r, &field, &wt)) == 1)
        if ((rc = dec_top_field(d, &r, field, wt)) != 0)
            return rc;
    if (rc)
        return rc;
    rc = str_idx(d, d->period_type, &p->period_type.type, "period type");
    if (!rc)
        rc = str_idx(d, d->period_unit, &p->period_type.unit, "period type");
    if (!rc)
        rc = str_idx(d, d->drop_frames, &p->drop_frames, "drop_frames");
    if (!rc)
        rc = str_idx(d, d->keep_frames, &p->keep_frames, "keep_frames");
    if (!rc)
        rc = str_idx(d, d->default_sample_type, &p->default_sample_type, "default_sample_type");
    if (rc)
        return rc;
    p->nsample_types = (uint32_t)d->n_vt;
    p->nmappings = (uint32_t)d->n_map;
    p->nfunctions = (uint32_t)d->n_func;
    p->ncomments = (uint32_t)d->n_comment;
    rc = build_idmaps_defs(d);
    for (size_t i = 0; !rc && i < d->n_loc; i++) {
        rc = dec_location(d, d->loc_spans[i], &p->locations[i]);
        p->nlocations = (uint32_t)i + (rc == 0);
    }
    if (!rc)
        rc = cprof__idmap_build(&d->locs, p->nlocations ? &p->locations[0].id : NULL, p->nlocations,
                                sizeof(*p->locations), "location", d->diag);
    if (!rc)
        rc = dec_samples(d);
    return rc;
}

int cprof__decode_message(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                          struct cprof_profile **out, struct cprof_diag *diag)
{
    struct rd whole = {buf, buf + len, buf};
    struct pbdec d;
    int err;

    if (len > lim->max_bytes)
        return cprof_diag_set(diag, CPROF_ETOOBIG, "profile exceeds %zu bytes", lim->max_bytes);
    memset(&d, 0, sizeof(d));
    d.lim = lim;
    d.diag = diag;
    d.base = buf;
    d.p = cprof_profile_new();
    if (!d.p)
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    err = decode_passes(&d, whole);
    if (!err)
        err = cprof_profile_check(d.p, diag); /* what pprof's CheckValid also demands */
    cprof__idmap_release(&d.funcs);
    cprof__idmap_release(&d.maps);
    cprof__idmap_release(&d.locs);
    free(d.loc_spans);
    free(d.sample_spans);
    if (err) {
        cprof_profile_free(d.p);
        return err;
    }
    *out = d.p;
    return 0;
}
