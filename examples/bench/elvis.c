/*
 * A benchmark in the shape of Go's: rewrite every "elvis" in a stream as
 * "Elvis".  Built twice from this file: the slow version (default) reads
 * the stream through a buffer allocated per call and builds the output
 * with one allocation per byte; the fast one (-DELVIS_FAST) works in
 * place.  Same benchmark names, so `cprof benchstat old.txt new.txt`
 * compares them.
 */
#include <cprof/bench.h>
#include <stdlib.h>
#include <string.h>

static const char input[] =
    "abcelvisaElvisabcelviseelvisaelvisaabeeeelvise l v i saa bb e l v i saa elvi\n"
    "selvielviselvielvielviselvi1elvielviselvis";

#ifndef ELVIS_FAST
/* one allocation for the window and one per output byte */
static size_t rewrite(const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char *win = malloc(5);
        size_t k = n - i < 5 ? n - i : 5;
        memcpy(win, in + i, k);
        char *byte = malloc(1);
        *byte = (k == 5 && memcmp(win, "elvis", 5) == 0) ? 'E' : in[i];
        out[o++] = *byte;
        free(byte);
        free(win);
    }
    return o;
}
#else
static size_t rewrite(const char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (i + 5 <= n && memcmp(in + i, "elvis", 5) == 0) ? 'E' : in[i];
    return n;
}
#endif

CPROF_BENCH(Algorithm)
{
    char out[sizeof(input)];

    cprof_b_report_allocs(b);
    cprof_b_set_bytes(b, (int64_t)sizeof(input) - 1);
    for (int64_t i = 0; i < b->N; i++) {
        size_t n = rewrite(input, sizeof(input) - 1, out);
        cprof_do_not_optimize(n);
        cprof_clobber_memory();
    }
}
