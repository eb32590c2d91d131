/*
 * Log-linear latency histogram (see load_hist.h).  Index layout: values
 * under 2048 us map to themselves; above that, bucket b >= 1 holds values
 * with their top bit at 10 + b, split into 1024 sub-buckets of 2^b us.
 */
#include "tool/load_hist.h"

#include <math.h>

static int index_of(uint64_t us)
{
    int b = 0;

    if (us >= (1u << CPROF_LOAD_HIST_SUB_BITS))
        b = 63 - __builtin_clzll(us) - (CPROF_LOAD_HIST_SUB_BITS - 1);
    return ((b + 1) << 10) + (int)(us >> b) - 1024;
}

void cprof_load_hist_record(struct cprof_load_hist *h, uint64_t ns)
{
    uint64_t us = ns / 1000;

    if (us > CPROF_LOAD_HIST_MAX_US)
        us = CPROF_LOAD_HIST_MAX_US;
    h->counts[index_of(us)]++;
    h->total++;
}

void cprof_load_hist_add(struct cprof_load_hist *dst, const struct cprof_load_hist *src)
{
    for (int i = 0; i < CPROF_LOAD_HIST_LEN; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
}

void cprof_load_hist_range(int i, uint64_t *lo, uint64_t *hi)
{
    int b = i < 2048 ? 0 : (i >> 10) - 1;
    uint64_t sub = i < 2048 ? (uint64_t)i : (uint64_t)(i & 1023) + 1024;

    *lo = (sub << b) * 1000;
    *hi = ((sub << b) + ((uint64_t)1 << b)) * 1000 - 1;
}

uint64_t cprof_load_hist_percentile(const struct cprof_load_hist *h, double pct)
{
    uint64_t want, seen = 0, lo, hi;

    if (h->total == 0)
        return 0;
    want = (uint64_t)ceil(pct / 100.0 * (double)h->total);
    if (want < 1)
        want = 1;
    for (int i = 0; i < CPROF_LOAD_HIST_LEN; i++) {
        seen += h->counts[i];
        if (seen >= want) {
            cprof_load_hist_range(i, &lo, &hi);
            return hi;
        }
    }
    return CPROF_LOAD_HIST_MAX_US * 1000;
}
