/*
 * Legacy profile parsers (model/legacy.h) and their regexp matcher: small
 * hand-made inputs whose expected profiles follow pprof's rules.  The
 * real-file agreement with pprof is tests/e2e/t_legacy_agree.sh.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "model/codec.h"
#include "model/legacy.h"
#include "model/legacy_int.h"
#include "model/lre.h"
#include "model/profile.h"
#include "unit.h"

static struct cprof_profile *parse_ok(const char *text, size_t len)
{
    struct cprof_profile *p = NULL;
    struct cprof_diag diag = {0};
    int rc = cprof_profile_parse_any((const uint8_t *)text, len, NULL, &p, &diag);

    if (rc != 0)
        cprof__test_fail(__FILE__, __LINE__, "parse failed: %d %s", rc, diag.msg);
    return p;
}

static const char *fname(const struct cprof_profile *p, uint32_t loc)
{
    return cprof_profile_str(p, p->functions[p->locations[loc].lines[0].func].name);
}

CPROF_TEST(lre_leftmost_first_like_go)
{
    struct cprof__lre re;
    size_t c[2 * CPROF_LRE_MAX_CAP];
    const char *s;

    /* (\d+) *(\d+) backtracks into the first number when only one is there. */
    CPROF_ASSERT_EQ(cprof__lre_compile(&re, "(\\d+) *(\\d+) @([ x0-9a-f]*)"), 0);
    s = "123 @ 0x1";
    CPROF_ASSERT_EQ(cprof__lre_find(&re, s, strlen(s), c), 1);
    CPROF_ASSERT_EQ(c[2], 0);
    CPROF_ASSERT_EQ(c[3], 2);
    CPROF_ASSERT_EQ(c[4], 2);
    CPROF_ASSERT_EQ(c[5], 3);
    s = "x 12 34 @ 0x1 0x2";
    CPROF_ASSERT_EQ(cprof__lre_find(&re, s, strlen(s), c), 1);
    CPROF_ASSERT_EQ(c[2], 2);
    CPROF_ASSERT_EQ(c[5], 7);
    CPROF_ASSERT_EQ(c[7], strlen(s));
    s = "12 @";
    CPROF_ASSERT_EQ(cprof__lre_find(&re, s, 3, c), 0);
    /* anchors and optional groups */
    CPROF_ASSERT_EQ(cprof__lre_compile(&re, "\\A(\\S+) profile: total \\d+\\z"), 0);
    s = "goroutine profile: total 4";
    CPROF_ASSERT_EQ(cprof__lre_find(&re, s, strlen(s), c), 1);
    CPROF_ASSERT_EQ(c[3], 9);
    CPROF_ASSERT_EQ(cprof__lre_find(&re, "goroutine profile: total 4x", 27, c), 0);
    CPROF_ASSERT_EQ(cprof__lre_find(&re, " goroutine profile: total 4", 27, c), 0);
    CPROF_ASSERT_EQ(cprof__lre_compile(&re, "^(?:0x)?([[:xdigit:]]+)[\\s-]?(?:\\s+([-rwxp]+))?"),
                    0);
    s = "0x400000-500000 r-xp";
    CPROF_ASSERT_EQ(cprof__lre_find(&re, s, strlen(s), c), 1);
    CPROF_ASSERT_EQ(c[2], 2);
    CPROF_ASSERT_EQ(c[3], 8);
    CPROF_ASSERT_EQ(c[4], SIZE_MAX);
    /* outside the subset */
    CPROF_ASSERT_EQ(cprof__lre_compile(&re, "a|b"), CPROF_EUSAGE);
}

CPROF_TEST(legacy_numbers_like_strconv)
{
    int64_t v;
    uint64_t u;

    CPROF_ASSERT_EQ(cprof__parse_int("010", 3, 0, &v), 0);
    CPROF_ASSERT_EQ(v, 8);
    CPROF_ASSERT_EQ(cprof__parse_int("010", 3, 10, &v), 0);
    CPROF_ASSERT_EQ(v, 10);
    CPROF_ASSERT(cprof__parse_int("09", 2, 0, &v) != 0);
    CPROF_ASSERT_EQ(cprof__parse_int("1_000", 5, 0, &v), 0);
    CPROF_ASSERT_EQ(v, 1000);
    CPROF_ASSERT(cprof__parse_int("1__0", 4, 0, &v) != 0);
    CPROF_ASSERT(cprof__parse_int("1_000", 5, 10, &v) != 0);
    CPROF_ASSERT_EQ(cprof__parse_int("-9223372036854775808", 20, 10, &v), 0);
    CPROF_ASSERT_EQ(v, INT64_MIN);
    CPROF_ASSERT_EQ(cprof__parse_int("9223372036854775808", 19, 10, &v), -ERANGE);
    CPROF_ASSERT_EQ(cprof__parse_uint("0xffffffffffffffff", 18, 0, &u), 0);
    CPROF_ASSERT_EQ_U64(u, UINT64_MAX);
    CPROF_ASSERT_EQ(cprof__parse_uint("0x10000000000000000", 19, 0, &u), -ERANGE);
}

