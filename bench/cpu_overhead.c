/*
 * Workload of bench/cpu_overhead.sh: THREADS threads each do a fixed amount
 * of work at the bottom of a DEPTH-deep recursion through non-inlined
 * functions (so every sample unwinds ~DEPTH frames), ROUNDS times.  Fixed
 * work, not fixed time: a profiler's cost shows as longer runs.  Prints the
 * time from main's start to its end (before any exit-time profile writing),
 * as wall and as the process's user+system CPU time (loading and the
 * profiler's start-up before main are left out):
 * "wall_ns N cpu_ns N".
 *
 *   cpu_overhead [ROUNDS [THREADS [DEPTH]]]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define LEAF_ITERS 4000

static long rounds = 2000;
static int depth = 64;
static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t leaf(uint64_t x)
{
    for (int i = 0; i < LEAF_ITERS; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
}

/* Works after the call, so the compiler cannot turn it into a loop. */
__attribute__((noinline)) static uint64_t descend(int d, uint64_t x)
{
    if (d == 0)
        return leaf(x);
    uint64_t r = descend(d - 1, x + (uint64_t)d);
    return r ^ (r >> 7);
}

static void *run(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg;

    for (long i = 0; i < rounds; i++)
        x = descend(depth, x);
    sink += x;
    return NULL;
}

static int64_t rusage_ns(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)ru.ru_utime.tv_sec * 1000000000LL + ru.ru_utime.tv_usec * 1000LL +
           ru.ru_stime.tv_sec * 1000000000LL + ru.ru_stime.tv_usec * 1000LL;
}

static int64_t ns(clockid_t c)
{
    struct timespec ts;

    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 1;
    int64_t t0 = ns(CLOCK_MONOTONIC), c0 = rusage_ns();
    pthread_t t[64];

    if (argc > 1)
        rounds = atol(argv[1]);
    if (argc > 3)
        depth = atoi(argv[3]);
    if (n < 1 || n > 64 || depth < 0)
        return 2;
    for (int i = 1; i < n; i++)
        if (pthread_create(&t[i], NULL, run, (void *)(uintptr_t)i))
            return 1;
    run(NULL);
    for (int i = 1; i < n; i++)
        pthread_join(t[i], NULL);
    printf("wall_ns %lld cpu_ns %lld\n", (long long)(ns(CLOCK_MONOTONIC) - t0),
           (long long)(rusage_ns() - c0));
    return 0;
}
