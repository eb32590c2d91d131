/*
 * Tests of the pprof codec: round trips, determinism, gzip, and rejection
 * of malformed input with a reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "model/codec.h"
#include "model/codec_int.h"
#include "model/profile.h"
#include "pbc_ref.h"
#include "synth.h"
#include "unit.h"

/* A small profile using every field the format has. */
static struct cprof_profile *sample_profile(void)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_function f = {0};
    struct cprof_mapping m = {0};
    struct cprof_line ln[2];
    struct cprof_label lb[2];
    uint32_t fa, fb, map, la, lb_, stack[2];
    int64_t v[2] = {3, 30000000};

    CPROF_ASSERT(p);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "cpu", "nanoseconds"), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "cpu", &p->period_type.type), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "nanoseconds", &p->period_type.unit), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "cpu", &p->default_sample_type), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "^malloc$", &p->drop_frames), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "^keep$", &p->keep_frames), 0);
    p->period = 10000000;
    p->time_nanos = 1700000000123456789LL;
    p->duration_nanos = 2500000000LL;
    CPROF_ASSERT_EQ(cprof_profile_add_comment(p, "hello comment"), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "hot", &f.name), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "_Z3hotv", &f.system_name), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "/src/hot.c", &f.filename), 0);
    f.start_line = 10;
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &fa), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "main", &f.name), 0);
    f.system_name = f.name;
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &fb), 0);
    m.start = 0x400000;
    m.limit = 0x500000;
    m.offset = 0x1000;
    m.has_functions = m.has_filenames = m.has_line_numbers = m.has_inline_frames = true;
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "/usr/bin/prog", &m.filename), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "abcdef0123", &m.build_id), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_mapping(p, &m, &map), 0);
    ln[0] = (struct cprof_line){.func = fa, .line = 12, .column = 5};
    ln[1] = (struct cprof_line){.func = fb, .line = 40};
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, map, 0x401234, ln, 2, false, &la), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, CPROF_NONE, 0x9999, NULL, 0, true, &lb_), 0);
    stack[0] = la;
    stack[1] = lb_;
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "thread", &lb[0].key), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "worker-1", &lb[0].str), 0);
    lb[0].num = 0;
    lb[0].num_unit = 0;
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "bytes", &lb[1].key), 0);
    lb[1].str = 0;
    lb[1].num = -4096;
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "bytes", &lb[1].num_unit), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, stack, 2, v, lb, 2, 0), 0);
    v[1] = -7; /* negative values (diff profiles) must survive */
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, stack + 1, 1, v, NULL, 0, 0), 0);
    return p;
}

static void encode(const struct cprof_profile *p, bool gz, struct cprof_buf *b)
{
    cprof_buf_init(b, 0);
    CPROF_ASSERT_EQ(cprof_profile_encode(p, gz, b), 0);
    CPROF_ASSERT(b->len > 0);
}

static struct cprof_profile *decode_ok(const struct cprof_buf *b)
{
    struct cprof_profile *q = NULL;
    struct cprof_diag d;
    int err = cprof_profile_decode(b->data, b->len, NULL, &q, &d);

    if (err)
        cprof__test_fail(__FILE__, __LINE__, "decode failed: %s", d.msg);
    return q;
}

