/*
 * Heap benchmark workload: two threads, each doing OPS malloc-family
 * operations on a live set of 4096 slots: sizes log-uniform from 8 B to
 * 64 KiB (most small), a free when the slot is full (1 in 8 of those a
 * realloc to a new size instead).  Prints "ms <wall ms of the work>" and
 * "cpu_ms <CPU ms of the work, all threads>": on a shared machine the CPU
 * time is the steadier measure, and neither counts start-up or exit (where
 * a profiler writes its profile).
 *   heap_workload [OPS_PER_THREAD]   (default 2000000)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 4096

static long ops;

static size_t pick_size(uint64_t r)
{
    unsigned shift = (unsigned)(r % 14); /* 8 B .. 64 KiB, log-uniform */
    size_t base = (size_t)8 << shift;

    return base + (size_t)((r >> 8) % base);
}

static void *run(void *arg)
{
    uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 7;
    char **live = calloc(SLOTS, sizeof(*live));
    uintptr_t sum = 0;

    for (long i = 0; i < ops; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned s = (unsigned)(x % SLOTS);
        if (!live[s]) {
            size_t n = pick_size(x >> 16);
            live[s] = malloc(n);
            live[s][0] = (char)i;
        } else if ((x >> 40) % 8 == 0) {
            size_t n = pick_size(x >> 20);
            live[s] = realloc(live[s], n);
            live[s][n - 1] = 1;
        } else {
            sum += (unsigned char)live[s][0];
            free(live[s]);
            live[s] = NULL;
        }
    }
    for (int i = 0; i < SLOTS; i++)
        free(live[i]);
    free(live);
    return (void *)sum;
}

int main(int argc, char **argv)
{
    pthread_t t[2];
    struct timespec a, b, ca, cb;

    ops = argc > 1 ? atol(argv[1]) : 2000000;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, run, (void *)(i + 1));
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("ms %.1f\n",
           (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
    printf("cpu_ms %.1f\n",
           (double)(cb.tv_sec - ca.tv_sec) * 1e3 + (double)(cb.tv_nsec - ca.tv_nsec) / 1e6);
    return 0;
}