CPROF_TEST(legacy_collapsed_stacks)
{
    static const char text[] = "main;work;burn 30\n"
                               "main;idle 1\r\n"
                               "\n"
                               "main;work;burn 12\n";
    struct cprof_profile *p = parse_ok(text, sizeof(text) - 1);

    CPROF_ASSERT_EQ(p->nsample_types, 1);
    CPROF_ASSERT_STR(cprof_profile_str(p, p->sample_types[0].type), "samples");
    CPROF_ASSERT_STR(cprof_profile_str(p, p->sample_types[0].unit), "count");
    CPROF_ASSERT_EQ(p->nsamples, 2); /* equal stacks summed */
    CPROF_ASSERT_EQ(p->samples[0].values[0], 42);
    CPROF_ASSERT_EQ(p->samples[0].nlocs, 3);
    CPROF_ASSERT_STR(fname(p, p->samples[0].locs[0]), "burn"); /* leaf first */
    CPROF_ASSERT_STR(fname(p, p->samples[0].locs[2]), "main");
    CPROF_ASSERT_STR(fname(p, p->samples[1].locs[0]), "idle");
    CPROF_ASSERT_EQ(p->samples[1].locs[1], p->samples[0].locs[2]); /* one location per name */
    CPROF_ASSERT_EQ(p->nmappings, 0);
    cprof_profile_free(p);
}

CPROF_TEST(legacy_rejects_with_what_was_tried)
{
    static const char *const bad[] = {"a;;b 1\n", "hello world\n", "a;b\n", "--- threadz 1 ---\n"};
    struct cprof_profile *p = NULL;
    struct cprof_diag diag = {0};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = cprof_profile_parse_any((const uint8_t *)bad[i], strlen(bad[i]), NULL, &p, &diag);
        CPROF_ASSERT_EQ(rc, CPROF_ECORRUPT);
        CPROF_ASSERT(p == NULL);
        CPROF_ASSERT(strstr(diag.msg, "unrecognized profile format") != NULL);
        CPROF_ASSERT(strstr(diag.msg, "collapsed") != NULL);
    }
    /* Recognised but malformed: pprof's own message, no further parser. */
    int rc = cprof_profile_parse_any((const uint8_t *)"threadcreate profile: total 5\n5 @\n", 34,
                                     NULL, &p, &diag);
    CPROF_ASSERT_EQ(rc, CPROF_ECORRUPT);
    CPROF_ASSERT_STR(diag.msg, "malformed profile format");
}

CPROF_TEST(legacy_heap_unsampling)
{
    static const char text[] = "heap profile: 3: 300000 [ 3: 300000] @ heap_v2/524288\n"
                               "3: 300000 [3: 300000] @ 0x1001 0x2001\n"
                               "\n"
                               "MAPPED_LIBRARIES:\n"
                               "00001000-00003000 r-xp 00000000 08:01 1 /bin/prog\n";
    struct cprof_profile *p = parse_ok(text, sizeof(text) - 1);

    /* alloc equals in-use in the header: two columns */
    CPROF_ASSERT_EQ(p->nsample_types, 2);
    CPROF_ASSERT_STR(cprof_profile_str(p, p->sample_types[0].type), "objects");
    CPROF_ASSERT_STR(cprof_profile_str(p, p->sample_types[1].type), "space");
    CPROF_ASSERT_EQ(p->period, 524288);
    /* scaleHeapSample: 1/(1-exp(-100000/524288)) */
    CPROF_ASSERT_EQ(p->samples[0].values[0], 17);
    CPROF_ASSERT_EQ(p->samples[0].values[1], 1727629);
    CPROF_ASSERT_EQ(p->samples[0].nlabels, 1);
    CPROF_ASSERT_STR(cprof_profile_str(p, p->samples[0].labels[0].key), "bytes");
    CPROF_ASSERT_EQ(p->samples[0].labels[0].num, 100000);
    /* every address minus one, inside the mapping */
    CPROF_ASSERT_EQ_U64(p->locations[p->samples[0].locs[0]].address, 0x1000);
    CPROF_ASSERT_EQ_U64(p->locations[p->samples[0].locs[1]].address, 0x2000);
    CPROF_ASSERT_EQ(p->nmappings, 1);
    CPROF_ASSERT_STR(cprof_profile_str(p, p->mappings[0].filename), "/bin/prog");
    CPROF_ASSERT(strstr(cprof_profile_str(p, p->drop_frames), "tc_malloc") != NULL);
    cprof_profile_free(p);
}

