/*
 * Heap profiler test program: allocation sites with known sizes and counts.
 *   heap_sites big [SCALE]   two sites of >= 50 MB each (times SCALE), all freed
 *   heap_sites exact         small known counts through every allocation function,
 *                            checking the memory they return; leaks LEAK_N x LEAK_SZ
 * Each site is a noinline function that calls the allocator directly, so it
 * is the leaf frame of its samples.  Prints "ok <checksum>" on success.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define LEAK_N   10
#define LEAK_SZ  100000

static volatile uintptr_t sink;
static int bad;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "FAIL: %s\n", what);
        bad = 1;
    }
}

NOINLINE static void site_small(long n) /* n x 256 B */
{
    for (long i = 0; i < n; i++) {
        char *p = malloc(256);
        p[0] = (char)i;
        sink += (uintptr_t)p[0];
        free(p);
    }
}

NOINLINE static void site_big(long n) /* n x 64 KiB */
{
    for (long i = 0; i < n; i++) {
        char *p = malloc(65536);
        p[100] = (char)i;
        sink += (uintptr_t)p[100];
        free(p);
    }
}

NOINLINE static void site_calloc(long n) /* n x calloc(10, 100) */
{
    for (long i = 0; i < n; i++) {
        unsigned char *p = calloc(10, 100);
        for (int j = 0; j < 1000; j += 97)
            check(p[j] == 0, "calloc zeroed");
        free(p);
    }
}

NOINLINE static char *site_realloc_grow(char *p, size_t n)
{
    return realloc(p, n);
}

NOINLINE static void site_realloc(long n) /* n x (malloc 100, realloc 5000, realloc 300) */
{
    for (long i = 0; i < n; i++) {
        char *p = malloc(100);
        memset(p, 'a', 100);
        p = site_realloc_grow(p, 5000);
        check(p[99] == 'a', "realloc kept contents");
        memset(p, 'b', 5000);
        p = site_realloc_grow(p, 300);
        check(p[299] == 'b', "realloc shrink kept contents");
        free(p);
    }
}

NOINLINE static void
site_aligned(long n) /* n x (posix_memalign 64/1000, aligned_alloc 256/2048, memalign 4096/3000) */
{
    for (long i = 0; i < n; i++) {
        void *a = NULL, *b, *c;
        check(posix_memalign(&a, 64, 1000) == 0, "posix_memalign");
        b = aligned_alloc(256, 2048);
        c = memalign(4096, 3000);
        check(((uintptr_t)a & 63) == 0 && ((uintptr_t)b & 255) == 0 && ((uintptr_t)c & 4095) == 0,
              "alignment");
        memset(a, 1, 1000);
        memset(b, 2, 2048);
        memset(c, 3, 3000);
        check(malloc_usable_size(c) >= 3000, "malloc_usable_size");
        free(a);
        free(b);
        free(c);
    }
}

NOINLINE static void site_valloc(long n) /* n x (valloc 5000, pvalloc 5000 -> 8192) */
{
    for (long i = 0; i < n; i++) {
        char *a = valloc(5000), *b = pvalloc(5000);
        check(((uintptr_t)a & 4095) == 0 && ((uintptr_t)b & 4095) == 0, "page alignment");
        memset(a, 4, 5000);
        memset(b, 5, 8192);
        free(a);
        free(b);
    }
}

NOINLINE static void site_reallocarray(long n) /* n x reallocarray(NULL, 7, 100) */
{
    for (long i = 0; i < n; i++) {
        char *p = reallocarray(NULL, 7, 100);
        memset(p, 6, 700);
        free(p);
    }
    volatile size_t huge = SIZE_MAX / 2;
    check(reallocarray(NULL, huge, 4) == NULL, "reallocarray overflow");
}

static void *leaks[LEAK_N];

NOINLINE static void site_leak(void) /* LEAK_N x LEAK_SZ, never freed */
{
    for (int i = 0; i < LEAK_N; i++) {
        leaks[i] = malloc(LEAK_SZ);
        memset(leaks[i], 7, LEAK_SZ);
    }
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "exact";
    long scale = argc > 2 ? atol(argv[2]) : 1;

    if (!strcmp(mode, "slow")) { /* scale x (1000 small allocations, 100 ms asleep) */
        for (long i = 0; i < scale; i++) {
            site_small(1000);
            usleep(100000);
        }
    } else if (!strcmp(mode, "big")) {
        site_small(327680 * scale); /* 80 MB */
        site_big(960 * scale);      /* 60 MB */
    } else {
        site_small(1000);
        site_big(10);
        site_calloc(100);
        site_realloc(50);
        site_aligned(40);
        site_valloc(30);
        site_reallocarray(20);
        site_leak();
    }
    printf("%s %lu\n", bad ? "bad" : "ok", (unsigned long)(sink & 0xffff));
    return bad;
}
