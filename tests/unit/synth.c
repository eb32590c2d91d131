/*
 * Synthetic profiles for the unit tests (see synth.h).
 */
#include "synth.h"

#include <stdio.h>

#include "model/profile.h"
#include "unit.h"

/*
 * nsamples samples over 400 functions (some names twice, in other files),
 * 600 locations (every seventh with an inlined frame), stacks 4-43 deep
 * that share their root end, a string label on every third sample: enough
 * variety for the codec's and the reports' threaded paths (edges residual,
 * inline and plain).
 */
struct cprof_profile *cprof_test_big_profile(uint32_t nsamples)
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
        CPROF_ASSERT_EQ(
            cprof_profile_add_location(p, CPROF_NONE, 0x1000 + 16 * i, ln, n, false, &locs[i]), 0);
    }
    for (uint32_t s = 0; s < nsamples; s++) {
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
