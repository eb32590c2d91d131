/*
 * The library of dl_main.c, built without frame pointers: plug_sort sorts
 * an array with qsort and a comparison callback of its own, for about secs
 * of process CPU time.  Loaded with dlopen after profiling started, so only
 * refreshed unwind tables can walk out of plug_cmp and plug_sort.
 */
#include <stdlib.h>
#include <time.h>

#define N 4096

static int data[N];

static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Deliberately slow, so samples land here rather than in qsort. */
__attribute__((noinline)) static int plug_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    volatile int spin = 0;

    for (int i = 0; i < 20; i++)
        spin += i;
    return (x > y) - (x < y);
}

__attribute__((noinline)) int plug_sort(double secs)
{
    double t0 = cpu_now();
    unsigned s = 1;
    int rounds = 0;

    while (cpu_now() - t0 < secs) {
        for (int i = 0; i < N; i++)
            data[i] = (int)(s = s * 1103515245u + 12345u);
        qsort(data, N, sizeof(data[0]), plug_cmp);
        rounds++;
    }
    return rounds;
}
