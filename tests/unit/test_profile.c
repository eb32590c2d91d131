/*
 * Tests of the profile model and builder.
 */
#include "model/profile.h"
#include "unit.h"

CPROF_TEST(profile_new_has_empty_string)
{
    struct cprof_profile *p = cprof_profile_new();

    CPROF_ASSERT(p != NULL);
    CPROF_ASSERT_EQ(p->nstrings, 1);
    CPROF_ASSERT_STR(cprof_profile_str(p, 0), "");
    CPROF_ASSERT_STR(cprof_profile_str(p, 99), "");
    cprof_profile_free(p);
}

CPROF_TEST(profile_intern_dedups)
{
    struct cprof_profile *p = cprof_profile_new();
    uint32_t a, b, c;

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "main", &a), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "work", &b), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern(p, "main!", 4, &c), 0);
    CPROF_ASSERT_EQ(a, 1);
    CPROF_ASSERT_EQ(b, 2);
    CPROF_ASSERT_EQ(c, a);
    CPROF_ASSERT_EQ(p->nstrings, 3);
    for (int i = 0; i < 5000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "fn%d", i);
        CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, name, &a), 0);
        CPROF_ASSERT_EQ(a, 3 + i);
    }
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "fn1234", &a), 0);
    CPROF_ASSERT_EQ(a, 3 + 1234);
    cprof_profile_free(p);
}

CPROF_TEST(profile_builder_interns_and_merges)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_function f = {0};
    struct cprof_mapping m = {0};
    struct cprof_line ln[2];
    uint32_t fa, fb, fa2, map, la, lb, la2, stack[2];
    int64_t v[2] = {1, 10};

    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "cpu", "nanoseconds"), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "a", &f.name), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &fa), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "b", &f.name), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &fb), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "a", &f.name), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &fa2), 0);
    CPROF_ASSERT_EQ(fa, fa2);
    CPROF_ASSERT_EQ(p->nfunctions, 2);
    CPROF_ASSERT_EQ_U64(p->functions[fb].id, 2);

    m.start = 0x1000;
    m.limit = 0x2000;
    CPROF_ASSERT_EQ(cprof_profile_add_mapping(p, &m, &map), 0);
    ln[0] = (struct cprof_line){.func = fa, .line = 3};
    ln[1] = (struct cprof_line){.func = fb, .line = 7};
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, map, 0x1010, ln, 2, false, &la), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, map, 0x1020, ln + 1, 1, false, &lb), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, map, 0x1010, ln, 2, false, &la2), 0);
    CPROF_ASSERT_EQ(la, la2);
    CPROF_ASSERT_EQ(p->nlocations, 2);
    CPROF_ASSERT_EQ(p->locations[la].nlines, 2);

    stack[0] = la;
    stack[1] = lb;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, stack, 2, v, NULL, 0, CPROF_ADD_MERGE), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, stack, 2, v, NULL, 0, CPROF_ADD_MERGE), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, stack, 1, v, NULL, 0, CPROF_ADD_MERGE), 0);
    CPROF_ASSERT_EQ(p->nsamples, 2);
    CPROF_ASSERT_EQ(p->samples[0].values[0], 2);
    CPROF_ASSERT_EQ(p->samples[0].values[1], 20);
    CPROF_ASSERT_EQ(p->samples[1].values[1], 10);
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, stack, 2, v, NULL, 0, 0), 0);
    CPROF_ASSERT_EQ(p->nsamples, 3);

    CPROF_ASSERT_EQ(cprof_profile_sample_index(p, NULL), 1);
    CPROF_ASSERT_EQ(cprof_profile_sample_index(p, "samples"), 0);
    CPROF_ASSERT_EQ(cprof_profile_sample_index(p, "nope"), CPROF_NONE);
    cprof_profile_free(p);
}
