/*
 * The engine's options and sample selection: pprof's defaults, the
 * granularity names, and which sample value a report shows
 * (SampleIndexByName, sampleFormat, -mean, -divide_by).
 */
#include "tool/report/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/par.h"
#include "model/filter.h"
#include "model/profile.h"

/* ---- options ---------------------------------------------------------------- */

void cprof_report_opts_init(struct cprof_report_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->divide_by = 1.0;
    o->unit = "minimum";
    o->nodecount = -1;
    o->nodefraction = 0.005;
    o->edgefraction = 0.001;
    o->trim = true;
    o->granularity = CPROF_GRAN_FUNCTIONS;
    o->threads = 1;
}

int cprof_report_granularity_parse(const char *s, enum cprof_report_granularity *g)
{
    static const char *const names[] = {"functions", "filefunctions", "files", "lines",
                                        "addresses"};

    for (int i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0) {
            *g = (enum cprof_report_granularity)i;
            return 0;
        }
    }
    return CPROF_EUSAGE;
}

static bool set(const char *s)
{
    return s && *s;
}

static int parse_int(const char *s, long *out)
{
    char *end;

    errno = 0;
    if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
        return -1;
    *out = strtol(s, &end, 10);
    return (*end || errno) ? -1 : 0;
}

/* pprof's SampleIndexByName and sampleFormat. */
int cprof__rep_select_sample(struct rep *r)
{
    const struct cprof_profile *p = r->p;
    const char *si = r->o->sample_index;
    long idx;

    if (p->nsample_types == 0)
        return cprof_diag_set(r->diag, CPROF_EUSAGE, "profile has no samples");
    if (!set(si)) {
        r->si = p->nsample_types - 1;
        if (p->default_sample_type) {
            const char *dst = cprof__rep_str(r, p->default_sample_type);

            for (uint32_t i = 0; i < p->nsample_types; i++)
                if (strcmp(cprof__rep_str(r, p->sample_types[i].type), dst) == 0) {
                    r->si = i;
                    break;
                }
        }
    } else if (parse_int(si, &idx) == 0) {
        if (idx < 0 || idx >= (long)p->nsample_types)
            return cprof_diag_set(r->diag, CPROF_EUSAGE,
                                  "sample_index %s is outside the range [0..%u]", si,
                                  p->nsample_types - 1);
        r->si = (uint32_t)idx;
    } else {
        const char *noinuse = strncmp(si, "inuse_", 6) == 0 ? si + 6 : si;
        uint32_t i;
        char list[160];
        size_t w = 0;

        for (i = 0; i < p->nsample_types; i++) {
            const char *t = cprof__rep_str(r, p->sample_types[i].type);

            if (strcmp(t, si) == 0 || strcmp(t, noinuse) == 0)
                break;
        }
        if (i == p->nsample_types) {
            for (i = 0; i < p->nsample_types && w < sizeof(list); i++)
                w += (size_t)snprintf(list + w, sizeof(list) - w, "%s%s", i ? " " : "",
                                      cprof__rep_str(r, p->sample_types[i].type));
            return cprof_diag_set(r->diag, CPROF_EUSAGE, "sample_index \"%s\" must be one of: [%s]",
                                  si, list);
        }
        r->si = i;
    }
    r->mean = r->o->mean;
    snprintf(r->sample_type, sizeof(r->sample_type), "%s%s", r->mean ? "mean_" : "",
             cprof__rep_str(r, p->sample_types[r->si].type));
    r->sample_unit = cprof__rep_str(r, p->sample_types[r->si].unit);
    if (r->o->divide_by == 0)
        return cprof_diag_set(r->diag, CPROF_EUSAGE, "zero divisor specified");
    r->ratio = 1 / r->o->divide_by;
    snprintf(r->out_unit, sizeof(r->out_unit), "%s", set(r->o->unit) ? r->o->unit : "minimum");
    return 0;
}

void cprof__rep_sample_value(const struct rep *r, const struct cprof_sample *s, int64_t *w,
                             int64_t *dw)
{
    *w = s->values[r->si];
    *dw = r->mean ? s->values[0] : 0;
}