CPROF_TEST(codec_roundtrip_keeps_every_field)
{
    struct cprof_profile *p = sample_profile(), *q;
    struct cprof_buf b;

    encode(p, false, &b);
    q = decode_ok(&b);
    CPROF_ASSERT_EQ(q->nsample_types, 2);
    CPROF_ASSERT_STR(cprof_profile_str(q, q->sample_types[1].unit), "nanoseconds");
    CPROF_ASSERT_STR(cprof_profile_str(q, q->period_type.type), "cpu");
    CPROF_ASSERT_STR(cprof_profile_str(q, q->default_sample_type), "cpu");
    CPROF_ASSERT_STR(cprof_profile_str(q, q->drop_frames), "^malloc$");
    CPROF_ASSERT_STR(cprof_profile_str(q, q->keep_frames), "^keep$");
    CPROF_ASSERT_EQ(q->period, 10000000);
    CPROF_ASSERT_EQ(q->time_nanos, 1700000000123456789LL);
    CPROF_ASSERT_EQ(q->duration_nanos, 2500000000LL);
    CPROF_ASSERT_EQ(q->ncomments, 1);
    CPROF_ASSERT_STR(cprof_profile_str(q, q->comments[0]), "hello comment");
    CPROF_ASSERT_EQ(q->nsamples, 2);
    CPROF_ASSERT_EQ(q->samples[0].nlocs, 2);
    CPROF_ASSERT_EQ(q->samples[0].values[1], 30000000);
    CPROF_ASSERT_EQ(q->samples[1].values[1], -7);
    CPROF_ASSERT_EQ(q->samples[0].nlabels, 2);
    CPROF_ASSERT_STR(cprof_profile_str(q, q->samples[0].labels[0].str), "worker-1");
    CPROF_ASSERT_EQ(q->samples[0].labels[1].num, -4096);
    CPROF_ASSERT_STR(cprof_profile_str(q, q->samples[0].labels[1].num_unit), "bytes");
    CPROF_ASSERT_EQ(q->nlocations, 2);
    CPROF_ASSERT_EQ(q->locations[0].nlines, 2);
    CPROF_ASSERT_EQ(q->locations[0].lines[0].column, 5);
    CPROF_ASSERT_EQ(q->locations[0].lines[1].line, 40);
    CPROF_ASSERT_EQ(q->locations[1].mapping, CPROF_NONE);
    CPROF_ASSERT(q->locations[1].is_folded);
    CPROF_ASSERT_STR(cprof_profile_str(q, q->functions[0].system_name), "_Z3hotv");
    CPROF_ASSERT_EQ(q->functions[0].start_line, 10);
    CPROF_ASSERT_EQ_U64(q->mappings[0].offset, 0x1000);
    CPROF_ASSERT(q->mappings[0].has_inline_frames);
    CPROF_ASSERT_STR(cprof_profile_str(q, q->mappings[0].build_id), "abcdef0123");
    cprof_buf_release(&b);
    cprof_profile_free(p);
    cprof_profile_free(q);
}

CPROF_TEST(codec_encoding_is_deterministic)
{
    struct cprof_profile *p = sample_profile(), *q;
    struct cprof_buf a, b, c;

    encode(p, true, &a);
    encode(p, true, &b);
    CPROF_ASSERT_EQ(a.len, b.len);
    CPROF_ASSERT(memcmp(a.data, b.data, a.len) == 0);
    CPROF_ASSERT_EQ(a.data[0], 0x1f);
    q = decode_ok(&a);
    encode(q, true, &c);
    CPROF_ASSERT_EQ(a.len, c.len);
    CPROF_ASSERT(memcmp(a.data, c.data, a.len) == 0);
    cprof_buf_release(&a);
    cprof_buf_release(&b);
    cprof_buf_release(&c);
    cprof_profile_free(p);
    cprof_profile_free(q);
}

/* Decodes bytes expected to fail; returns the diag for message checks. */
static struct cprof_diag decode_bad(const uint8_t *data, size_t len, int want)
{
    struct cprof_profile *q = (struct cprof_profile *)1;
    struct cprof_diag d;
    int err = cprof_profile_decode(data, len, NULL, &q, &d);

    if (err != want)
        cprof__test_fail(__FILE__, __LINE__, "decode returned %d (%s), want %d", err, d.msg, want);
    CPROF_ASSERT(q == NULL);
    CPROF_ASSERT(d.msg[0] != '\0');
    return d;
}

CPROF_TEST(codec_rejects_garbage)
{
    static const uint8_t random_bytes[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99};
    static const uint8_t gz_header_only[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03};
    struct cprof_diag d;

    d = decode_bad((const uint8_t *)"", 0, CPROF_ECORRUPT);
    CPROF_ASSERT_STR(d.msg, "empty input");
    decode_bad(random_bytes, sizeof(random_bytes), CPROF_ECORRUPT);
    d = decode_bad(gz_header_only, sizeof(gz_header_only), CPROF_ECORRUPT);
    CPROF_ASSERT(strstr(d.msg, "gzip") != NULL);
}

