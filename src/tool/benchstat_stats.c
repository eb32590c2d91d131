/*
 * benchstat's statistics (golang.org/x/perf/benchmath and the parts of
 * go-moremath it uses): the sample median, the order-statistic confidence
 * interval of the median (exact binomial up to 30 samples, normal
 * approximation above), the two-sided Mann-Whitney U test (exact
 * distribution for small samples, with ties too, else the normal
 * approximation with tie and continuity corrections), and the geometric
 * mean.  Same algorithms and thresholds, so the same numbers.
 */
#include "tool/benchstat_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double bs_choose(int n, int k)
{
    if (k == 0 || k == n)
        return 1;
    if (k < 0 || n < k)
        return 0;
    if (k > n - k)
        k = n - k;
    if (n <= 60) {
        /* exact while the running product fits */
        unsigned long long r = 1;
        for (int i = 1; i <= k; i++)
            r = r * (unsigned long long)(n - k + i) / (unsigned long long)i;
        return (double)r;
    }
    return floor(0.5 + exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0)));
}

static double binom_pmf(int n, double p, int k)
{
    if (k < 0 || k > n)
        return 0;
    return bs_choose(n, k) * pow(p, k) * pow(1 - p, n - k);
}

static double norm_cdf(double x, double mu, double sigma)
{
    return erfc(-(x - mu) / (sigma * sqrt(2.0))) / 2;
}

/* Inverse of the normal CDF: Acklam's rational approximation refined by Newton steps. */
static double norm_inv(double p, double mu, double sigma)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    double q, x, r;

    if (p <= 0)
        return -INFINITY;
    if (p >= 1)
        return INFINITY;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    for (int i = 0; i < 3; i++) {
        double e = norm_cdf(x, 0, 1) - p;
        double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
        x = x - u / (1 + x * u / 2);
    }
    return mu + sigma * x;
}

void bs_median_ci(int n, double confidence, int *lo_order, int *hi_order)
{
    const double q = 0.5;
    int l, r;

    if (confidence >= 1) {
        *lo_order = 0;
        *hi_order = n + 1;
        return;
    }
    if (n <= 30) {
        int x = (int)ceil((double)(n + 1) * q) - 1;
        double accum = binom_pmf(n, q, x);
        l = x;
        r = x + 1;
        double lp = binom_pmf(n, q, l - 1), rp = binom_pmf(n, q, r);
        while (accum < confidence && (lp > 0 || rp > 0)) {
            if (lp >= rp) {
                accum += lp;
                l--;
                lp = binom_pmf(n, q, l - 1);
            } else {
                accum += rp;
                r++;
                rp = binom_pmf(n, q, r);
            }
        }
    } else {
        double mu = n * q, sigma = sqrt(n * q * (1 - q));
        double alpha = (1 - confidence) / 2;
        double l1 = norm_inv(alpha, mu, sigma);
        double r1 = 2 * mu - l1;
        l = (int)floor(floor(l1 - 0.5) + 0.5) + 1;
        r = (int)floor(ceil(r1 - 0.5) + 0.5) + 1;
        double conf = norm_cdf(r - 0.5, mu, sigma) - norm_cdf(l - 0.5, mu, sigma);
        double biased = norm_cdf(r - 1 - 0.5, mu, sigma) - norm_cdf(l - 0.5, mu, sigma);
        if (biased >= confidence && biased < conf)
            r = r - 1;
    }
    if (l < 0)
        l = 0;
    if (r > n + 1)
        r = n + 1;
    *lo_order = l;
    *hi_order = r;
}

double bs_median(const double *xs, int n)
{
    if (n == 0)
        return NAN;
    if (n % 2)
        return xs[n / 2];
    double a = xs[n / 2 - 1], b = xs[n / 2];
    return a + (b - a) * 0.5;
}

int bs_median_samples(double confidence, int *n_out)
{
    for (int n = 2; n <= 50; n++) {
        int lo, hi;
        bs_median_ci(n, confidence, &lo, &hi);
        if (0 < lo && hi <= n) {
            *n_out = n;
            return 1; /* ">=" */
        }
    }
    *n_out = 50;
    return 0; /* ">" */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    /* NaN (which Go's parser accepts) sorts last, so the order is total */
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return x < y ? -1 : x > y;
}

