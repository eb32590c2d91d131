/*
 * A hot loop in an always-inlined function (mix_rounds) inside a
 * non-inlined one (outer_work): the profile's location for the loop must
 * carry two lines, mix_rounds (inlined, innermost first) then outer_work.
 * Runs argv[1] seconds of CPU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline __attribute__((always_inline)) unsigned long mix_rounds(unsigned long x, long n)
{
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

__attribute__((noinline)) static unsigned long outer_work(unsigned long x)
{
    x = mix_rounds(x + 1, 200000);
    sink = x;
    return x;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.5, t0 = cpu_now();
    unsigned long x = 1;

    while (cpu_now() - t0 < secs)
        x = outer_work(x);
    printf("inline_hot ok %lu\n", x & 1);
    return 0;
}
