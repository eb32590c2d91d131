/*
 * Go's benchmark result line (testing.BenchmarkResult.String and
 * MemString) and Go's duration syntax, kept apart from the runner so the
 * unit tests check them on known numbers.
 */
#include "bench/bench_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Go's prettyPrint: the precision ladder of ns/op and custom metrics. */
static size_t pretty(char *out, size_t n, double x, const char *unit)
{
    double y = fabs(x);
    int w, p;

    if (y == 0 || y >= 999.95)
        w = 10, p = 0;
    else if (y >= 99.995)
        w = 12, p = 1;
    else if (y >= 9.9995)
        w = 13, p = 2;
    else if (y >= 0.99995)
        w = 14, p = 3;
    else if (y >= 0.099995)
        w = 15, p = 4;
    else if (y >= 0.0099995)
        w = 16, p = 5;
    else if (y >= 0.00099995)
        w = 17, p = 6;
    else
        w = 18, p = 7;
    int k = snprintf(out, n, "%*.*f %s", w, p, x, unit);
    return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
}

static const double *find_extra(const struct result *r, const char *unit)
{
    for (int i = 0; i < r->nextra; i++)
        if (strcmp(r->extra[i].unit, unit) == 0)
            return &r->extra[i].v;
    return NULL;
}

static int by_unit(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#define ADD(...)                                                                                   \
    do {                                                                                           \
        int k_ = snprintf(out + o, o < n ? n - o : 0, __VA_ARGS__);                                \
        o += k_ > 0 ? (size_t)k_ : 0;                                                              \
        if (o >= n)                                                                                \
            o = n - 1;                                                                             \
    } while (0)

void cprof__bench_format_result(const struct result *r, int mem, char *out, size_t n)
{
    const double *e;
    const char *units[CPROF__BENCH_MAX_EXTRA];
    int nu = 0;
    size_t o = 0;
    double ns;

    if (!n)
        return;
    out[0] = 0;
    ADD("%8lld", (long long)r->n);
    e = find_extra(r, "ns/op");
    ns = e ? *e : (r->n ? (double)r->t_ns / (double)r->n : NAN);
    if (ns != 0) {
        ADD("\t");
        o += pretty(out + o, n - o, ns, "ns/op");
    }
    e = find_extra(r, "MB/s");
    double mbs = e ? *e
                 : (r->bytes <= 0 || r->t_ns <= 0 || r->n <= 0)
                     ? 0
                     : ((double)r->bytes * (double)r->n / 1e6) / ((double)r->t_ns / 1e9);
    if (mbs != 0)
        ADD("\t%7.2f MB/s", mbs);
    for (int i = 0; i < r->nextra; i++) {
        const char *u = r->extra[i].unit;
        if (strcmp(u, "ns/op") && strcmp(u, "MB/s") && strcmp(u, "B/op") && strcmp(u, "allocs/op"))
            units[nu++] = u;
    }
    qsort(units, (size_t)nu, sizeof(units[0]), by_unit);
    for (int i = 0; i < nu; i++) {
        ADD("\t");
        o += pretty(out + o, n - o, *find_extra(r, units[i]), units[i]);
    }
    if (mem) {
        e = find_extra(r, "B/op");
        long long bop = e           ? (long long)*e
                        : r->n <= 0 ? 0
                                    : (long long)(r->mem_bytes / (uint64_t)r->n);
        e = find_extra(r, "allocs/op");
        long long aop = e           ? (long long)*e
                        : r->n <= 0 ? 0
                                    : (long long)(r->mem_allocs / (uint64_t)r->n);
        ADD("\t%8lld B/op\t%8lld allocs/op", bop, aop);
    }
}

int cprof__bench_parse_duration(const char *s, int64_t *ns)
{
    static const struct {
        const char *u;
        double mul;
    } units[] = {
        {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
        {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
    };
    double total = 0;
    int neg = 0;

    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (!*s)
        return -1;
    while (*s) {
        char *end;
        if (!(*s >= '0' && *s <= '9') && *s != '.')
            return -1;
        double v = strtod(s, &end);
        if (end == s)
            return -1;
        s = end;
        size_t best = 0;
        double mul = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t l = strlen(units[i].u);
            if (strncmp(s, units[i].u, l) == 0 && l > best &&
                !(l == 1 && units[i].u[0] == 'm' && s[1] == 's')) {
                best = l;
                mul = units[i].mul;
            }
        }
        if (!best)
            return -1;
        s += best;
        total += v * mul;
    }
    if (total > 9.2e18)
        return -1;
    *ns = (int64_t)(neg ? -total : total);
    return 0;
}

int64_t cprof__bench_predict_n(int64_t goalns, int64_t prev_iters, int64_t prevns, int64_t last)
{
    if (prevns == 0)
        prevns = 1;
    /*
     * Go's int64 product wraps for long -benchtime values (1h at a few ns
     * per op), which sends N to last+1 and the ramp crawls for hours; a
     * 128-bit product gives Go's answer wherever Go's does not overflow.
     */
    __extension__ __int128 p = (__int128)goalns * prev_iters / prevns;
    int64_t n = p > INT64_MAX ? INT64_MAX : p < INT64_MIN ? INT64_MIN : (int64_t)p;
    n = n > INT64_MAX - n / 5 ? INT64_MAX : n + n / 5;
    if (n > 100 * last)
        n = 100 * last;
    if (n < last + 1)
        n = last + 1;
    if (n > 1000000000)
        n = 1000000000;
    return n;
}