/* P(U1 <= u) without ties: Mann and Whitney's recurrence, one plane at a time. */
static double u_cdf_noties(int n1, int n2, int u)
{
    int N = n1 < n2 ? n1 : n2, M = n1 < n2 ? n2 : n1;
    int flip = u >= (n1 * n2 + 1) / 2;
    double p = 0;

    if (u < 0)
        return 0;
    if (u >= n1 * n2)
        return 1;
    if (flip)
        u = n1 * n2 - u - 1;
    double *memo = calloc((size_t)(N + 1) * (size_t)(u + 1), sizeof(double));
    if (!memo)
        return NAN;
#define P(n, U) memo[(size_t)(n) * (size_t)(u + 1) + (size_t)(U)]
    for (int m = 0; m <= M; m++) {
        P(0, 0) = 1;
        int nlim = N < m ? N : m;
        for (int n = 1; n <= nlim; n++) {
            int rp_row = n <= m - 1 ? n : m - 1;
            int ulim = n * m < u ? n * m : u;
            for (int U1 = ulim; U1 >= 0; U1--) {
                double l = U1 - m >= 0 ? n * P(n - 1, U1 - m) : 0;
                double r = m * P(rp_row, U1);
                P(n, U1) = (l + r) / (n + m);
            }
        }
    }
    for (int i = 0; i <= u; i++)
        p += P(N, i);
#undef P
    free(memo);
    return flip ? 1 - p : p;
}

/*
 * P(U1 <= u) with ties (t[] the tie group sizes in rank order): counts the
 * ways to place sample 1 in the groups whose doubled U is at most 2u.
 */
static double u_cdf_ties(int n1, int n2, const int *t, int K, double u)
{
    int N = n1 + n2, max2r = 2 * N * N + 4;
    int twou = (int)(2 * u);
    double *cur = calloc((size_t)(n1 + 1) * (size_t)(max2r + 1), sizeof(double));
    double *nxt = calloc((size_t)(n1 + 1) * (size_t)(max2r + 1), sizeof(double));
    double total = 0;
    int cum = 0;

    if (!cur || !nxt) {
        free(cur);
        free(nxt);
        return NAN;
    }
#define C(a, m, r) a[(size_t)(m) * (size_t)(max2r + 1) + (size_t)(r)]
    C(cur, 0, 0) = 1;
    for (int j = 0; j < K; j++) {
        int w = 2 * cum + t[j] + 1; /* twice the group's mid-rank */
        memset(nxt, 0, sizeof(double) * (size_t)(n1 + 1) * (size_t)(max2r + 1));
        for (int m = 0; m <= n1; m++)
            for (int r = 0; r <= max2r; r++) {
                double v = C(cur, m, r);
                if (v == 0)
                    continue;
                for (int k = 0; k <= t[j] && m + k <= n1; k++) {
                    int r2 = r + k * w;
                    if (r2 <= max2r)
                        C(nxt, m + k, r2) += v * bs_choose(t[j], k);
                }
            }
        double *tmp = cur;
        cur = nxt;
        nxt = tmp;
        cum += t[j];
    }
    for (int r = 0; r <= max2r; r++)
        if (r - n1 * (n1 + 1) <= twou)
            total += C(cur, n1, r);
#undef C
    free(cur);
    free(nxt);
    return total / bs_choose(N, n1);
}

