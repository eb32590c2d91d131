/*
 * The harness's internals that tests reach: Go's result line, the ramp's
 * prediction and Go's duration syntax.  No state.
 */
#ifndef CPROF_BENCH_BENCH_INT_H
#define CPROF_BENCH_BENCH_INT_H

#include <stddef.h>
#include <stdint.h>

#define CPROF__BENCH_MAX_EXTRA 32

/* Go's testing.BenchmarkResult. */
struct result {
    int64_t n;           /* iterations */
    int64_t t_ns;        /* timed nanoseconds */
    int64_t bytes;       /* SetBytes, per op */
    uint64_t mem_allocs; /* allocations in timed regions */
    uint64_t mem_bytes;  /* bytes requested in timed regions */
    struct {
        char unit[64];
        double v;
    } extra[CPROF__BENCH_MAX_EXTRA]; /* ReportMetric */
    int nextra;
};

/*
 * Go's BenchmarkResult.String (plus "\t" MemString when mem): the line
 * after the padded name, without the newline.
 */
void cprof__bench_format_result(const struct result *r, int mem, char *out, size_t n);

/* Go's predictN: the next N of the ramp. */
int64_t cprof__bench_predict_n(int64_t goalns, int64_t prev_iters, int64_t prevns, int64_t last);

/* Go's time.ParseDuration ("1.5s", "300ms", "1m30s", "0"); 0 or -1. */
int cprof__bench_parse_duration(const char *s, int64_t *ns /* OUT */);

#endif /* CPROF_BENCH_BENCH_INT_H */
