/*
 * Tests of cprof load's latency histogram (src/tool/load_hist.c): the
 * percentiles of known distributions within 3 significant digits of the
 * exact ones (from the sorted values), per-thread histograms merged into
 * the same counts as one, the bucket layout, and the 1 us and 1 h edges.
 */
#include "tool/load_hist.h"

#include <math.h>
#include <stdbool.h>

#include "unit.h"

static const double pcts[] = {0.001, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100};

static struct cprof_load_hist *hist_new(void)
{
    struct cprof_load_hist *h = calloc(1, sizeof(*h));

    CPROF_ASSERT(h != NULL);
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A fixed pseudo-random sequence (xorshift64*), uniform in [0, 1). */
static double next_unit(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

/*
 * Records vals (ns, whole microseconds) and checks each percentile against
 * the exact one: never below it (the top of its bucket is reported), and
 * above by at most a thousandth (3 significant digits) plus the sub-us part.
 */
static void check_percentiles(uint64_t *vals, size_t n)
{
    struct cprof_load_hist *h = hist_new();

    for (size_t i = 0; i < n; i++)
        cprof_load_hist_record(h, vals[i]);
    CPROF_ASSERT_EQ_U64(h->total, n);
    qsort(vals, n, sizeof(*vals), cmp_u64);
    for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
        size_t want = (size_t)ceil(pcts[k] / 100.0 * (double)n);
        uint64_t exact = vals[(want ? want : 1) - 1], got = cprof_load_hist_percentile(h, pcts[k]);
        if (got < exact || got - exact > exact / 1000 + 999)
            cprof__test_fail(__FILE__, __LINE__, "p%g: %" PRIu64 " ns, exact %" PRIu64 " ns",
                             pcts[k], got, exact);
    }
    free(h);
}

CPROF_TEST(load_hist_uniform)
{
    size_t n = 200000;
    uint64_t *v = malloc(n * sizeof(*v)), s = 42;

    for (size_t i = 0; i < n; i++)
        v[i] = (1 + (uint64_t)(next_unit(&s) * 100000)) * 1000; /* 1 us .. 100 ms */
    check_percentiles(v, n);
    free(v);
}

CPROF_TEST(load_hist_exponential)
{
    size_t n = 200000;
    uint64_t *v = malloc(n * sizeof(*v)), s = 7;

    for (size_t i = 0; i < n; i++) /* mean 2 ms: a long tail */
        v[i] = (1 + (uint64_t)(-2000.0 * log(1.0 - next_unit(&s)))) * 1000;
    check_percentiles(v, n);
    free(v);
}

CPROF_TEST(load_hist_log_uniform_full_range)
{
    size_t n = 300000;
    uint64_t *v = malloc(n * sizeof(*v)), s = 99;

    /* Every power of two from 1 us to 1 h, evenly: each bucket row is used. */
    for (size_t i = 0; i < n; i++)
        v[i] = (uint64_t)exp(next_unit(&s) * log(3.6e9)) * 1000;
    check_percentiles(v, n);
    free(v);
}

CPROF_TEST(load_hist_bimodal_stall)
{
    size_t n = 100000;
    uint64_t *v = malloc(n * sizeof(*v)), s = 3;

    /* 99% fast (100-300 us), 1% stalled at 200 ms: p99 fast, p99.9 the stall. */
    for (size_t i = 0; i < n; i++)
        v[i] = (i % 100 == 0 ? 200000 : 100 + (uint64_t)(next_unit(&s) * 200)) * 1000;
    check_percentiles(v, n);
    free(v);
}

/* Per-thread histograms merged: the same counts, so the same percentiles, as one. */
CPROF_TEST(load_hist_merge)
{
    enum { T = 4 };
    struct cprof_load_hist *one = hist_new(), *sum = hist_new(), *part[T];
    uint64_t s = 11;

    for (int t = 0; t < T; t++)
        part[t] = hist_new();
    for (int i = 0; i < 100000; i++) {
        uint64_t ns = (uint64_t)(exp(next_unit(&s) * log(1e8)) - 1) * 1000 + (uint64_t)i % 1000;
        cprof_load_hist_record(one, ns);
        cprof_load_hist_record(part[(i * 7) % T], ns); /* threads see different mixes */
    }
    for (int t = 0; t < T; t++)
        cprof_load_hist_add(sum, part[t]);
    CPROF_ASSERT_EQ_U64(sum->total, one->total);
    CPROF_ASSERT(memcmp(sum->counts, one->counts, sizeof(one->counts)) == 0);
    for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++)
        CPROF_ASSERT_EQ_U64(cprof_load_hist_percentile(sum, pcts[k]),
                            cprof_load_hist_percentile(one, pcts[k]));
    /* Adding an empty histogram changes nothing; an empty one has no percentiles. */
    struct cprof_load_hist *empty = hist_new();
    CPROF_ASSERT_EQ_U64(cprof_load_hist_percentile(empty, 50), 0);
    cprof_load_hist_add(sum, empty);
    CPROF_ASSERT(memcmp(sum->counts, one->counts, sizeof(one->counts)) == 0);
    free(empty);
    for (int t = 0; t < T; t++)
        free(part[t]);
    free(one);
    free(sum);
}

/* The buckets tile 0 .. past 1 h without gaps, each at most a 1/1024 of its values wide. */
CPROF_TEST(load_hist_layout)
{
    uint64_t lo, hi, prev_hi = 0;

    for (int i = 0; i < CPROF_LOAD_HIST_LEN; i++) {
        cprof_load_hist_range(i, &lo, &hi);
        CPROF_ASSERT(lo <= hi);
        if (i == 0)
            CPROF_ASSERT_EQ_U64(lo, 0);
        else
            CPROF_ASSERT_EQ_U64(lo, prev_hi + 1);
        if (lo >= 2048000)
            CPROF_ASSERT(hi - lo + 1 <= lo / 1024);
        prev_hi = hi;
    }
    CPROF_ASSERT(prev_hi >= CPROF_LOAD_HIST_MAX_US * 1000);
}

CPROF_TEST(load_hist_edges)
{
    struct cprof_load_hist *h = hist_new();
    uint64_t hour = CPROF_LOAD_HIST_MAX_US * 1000, p;

    /* 1 us: its own bucket, reported as its top (1.999 us). */
    cprof_load_hist_record(h, 1000);
    CPROF_ASSERT_EQ_U64(cprof_load_hist_percentile(h, 100), 1999);
    CPROF_ASSERT_EQ_U64(cprof_load_hist_percentile(h, 0), 1999);
    /* 1 h beside it: the top percentile is 1 h within 3 digits, the median still 1 us. */
    cprof_load_hist_record(h, hour);
    p = cprof_load_hist_percentile(h, 100);
    CPROF_ASSERT(p >= hour && p - hour <= hour / 1000);
    CPROF_ASSERT_EQ_U64(cprof_load_hist_percentile(h, 50), 1999);
    /* Past 1 h is clamped to 1 h; under 1 us counts as 0 us. */
    cprof_load_hist_record(h, 10 * hour);
    CPROF_ASSERT_EQ_U64(cprof_load_hist_percentile(h, 100), p);
    CPROF_ASSERT_EQ_U64(h->total, 3);
    cprof_load_hist_record(h, 999);
    cprof_load_hist_record(h, 0);
    CPROF_ASSERT_EQ_U64(h->counts[0], 2);
    CPROF_ASSERT_EQ_U64(cprof_load_hist_percentile(h, 20), 999);
    free(h);
}
