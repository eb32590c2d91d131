/* The harness's result line and ramp, on numbers from real `go test -bench` runs (Go 1.19). */
#include <stdint.h>
#include "bench/bench_int.h"

#include <string.h>

#include "unit.h"

CPROF_TEST(bench_result_line_like_go)
{
    struct result r;
    char line[512];

    memset(&r, 0, sizeof(r));
    r.n = 1000;
    r.t_ns = 93370; /* 93.37 ns/op */
    r.mem_allocs = 1000;
    r.mem_bytes = 48000;
    cprof__bench_format_result(&r, 1, line, sizeof(line));
    CPROF_ASSERT_STR(line, "    1000\t        93.37 ns/op\t      48 B/op\t       1 allocs/op");
    r.t_ns = 722; /* 0.7220 ns/op, SetBytes(1024) */
    r.bytes = 1024;
    r.mem_allocs = r.mem_bytes = 0;
    cprof__bench_format_result(&r, 1, line, sizeof(line));
    CPROF_ASSERT_STR(
        line,
        "    1000\t         0.7220 ns/op\t1418282.55 MB/s\t       0 B/op\t       0 allocs/op");
    memset(&r, 0, sizeof(r));
    r.n = 1000;
    r.t_ns = 1674;
    strcpy(r.extra[0].unit, "widgets/op");
    r.extra[0].v = 3.5;
    strcpy(r.extra[1].unit, "apples/op");
    r.extra[1].v = 1234.5;
    r.nextra = 2;
    cprof__bench_format_result(&r, 0, line, sizeof(line));
    CPROF_ASSERT_STR(
        line, "    1000\t         1.674 ns/op\t      1234 apples/op\t         3.500 widgets/op");
    r.t_ns = 250500; /* 250.5 */
    r.nextra = 0;
    cprof__bench_format_result(&r, 0, line, sizeof(line));
    CPROF_ASSERT_STR(line, "    1000\t       250.5 ns/op");
    r.t_ns = 1726000; /* >= 999.95: %10.0f */
    cprof__bench_format_result(&r, 0, line, sizeof(line));
    CPROF_ASSERT_STR(line, "    1000\t      1726 ns/op");
}

CPROF_TEST(bench_predict_n_go_ramp)
{
    /* 1s goal after N=1 took 1000 ns: 1e6 * 1.2, capped at 100 x last */
    CPROF_ASSERT_EQ(cprof__bench_predict_n(1000000000, 1, 1000, 1), 100);
    /* N=100 in 100 us: 1e6 * 1.2 = 1.2e6 (under 100 x 100 = 1e4? no: capped) */
    CPROF_ASSERT_EQ(cprof__bench_predict_n(1000000000, 100, 100000, 100), 10000);
    CPROF_ASSERT_EQ(cprof__bench_predict_n(1000000000, 10000, 10000000, 10000), 1000000);
    CPROF_ASSERT_EQ(cprof__bench_predict_n(1000000000, 1000000, 900000000, 1000000), 1333333);
    /* at least last+1, at most 1e9; zero time counts as 1 ns */
    CPROF_ASSERT_EQ(cprof__bench_predict_n(1000000000, 50, 2000000000, 50), 51);
    CPROF_ASSERT_EQ(cprof__bench_predict_n(1000000000, 100000000, 0, 100000000), 1000000000);
    /* -benchtime 1h1m after 1e8 ops in 0.3 s: the goal x N product passes
     * 2^63; it must still grow (to the 1e9 cap), not crawl at last+1 */
    CPROF_ASSERT_EQ(cprof__bench_predict_n(3660000000000LL, 100000000, 300000000, 100000000),
                    1000000000);
    CPROF_ASSERT_EQ(cprof__bench_predict_n(INT64_MAX, 1000000, 1, 1000000), 100000000);
}

CPROF_TEST(bench_parse_duration)
{
    int64_t ns = -1;

    CPROF_ASSERT_EQ(cprof__bench_parse_duration("1s", &ns), 0);
    CPROF_ASSERT_EQ(ns, 1000000000);
    CPROF_ASSERT_EQ(cprof__bench_parse_duration("1m30s", &ns), 0);
    CPROF_ASSERT_EQ(ns, 90000000000LL);
    CPROF_ASSERT_EQ(cprof__bench_parse_duration("250ms", &ns), 0);
    CPROF_ASSERT_EQ(ns, 250000000);
    CPROF_ASSERT_EQ(cprof__bench_parse_duration("1.5us", &ns), 0);
    CPROF_ASSERT_EQ(ns, 1500);
    CPROF_ASSERT_EQ(cprof__bench_parse_duration("10", &ns), -1);
    CPROF_ASSERT_EQ(cprof__bench_parse_duration("s", &ns), -1);
}
