/*
 * Tests of cprof_profile_scale_units(): pprof's measurement.ScaleProfiles.
 */
#include "model/merge.h"

#include "base/err.h"
#include "model/profile.h"
#include "unit.h"

/* samples/count and cpu/UNIT, period type cpu/UNIT, one sample of count, count*cpu. */
static struct cprof_profile *new_prof(const char *type, const char *unit, int64_t period,
                                      int64_t count, int64_t cpu)
{
    struct cprof_profile *p = cprof_profile_new();
    uint32_t pos;
    int64_t v[2] = {count, cpu};

    CPROF_ASSERT(p != NULL);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, type, unit), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, type, &p->period_type.type), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, unit, &p->period_type.unit), 0);
    p->period = period;
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, CPROF_NONE, 0x10, NULL, 0, false, &pos), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, &pos, 1, v, NULL, 0, 0), 0);
    return p;
}

static const char *unit_of(const struct cprof_profile *p, uint32_t k)
{
    return cprof_profile_str(p, p->sample_types[k].unit);
}

CPROF_TEST(scale_units_to_finest)
{
    struct cprof_profile *ps[3] = {
        new_prof("cpu", "microseconds", 10000, 1, 7),
        new_prof("cpu", "nanoseconds", 10000000, 2, 5),
        new_prof("cpu", "milliseconds", 10, 3, 2),
    };
    struct cprof_profile *out = NULL;
    struct cprof_diag d = {0};

    CPROF_ASSERT_EQ(cprof_profile_scale_units(ps, 3), 0);
    for (int i = 0; i < 3; i++) {
        CPROF_ASSERT_STR(unit_of(ps[i], 1), "nanoseconds");
        CPROF_ASSERT_STR(unit_of(ps[i], 0), "count");
        CPROF_ASSERT_STR(cprof_profile_str(ps[i], ps[i]->period_type.unit), "nanoseconds");
        CPROF_ASSERT_EQ(ps[i]->period, 10000000);
        CPROF_ASSERT_EQ(ps[i]->samples[0].values[0], i + 1);
    }
    CPROF_ASSERT_EQ(ps[0]->samples[0].values[1], 7000);
    CPROF_ASSERT_EQ(ps[1]->samples[0].values[1], 5);
    CPROF_ASSERT_EQ(ps[2]->samples[0].values[1], 2000000);
    /* Now they merge. */
    CPROF_ASSERT_EQ(cprof_profile_merge(ps, 3, &out, &d), 0);
    CPROF_ASSERT_EQ(out->nsamples, 1);
    CPROF_ASSERT_EQ(out->samples[0].values[1], 2007005);
    cprof_profile_free(out);
    for (int i = 0; i < 3; i++)
        cprof_profile_free(ps[i]);
}

CPROF_TEST(scale_units_aliases_and_bytes)
{
    /* Equal units under two names: the first name wins, values stay. */
    struct cprof_profile *a[2] = {new_prof("cpu", "ns", 1, 1, 3),
                                  new_prof("cpu", "nanoseconds", 1, 1, 4)};
    struct cprof_profile *b[2] = {new_prof("space", "kilobytes", 1, 1, 3),
                                  new_prof("space", "bytes", 1, 1, 1)};

    CPROF_ASSERT_EQ(cprof_profile_scale_units(a, 2), 0);
    CPROF_ASSERT_STR(unit_of(a[1], 1), "ns");
    CPROF_ASSERT_EQ(a[1]->samples[0].values[1], 4);
    CPROF_ASSERT_EQ(cprof_profile_scale_units(b, 2), 0);
    CPROF_ASSERT_STR(unit_of(b[0], 1), "bytes");
    CPROF_ASSERT_EQ(b[0]->samples[0].values[1], 3072);
    for (int i = 0; i < 2; i++) {
        cprof_profile_free(a[i]);
        cprof_profile_free(b[i]);
    }
}

CPROF_TEST(scale_units_leaves_incompatible_alone)
{
    /* Units of different kinds: nothing changes, merge reports the mismatch. */
    struct cprof_profile *ps[2] = {new_prof("cpu", "nanoseconds", 1, 1, 3),
                                   new_prof("cpu", "bytes", 1, 1, 3)};
    struct cprof_profile *one[1], *out = NULL;
    struct cprof_diag d = {0};

    CPROF_ASSERT_EQ(cprof_profile_scale_units(ps, 2), 0);
    CPROF_ASSERT_STR(unit_of(ps[1], 1), "bytes");
    CPROF_ASSERT_EQ(cprof_profile_merge(ps, 2, &out, &d), CPROF_EMISMATCH);
    /* A single profile is never rescaled (pprof's CommonValueType of one type). */
    one[0] = ps[0];
    CPROF_ASSERT_EQ(cprof_profile_scale_units(one, 1), 0);
    CPROF_ASSERT_STR(unit_of(ps[0], 1), "nanoseconds");
    cprof_profile_free(ps[0]);
    cprof_profile_free(ps[1]);
}