CPROF_TEST(codec_rejects_truncation_at_every_length)
{
    struct cprof_profile *p = sample_profile();
    struct cprof_buf raw, gz;

    encode(p, false, &raw);
    encode(p, true, &gz);
    for (size_t n = 1; n < gz.len; n++) {
        struct cprof_profile *q = NULL;
        struct cprof_diag d;
        int err = cprof_profile_decode(gz.data, n, NULL, &q, &d);
        CPROF_ASSERT(err != 0);
        CPROF_ASSERT(d.msg[0] != '\0');
    }
    /* A truncated message may still parse (a prefix of fields); it must never crash. */
    for (size_t n = 1; n < raw.len; n++) {
        struct cprof_profile *q = NULL;
        struct cprof_diag d;
        if (cprof_profile_decode(raw.data, n, NULL, &q, &d) == 0) {
            CPROF_ASSERT_EQ(cprof_profile_check(q, &d), 0);
            cprof_profile_free(q);
        } else {
            CPROF_ASSERT(d.msg[0] != '\0');
        }
    }
    cprof_buf_release(&raw);
    cprof_buf_release(&gz);
    cprof_profile_free(p);
}

/* Encodes p, which the caller has damaged, and expects a decode error. */
static void expect_bad(struct cprof_profile *p, const char *needle)
{
    struct cprof_buf b;
    struct cprof_diag d;

    encode(p, false, &b);
    d = decode_bad(b.data, b.len, CPROF_ECORRUPT);
    if (!strstr(d.msg, needle))
        cprof__test_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", d.msg, needle);
    cprof_buf_release(&b);
    cprof_profile_free(p);
}

CPROF_TEST(codec_checks_every_reference)
{
    struct cprof_profile *p;

    p = sample_profile();
    p->functions[0].name = p->nstrings + 5;
    expect_bad(p, "string index");

    p = sample_profile();
    p->samples[0].labels[0].key = p->nstrings;
    expect_bad(p, "label key");

    /*
     * Dangling references: the table entry stays in memory (so the encoder
     * can write its id) but is cut from the table written to the wire.
     */
    p = sample_profile();
    p->locations[1].mapping = 0;
    p->nmappings = 0;
    expect_bad(p, "unknown mapping id 1");

    p = sample_profile();
    p->nfunctions = 1; /* location 1's second line calls function 2 */
    expect_bad(p, "unknown function id 2");

    {
        /* Hand-made wire bytes: a sample on location id 5, which does not exist. */
        static const uint8_t wire[] = {0x32, 0x00, 0x0a, 0x00, 0x12, 0x06,
                                       0x0a, 0x01, 0x05, 0x12, 0x01, 0x01};
        struct cprof_diag d = decode_bad(wire, sizeof(wire), CPROF_ECORRUPT);
        CPROF_ASSERT(strstr(d.msg, "unknown location id 5") != NULL);
    }

    p = sample_profile();
    p->functions[1].id = p->functions[0].id;
    expect_bad(p, "duplicate function id");

    p = sample_profile();
    p->locations[1].id = 0;
    expect_bad(p, "location 1 has id 0");

    {
        /* Hand-made wire bytes: two sample types, a sample with one value. */
        static const uint8_t wire[] = {0x32, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x12, 0x02, 0x10, 0x01};
        struct cprof_diag d = decode_bad(wire, sizeof(wire), CPROF_ECORRUPT);
        CPROF_ASSERT(strstr(d.msg, "has 1 values, expected 2") != NULL);
    }
    {
        /* string_table[0] is not empty. */
        static const uint8_t wire[] = {0x32, 0x01, 'x'};
        struct cprof_diag d = decode_bad(wire, sizeof(wire), CPROF_ECORRUPT);
        CPROF_ASSERT(strstr(d.msg, "string_table[0]") != NULL);
    }

    p = sample_profile();
    p->comments[0] = 9999;
    expect_bad(p, "comment");

    p = sample_profile();
    p->default_sample_type = 9999;
    expect_bad(p, "default_sample_type");
}

CPROF_TEST(codec_enforces_limits)
{
    struct cprof_profile *p = sample_profile(), *q = NULL;
    struct cprof_limits lim;
    struct cprof_diag d;
    struct cprof_buf b;

    encode(p, true, &b);
    cprof_limits_default(&lim);
    lim.max_samples = 1;
    CPROF_ASSERT_EQ(cprof_profile_decode(b.data, b.len, &lim, &q, &d), CPROF_ETOOBIG);
    CPROF_ASSERT(strstr(d.msg, "too many samples") != NULL);
    cprof_limits_default(&lim);
    lim.max_bytes = 64;
    CPROF_ASSERT_EQ(cprof_profile_decode(b.data, b.len, &lim, &q, &d), CPROF_ETOOBIG);
    CPROF_ASSERT(strstr(d.msg, "exceeds") != NULL);
    cprof_limits_default(&lim);
    lim.max_depth = 1;
    CPROF_ASSERT_EQ(cprof_profile_decode(b.data, b.len, &lim, &q, &d), CPROF_ETOOBIG);
    CPROF_ASSERT(q == NULL);
    cprof_buf_release(&b);
    cprof_profile_free(p);
}

