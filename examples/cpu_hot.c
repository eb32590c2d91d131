/*
 * A CPU-bound program with one known hot function, hot_loop, which takes
 * about 90% of its time; warm_loop takes the rest.  Runs about a second
 * (argument: seconds, default 1).
 *
 *   cprof run -- build/examples/cpu_hot
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static unsigned long hot_loop(unsigned long n)
{
    unsigned long x = sink;

    for (unsigned long i = 0; i < n; i++)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    return x;
}

__attribute__((noinline)) static unsigned long warm_loop(unsigned long n)
{
    unsigned long x = sink;

    for (unsigned long i = 0; i < n; i++)
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    double t0 = cpu_seconds();

    while (cpu_seconds() - t0 < secs) {
        sink += hot_loop(900000);
        sink += warm_loop(100000);
    }
    printf("cpu_hot: %.2f s of CPU\n", cpu_seconds() - t0);
    return 0;
}