CPROF_TEST(legacy_contention_scaling)
{
    static const char text[] = "--- mutex:\ncycles/second=2000000000\nsampling period=5\n"
                               "4000 3 @ 0x11 0x21\n";
    struct cprof_profile *p = parse_ok(text, sizeof(text) - 1);

    CPROF_ASSERT_STR(cprof_profile_str(p, p->sample_types[0].type), "contentions");
    CPROF_ASSERT_STR(cprof_profile_str(p, p->sample_types[1].type), "delay");
    CPROF_ASSERT_EQ(p->samples[0].values[0], 15);    /* count * period */
    CPROF_ASSERT_EQ(p->samples[0].values[1], 10000); /* cycles * period / GHz */
    /* no memory map: pprof's fake mapping covers everything */
    CPROF_ASSERT_EQ(p->nmappings, 1);
    CPROF_ASSERT_EQ_U64(p->mappings[0].limit, UINT64_MAX);
    cprof_profile_free(p);
}

/* Appends a 32-bit big-endian word. */
static size_t put32b(uint8_t *b, size_t at, uint32_t v)
{
    b[at] = (uint8_t)(v >> 24);
    b[at + 1] = (uint8_t)(v >> 16);
    b[at + 2] = (uint8_t)(v >> 8);
    b[at + 3] = (uint8_t)v;
    return at + 4;
}

CPROF_TEST(legacy_cpu_words_and_cleanups)
{
    /*
     * 40 samples: leaf, handler frame 0x9001, a caller; sample 0 repeats its
     * leaf as a caller, which hides its handler frame from the stripping.
     */
    static const char maps[] = "00001000-0000a000 r-xp 00000000 08:01 7 /bin/prog\n";
    uint8_t b[4096];
    size_t n = 0;
    struct cprof_profile *p;

    n = put32b(b, n, 0), n = put32b(b, n, 3), n = put32b(b, n, 0);
    n = put32b(b, n, 250), n = put32b(b, n, 0);
    for (int i = 0; i < 40; i++) {
        n = put32b(b, n, 2);                /* count */
        n = put32b(b, n, i == 0 ? 4 : 3);   /* depth */
        n = put32b(b, n, 0x2000 + (i % 2)); /* leaf */
        if (i == 0)
            n = put32b(b, n, 0x2000); /* the leaf again: 0x1fff after the -1 */
        n = put32b(b, n, 0x9001);     /* signal handler frame */
        n = put32b(b, n, 0x3001 + 0x10 * (uint32_t)(i % 3));
    }
    n = put32b(b, n, 0), n = put32b(b, n, 1), n = put32b(b, n, 0);
    memcpy(b + n, maps, sizeof(maps) - 1);
    n += sizeof(maps) - 1;

    p = parse_ok((const char *)b, n);
    CPROF_ASSERT_EQ(p->period, 250000);
    CPROF_ASSERT_STR(cprof_profile_str(p, p->period_type.type), "cpu");
    CPROF_ASSERT_EQ(p->nsamples, 40);
    CPROF_ASSERT_EQ(p->samples[0].values[0], 2);
    CPROF_ASSERT_EQ(p->samples[0].values[1], 500000);
    /* sample 0: duplicated leaf dropped, handler frame kept (not second) */
    CPROF_ASSERT_EQ(p->samples[0].nlocs, 3);
    CPROF_ASSERT_EQ_U64(p->locations[p->samples[0].locs[0]].address, 0x2000);
    CPROF_ASSERT_EQ_U64(p->locations[p->samples[0].locs[1]].address, 0x9000);
    CPROF_ASSERT_EQ_U64(p->locations[p->samples[0].locs[2]].address, 0x3000);
    /* the others: handler frame stripped (39 of 40 >= 40 - 40/32) */
    CPROF_ASSERT_EQ(p->samples[1].nlocs, 2);
    CPROF_ASSERT_EQ_U64(p->locations[p->samples[1].locs[0]].address, 0x2001);
    CPROF_ASSERT_EQ_U64(p->locations[p->samples[1].locs[1]].address, 0x3010);
    /* as in pprof, the dropped duplicate stays in the location table */
    CPROF_ASSERT_EQ_U64(p->locations[1].address, 0x1fff);
    CPROF_ASSERT_EQ(p->nmappings, 1);
    CPROF_ASSERT_EQ(p->locations[0].mapping, 0);
    cprof_profile_free(p);
}
