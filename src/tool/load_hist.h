/*
 * The load generator's latency histogram: HdrHistogram's log-linear
 * layout, 1 us to 1 h at 3 significant digits (2048 sub-buckets per power
 * of two, about 184 KiB).  One per worker thread, merged at the end, so
 * recording is a shift, an index and an increment with no locks.
 */
#ifndef CPROF_TOOL_LOAD_HIST_H
#define CPROF_TOOL_LOAD_HIST_H

#include <stdint.h>

#define CPROF_LOAD_HIST_SUB_BITS 11                                    /* 2048 sub-buckets */
#define CPROF_LOAD_HIST_BUCKETS  22                                    /* 2^32 us > 1 h */
#define CPROF_LOAD_HIST_LEN      ((CPROF_LOAD_HIST_BUCKETS + 1) << 10) /* counts */
#define CPROF_LOAD_HIST_MAX_US   3600000000ull                         /* 1 h */

struct cprof_load_hist {
    uint64_t total;                       /* values recorded */
    uint64_t counts[CPROF_LOAD_HIST_LEN]; /* per log-linear bucket */
};

/* Adds one value in nanoseconds (clamped to 1 h; under 1 us counts as 0 us). */
void cprof_load_hist_record(struct cprof_load_hist *h, uint64_t ns);

/* dst += src. */
void cprof_load_hist_add(struct cprof_load_hist *dst, const struct cprof_load_hist *src);

/*
 * The smallest recorded value (in ns, the top of its bucket, as
 * HdrHistogram reports) at or below which pct percent of the values lie;
 * 0 for an empty histogram.
 */
uint64_t cprof_load_hist_percentile(const struct cprof_load_hist *h, double pct);

/* Bucket i's range in ns: [*lo, *hi]; for walking the counts. */
void cprof_load_hist_range(int i, uint64_t *lo /* OUT */, uint64_t *hi /* OUT */);

#endif /* CPROF_TOOL_LOAD_HIST_H */
