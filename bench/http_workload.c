/*
 * Fixed work for bench/http.sh: ITERS rounds of integer mixing and small
 * allocations on one thread; prints its wall and CPU time in nanoseconds
 * ("wall_ns N cpu_ns N"), so runs with and without the endpoint compare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long ns(clockid_t c)
{
    struct timespec ts;

    clock_gettime(c, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 2000;
    unsigned long x = 1;
    long long w0 = ns(CLOCK_MONOTONIC), c0 = ns(CLOCK_PROCESS_CPUTIME_ID);

    for (long i = 0; i < iters; i++) {
        char *p = malloc(64 + (size_t)(i & 255));
        for (int k = 0; k < 100000; k++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
        memset(p, (int)x, 64);
        x += (unsigned char)p[3];
        free(p);
    }
    printf("wall_ns %lld cpu_ns %lld sink %lu\n", ns(CLOCK_MONOTONIC) - w0,
           ns(CLOCK_PROCESS_CPUTIME_ID) - c0, x & 1);
    return 0;
}
