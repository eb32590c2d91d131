/*
 * cprof benchmark harness: Go's `go test -bench` for C.
 *
 *     #include <cprof/bench.h>
 *     CPROF_BENCH(Concat) { for (int64_t i = 0; i < b->N; i++) work(); }
 *
 * Build with `cc x.c $(pkg-config --cflags --libs cprof-bench)`; the
 * library supplies main() unless the program defines one (which then calls
 * cprof_bench_main).  The program takes Go's flags (-bench, -benchtime,
 * -count, -cpu, -benchmem, -cpuprofile, -memprofile, ..., also with the
 * -test. prefix) and prints Go's benchmark format, which benchstat reads.
 * Allocation counts (-benchmem) come from libcprof's exact counters, so
 * every malloc-family call of every thread in a timed region is counted.
 */
#ifndef CPROF_BENCH_H
#define CPROF_BENCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cprof__bench;

/* The benchmark's handle, Go's *testing.B. */
typedef struct cprof_b {
    int64_t N;                 /* iterations the body must run (read-only for the body) */
    struct cprof__bench *priv; /* harness state */
} cprof_b;

/* The handle a cprof_b_run_parallel body gets, Go's *testing.PB. */
typedef struct cprof_pb cprof_pb;

/* Registers a benchmark; CPROF_BENCH does it before main. */
void cprof_bench_register(const char *name, void (*fn)(cprof_b *b), const char *file, int line);

/* Runs the registered benchmarks under Go's flags; returns the exit status. */
int cprof_bench_main(int argc, char **argv);

#define CPROF_BENCH(name)                                                                          \
    static void cprof__bench_fn_##name(cprof_b *b);                                                \
    __attribute__((constructor)) static void cprof__bench_reg_##name(void)                         \
    {                                                                                              \
        cprof_bench_register(#name, cprof__bench_fn_##name, __FILE__, __LINE__);                   \
    }                                                                                              \
    static void cprof__bench_fn_##name(cprof_b *b)

/*
 * Go 1.24's b.Loop: `while (cprof_b_loop(b)) body;` runs the body as many
 * times as the ramp needs, inside one call of the benchmark function, so
 * setup before the loop runs once and is never timed.
 */
int cprof_b_loop(cprof_b *b);

/* Runs fn as the sub-benchmark NAME/sub; 1 unless it failed. */
int cprof_b_run(cprof_b *b, const char *sub, void (*fn)(cprof_b *b, void *arg), void *arg);

void cprof_b_reset_timer(cprof_b *b); /* zero time, allocations and reported metrics */
void cprof_b_start_timer(cprof_b *b);
void cprof_b_stop_timer(cprof_b *b);
void cprof_b_report_allocs(cprof_b *b);                             /* as if -benchmem */
void cprof_b_set_bytes(cprof_b *b, int64_t n);                      /* bytes per op: MB/s */
void cprof_b_report_metric(cprof_b *b, double v, const char *unit); /* unit without spaces */
/* Procs this run stands for (the -cpu value): the threads of cprof_b_run_parallel. */
int cprof_b_procs(const cprof_b *b);

/*
 * Go's b.RunParallel: body runs on -cpu threads at once, each calling
 * cprof_pb_next(pb) until it returns 0; b->N iterations in all.
 */
void cprof_b_run_parallel(cprof_b *b, void (*body)(cprof_pb *pb, void *arg), void *arg);
int cprof_pb_next(cprof_pb *pb);

/* b.Logf, b.Errorf, b.Fatalf (fatal ends the benchmark function at once). */
#define cprof_b_logf(b, ...)   cprof__b_log((b), 0, __FILE__, __LINE__, __VA_ARGS__)
#define cprof_b_errorf(b, ...) cprof__b_log((b), 1, __FILE__, __LINE__, __VA_ARGS__)
#define cprof_b_fatalf(b, ...) cprof__b_log((b), 2, __FILE__, __LINE__, __VA_ARGS__)
void cprof__b_log(cprof_b *b, int level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Keeps the compiler from deleting a computation whose result is unused. */
#define cprof_do_not_optimize(x)                                                                   \
    do {                                                                                           \
        __typeof__(x) cprof__dno_v = (x);                                                          \
        __asm__ volatile("" : : "r,m"(cprof__dno_v) : "memory");                                   \
    } while (0)

/* Forces pending stores to memory to be treated as observed. */
#define cprof_clobber_memory() __asm__ volatile("" : : : "memory")

#ifdef __cplusplus
}
#endif

#endif /* CPROF_BENCH_H */
