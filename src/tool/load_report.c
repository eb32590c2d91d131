/*
 * The load generator's results: per-thread statistics, their merge, and
 * the reports: hey's summary (line for line, numbers as "%4.4f"), hey's
 * CSV, and a JSON object.  Percentiles come from the merged log-linear
 * histogram (3 significant digits); fastest, slowest and averages are exact.
 */
#include "tool/load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cprof_load_stats_init(struct cprof_load_stats *s)
{
    memset(s, 0, sizeof(*s));
    s->lat_min_ns = UINT64_MAX;
    for (int i = 0; i < LOAD_NPHASE; i++)
        s->phase_min_ns[i] = UINT64_MAX;
}

void cprof_load_stats_release(struct cprof_load_stats *s)
{
    for (size_t i = 0; i < s->nerrs; i++)
        free(s->errs[i].text);
    free(s->errs);
    free(s->rows);
    s->errs = NULL;
    s->rows = NULL;
    s->nerrs = s->nrows = s->caprows = 0;
}

static void add_error(struct cprof_load_stats *s, const char *text, uint64_t n)
{
    struct cprof_load_err *e;

    s->errors += n;
    for (size_t i = 0; i < s->nerrs; i++)
        if (strcmp(s->errs[i].text, text) == 0) {
            s->errs[i].count += n;
            return;
        }
    e = realloc(s->errs, (s->nerrs + 1) * sizeof(*e));
    if (!e)
        return;
    s->errs = e;
    e[s->nerrs].text = strdup(text);
    if (!e[s->nerrs].text)
        return;
    e[s->nerrs++].count = n;
}

