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
#include "unit.h"

/*
 * 110,000 samples (parts have at least 50,000: two of them) over 400
 * functions with inlined pairs, labels, and stacks that share prefixes:
 * enough variety for residual, inline and ordinary edges.
 */
static struct cprof_profile *big_profile(void)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_function f = {0};
    struct cprof_line ln[2] = {{0}, {0}};
    struct cprof_label lb = {0};
    uint32_t fn[400], locs[600], stack[48];
    char name[32];

    CPROF_ASSERT(p);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "cpu", "nanoseconds"), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "worker", &lb.key), 0);
    for (uint32_t i = 0; i < 400; i++) {
        snprintf(name, sizeof(name), "fn_%u", i % 300); /* some names twice: other files */
        CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, name, &f.name), 0);
        snprintf(name, sizeof(name), "src/f%u.c", i / 300);
        CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, name, &f.filename), 0);
        CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &fn[i]), 0);
    }
    for (uint32_t i = 0; i < 600; i++) {
        uint32_t n = i % 7 == 0 ? 2 : 1; /* every seventh location has an inlined frame */

        ln[0] = (struct cprof_line){.func = fn[i % 400], .line = 10 + i % 50};
        ln[1] = (struct cprof_line){.func = fn[(i * 13 + 5) % 400], .line = 3 + i % 9};
        CPROF_ASSERT_EQ(cprof_profile_add_location(p, CPROF_NONE, 0x1000 + 16 * i, ln, n, false,
                                                   &locs[i]),
                        0);
    }
    for (uint32_t s = 0; s < 110000; s++) {
        uint64_t x = s * 2654435761u + 12345;
        uint32_t depth = 4 + (uint32_t)(x % 40);
        int64_t v[2] = {1, (int64_t)(1000 + x % 977)};

        for (uint32_t d = 0; d < depth; d++) { /* the root end is shared most */
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            stack[depth - 1 - d] = locs[d < 3 ? d : (uint32_t)((x >> 33) % (d * 15 + 1)) % 600];
        }
        snprintf(name, sizeof(name), "w%u", s % 5);
        CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, name, &lb.str), 0);
        CPROF_ASSERT_EQ(cprof_profile_add_sample(p, stack, depth, v, &lb, s % 3 == 0, 0), 0);
    }
    return p;
}

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
    struct cprof_profile *p = big_profile();

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
