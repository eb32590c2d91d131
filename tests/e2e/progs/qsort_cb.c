/*
 * Spends its CPU time (argv[1] seconds) inside qsort's comparison callback:
 * compare_keys <- (libc: msort_with_tmp..., qsort_r) <- sort_rounds <- main.
 * Built by t_cpu_stacks.sh with and without frame pointers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N 4096

static int keys[N];

static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Slow on purpose: most samples land in the callback itself. */
__attribute__((noinline)) static int compare_keys(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    volatile int spin = 0;

    for (int i = 0; i < 30; i++)
        spin += i;
    return (x > y) - (x < y);
}

__attribute__((noinline)) static int sort_rounds(double secs)
{
    double t0 = cpu_now();
    unsigned s = 7;
    int rounds = 0;

    while (cpu_now() - t0 < secs) {
        for (int i = 0; i < N; i++)
            keys[i] = (int)(s = s * 1103515245u + 12345u);
        qsort(keys, N, sizeof(keys[0]), compare_keys);
        rounds++;
    }
    return rounds;
}

int main(int argc, char **argv)
{
    int rounds = sort_rounds(argc > 1 ? atof(argv[1]) : 0.5);

    printf("qsort_cb ok %d\n", rounds > 0);
    return rounds > 0 ? 0 : 1;
}