void cprof_load_stats_error(struct cprof_load_stats *s, const char *text)
{
    add_error(s, text, 1);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static int by_done(const void *a, const void *b)
{
    const struct cprof_load_row *x = a, *y = b;
    return (x->done_ns > y->done_ns) - (x->done_ns < y->done_ns);
}

void cprof_load_stats_merge(struct cprof_load_stats *d, struct cprof_load_stats *s)
{
    d->ok += s->ok;
    d->aborted += s->aborted;
    d->lat_sum_ns += s->lat_sum_ns;
    d->lat_min_ns = min64(d->lat_min_ns, s->lat_min_ns);
    d->lat_max_ns = max64(d->lat_max_ns, s->lat_max_ns);
    d->uncorr_sum_ns += s->uncorr_sum_ns;
    d->uncorr_max_ns = max64(d->uncorr_max_ns, s->uncorr_max_ns);
    for (int i = 0; i < LOAD_NPHASE; i++) {
        d->phase_sum_ns[i] += s->phase_sum_ns[i];
        d->phase_min_ns[i] = min64(d->phase_min_ns[i], s->phase_min_ns[i]);
        d->phase_max_ns[i] = max64(d->phase_max_ns[i], s->phase_max_ns[i]);
    }
    for (int i = 0; i < 600; i++)
        d->status[i] += s->status[i];
    d->size_total += s->size_total;
    cprof_load_hist_add(&d->lat, &s->lat);
    cprof_load_hist_add(&d->lat_uncorr, &s->lat_uncorr);
    for (size_t i = 0; i < s->nerrs; i++)
        add_error(d, s->errs[i].text, s->errs[i].count);
    if (s->nrows) {
        struct cprof_load_row *r = realloc(d->rows, (d->nrows + s->nrows) * sizeof(*r));
        if (r) {
            memcpy(r + d->nrows, s->rows, s->nrows * sizeof(*r));
            d->rows = r;
            d->nrows += s->nrows;
            d->caprows = d->nrows;
            qsort(d->rows, d->nrows, sizeof(*r), by_done);
        }
    }
}

/* Go's "%4.4f", which prints NaN as " NaN". */
static void num(FILE *f, double v)
{
    if (isnan(v))
        fputs(" NaN", f);
    else
        fprintf(f, "%4.4f", v);
}

static double secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

static void histogram(FILE *f, const struct cprof_load_stats *s)
{
    double fast = secs(s->lat_min_ns), slow = secs(s->lat_max_ns), mark[11];
    uint64_t counts[11] = {0}, max = 0;

    for (int i = 0; i < 10; i++)
        mark[i] = fast + (slow - fast) / 10 * i;
    mark[10] = slow;
    for (int i = 0; i < CPROF_LOAD_HIST_LEN; i++) {
        uint64_t lo, hi;
        double v;
        int b = 0;

        if (!s->lat.counts[i])
            continue;
        cprof_load_hist_range(i, &lo, &hi);
        v = secs(lo);
        v = v < fast ? fast : v > slow ? slow : v;
        while (b < 10 && v > mark[b])
            b++;
        counts[b] += s->lat.counts[i];
    }
    for (int i = 0; i < 11; i++)
        max = max64(max, counts[i]);
    for (int i = 0; i < 11; i++) {
        uint64_t bar = max ? (counts[i] * 40 + max / 2) / max : 0;
        fprintf(f, "  %4.3f [%llu]\t|", mark[i], (unsigned long long)counts[i]);
        for (uint64_t k = 0; k < bar; k++)
            fputs("\xe2\x96\xa0", f); /* U+25A0, hey's bar */
        fputc('\n', f);
    }
}

static const double pctls[] = {10, 25, 50, 75, 90, 95, 99, 99.9, 99.99};
#define NPCTL (sizeof(pctls) / sizeof(pctls[0]))

static void latencies(FILE *f, const struct cprof_load_cfg *cfg, const struct cprof_load_stats *s)
{
    for (size_t i = 0; i < NPCTL && s->ok; i++) {
        fprintf(f, "\n  %g%% in ", pctls[i]);
        num(f, secs(cprof_load_hist_percentile(&s->lat, pctls[i])));
        fputs(" secs", f);
        if (cfg->rate > 0) {
            fputs(", uncorrected ", f);
            num(f, secs(cprof_load_hist_percentile(&s->lat_uncorr, pctls[i])));
            fputs(" secs", f);
        }
    }
}

static int by_text(const void *a, const void *b)
{
    return strcmp(((const struct cprof_load_err *)a)->text,
                  ((const struct cprof_load_err *)b)->text);
}

void cprof_load_report_summary(FILE *f, const struct cprof_load_cfg *cfg,
                               const struct cprof_load_stats *s, uint64_t total_ns)
{
    static const char *const names[] = {"DNS+dialup", "DNS-lookup", "req write", "resp wait",
                                        "resp read"};
    double n = (double)s->ok;

    fputs("\nSummary:\n  Total:\t", f);
    num(f, secs(total_ns));
    fputs(" secs\n  Slowest:\t", f);
    num(f, s->ok ? secs(s->lat_max_ns) : 0);
    fputs(" secs\n  Fastest:\t", f);
    num(f, s->ok ? secs(s->lat_min_ns) : 0);
    fputs(" secs\n  Average:\t", f);
    num(f, secs(s->lat_sum_ns) / n);
    fputs(" secs\n  Requests/sec:\t", f);
    num(f, (double)(s->ok + s->errors) / secs(total_ns));
    fputs("\n  ", f);
    if (s->size_total > 0)
        fprintf(f, "\n  Total data:\t%llu bytes\n  Size/request:\t%llu bytes",
                (unsigned long long)s->size_total, (unsigned long long)(s->size_total / s->ok));
    fputs("\n\nResponse time histogram:\n", f);
    if (s->ok)
        histogram(f, s);
    fputs("\n\nLatency distribution:", f);
    latencies(f, cfg, s);
    fputs("\n\nDetails (average, fastest, slowest):", f);
    for (int i = 0; i < LOAD_NPHASE; i++) {
        fprintf(f, "\n  %s:\t", names[i]);
        num(f, secs(s->phase_sum_ns[i]) / n);
        fputs(" secs, ", f);
        num(f, s->ok ? secs(s->phase_min_ns[i]) : 0);
        fputs(" secs, ", f);
        num(f, s->ok ? secs(s->phase_max_ns[i]) : 0);
        fputs(" secs", f);
    }
    fputs("\n\nStatus code distribution:", f);
    for (int i = 0; i < 600; i++)
        if (s->status[i])
            fprintf(f, "\n  [%d]\t%llu responses", i, (unsigned long long)s->status[i]);
    fputs("\n\n", f);
    if (s->nerrs) {
        struct cprof_load_err *e = malloc(s->nerrs * sizeof(*e));
        if (e) {
            memcpy(e, s->errs, s->nerrs * sizeof(*e));
            qsort(e, s->nerrs, sizeof(*e), by_text);
            fputs("Error distribution:", f);
            for (size_t i = 0; i < s->nerrs; i++)
                fprintf(f, "\n  [%llu]\t%s", (unsigned long long)e[i].count, e[i].text);
            free(e);
        }
    }
    fputs("\n\n", f);
}

void cprof_load_report_csv(FILE *f, struct cprof_load_stats *s)
{
    fputs("response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,"
          "offset\n",
          f);
    for (size_t i = 0; i < s->nrows; i++) {
        const struct cprof_load_row *r = &s->rows[i];
        fprintf(f, "%4.4f", r->total_us / 1e6);
        for (int k = 0; k < LOAD_NPHASE; k++)
            fprintf(f, ",%4.4f", r->phase_us[k] / 1e6);
        fprintf(f, ",%d,%4.4f\n", r->status, secs(r->start_ns));
    }
    fputc('\n', f);
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void cprof_load_report_json(FILE *f, const struct cprof_load_cfg *cfg,
                            const struct cprof_load_stats *s, uint64_t total_ns)
{
    static const char *const names[] = {"dns_dialup", "dns_lookup", "req_write", "resp_wait",
                                        "resp_read"};
    double n = s->ok ? (double)s->ok : 1;
    const char *sep = "";

    fprintf(f,
            "{\"total_secs\": %.6f, \"requests\": %llu, \"responses\": %llu, "
            "\"errors\": %llu, \"aborted\": %llu, \"requests_per_sec\": %.4f,\n",
            secs(total_ns), (unsigned long long)(s->ok + s->errors), (unsigned long long)s->ok,
            (unsigned long long)s->errors, (unsigned long long)s->aborted,
            (double)(s->ok + s->errors) / secs(total_ns));
    fprintf(f,
            " \"slowest_secs\": %.6f, \"fastest_secs\": %.6f, \"average_secs\": %.6f, "
            "\"total_bytes\": %llu,\n",
            s->ok ? secs(s->lat_max_ns) : 0, s->ok ? secs(s->lat_min_ns) : 0,
            secs(s->lat_sum_ns) / n, (unsigned long long)s->size_total);
    fprintf(f, " \"corrected\": %s, \"latency_percentiles_secs\": {",
            cfg->rate > 0 ? "true" : "false");
    for (size_t i = 0; i < NPCTL && s->ok; i++, sep = ", ")
        fprintf(f, "%s\"%g\": %.6f", sep, pctls[i],
                secs(cprof_load_hist_percentile(&s->lat, pctls[i])));
    fputs("},\n", f);
    if (cfg->rate > 0) {
        fputs(" \"uncorrected_percentiles_secs\": {", f);
        sep = "";
        for (size_t i = 0; i < NPCTL && s->ok; i++, sep = ", ")
            fprintf(f, "%s\"%g\": %.6f", sep, pctls[i],
                    secs(cprof_load_hist_percentile(&s->lat_uncorr, pctls[i])));
        fputs("},\n", f);
    }
    fputs(" \"details_secs\": {", f);
    for (int i = 0; i < LOAD_NPHASE; i++)
        fprintf(f, "%s\"%s\": [%.6f, %.6f, %.6f]", i ? ", " : "", names[i],
                secs(s->phase_sum_ns[i]) / n, s->ok ? secs(s->phase_min_ns[i]) : 0,
                s->ok ? secs(s->phase_max_ns[i]) : 0);
    fputs("},\n \"status_codes\": {", f);
    sep = "";
    for (int i = 0; i < 600; i++)
        if (s->status[i]) {
            fprintf(f, "%s\"%d\": %llu", sep, i, (unsigned long long)s->status[i]);
            sep = ", ";
        }
    fputs("},\n \"errors_by_text\": {", f);
    for (size_t i = 0; i < s->nerrs; i++) {
        fputs(i ? ", " : "", f);
        json_string(f, s->errs[i].text);
        fprintf(f, ": %llu", (unsigned long long)s->errs[i].count);
    }
    fputs("}}\n", f);
}