int bs_utest(const double *x1in, int n1, const double *x2in, int n2, double *p_out)
{
    double *x1 = malloc(sizeof(double) * (size_t)(n1 + n2 + 1));
    double *merged = malloc(sizeof(double) * (size_t)(n1 + n2 + 1));
    unsigned char *lab = malloc((size_t)(n1 + n2 + 1));
    int *T = malloc(sizeof(int) * (size_t)(n1 + n2 + 1));
    int nT = 0, ties = 0, rc = 0;
    double R1 = 0, p;

    if (n1 == 0 || n2 == 0) {
        rc = BS_ESAMPLESIZE;
        goto out;
    }
    if (!x1 || !merged || !lab || !T) {
        rc = -1;
        goto out;
    }
    double *x2 = x1 + n1;
    memcpy(x1, x1in, sizeof(double) * (size_t)n1);
    memcpy(x2, x2in, sizeof(double) * (size_t)n2);
    qsort(x1, (size_t)n1, sizeof(double), cmp_double);
    qsort(x2, (size_t)n2, sizeof(double), cmp_double);
    int i = 0, j = 0, o = 0;
    while (i < n1 && j < n2) {
        if (x1[i] < x2[j] || isnan(x2[j]))
            merged[o] = x1[i++], lab[o++] = 1;
        else
            merged[o] = x2[j++], lab[o++] = 2;
    }
    while (i < n1)
        merged[o] = x1[i++], lab[o++] = 1;
    while (j < n2)
        merged[o] = x2[j++], lab[o++] = 2;
    int N = n1 + n2;
    for (i = 0; i < N;) {
        int rank1 = i + 1, nx1 = 0;
        double v1 = merged[i];
        /* at least one step: a NaN equals nothing, itself included */
        for (; i < N && (merged[i] == v1 || i == rank1 - 1 || (isnan(v1) && isnan(merged[i]))); i++)
            if (lab[i] == 1)
                nx1++;
        if (nx1)
            R1 += (double)(i + rank1) / 2 * nx1;
        T[nT++] = i - rank1 + 1;
        if (i > rank1)
            ties = 1;
    }
    double U1 = R1 - (double)(n1 * (n1 + 1)) / 2, U2 = (double)(n1 * n2) - U1;
    if (U2 < U1) {
        double t = U1;
        U1 = U2;
        U2 = t;
    }
    if ((!ties && n1 <= 50 && n2 <= 50) || (ties && n1 <= 25 && n2 <= 25)) {
        if (nT == 1) {
            rc = BS_ESAMPLESEQUAL;
            goto out;
        } else if (U1 == U2) {
            p = 1;
        } else if (!ties) {
            p = u_cdf_noties(n1, n2, (int)floor(U1)) * 2;
        } else {
            p = u_cdf_ties(n1, n2, T, nT, U1) * 2;
        }
    } else {
        double t = 0;
        for (int k = 0; k < nT; k++)
            t += (double)T[k] * T[k] * T[k] - T[k];
        double NN = N, mu = (double)(n1 * n2) / 2;
        double sigma = sqrt((double)(n1 * n2) * ((NN + 1) - t / (NN * (NN - 1))) / 12);
        double numer = U1 - mu;
        numer -= (numer > 0 ? 1 : numer < 0 ? -1 : 0) * 0.5;
        if (sigma == 0) {
            rc = BS_ESAMPLESEQUAL;
            goto out;
        }
        double z = numer / sigma, c = norm_cdf(z, 0, 1);
        p = 2 * (c < 1 - c ? c : 1 - c);
    }
    *p_out = p;
out:
    free(x1);
    free(merged);
    free(lab);
    free(T);
    return rc;
}

double bs_geomean(const double *xs, int n)
{
    double m = 0;

    if (n == 0)
        return NAN;
    for (int i = 0; i < n; i++) {
        if (xs[i] <= 0)
            return NAN;
        m += (log(xs[i]) - m) / (i + 1);
    }
    return exp(m);
}

/* u-test minimum p for equal sample sizes n (benchmath's uTestMinP). */
int bs_utest_samples(double alpha, int *n_out)
{
    static const double minp[] = {0,
                                  1,
                                  0.3333333333333333,
                                  0.1,
                                  0.02857142857142857,
                                  0.007936507936507936,
                                  0.0021645021645021645,
                                  0.0005827505827505828,
                                  0.0001554001554001554,
                                  4.113533525298231e-05};
    for (int n = 1; n < 10; n++)
        if (minp[n] <= alpha) {
            *n_out = n;
            return 1;
        }
    *n_out = 10;
    return 0;
}
