/*
 * Tests of cprof_report_label_frames() (pprof's -tagroot / -tagleaf) on
 * numeric labels with and without units, which the Go fixtures lack: the
 * expected frame names are what go tool pprof 1.19 printed for this very
 * profile (encoded to a file and run through -traces).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/profile.h"
#include "tool/report/report.h"
#include "unit.h"

static uint32_t frame(struct cprof_profile *p, const char *name)
{
    struct cprof_function f = {0};
    struct cprof_line ln = {0};
    uint32_t pos;

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, name, &f.name), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &ln.func), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, CPROF_NONE, 0, &ln, 1, false, &pos), 0);
    return pos;
}

static struct cprof_label str_label(struct cprof_profile *p, const char *k, const char *v)
{
    struct cprof_label l = {0};

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, k, &l.key), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, v, &l.str), 0);
    return l;
}

static struct cprof_label num_label(struct cprof_profile *p, const char *k, int64_t v,
                                    const char *unit)
{
    struct cprof_label l = {0};

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, k, &l.key), 0);
    l.num = v;
    if (unit)
        CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, unit, &l.num_unit), 0);
    return l;
}

/* Three samples: labels of every kind, a few, none. */
static struct cprof_profile *labelled(void)
{
    struct cprof_profile *p = cprof_profile_new();
    uint32_t locs[2];
    struct cprof_label a[6], b[2];
    int64_t v;

    CPROF_ASSERT(p != NULL);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    locs[0] = frame(p, "leaf");
    locs[1] = frame(p, "root");
    a[0] = str_label(p, "phase", "x");
    a[1] = num_label(p, "size", 2048, "bytes");
    a[2] = num_label(p, "size", 100, NULL);
    a[3] = num_label(p, "t", 1500000, "nanoseconds");
    a[4] = num_label(p, "n", 7, NULL);
    a[5] = str_label(p, "phase", "y");
    v = 10;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, locs, 2, &v, a, 6, 0), 0);
    b[0] = num_label(p, "size", 3, NULL);
    b[1] = num_label(p, "n", 0, "count");
    v = 5;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, locs, 2, &v, b, 2, 0), 0);
    v = 1;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, locs + 1, 1, &v, NULL, 0, 0), 0);
    return p;
}

/* The function name of frame i (leaf first) of sample s. */
static const char *frame_name(const struct cprof_profile *p, size_t s, uint32_t i)
{
    const struct cprof_location *l = &p->locations[p->samples[s].locs[i]];

    return cprof_profile_str(p, p->functions[l->lines[0].func].name);
}

static const char *frame_file(const struct cprof_profile *p, size_t s, uint32_t i)
{
    const struct cprof_location *l = &p->locations[p->samples[s].locs[i]];

    return cprof_profile_str(p, p->functions[l->lines[0].func].filename);
}

CPROF_TEST(labelframes_names)
{
    struct cprof_profile *p = labelled(), *q = NULL;
    struct cprof_diag diag = {0};

    CPROF_ASSERT_EQ(cprof_report_label_frames(p, "phase,size,t", "n,", NULL, &q, NULL, &diag), 0);
    CPROF_ASSERT(q != NULL);
    /* The input is left alone. */
    CPROF_ASSERT_EQ(p->samples[0].nlocs, 2);
    CPROF_ASSERT_EQ(q->nsamples, 3);
    /* Leaf frames, the stack, then the root keys, the first key outermost. */
    CPROF_ASSERT_EQ(q->samples[0].nlocs, 6);
    CPROF_ASSERT_STR(frame_name(q, 0, 0), "7");
    CPROF_ASSERT_STR(frame_file(q, 0, 0), "n");
    CPROF_ASSERT_STR(frame_name(q, 0, 1), "leaf");
    CPROF_ASSERT_STR(frame_name(q, 0, 2), "root");
    CPROF_ASSERT_STR(frame_name(q, 0, 3), "1.50ms");
    CPROF_ASSERT_STR(frame_file(q, 0, 3), "t");
    CPROF_ASSERT_STR(frame_name(q, 0, 4), "2kB,100");
    CPROF_ASSERT_STR(frame_name(q, 0, 5), "x,y");
    CPROF_ASSERT_STR(frame_file(q, 0, 5), "phase");
    /* Missing keys give empty names; a zero with a unit is a value. */
    CPROF_ASSERT_STR(frame_name(q, 1, 0), "0");
    CPROF_ASSERT_STR(frame_name(q, 1, 3), "");
    CPROF_ASSERT_STR(frame_name(q, 1, 4), "3");
    CPROF_ASSERT_STR(frame_name(q, 1, 5), "");
    CPROF_ASSERT_EQ(q->samples[2].nlocs, 5);
    CPROF_ASSERT_STR(frame_name(q, 2, 0), "");
    CPROF_ASSERT_STR(frame_name(q, 2, 1), "root");
    /* Equal (name, key) pairs share a location: "" of t and of phase do not. */
    CPROF_ASSERT_EQ(q->samples[1].locs[3], q->samples[2].locs[2]);
    CPROF_ASSERT(q->samples[1].locs[3] != q->samples[1].locs[5]);
    cprof_profile_free(q);
    cprof_profile_free(p);
}

CPROF_TEST(labelframes_unit_and_report)
{
    struct cprof_profile *p = labelled(), *q = NULL;
    struct cprof_report_opts o;
    struct cprof_diag diag = {0};
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    /* -unit scales the numbers of a key with units (a unitless one just gets the unit). */
    CPROF_ASSERT_EQ(cprof_report_label_frames(p, "size,t", NULL, "us", &q, NULL, &diag), 0);
    CPROF_ASSERT_STR(frame_name(q, 0, 2), "1500us");
    CPROF_ASSERT_STR(frame_name(q, 0, 3), "2048B,100us");
    CPROF_ASSERT_STR(frame_name(q, 1, 3), "3");
    cprof_profile_free(q);
    /* The frames are ordinary frames to the reports. */
    CPROF_ASSERT_EQ(cprof_report_label_frames(p, "phase", NULL, NULL, &q, NULL, &diag), 0);
    cprof_report_opts_init(&o);
    o.compact_labels = true;
    f = open_memstream(&out, &len);
    CPROF_ASSERT(f != NULL);
    CPROF_ASSERT_EQ(cprof_report_run(q, CPROF_REPORT_TOP, &o, f, &diag), 0);
    fclose(f);
    CPROF_ASSERT(strstr(out, "     0     0%   100%         10 62.50%  x,y\n") != NULL);
    CPROF_ASSERT(strstr(out, "     0     0%   100%          6 37.50%  <unknown>\n") != NULL);
    free(out);
    cprof_profile_free(q);
    cprof_profile_free(p);
}
