/*
 * Units, scaling and value labels, as pprof's internal/measurement does:
 * the unit tables (bytes in powers of 1024, time, GCU), automatic and
 * minimum unit choice, "%.2f" labels and percentages.
 */
#include "tool/report/report_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct unit {
    const char *name;        /* canonical name */
    const char *aliases[4];  /* lower-case aliases, NULL-terminated */
    double factor;           /* in the type's base unit */
};

struct unit_type {
    struct unit units[10];
    int nunits;
    const char *default_name;
    double default_factor;
};

static const struct unit_type unit_types[] = {
    {{{"B", {"b", "byte"}, 1},
      {"kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
      {"MB", {"mb", "mbyte", "megabyte"}, 1048576.0},
      {"GB", {"gb", "gbyte", "gigabyte"}, 1073741824.0},
      {"TB", {"tb", "tbyte", "terabyte"}, 1099511627776.0},
      {"PB", {"pb", "pbyte", "petabyte"}, 1125899906842624.0}},
     6, "B", 1},
    {{{"ns", {"ns", "nanosecond"}, 1},
      {"us", {"\xce\xbcs", "us", "microsecond"}, 1e3},
      {"ms", {"ms", "millisecond"}, 1e6},
      {"s", {"s", "sec", "second"}, 1e9},
      {"hrs", {"hour", "hr"}, 3.6e12}},
     5, "s", 1e9},
    {{{"n*GCU", {"nanogcu"}, 1e-9},
      {"u*GCU", {"microgcu"}, 1e-6},
      {"m*GCU", {"milligcu"}, 1e-3},
      {"GCU", {"gcu"}, 1},
      {"k*GCU", {"kilogcu"}, 1e3},
      {"M*GCU", {"megagcu"}, 1e6},
      {"G*GCU", {"gigagcu"}, 1e9},
      {"T*GCU", {"teragcu"}, 1e12},
      {"P*GCU", {"petagcu"}, 1e15}},
     9, "GCU", 1},
};

static const struct unit *sniff_unit(const struct unit_type *ut, const char *unit)
{
    char low[64];
    size_t n = strlen(unit);

    if (n >= sizeof(low))
        return NULL;
    for (size_t i = 0; i < n; i++)
        low[i] = (unit[i] >= 'A' && unit[i] <= 'Z') ? (char)(unit[i] - 'A' + 'a') : unit[i];
    low[n] = 0;
    /* Go trims one trailing "s" from names longer than two bytes. */
    if (n > 2 && low[n - 1] == 's')
        low[n - 1] = 0;
    for (int i = 0; i < ut->nunits; i++)
        for (int j = 0; j < 4 && ut->units[i].aliases[j]; j++)
            if (strcmp(low, ut->units[i].aliases[j]) == 0)
                return &ut->units[i];
    return NULL;
}

static bool convert_unit(const struct unit_type *ut, int64_t value, const char *from,
                         const char *to, double *v_out, const char **u_out)
{
    const struct unit *fu = sniff_unit(ut, from), *tu;
    double v;

    if (!fu)
        return false;
    v = (double)value * fu->factor;
    if (strcmp(to, "minimum") == 0 || strcmp(to, "auto") == 0) {
        double f = 0;
        const char *name = NULL;

        for (int i = 0; i < ut->nunits; i++) {
            if (ut->units[i].factor >= f && v / ut->units[i].factor >= 1.0) {
                f = ut->units[i].factor;
                name = ut->units[i].name;
            }
        }
        if (f != 0) {
            *v_out = v / f;
            *u_out = name;
            return true;
        }
        *v_out = v / ut->default_factor;
        *u_out = ut->default_name;
        return true;
    }
    tu = sniff_unit(ut, to);
    if (!tu) {
        *v_out = v / ut->default_factor;
        *u_out = ut->default_name;
        return true;
    }
    *v_out = v / tu->factor;
    *u_out = tu->name;
    return true;
}

double cprof__rep_scale(int64_t value, const char *from, const char *to, const char **unit)
{
    if (value < 0 && -value > 0) {
        double v = cprof__rep_scale(-value, from, to, unit);
        return -v;
    }
    for (size_t i = 0; i < sizeof(unit_types) / sizeof(unit_types[0]); i++) {
        double v;

        if (convert_unit(&unit_types[i], value, from, to, &v, unit))
            return v;
    }
    if (!strcmp(to, "count") || !strcmp(to, "sample") || !strcmp(to, "unit") ||
        !strcmp(to, "minimum") || !strcmp(to, "auto"))
        *unit = "";
    else
        *unit = to;
    return (double)value;
}

bool cprof__rep_unit_known(const char *unit)
{
    for (size_t i = 0; i < sizeof(unit_types) / sizeof(unit_types[0]); i++)
        if (sniff_unit(&unit_types[i], unit))
            return true;
    return false;
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
