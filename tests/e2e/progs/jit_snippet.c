/*
 * The code the JIT test copies into anonymous executable memory
 * (t_sym_perfmap.sh): position-independent, no calls, frame pointer kept
 * so stacks walk back to the program.
 */
#include <stdint.h>

uint64_t jit_body(uint64_t n);

uint64_t jit_body(uint64_t n)
{
    uint64_t x = 1;

    for (uint64_t i = 0; i < n; i++)
        x = x * 2862933555777941757ull + (i ^ (x >> 17));
    return x;
}
