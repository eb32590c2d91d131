/*
 * Defensive checks in three strengths:
 *   CPROF_DASSERT(c)  debug-only invariant; compiled out with NDEBUG
 *   CPROF_NEVER(c)    condition that cannot happen: aborts in debug builds
 *                     (CPROF_DEBUG), otherwise evaluates to c so the caller
 *                     takes its error path instead of crashing its host
 * Assertions never have side effects.
 */
#ifndef CPROF_BASE_CHECK_H
#define CPROF_BASE_CHECK_H

#include <assert.h>
#include <stdlib.h>

#define CPROF_DASSERT(c) assert(c)

#ifdef CPROF_DEBUG
#define CPROF_NEVER(c) ((c) ? (abort(), 1) : 0)
#else
#define CPROF_NEVER(c) __builtin_expect(!!(c), 0)
#endif

#endif /* CPROF_BASE_CHECK_H */
