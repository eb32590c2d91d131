/*
 * Tests of the -raw dump (pprof's Profile.String layout) and of Go's
 * duration and time formatting.  The expected dump of the synthetic
 * profile was checked against `go tool pprof -raw` (Go 1.19).
 */
#include "tool/raw.h"

#include <stdlib.h>

#include "base/buf.h"
#include "model/codec.h"
#include "model/profile.h"
#include "tool/gofmt.h"
#include "unit.h"

static const char *dur(int64_t ns, size_t trunc)
{
    static char buf[CPROF_GOFMT_MAX];

    cprof_go_duration(ns, buf);
    if (trunc)
        cprof_go_truncate_runes(buf, trunc);
    return buf;
}

CPROF_TEST(gofmt_duration_like_go)
{
    CPROF_ASSERT_STR(dur(0, 0), "0s");
    CPROF_ASSERT_STR(dur(1, 0), "1ns");
    CPROF_ASSERT_STR(dur(1500, 0), "1.5\xc2\xb5s");
    CPROF_ASSERT_STR(dur(1000000, 0), "1ms");
    CPROF_ASSERT_STR(dur(1234567, 0), "1.234567ms");
    CPROF_ASSERT_STR(dur(1000000000, 0), "1s");
    CPROF_ASSERT_STR(dur(10012345678, 0), "10.012345678s");
    CPROF_ASSERT_STR(dur(3723000000000LL, 0), "1h2m3s");
    CPROF_ASSERT_STR(dur(60000000000LL, 0), "1m0s");
    CPROF_ASSERT_STR(dur(-1500000, 0), "-1.5ms");
    CPROF_ASSERT_STR(dur(INT64_MIN, 0), "-2562047h47m16.854775808s");
    /* pprof's %.4v cuts runes, not bytes. */
    CPROF_ASSERT_STR(dur(10012345678, 4), "10.0");
    CPROF_ASSERT_STR(dur(1500, 4), "1.5\xc2\xb5");
    CPROF_ASSERT_STR(dur(1234567, 4), "1.23");
    CPROF_ASSERT_STR(dur(5, 4), "5ns");
}

CPROF_TEST(gofmt_time_like_go)
{
    char buf[CPROF_GOFMT_MAX];

    setenv("TZ", "UTC", 1);
    cprof_go_time(1700000000123400000LL, buf);
    CPROF_ASSERT_STR(buf, "2023-11-14 22:13:20.1234 +0000 UTC");
    cprof_go_time(1700000000000000000LL, buf);
    CPROF_ASSERT_STR(buf, "2023-11-14 22:13:20 +0000 UTC");
    cprof_go_time(-1, buf);
    CPROF_ASSERT_STR(buf, "1969-12-31 23:59:59.999999999 +0000 UTC");
    setenv("TZ", "Asia/Kolkata", 1);
    cprof_go_time(1700000000000000001LL, buf);
    CPROF_ASSERT_STR(buf, "2023-11-15 03:43:20.000000001 +0530 IST");
}

static uint32_t S(struct cprof_profile *p, const char *s)
{
    uint32_t i;

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, s, &i), 0);
    return i;
}