CPROF_TEST(codec_gzip_roundtrip_large)
{
    struct cprof_buf in, gz, out;
    struct cprof_diag d;

    cprof_buf_init(&in, 0);
    cprof_buf_init(&gz, 0);
    cprof_buf_init(&out, 0);
    for (int i = 0; i < 200000; i++)
        CPROF_ASSERT_EQ(cprof_buf_printf(&in, "line %d\n", i * 7919 % 1000), 0);
    CPROF_ASSERT_EQ(cprof_gzip(in.data, in.len, 1, &gz), 0);
    CPROF_ASSERT(gz.len < in.len);
    CPROF_ASSERT_EQ(cprof_gunzip(gz.data, gz.len, in.len, &out, &d), 0);
    CPROF_ASSERT_EQ(out.len, in.len);
    CPROF_ASSERT(memcmp(in.data, out.data, in.len) == 0);
    cprof_buf_release(&out);
    cprof_buf_init(&out, 0);
    CPROF_ASSERT_EQ(cprof_gunzip(gz.data, gz.len, in.len - 1, &out, &d), CPROF_ETOOBIG);
    cprof_buf_release(&in);
    cprof_buf_release(&gz);
    cprof_buf_release(&out);
}

/*
 * Pieces compressed on several threads form ONE gzip member (readers such
 * as pako take only the first), for every level.
 */
CPROF_TEST(codec_gzip_parallel_one_member)
{
    struct libdeflate_decompressor *dec = libdeflate_alloc_decompressor();
    size_t n = (size_t)10 << 20, in_used = 0, got = 0;
    uint8_t *in = malloc(n), *back = malloc(n);
    uint64_t x = 88172645463325252ull;

    CPROF_ASSERT(dec && in && back);
    for (size_t i = 0; i < n; i++) { /* compressible but not trivially */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        in[i] = (uint8_t)('a' + (x % 16 < 12 ? i / 64 % 8 : x % 26));
    }
    for (int level = 0; level <= 3; level++) {
        for (int threads = 1; threads <= 4; threads += 3) {
            struct cprof_buf gz;

            cprof_buf_init(&gz, 0);
            CPROF_ASSERT_EQ(cprof_gzip_parallel(in, n, level, threads, &gz), 0);
            CPROF_ASSERT(level == 0 || gz.len < n / 2);
            CPROF_ASSERT_EQ(
                libdeflate_gzip_decompress_ex(dec, gz.data, gz.len, back, n, &in_used, &got),
                LIBDEFLATE_SUCCESS);
            CPROF_ASSERT_EQ(in_used, gz.len); /* the whole file is one member */
            CPROF_ASSERT_EQ(got, n);
            CPROF_ASSERT(memcmp(in, back, n) == 0);
            cprof_buf_release(&gz);
        }
    }
    {
        struct cprof_buf gz;

        cprof_buf_init(&gz, 0);
        CPROF_ASSERT_EQ(cprof_gzip_parallel(in, n, 4, 2, &gz), -EINVAL);
        CPROF_ASSERT_EQ(gz.len, 0);
        CPROF_ASSERT_EQ(cprof_gzip(in, 0, 2, &gz), 0); /* empty input: a valid empty member */
        CPROF_ASSERT_EQ(
            libdeflate_gzip_decompress_ex(dec, gz.data, gz.len, back, n, &in_used, &got),
            LIBDEFLATE_SUCCESS);
        CPROF_ASSERT_EQ(got, 0);
        cprof_buf_release(&gz);
    }
    libdeflate_free_decompressor(dec);
    free(in);
    free(back);
}

/*
 * Decoding and encoding on several threads give what one thread gives, and
 * an error is the first one in sample order.
 */
