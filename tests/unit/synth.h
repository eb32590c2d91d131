/*
 * Synthetic profiles for the unit tests: big enough for the paths that
 * split work across threads, built with the model's builder.
 */
#ifndef CPROF_TESTS_UNIT_SYNTH_H
#define CPROF_TESTS_UNIT_SYNTH_H

#include <stdint.h>

struct cprof_profile;

/* A profile of nsamples samples; asserts (the test fails) on error. */
struct cprof_profile *cprof_test_big_profile(uint32_t nsamples);

#endif /* CPROF_TESTS_UNIT_SYNTH_H */
