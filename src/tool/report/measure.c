/*
 * Units, scaling and value labels, as pprof's internal/measurement does:
 * scaling (over model/units.c's tables, with automatic and minimum unit
 * choice), "%.2f" labels and percentages.
 */
#include "tool/report/report_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/units.h"

/* pprof's measurement.Scale, over the one copy of the unit tables in model/units.c. */
double cprof__rep_scale(int64_t value, const char *from, const char *to, const char **unit)
{
    return cprof_units_scale(value, from, to, unit);
}

char *cprof__rep_scaled_label(char *buf, size_t n, int64_t value, const char *from, const char *to)
{
    const char *u;
    double v = cprof__rep_scale(value, from, to, &u);
    size_t len;

    snprintf(buf, n, "%.2f", v);
    len = strlen(buf);
    if (len >= 3 && strcmp(buf + len - 3, ".00") == 0)
        buf[len - 3] = 0;
    if (strcmp(buf, "0") == 0 || strcmp(buf, "-0") == 0) {
        snprintf(buf, n, "0");
        return buf;
    }
    len = strlen(buf);
    snprintf(buf + len, n - len, "%s", u);
    return buf;
}

char *cprof__rep_percentage(char *buf, size_t n, int64_t value, int64_t total)
{
    double ratio = 0;

    if (total != 0)
        ratio = fabs((double)value / (double)total) * 100;
    if (ratio >= 99.95 && ratio <= 100.05)
        snprintf(buf, n, "  100%%");
    else if (ratio >= 1.0)
        snprintf(buf, n, "%5.2f%%", ratio);
    else
        snprintf(buf, n, "%5.2g%%", ratio);
    return buf;
}

/* ---- the output unit of a report ------------------------------------------------- */

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* pprof's selectOutputUnit. */
void cprof__rep_select_unit(struct rep *r)
{
    int64_t minv = 0;

    if (strcmp(r->out_unit, "minimum") != 0 || r->norder == 0)
        return;
    for (uint32_t i = 0; i < r->norder; i++) {
        const struct rep_node *n = &r->nodes[r->order[i]];
        int64_t m = abs64(cprof__rep_flat(n));

        if (m == 0)
            m = abs64(cprof__rep_cum(n));
        if (m > 0 && (minv == 0 || m < minv))
            minv = m;
    }
    cprof__rep_choose_unit(r, minv);
}

/*
 * The second half of selectOutputUnit: picks the "minimum" output unit from
 * the smallest non-zero value shown, minv, and the total.
 */
void cprof__rep_choose_unit(struct rep *r, int64_t minv)
{
    int64_t maxv;
    const char *minu, *maxu, *unit;

    if (strcmp(r->out_unit, "minimum") != 0)
        return;
    maxv = r->total;
    if (minv == 0)
        minv = maxv;
    if (r->ratio > 0 && r->ratio != 1) {
        minv = (int64_t)((double)minv * r->ratio);
        maxv = (int64_t)((double)maxv * r->ratio);
    }
    cprof__rep_scale(minv, r->sample_unit, "minimum", &minu);
    cprof__rep_scale(maxv, r->sample_unit, "minimum", &maxu);
    unit = minu;
    if (strcmp(minu, maxu) != 0 && minv * 100 < maxv && r->kind != CPROF_REPORT_CALLGRIND)
        cprof__rep_scale(100 * minv, r->sample_unit, "minimum", &unit);
    snprintf(r->out_unit, sizeof(r->out_unit), "%s", *unit ? unit : r->sample_unit);
}

char *cprof__rep_fmt(const struct rep *r, char *buf, size_t n, int64_t v)
{
    if (r->ratio > 0 && r->ratio != 1)
        v = (int64_t)((double)v * r->ratio);
    return cprof__rep_scaled_label(buf, n, v, r->sample_unit, r->out_unit);
}