CPROF_TEST(codec_threads_change_nothing)
{
    struct cprof_profile *p = cprof_test_big_profile(90000), *q = NULL;
    struct cprof_buf one, four, again;
    struct cprof_limits lim;
    struct cprof_diag d;
    char name_buf[64];

    cprof_buf_init(&one, 0);
    cprof_buf_init(&four, 0);
    cprof_buf_init(&again, 0);
    CPROF_ASSERT_EQ(cprof_profile_encode_threads(p, false, 1, &one), 0);
    CPROF_ASSERT_EQ(cprof_profile_encode_threads(p, false, 4, &four), 0);
    CPROF_ASSERT_EQ(one.len, four.len);
    CPROF_ASSERT(memcmp(one.data, four.data, one.len) == 0);
    cprof_limits_default(&lim);
    lim.max_threads = 4;
    CPROF_ASSERT_EQ(cprof_profile_decode(one.data, one.len, &lim, &q, &d), 0);
    CPROF_ASSERT_EQ(q->nsamples, 90000);
    CPROF_ASSERT_EQ(cprof_profile_encode(q, false, &again), 0);
    CPROF_ASSERT_EQ(again.len, one.len);
    CPROF_ASSERT(memcmp(one.data, again.data, one.len) == 0);
    cprof_profile_free(q);
    q = NULL;
    /*
     * Break a label in sample 69999 (the last part) and one in sample 9 (the
     * first): the error names sample 9's, as a one-thread decode would.
     */
    p->samples[69999].labels[0].str = p->nstrings + 6;
    p->samples[9].labels[0].str = p->nstrings + 5;
    cprof_buf_release(&again);
    cprof_buf_init(&again, 0);
    CPROF_ASSERT_EQ(cprof_profile_encode(p, false, &again), 0);
    CPROF_ASSERT_EQ(cprof_profile_decode(again.data, again.len, &lim, &q, &d), CPROF_ECORRUPT);
    CPROF_ASSERT(q == NULL);
    snprintf(name_buf, sizeof(name_buf), "string index %u out", p->nstrings + 5);
    CPROF_ASSERT(strstr(d.msg, name_buf) != NULL);
    p->samples[9].labels[0].str = 0;
    cprof_buf_release(&again);
    cprof_buf_init(&again, 0);
    CPROF_ASSERT_EQ(cprof_profile_encode(p, false, &again), 0);
    CPROF_ASSERT_EQ(cprof_profile_decode(again.data, again.len, &lim, &q, &d), CPROF_ECORRUPT);
    snprintf(name_buf, sizeof(name_buf), "string index %u out", p->nstrings + 6);
    if (!strstr(d.msg, name_buf))
        cprof__test_fail(__FILE__, __LINE__, "got: %s", d.msg);
    cprof_buf_release(&one);
    cprof_buf_release(&four);
    cprof_buf_release(&again);
    cprof_profile_free(p);
}

/* The hand-written writer must give exactly protobuf-c's bytes. */
static void expect_same_as_protobuf_c(const struct cprof_profile *p)
{
    struct cprof_buf ours, ref;

    cprof_buf_init(&ours, 0);
    cprof_buf_init(&ref, 0);
    CPROF_ASSERT_EQ(cprof_profile_encode(p, false, &ours), 0);
    CPROF_ASSERT_EQ(pbc_ref_encode(p, &ref), 0);
    CPROF_ASSERT_EQ(ours.len, ref.len);
    CPROF_ASSERT(memcmp(ours.data, ref.data, ours.len) == 0);
    cprof_buf_release(&ours);
    cprof_buf_release(&ref);
}

CPROF_TEST(codec_writer_matches_protobuf_c)
{
    struct cprof_profile *p = sample_profile();
    uint64_t x = 88172645463325252ULL;

    expect_same_as_protobuf_c(p);
    /* Grow it with pseudo-random content: large ids, negative values, empty fields. */
    for (int i = 0; i < 3000; i++) {
        struct cprof_function f = {0};
        struct cprof_line ln = {0};
        uint32_t fp, lp, stack[3];
        int64_t v[2];
        char name[40];

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        snprintf(name, sizeof(name), "f%llu", (unsigned long long)(x % 500));
        CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, name, &f.name), 0);
        f.start_line = (int64_t)(x % 3) - 1;
        CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &fp), 0);
        ln.func = fp;
        ln.line = (int64_t)(x >> 40);
        CPROF_ASSERT_EQ(
            cprof_profile_add_location(p, x % 2 ? 0 : CPROF_NONE, x, &ln, x % 2, false, &lp), 0);
        stack[0] = lp;
        stack[1] = 0;
        stack[2] = lp;
        v[0] = (int64_t)(x % 1000) - 500;
        v[1] = (int64_t)x;
        CPROF_ASSERT_EQ(cprof_profile_add_sample(p, stack, (uint32_t)(x % 4), v, NULL, 0, 0), 0);
    }
    p->period = -1;
    p->time_nanos = 0;
    expect_same_as_protobuf_c(p);
    cprof_profile_free(p);
}

