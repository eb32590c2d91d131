/*
 * Unit tables and conversions (see units.h), following pprof's
 * internal/measurement/measurement.go.
 */
#include "model/units.h"

#include <stddef.h>
#include <string.h>

struct unit {
    const char *name;       /* canonical name */
    const char *aliases[4]; /* lower-case aliases, NULL-terminated */
    double factor;          /* size in the kind's base unit */
};

struct unit_kind {
    struct unit units[9];
    size_t nunits;
    const char *default_name; /* unit used when the target is unknown */
    double default_factor;
};

static const struct unit_kind kinds[] = {
    {{{"B", {"b", "byte"}, 1},
      {"kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
      {"MB", {"mb", "mbyte", "megabyte"}, 1048576.0},
      {"GB", {"gb", "gbyte", "gigabyte"}, 1073741824.0},
      {"TB", {"tb", "tbyte", "terabyte"}, 1099511627776.0},
      {"PB", {"pb", "pbyte", "petabyte"}, 1125899906842624.0}},
     6,
     "B",
     1},
    {{{"ns", {"ns", "nanosecond"}, 1},
      {"us", {"\xce\xbcs", "us", "microsecond"}, 1e3},
      {"ms", {"ms", "millisecond"}, 1e6},
      {"s", {"s", "sec", "second"}, 1e9},
      {"hrs", {"hour", "hr"}, 3.6e12}},
     5,
     "s",
     1e9},
    {{{"n*GCU", {"nanogcu"}, 1e-9},
      {"u*GCU", {"microgcu"}, 1e-6},
      {"m*GCU", {"milligcu"}, 1e-3},
      {"GCU", {"gcu"}, 1},
      {"k*GCU", {"kilogcu"}, 1e3},
      {"M*GCU", {"megagcu"}, 1e6},
      {"G*GCU", {"gigagcu"}, 1e9},
      {"T*GCU", {"teragcu"}, 1e12},
      {"P*GCU", {"petagcu"}, 1e15}},
     9,
     "GCU",
     1},
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* pprof's sniffUnit: lower case, one trailing 's' trimmed from names longer than 2 bytes. */
static const struct unit *sniff(const struct unit_kind *k, const char *unit)
{
    char low[64];
    size_t n = strlen(unit);

    if (n >= sizeof(low))
        return NULL;
    for (size_t i = 0; i < n; i++)
        low[i] = (unit[i] >= 'A' && unit[i] <= 'Z') ? (char)(unit[i] - 'A' + 'a') : unit[i];
    low[n] = 0;
    if (n > 2 && low[n - 1] == 's')
        low[n - 1] = 0;
    for (size_t i = 0; i < k->nunits; i++)
        for (size_t j = 0; j < 4 && k->units[i].aliases[j]; j++)
            if (strcmp(low, k->units[i].aliases[j]) == 0)
                return &k->units[i];
    return NULL;
}

/* pprof's convertUnit; false when from is not a unit of kind k. */
static bool convert(const struct unit_kind *k, int64_t value, const char *from, const char *to,
                    double *v_out, const char **u_out)
{
    const struct unit *fu = sniff(k, from), *tu;
    double v;

    if (!fu)
        return false;
    v = (double)value * fu->factor;
    if (strcmp(to, "minimum") == 0 || strcmp(to, "auto") == 0) {
        double f = 0;

        for (size_t i = 0; i < k->nunits; i++) {
            if (k->units[i].factor >= f && v / k->units[i].factor >= 1.0) {
                f = k->units[i].factor;
                *u_out = k->units[i].name;
            }
        }
        if (f != 0) {
            *v_out = v / f;
            return true;
        }
        tu = NULL;
    } else {
        tu = sniff(k, to);
    }
    *v_out = v / (tu ? tu->factor : k->default_factor);
    *u_out = tu ? tu->name : k->default_name;
    return true;
}

double cprof_units_scale(int64_t value, const char *from, const char *to, const char **unit)
{
    /* pprof recurses on the magnitude; INT64_MIN has none and falls through. */
    if (value < 0 && value != INT64_MIN)
        return -cprof_units_scale(-value, from, to, unit);
    for (size_t i = 0; i < NKINDS; i++) {
        double v;

        if (convert(&kinds[i], value, from, to, &v, unit))
            return v;
    }
    if (!strcmp(to, "count") || !strcmp(to, "sample") || !strcmp(to, "unit") ||
        !strcmp(to, "minimum") || !strcmp(to, "auto"))
        *unit = "";
    else
        *unit = to;
    return (double)value;
}

bool cprof_units_same_kind(const char *a, const char *b)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (sniff(&kinds[i], a) && sniff(&kinds[i], b))
            return true;
    return false;
}
