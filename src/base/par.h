/*
 * Fork-join over a few threads, for the tool's big one-off jobs (decoding,
 * encoding and compressing large profiles).
 *
 * Not for the runtime: it starts threads, which inside a profiled program
 * would be threads the program never asked for.
 */
#ifndef CPROF_BASE_PAR_H
#define CPROF_BASE_PAR_H

#include <stddef.h>

/* Most parts cprof_par_run runs; more parts than this are not useful here. */
#define CPROF_PAR_MAX 8

/*
 * Calls fn(ctx, part) for part = 0 .. nparts-1 and returns when all calls
 * have returned.  Part 0 runs on the calling thread, the others on threads
 * of their own; a part whose thread cannot be started runs on the caller
 * too, so the work is always done.  nparts is clamped to 1..CPROF_PAR_MAX.
 */
void cprof_par_run(int nparts, void (*fn)(void *ctx, int part), void *ctx);

/* The bounds [*lo, *hi) of part `part` of nparts near-equal parts of n. */
void cprof_par_range(size_t n, int nparts, int part, size_t *lo /* OUT */, size_t *hi /* OUT */);

/*
 * How many parts to split n items into: nthreads, but never parts smaller
 * than min_items (so small jobs stay on one thread), at least 1.
 */
int cprof_par_parts(size_t n, int nthreads, size_t min_items);

#endif /* CPROF_BASE_PAR_H */