static const struct cprof_limits lim_default = {1u << 30, 1u << 28, 1u << 26, 1u << 26, 1u << 16,
                                                1u << 12, 1u << 12, 1u << 10, 1};

/* Both readers agree on every Go-written fixture, byte for byte after encoding. */
CPROF_TEST(codec_reader_matches_protobuf_c_on_go_profiles)
{
    static const char *const names[] = {"cpu",          "heap",        "allocs",
                                        "block",        "mutex",       "goroutine",
                                        "threadcreate", "pprof-proto", "merged"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char rel[128];
        struct cprof_buf gz, raw, ea, eb;
        struct cprof_profile *a = NULL, *b = NULL;
        struct cprof_diag d;

        snprintf(rel, sizeof(rel), "fixtures/go/%s.pb.gz", names[i]);
        cprof_buf_init(&gz, 0);
        cprof_buf_init(&raw, 0);
        cprof_buf_init(&ea, 0);
        cprof_buf_init(&eb, 0);
        if (cprof_file_read(cprof_test_path(rel), &gz) != 0)
            cprof__test_fail(__FILE__, __LINE__, "cannot read %s", cprof_test_path(rel));
        CPROF_ASSERT_EQ(cprof_gunzip(gz.data, gz.len, 1 << 26, &raw, &d), 0);
        CPROF_ASSERT_EQ(cprof__decode_message(raw.data, raw.len, &lim_default, &a, &d), 0);
        CPROF_ASSERT_EQ(pbc_ref_decode(raw.data, raw.len, &lim_default, &b, &d), 0);
        CPROF_ASSERT_EQ(cprof_profile_encode(a, false, &ea), 0);
        CPROF_ASSERT_EQ(cprof_profile_encode(b, false, &eb), 0);
        CPROF_ASSERT_EQ(ea.len, eb.len);
        CPROF_ASSERT(memcmp(ea.data, eb.data, ea.len) == 0);
        CPROF_ASSERT(a->nsamples > 0 || strcmp(names[i], "threadcreate") == 0);
        cprof_profile_free(a);
        cprof_profile_free(b);
        cprof_buf_release(&gz);
        cprof_buf_release(&raw);
        cprof_buf_release(&ea);
        cprof_buf_release(&eb);
    }
}

/* Fields this reader does not know (newer pprof versions) are skipped. */
CPROF_TEST(codec_skips_unknown_fields)
{
    struct cprof_profile *p = sample_profile(), *q;
    struct cprof_buf b, c;
    /* field 15 varint, field 16 bytes, field 17 fixed64, field 18 fixed32 */
    static const uint8_t extra[] = {0x78, 0x05, 0x82, 0x01, 0x02, 'h',  'i',  0x89, 0x01, 1, 2, 3,
                                    4,    5,    6,    7,    8,    0x95, 0x01, 1,    2,    3, 4};
    struct cprof_diag d;

    encode(p, false, &b);
    encode(p, false, &c);
    /* Unknown fields both before and after the known ones. */
    CPROF_ASSERT_EQ(cprof_buf_append(&b, extra, sizeof(extra)), 0);
    q = NULL;
    CPROF_ASSERT_EQ(cprof_profile_decode(b.data, b.len, NULL, &q, &d), 0);
    {
        struct cprof_buf e;
        encode(q, false, &e);
        CPROF_ASSERT_EQ(e.len, c.len);
        CPROF_ASSERT(memcmp(e.data, c.data, c.len) == 0);
        cprof_buf_release(&e);
    }
    cprof_profile_free(q);
    cprof_buf_release(&b);
    cprof_buf_release(&c);
    cprof_profile_free(p);
}
