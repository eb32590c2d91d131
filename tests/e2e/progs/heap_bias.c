/*
 * Heap sampling bias test program: THREADS threads (default 4), each of
 * which first makes one 3-byte allocation (site_first, its thread's first
 * allocation) and then N allocations (default 1000) of sizes spread from
 * 64 bytes to 16 KiB (site_mix, a fixed sequence per thread).
 *   heap_bias [THREADS [N]]
 * Prints "exact OBJECTS BYTES sd SD_OBJECTS SD_BYTES": the two sites'
 * exact allocation counts and the standard deviations of their sampled
 * estimates at the rate CPROF_MEMRATE (default 524288).  Allocations are
 * sampled independently (a Poisson process over each thread's bytes), an
 * object of s bytes with probability p = 1 - exp(-s/rate), and weighed
 * 1/p (Horvitz-Thompson), so Var = sum (1-p)/p over objects, and sum
 * s^2 (1-p)/p for bytes.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static long n_mix = 1000;
static volatile uintptr_t sink;

/*
 * Size of the i-th allocation of thread th: log-uniform over [64, 16 KiB],
 * so that no tiny object makes the estimate's spread heavy-tailed.
 */
static size_t mix_size(int th, long i)
{
    uint64_t x = ((uint64_t)th + 1) * 0x9e3779b97f4a7c15ull + (uint64_t)i * 0xbf58476d1ce4e5b9ull;
    x ^= x >> 31;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 29;
    double u = (double)(x >> 11) * 0x1.0p-53;
    return (size_t)exp(log(64.0) + u * log(16384.0 / 64.0));
}

NOINLINE static void *site_first(void)
{
    char *p = malloc(3);
    p[0] = 1;
    sink += (uintptr_t)p[0];
    return p;
}

NOINLINE static void site_mix(int th)
{
    for (long i = 0; i < n_mix; i++) {
        char *p = malloc(mix_size(th, i));
        p[0] = (char)i;
        sink += (uintptr_t)p[0];
        free(p);
    }
}

static void *worker(void *arg)
{
    int th = (int)(intptr_t)arg;
    void *first = site_first();

    site_mix(th);
    free(first);
    return NULL;
}

int main(int argc, char **argv)
{
    int nth = argc > 1 ? atoi(argv[1]) : 4;
    const char *r = getenv("CPROF_MEMRATE");
    double rate = r ? atof(r) : 524288.0;
    double objs = 0, bytes = 0, vo = 0, vb = 0;
    pthread_t t[64];

    if (argc > 2)
        n_mix = atol(argv[2]);
    if (nth < 1 || nth > 64 || n_mix < 0)
        return 2;
    for (int i = 0; i < nth; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i))
            return 1;
    for (int i = 0; i < nth; i++)
        pthread_join(t[i], NULL);
    for (int th = 0; th < nth; th++) {
        for (long i = -1; i < n_mix; i++) {
            double s = i < 0 ? 3 : (double)mix_size(th, i);
            double q = rate > 1 ? exp(-s / rate) : 0; /* probability of not being sampled */
            objs += 1;
            bytes += s;
            vo += q / (1 - q);
            vb += s * s * q / (1 - q);
        }
    }
    printf("exact %.0f %.0f sd %.1f %.1f\n", objs, bytes, sqrt(vo), sqrt(vb));
    return 0;
}
