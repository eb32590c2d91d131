/*
 * Microbenchmark of the runtime's unwinder: warm cost per stack for a 30-
 * and a 60-frame stack captured inside qsort's comparison callback (libc
 * without frame pointers on the path), ours against glibc's backtrace() in
 * the same run.  "ucontext" walks a getcontext() snapshot, the path a
 * signal handler takes (without the signal delivery).  Also reports the
 * one-time table build.  Built and run by bench/unwind.sh.
 */
#include <execinfo.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "rt/sig/unwind.h"
#include "rt/sig/unwind_int.h"

#define NOINLINE __attribute__((noinline))
#define MAXF     128

static long iters = 200000;
static int target; /* frames wanted at the measuring point */
static int base;   /* frames at recursion depth 0 */

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

NOINLINE static void measure(void)
{
    uintptr_t pcs[MAXF];
    void *bt[MAXF];
    ucontext_t uc;
    bool trunc;
    int n = 0, nu = 0, nb = 0;
    double t0, t_here, t_uc, t_bt;

    /* Warm up every path first: tables, caches, libgcc_s. */
    for (int i = 0; i < 1000; i++) {
        n = cprof_unwind_here_sigsafe(pcs, MAXF, &trunc);
        nb = backtrace(bt, MAXF);
    }
    if (base == 0) {
        base = n;
        return;
    }
    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        n = cprof_unwind_here_sigsafe(pcs, MAXF, &trunc);
    t_here = (now_ns() - t0) / iters;
    getcontext(&uc);
    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        nu = cprof_unwind_sigsafe(&uc, pcs, MAXF, &trunc);
    t_uc = (now_ns() - t0) / iters;
    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        nb = backtrace(bt, MAXF);
    t_bt = (now_ns() - t0) / iters;
    printf("unwind_%dframes: cprof %.0f ns/stack (%d frames), cprof_ucontext %.0f ns (%d), "
           "glibc_backtrace %.0f ns (%d)\n",
           target, t_here, n, t_uc, nu, t_bt, nb);
}

NOINLINE static void recurse(int depth)
{
    volatile int pad = depth;

    if (depth <= 0)
        measure();
    else
        recurse(depth - 1);
    (void)pad;
}

static bool armed; /* the next comparison builds the stack and measures */

static int cmp(const void *a, const void *b)
{
    if (armed) {
        armed = false;
        recurse(base ? target - base : 0);
    }
    return *(const int *)a - *(const int *)b;
}

NOINLINE static void run(int frames)
{
    int v[8] = {5, 3, 7, 1, 0, 2, 6, 4};

    target = frames;
    armed = true;
    qsort(v, 8, sizeof(v[0]), cmp);
    __asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
    double t0;
    const struct cprof__unw_table *t;

    if (argc > 1)
        iters = atol(argv[1]);
    t0 = now_ns();
    if (cprof_unwind_init() != 0) {
        fprintf(stderr, "cprof_unwind_init failed\n");
        return 1;
    }
    t = atomic_load(&cprof__unw_current);
    printf("unwind_tables: built in %.2f ms, %zu objects, %zu rows, %zu KiB\n",
           (now_ns() - t0) / 1e6, t->nobjs, t->nrows,
           (t->nrows * sizeof(*t->rows) + t->nobjs * sizeof(*t->objs)) / 1024);
    run(0); /* measures base, the frames at depth 0 */
    run(30);
    run(60);
    return 0;
}
