/*
 * Tests of drop_frames/keep_frames pruning (pprof's RemoveUninteresting).
 * The expected dump was checked against `go tool pprof -raw` (Go 1.19) on
 * the same profile (set CPROF_WRITE_PRUNE=FILE to write it).
 */
#include "tool/prune.h"

#include <stdlib.h>

#include "base/buf.h"
#include "model/codec.h"
#include "model/filter.h"
#include "model/profile.h"
#include "tool/raw.h"
#include "unit.h"

CPROF_TEST(prune_simplify_func)
{
    char b[64];

    cprof_simplify_func("foo(int, char)", b, sizeof(b));
    CPROF_ASSERT_STR(b, "foo");
    cprof_simplify_func(".ppc_func", b, sizeof(b));
    CPROF_ASSERT_STR(b, "ppc_func");
    cprof_simplify_func("(anonymous namespace)::bar(int)", b, sizeof(b));
    CPROF_ASSERT_STR(b, "(anonymous namespace)::bar");
    cprof_simplify_func("Cls::operator()(int) const", b, sizeof(b));
    CPROF_ASSERT_STR(b, "Cls::operator()");
    cprof_simplify_func("plain", b, 4);
    CPROF_ASSERT_STR(b, "pla");
}

static uint32_t fn(struct cprof_profile *p, const char *name)
{
    struct cprof_function f = {0};
    uint32_t pos;

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, name, &f.name), 0);
    f.system_name = f.name;
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &pos), 0);
    return pos;
}

static uint32_t loc(struct cprof_profile *p, uint64_t addr, const char *inner, const char *outer)
{
    struct cprof_line ln[2] = {{0}};
    uint32_t n = 0, pos;

    if (inner)
        ln[n++].func = fn(p, inner);
    ln[n++].func = fn(p, outer);
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, CPROF_NONE, addr, ln, n, false, &pos), 0);
    return pos;
}

static const char pruned_raw[] = "PeriodType:  \n"
                                 "Period: 0\n"
                                 "Samples:\n"
                                 "samples/count\n"
                                 "          1: 3 \n"
                                 "          2: 5 3 \n"
                                 "          4: 4 \n"
                                 "          8: 6 2 \n"
                                 "Locations\n"
                                 "     1: 0x10 runtime.mallocgc :0 s=0\n"
                                 "     2: 0x20 runtime.x :0 s=0\n"
                                 "     3: 0x30 main :0 s=0\n"
                                 "     4: 0x40 foo(int) :0 s=0\n"
                                 "     5: 0x50 caller :0 s=0\n"
                                 "     6: 0x60 runtime.keepme :0 s=0\n"
                                 "Mappings\n";

CPROF_TEST(prune_drops_frames_like_pprof)
{
    struct cprof_profile *p = cprof_profile_new();
    uint32_t l[6], st[4];
    int64_t v;

    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "runtime\\..*|foo", &p->drop_frames), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "runtime\\.keep.*", &p->keep_frames), 0);
    l[0] = loc(p, 0x10, NULL, "runtime.mallocgc");
    l[1] = loc(p, 0x20, NULL, "runtime.x");
    l[2] = loc(p, 0x30, NULL, "main");
    l[3] = loc(p, 0x40, NULL, "foo(int)");
    l[4] = loc(p, 0x50, "runtime.inl", "caller");
    l[5] = loc(p, 0x60, NULL, "runtime.keepme");
    /* leaf first */
    st[0] = l[0], st[1] = l[1], st[2] = l[2];
    v = 1;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, st, 3, &v, NULL, 0, 0), 0);
    st[0] = l[4], st[1] = l[2];
    v = 2;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, st, 2, &v, NULL, 0, 0), 0);
    st[0] = l[3]; /* only dropped frames: nothing is cut */
    v = 4;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, st, 1, &v, NULL, 0, 0), 0);
    st[0] = l[0], st[1] = l[1], st[2] = l[5], st[3] = l[1]; /* root frame dropped first */
    v = 8;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, st, 4, &v, NULL, 0, 0), 0);
    if (getenv("CPROF_WRITE_PRUNE")) {
        struct cprof_buf enc;
        cprof_buf_init(&enc, 0);
        CPROF_ASSERT_EQ(cprof_profile_encode(p, false, &enc), 0);
        FILE *f = fopen(getenv("CPROF_WRITE_PRUNE"), "wb");
        CPROF_ASSERT(f != NULL);
        fwrite(enc.data, 1, enc.len, f);
        fclose(f);
        cprof_buf_release(&enc);
    }
    CPROF_ASSERT_EQ(cprof_profile_remove_uninteresting(p), 0);
    struct cprof_buf b;
    cprof_buf_init(&b, 0);
    CPROF_ASSERT_EQ(cprof_raw_format(p, &b), 0);
    CPROF_ASSERT_EQ(cprof_buf_append(&b, "", 1), 0);
    CPROF_ASSERT_STR((const char *)b.data, pruned_raw);
    cprof_buf_release(&b);
    cprof_profile_free(p);
}
