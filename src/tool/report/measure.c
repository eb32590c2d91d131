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