/* A profile exercising every part of the layout. */
static struct cprof_profile *tricky(void)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_mapping m = {0};
    struct cprof_function f = {0};
    struct cprof_line ln[2] = {{0}};
    struct cprof_label lab[5];
    uint32_t mp, loc[3];
    int64_t v[2];

    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "alloc_objects", "count"), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "alloc_space", "bytes"), 0);
    p->default_sample_type = S(p, "alloc_space");
    p->period_type.type = S(p, "space");
    p->period_type.unit = S(p, "bytes");
    p->period = 524288;
    p->time_nanos = 1700000000123400000LL;
    p->duration_nanos = 10012345678LL;
    CPROF_ASSERT_EQ(cprof_profile_add_comment(p, "first comment"), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_comment(p, "second"), 0);
    m.start = 0x400000;
    m.limit = 0x4ba000;
    m.filename = S(p, "/usr/bin/prog");
    m.build_id = S(p, "abc123");
    m.has_functions = m.has_line_numbers = true;
    CPROF_ASSERT_EQ(cprof_profile_add_mapping(p, &m, &mp), 0);
    f.name = S(p, "inlined");
    f.system_name = S(p, "_Z7inlinedv");
    f.filename = S(p, "a.c");
    f.start_line = 3;
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &ln[0].func), 0);
    ln[0].line = 7;
    f.name = f.system_name = S(p, "caller");
    f.start_line = 0;
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &ln[1].func), 0);
    ln[1].line = 20;
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, mp, 0x401000, ln, 2, false, &loc[0]), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, mp, 0x402000, ln + 1, 1, true, &loc[1]), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, CPROF_NONE, 0, NULL, 0, false, &loc[2]), 0);
    /* Labels: two values for "b", mixed units for "bytes", a unitless number. */
    lab[0] = (struct cprof_label){.key = S(p, "b"), .str = S(p, "y")};
    lab[1] = (struct cprof_label){.key = S(p, "a"), .str = S(p, "x")};
    lab[2] = (struct cprof_label){.key = S(p, "b"), .str = S(p, "w")};
    lab[3] = (struct cprof_label){.key = S(p, "bytes"), .num = 5};
    lab[4] = (struct cprof_label){.key = S(p, "bytes"), .num = -6, .num_unit = S(p, "KiB")};
    v[0] = 1;
    v[1] = -1234567890123LL;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, loc, 3, v, lab, 5, 0), 0);
    lab[0] = (struct cprof_label){.key = S(p, "n"), .num = 42};
    v[0] = 12;
    v[1] = 0;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, loc + 1, 1, v, lab, 1, 0), 0);
    return p;
}

static const char tricky_raw[] = "Comment: first comment\n"
                                 "Comment: second\n"
                                 "PeriodType: space bytes\n"
                                 "Period: 524288\n"
                                 "Time: 2023-11-14 22:13:20.1234 +0000 UTC\n"
                                 "Duration: 10.0\n"
                                 "Samples:\n"
                                 "alloc_objects/count alloc_space/bytes[dflt]\n"
                                 "          1 -1234567890123: 1 2 3 \n"
                                 "                a:[x] b:[y w]\n"
                                 "                bytes:[5  -6 KiB]\n"
                                 "         12          0: 2 \n"
                                 "                n:[42]\n"
                                 "Locations\n"
                                 "     1: 0x401000 M=1 inlined a.c:7 s=3(_Z7inlinedv)\n"
                                 "             caller a.c:20 s=0\n"
                                 "     2: 0x402000 M=1 [F] caller a.c:20 s=0\n"
                                 "     3: 0x0 \n"
                                 "Mappings\n"
                                 "1: 0x400000/0x4ba000/0x0 /usr/bin/prog abc123 [FN][LN]\n";

CPROF_TEST(raw_matches_pprof_layout)
{
    struct cprof_profile *p = tricky();
    struct cprof_buf b;

    setenv("TZ", "UTC", 1);
    cprof_buf_init(&b, 0);
    CPROF_ASSERT_EQ(cprof_raw_format(p, &b), 0);
    CPROF_ASSERT_EQ(cprof_buf_append(&b, "", 1), 0);
    CPROF_ASSERT_STR((const char *)b.data, tricky_raw);
    if (getenv("CPROF_WRITE_TRICKY")) { /* to check the expectation with go tool pprof */
        struct cprof_buf enc;
        cprof_buf_init(&enc, 0);
        CPROF_ASSERT_EQ(cprof_profile_encode(p, true, &enc), 0);
        FILE *f = fopen(getenv("CPROF_WRITE_TRICKY"), "wb");
        CPROF_ASSERT(f != NULL);
        fwrite(enc.data, 1, enc.len, f);
        fclose(f);
        cprof_buf_release(&enc);
    }
    cprof_buf_release(&b);
    cprof_profile_free(p);
}
