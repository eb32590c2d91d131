/*
 * A library whose two hot functions are static, for the tests of stripped
 * code (t_sym_stripped.sh): once stripped, nothing but the unwind tables
 * tells where each starts.  stripped_work() is the one exported entry.
 */
#include <stdint.h>

__attribute__((noinline)) static uint64_t lumpy_mix(uint64_t x, long n)
{
    for (long i = 0; i < n; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull + (x >> 29);
    return x;
}

__attribute__((noinline)) static uint64_t lumpy_fold(uint64_t x, long n)
{
    uint64_t s = 0;

    for (long i = 0; i < n; i++) {
        s += (x ^ (uint64_t)i) % 7919u;
        x = (x << 7) | (x >> 57);
    }
    return s;
}

__attribute__((visibility("default"))) uint64_t stripped_work(long rounds);

uint64_t stripped_work(long rounds)
{
    uint64_t x = 1;

    for (long r = 0; r < rounds; r++)
        x += lumpy_mix(x, 20000) + lumpy_fold(x, 20000);
    return x;
}
