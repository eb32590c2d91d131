/*
 * cprof's unit-test harness.
 *
 * CPROF_TEST(name) defines a test and registers it through a linker
 * section, so there is no list to keep in sync.  The runner (main.c) runs
 * each test in a forked child with a timeout and prints TAP, then the line
 * "N passed, N failed".  Asserts print both operands.
 */
#ifndef CPROF_TESTS_UNIT_H
#define CPROF_TESTS_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cprof_test {
    const char *name;
    void (*fn)(void);
    const char *file;
};

#define CPROF_TEST(name)                                                                           \
    static void test_##name(void);                                                                 \
    static const struct cprof_test test_desc_##name = {#name, test_##name, __FILE__};              \
    __attribute__((                                                                                \
        used, section("cprof_tests"))) static const struct cprof_test *const test_ptr_##name =     \
        &test_desc_##name;                                                                         \
    static void test_##name(void)

void cprof__test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define CPROF_ASSERT(c)                                                                            \
    do {                                                                                           \
        if (!(c))                                                                                  \
            cprof__test_fail(__FILE__, __LINE__, "assertion failed: %s", #c);                      \
    } while (0)

#define CPROF_ASSERT_EQ(a, b)                                                                      \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            cprof__test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_);        \
    } while (0)

#define CPROF_ASSERT_EQ_U64(a, b)                                                                  \
    do {                                                                                           \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                           \
        if (a_ != b_)                                                                              \
            cprof__test_fail(__FILE__, __LINE__, "%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, a_,  \
                             b_);                                                                  \
    } while (0)

#define CPROF_ASSERT_STR(a, b)                                                                     \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                     \
            cprof__test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,             \
                             a_ ? a_ : "(null)", b_ ? b_ : "(null)");                              \
    } while (0)

/* Path of a file under the source tree's tests/ directory (fixtures). */
const char *cprof_test_path(const char *rel);

#endif /* CPROF_TESTS_UNIT_H */
