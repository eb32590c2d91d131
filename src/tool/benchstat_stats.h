/*
 * benchstat's statistics: median and its order-statistic confidence
 * interval, the Mann-Whitney U test, the geometric mean
 * (golang.org/x/perf/benchmath semantics).  Pure functions.
 */
#ifndef CPROF_TOOL_BENCHSTAT_STATS_H
#define CPROF_TOOL_BENCHSTAT_STATS_H

enum { BS_ESAMPLESIZE = 1, BS_ESAMPLESEQUAL = 2 };

/* n choose k as a double (exact up to 2^53). */
double bs_choose(int n, int k);

/* Median of sorted xs[0..n). */
double bs_median(const double *xs, int n);

/*
 * 1-based order statistics bounding the confidence interval of the median
 * of n samples (0 or n+1: unbounded on that side).
 */
void bs_median_ci(int n, double confidence, int *lo_order, int *hi_order);

/* Fewest samples giving a finite interval: 1 and *n (">="), or 0 and 50 (">"). */
int bs_median_samples(double confidence, int *n);

/* Fewest samples per side for p <= alpha: 1 and *n (">="), or 0 and 10 (">"). */
int bs_utest_samples(double alpha, int *n);

/*
 * Two-sided Mann-Whitney U test of x1 against x2.  0 and *p, or
 * BS_ESAMPLESIZE (an empty sample), BS_ESAMPLESEQUAL (all values equal),
 * -1 (out of memory).
 */
int bs_utest(const double *x1, int n1, const double *x2, int n2, double *p);

/* Geometric mean; NaN when empty or any value <= 0. */
double bs_geomean(const double *xs, int n);

#endif /* CPROF_TOOL_BENCHSTAT_STATS_H */
