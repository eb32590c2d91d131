/*
 * Reports of a big profile are built in parts on several threads
 * (opts.threads): every report must come out byte for byte as with one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/profile.h"
#include "tool/report/report.h"
#include "synth.h"
#include "unit.h"

static char *report(const struct cprof_profile *p, enum cprof_report_kind kind, int threads,
                    int nodecount, const char *focus)
{
    struct cprof_report_opts o;
    struct cprof_diag diag = {0};
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    cprof_report_opts_init(&o);
    o.threads = threads;
    o.nodecount = nodecount;
    o.focus = focus;
    f = open_memstream(&out, &len);
    CPROF_ASSERT(f != NULL);
    CPROF_ASSERT_EQ(cprof_report_run(p, kind, &o, f, &diag), 0);
    fclose(f);
    return out;
}

CPROF_TEST(report_threads_change_nothing)
{
    static const struct {
        enum cprof_report_kind kind;
        int nodecount;
        const char *focus;
    } cases[] = {
        {CPROF_REPORT_TOP, -1, NULL},
        {CPROF_REPORT_DOT, -1, NULL},
        {CPROF_REPORT_TREE, 12, "fn_1[0-9]$"},
    };
    struct cprof_profile *p = cprof_test_big_profile(110000); /* two parts of 50,000+ */

    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char *one = report(p, cases[k].kind, 1, cases[k].nodecount, cases[k].focus);
        char *four = report(p, cases[k].kind, 4, cases[k].nodecount, cases[k].focus);

        CPROF_ASSERT(strlen(one) > 200);
        if (strcmp(one, four) != 0)
            cprof__test_fail(__FILE__, __LINE__, "case %zu differs with 4 threads", k);
        free(one);
        free(four);
    }
    cprof_profile_free(p);
}
