/*
 * Tests of cprof_profile_merge(): pprof's profile.Merge semantics.
 */
#include "model/merge.h"

#include "base/err.h"
#include "model/profile.h"
#include "unit.h"

/* A profile with sample types samples/count, cpu/nanoseconds and period type cpu/ns. */
static struct cprof_profile *new_cpu(int64_t period)
{
    struct cprof_profile *p = cprof_profile_new();

    CPROF_ASSERT(p != NULL);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "cpu", "nanoseconds"), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "cpu", &p->period_type.type), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "nanoseconds", &p->period_type.unit), 0);
    p->period = period;
    return p;
}

static uint32_t add_map(struct cprof_profile *p, uint64_t start, uint64_t limit, const char *file)
{
    struct cprof_mapping m = {0};
    uint32_t pos;

    m.start = start;
    m.limit = limit;
    m.has_functions = true;
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, file, &m.filename), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_mapping(p, &m, &pos), 0);
    return pos;
}

/* A location at addr in mapping mp with one line in function name. */
static uint32_t add_loc(struct cprof_profile *p, uint32_t mp, uint64_t addr, const char *name,
                        int64_t line)
{
    struct cprof_function f = {0};
    struct cprof_line ln = {0};
    uint32_t pos;

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, name, &f.name), 0);
    f.system_name = f.name;
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "x.c", &f.filename), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &ln.func), 0);
    ln.line = line;
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, mp, addr, &ln, 1, false, &pos), 0);
    return pos;
}

static void add_sample(struct cprof_profile *p, const uint32_t *locs, uint32_t n, int64_t count,
                       const struct cprof_label *labels, uint32_t nlabels)
{
    int64_t v[2] = {count, count * 10};

    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, locs, n, v, labels, nlabels, 0), 0);
}

static const char *loc_func(const struct cprof_profile *p, uint32_t loc)
{
    return cprof_profile_str(p, p->functions[p->locations[loc].lines[0].func].name);
}

CPROF_TEST(merge_dedups_and_renumbers)
{
    struct cprof_profile *a = new_cpu(10), *b = new_cpu(10), *out = NULL;
    struct cprof_diag d = {0};
    uint32_t m, st[2];

    /* a: unused function first, so a's ids differ from the merged ones. */
    m = add_map(a, 0x1000, 0x5000, "/bin/prog");
    (void)add_loc(a, m, 0x1100, "unused", 1);
    st[0] = add_loc(a, m, 0x1200, "leaf", 5);
    st[1] = add_loc(a, m, 0x1300, "main", 9);
    add_sample(a, st, 2, 3, NULL, 0);
    add_sample(a, st + 1, 1, 0, NULL, 0); /* zero: dropped */

    /* b: same binary loaded 0x10000 higher (ASLR), plus a new frame. */
    m = add_map(b, 0x11000, 0x15000, "/bin/prog");
    st[1] = add_loc(b, m, 0x11300, "main", 9);
    st[0] = add_loc(b, m, 0x11200, "leaf", 5);
    add_sample(b, st, 2, 4, NULL, 0);
    st[0] = add_loc(b, m, 0x11400, "other", 7);
    add_sample(b, st, 2, 1, NULL, 0);

    struct cprof_profile *srcs[] = {a, b};
    CPROF_ASSERT_EQ(cprof_profile_merge(srcs, 2, &out, &d), 0);
    CPROF_ASSERT_EQ(out->nmappings, 1);
    CPROF_ASSERT_EQ_U64(out->mappings[0].id, 1);
    CPROF_ASSERT_EQ_U64(out->mappings[0].start, 0x1000);
    CPROF_ASSERT_EQ(out->nsamples, 2);
    CPROF_ASSERT_EQ(out->samples[0].values[0], 7);
    CPROF_ASSERT_EQ(out->samples[0].values[1], 70);
    CPROF_ASSERT_EQ(out->samples[1].values[0], 1);
    CPROF_ASSERT_EQ(out->nlocations, 3);
    CPROF_ASSERT_EQ(out->nfunctions, 3); /* "unused" is gone */
    CPROF_ASSERT_STR(loc_func(out, 0), "leaf");
    CPROF_ASSERT_EQ_U64(out->locations[0].id, 1);
    CPROF_ASSERT_EQ_U64(out->locations[0].address, 0x1200);
    CPROF_ASSERT_STR(loc_func(out, 1), "main");
    CPROF_ASSERT_STR(loc_func(out, 2), "other");
    CPROF_ASSERT_EQ_U64(out->locations[2].address, 0x1400); /* shifted into a's mapping */
    CPROF_ASSERT_EQ_U64(out->functions[out->locations[2].lines[0].func].id, 3);
    CPROF_ASSERT_EQ(out->samples[1].locs[0], 2);
    CPROF_ASSERT_EQ(out->samples[1].locs[1], 1);
    cprof_profile_free(out);
    cprof_profile_free(a);
    cprof_profile_free(b);
}

CPROF_TEST(merge_single_profile_compacts)
{
    struct cprof_profile *a = new_cpu(10), *out = NULL;
    uint32_t m0, m1, l;

    m0 = add_map(a, 0x1000, 0x2000, "/bin/prog"); /* unreferenced, but first: kept */
    m1 = add_map(a, 0x7000, 0x8000, "/lib/libc.so.6");
    (void)add_map(a, 0x9000, 0xa000, "/lib/libm.so.6"); /* unreferenced: dropped */
    (void)add_loc(a, m0, 0x1100, "dead", 1);
    l = add_loc(a, m1, 0x7100, "memcpy", 0);
    add_sample(a, &l, 1, 2, NULL, 0);

    CPROF_ASSERT_EQ(cprof_profile_merge(&a, 1, &out, NULL), 0);
    CPROF_ASSERT_EQ(out->nmappings, 2);
    CPROF_ASSERT_STR(cprof_profile_str(out, out->mappings[0].filename), "/bin/prog");
    CPROF_ASSERT_STR(cprof_profile_str(out, out->mappings[1].filename), "/lib/libc.so.6");
    CPROF_ASSERT_EQ(out->nlocations, 1);
    CPROF_ASSERT_EQ(out->locations[0].mapping, 1);
    CPROF_ASSERT_EQ(out->nfunctions, 1);
    cprof_profile_free(out);
    cprof_profile_free(a);
}

CPROF_TEST(merge_mapping_key_rounds_size)
{
    struct cprof_profile *a = new_cpu(10), *b = new_cpu(10), *out = NULL;
    uint32_t l;

    /* Sizes 0x3f00 and 0x4000 round to the same 4 KiB size: one mapping. */
    l = add_loc(a, add_map(a, 0x1000, 0x4f00, "/bin/prog"), 0x1010, "f", 1);
    add_sample(a, &l, 1, 1, NULL, 0);
    l = add_loc(b, add_map(b, 0x2000, 0x6000, "/bin/prog"), 0x2010, "f", 1);
    add_sample(b, &l, 1, 1, NULL, 0);
    struct cprof_profile *srcs[] = {a, b};
    CPROF_ASSERT_EQ(cprof_profile_merge(srcs, 2, &out, NULL), 0);
    CPROF_ASSERT_EQ(out->nmappings, 1);
    CPROF_ASSERT_EQ(out->nlocations, 1);
    CPROF_ASSERT_EQ(out->nsamples, 1);
    CPROF_ASSERT_EQ(out->samples[0].values[0], 2);
    cprof_profile_free(out);
    cprof_profile_free(a);
    cprof_profile_free(b);
}

CPROF_TEST(merge_combines_headers_like_pprof)
{
    struct cprof_profile *a = new_cpu(10), *b = new_cpu(30), *c = new_cpu(20), *out = NULL;

    a->time_nanos = 500;
    b->time_nanos = 300;
    c->time_nanos = 400;
    a->duration_nanos = 1;
    b->duration_nanos = 2;
    c->duration_nanos = 4;
    CPROF_ASSERT_EQ(cprof_profile_add_comment(a, "one"), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_comment(b, "two"), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_comment(c, "one"), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(b, "cpu", &b->default_sample_type), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(a, "^runtime\\.", &a->drop_frames), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(b, "ignored", &b->drop_frames), 0);

    struct cprof_profile *srcs[] = {a, b, c};
    CPROF_ASSERT_EQ(cprof_profile_merge(srcs, 3, &out, NULL), 0);
    CPROF_ASSERT_EQ(out->time_nanos, 300);
    CPROF_ASSERT_EQ(out->duration_nanos, 7);
    CPROF_ASSERT_EQ(out->period, 30);
    CPROF_ASSERT_EQ(out->ncomments, 2);
    CPROF_ASSERT_STR(cprof_profile_str(out, out->comments[0]), "one");
    CPROF_ASSERT_STR(cprof_profile_str(out, out->comments[1]), "two");
    CPROF_ASSERT_STR(cprof_profile_str(out, out->default_sample_type), "cpu");
    CPROF_ASSERT_STR(cprof_profile_str(out, out->drop_frames), "^runtime\\.");
    CPROF_ASSERT_STR(cprof_profile_str(out, out->period_type.type), "cpu");
    CPROF_ASSERT_EQ(out->nsample_types, 2);
    CPROF_ASSERT_STR(cprof_profile_str(out, out->sample_types[1].unit), "nanoseconds");
    cprof_profile_free(out);

    /* pprof's quirk: a zero time after a nonzero one resets the minimum. */
    b->time_nanos = 0;
    CPROF_ASSERT_EQ(cprof_profile_merge(srcs, 3, &out, NULL), 0);
    CPROF_ASSERT_EQ(out->time_nanos, 400);
    cprof_profile_free(out);
    cprof_profile_free(a);
    cprof_profile_free(b);
    cprof_profile_free(c);
}

CPROF_TEST(merge_rejects_incompatible)
{
    struct cprof_profile *a = new_cpu(10), *b = new_cpu(10), *out = (void *)1;
    struct cprof_diag d = {0};

    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(b, "extra", "bytes"), 0);
    struct cprof_profile *srcs[] = {a, b};
    CPROF_ASSERT_EQ(cprof_profile_merge(srcs, 2, &out, &d), CPROF_EMISMATCH);
    CPROF_ASSERT(out == NULL);
    CPROF_ASSERT_STR(d.msg, "incompatible sample types [samples/count cpu/nanoseconds] and "
                            "[samples/count cpu/nanoseconds extra/bytes]");
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(b, "space", &b->period_type.type), 0);
    CPROF_ASSERT_EQ(cprof_profile_merge(srcs, 2, &out, &d), CPROF_EMISMATCH);
    CPROF_ASSERT_STR(d.msg, "incompatible period types cpu/nanoseconds and space/nanoseconds");
    CPROF_ASSERT_EQ(cprof_profile_merge(srcs, 0, &out, &d), CPROF_EUSAGE);
    cprof_profile_free(a);
    cprof_profile_free(b);
}

CPROF_TEST(merge_labels_compare_as_maps)
{
    struct cprof_profile *a = new_cpu(10), *out = NULL;
    struct cprof_label l1[3] = {{0}}, l2[2] = {{0}}, l3[2] = {{0}};
    uint32_t loc, k1, k2, v1, v2, bytes;

    loc = add_loc(a, CPROF_NONE, 0x10, "f", 1);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(a, "b", &k1), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(a, "a", &k2), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(a, "x", &v1), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(a, "y", &v2), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(a, "bytes", &bytes), 0);
    /* {b:[x], a:[y], size:64 bytes} + an ignored empty label */
    l1[0] = (struct cprof_label){.key = k1, .str = v1};
    l1[1] = (struct cprof_label){.key = k2, .num = 64, .num_unit = bytes};
    l1[2] = (struct cprof_label){.key = k2, .str = v2};
    add_sample(a, &loc, 1, 1, l1, 3);
    l2[0] = (struct cprof_label){.key = k2, .str = v2};
    l2[1] = (struct cprof_label){.key = k1, .str = v1};
    add_sample(a, &loc, 1, 2, l2, 2);                            /* differs: no numeric label */
    l3[0] = (struct cprof_label){.key = k2, .str = 0, .num = 0}; /* ignored */
    l3[1] = (struct cprof_label){.key = k1, .str = v1};
    add_sample(a, &loc, 1, 4, l3, 2);
    add_sample(a, &loc, 1, 8, l1, 3);
    /* Same map {a:[y], b:[x], a:64 bytes}, other order. */
    l1[0] = (struct cprof_label){.key = k2, .num = 64, .num_unit = bytes};
    l1[1] = (struct cprof_label){.key = k2, .str = v2};
    l1[2] = (struct cprof_label){.key = k1, .str = v1};
    add_sample(a, &loc, 1, 16, l1, 3);

    CPROF_ASSERT_EQ(cprof_profile_merge(&a, 1, &out, NULL), 0);
    CPROF_ASSERT_EQ(out->nsamples, 3);
    CPROF_ASSERT_EQ(out->samples[0].values[0], 25);
    CPROF_ASSERT_EQ(out->samples[0].nlabels, 3);
    /* Canonical order: string labels by key, then numeric ones. */
    CPROF_ASSERT_STR(cprof_profile_str(out, out->samples[0].labels[0].key), "a");
    CPROF_ASSERT_STR(cprof_profile_str(out, out->samples[0].labels[0].str), "y");
    CPROF_ASSERT_STR(cprof_profile_str(out, out->samples[0].labels[1].key), "b");
    CPROF_ASSERT_STR(cprof_profile_str(out, out->samples[0].labels[2].key), "a");
    CPROF_ASSERT_EQ(out->samples[0].labels[2].num, 64);
    CPROF_ASSERT_STR(cprof_profile_str(out, out->samples[0].labels[2].num_unit), "bytes");
    CPROF_ASSERT_EQ(out->samples[1].values[0], 2);
    CPROF_ASSERT_EQ(out->samples[2].values[0], 4);
    CPROF_ASSERT_EQ(out->samples[2].nlabels, 1);
    cprof_profile_free(out);
    cprof_profile_free(a);
}

CPROF_TEST(merge_drops_samples_that_sum_to_zero)
{
    struct cprof_profile *a = new_cpu(10), *b = new_cpu(10), *out = NULL;
    uint32_t l;

    l = add_loc(a, CPROF_NONE, 0x10, "gone", 1);
    add_sample(a, &l, 1, 5, NULL, 0);
    l = add_loc(a, CPROF_NONE, 0x20, "stays", 1);
    add_sample(a, &l, 1, 1, NULL, 0);
    l = add_loc(b, CPROF_NONE, 0x10, "gone", 1);
    add_sample(b, &l, 1, -5, NULL, 0);

    struct cprof_profile *srcs[] = {a, b};
    CPROF_ASSERT_EQ(cprof_profile_merge(srcs, 2, &out, NULL), 0);
    CPROF_ASSERT_EQ(out->nsamples, 1);
    CPROF_ASSERT_EQ(out->nlocations, 1);
    CPROF_ASSERT_EQ_U64(out->locations[0].id, 1);
    CPROF_ASSERT_STR(loc_func(out, 0), "stays");
    CPROF_ASSERT_EQ(out->nfunctions, 1);
    cprof_profile_free(out);
    cprof_profile_free(a);
    cprof_profile_free(b);
}

CPROF_TEST(scale_rounds_and_drops_zeroed_samples)
{
    struct cprof_profile *p = new_cpu(10);
    uint32_t m = add_map(p, 0x1000, 0x5000, "/bin/prog"), l[2];
    double neg[2] = {-1, -1}, half[2] = {1, 0.25}, ones[2] = {1, 1};

    l[0] = add_loc(p, m, 0x1100, "a", 1);
    l[1] = add_loc(p, m, 0x1200, "b", 2);
    add_sample(p, l, 1, 3, NULL, 0);     /* 3, 30 */
    add_sample(p, l + 1, 1, 0, NULL, 0); /* 0, 0: kept while the ratios are all 1 */
    CPROF_ASSERT_EQ(cprof_profile_scale(p, ones), 0);
    CPROF_ASSERT_EQ(p->nsamples, 2);
    CPROF_ASSERT_EQ(cprof_profile_scale(p, neg), 0);
    CPROF_ASSERT_EQ(p->nsamples, 1); /* the all-zero sample stays zero: dropped */
    CPROF_ASSERT_EQ(p->samples[0].values[0], -3);
    CPROF_ASSERT_EQ(p->samples[0].values[1], -30);
    CPROF_ASSERT_EQ(cprof_profile_scale(p, half), 0);
    CPROF_ASSERT_EQ(p->samples[0].values[0], -3); /* ratio 1: untouched */
    CPROF_ASSERT_EQ(p->samples[0].values[1], -8); /* -7.5 rounds away from zero */
    cprof_profile_free(p);
}

CPROF_TEST(normalize_scales_to_the_base_totals)
{
    struct cprof_profile *p = new_cpu(10), *base = new_cpu(10), *heap = cprof_profile_new();
    struct cprof_diag d = {0};
    uint32_t m = add_map(p, 0x1000, 0x5000, "/bin/prog"), mb, l, lb;

    l = add_loc(p, m, 0x1100, "a", 1);
    add_sample(p, &l, 1, 4, NULL, 0); /* 4, 40 */
    mb = add_map(base, 0x1000, 0x5000, "/bin/prog");
    lb = add_loc(base, mb, 0x1100, "a", 1);
    add_sample(base, &lb, 1, 2, NULL, 0); /* 2, 20 */
    add_sample(base, &lb, 1, 4, NULL, 0); /* 4, 40: totals 6, 60 */
    CPROF_ASSERT_EQ(cprof_profile_normalize(p, base, &d), 0);
    CPROF_ASSERT_EQ(p->samples[0].values[0], 6);
    CPROF_ASSERT_EQ(p->samples[0].values[1], 60);
    CPROF_ASSERT(heap != NULL);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(heap, "inuse_space", "bytes"), 0);
    CPROF_ASSERT_EQ(cprof_profile_normalize(p, heap, &d), CPROF_EMISMATCH);
    CPROF_ASSERT(d.msg[0] != 0);
    cprof_profile_free(p);
    cprof_profile_free(base);
    cprof_profile_free(heap);
}

CPROF_TEST(set_label_replaces_the_key_on_every_sample)
{
    struct cprof_profile *p = new_cpu(10), *out = NULL;
    struct cprof_diag d = {0};
    uint32_t m = add_map(p, 0x1000, 0x5000, "/bin/prog"), l, k, v;
    struct cprof_label lab[2] = {{0}};

    l = add_loc(p, m, 0x1100, "a", 1);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "pprof::base", &k), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "old", &v), 0);
    lab[0] = (struct cprof_label){.key = k, .str = v};
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "thread", &lab[1].key), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "t1", &lab[1].str), 0);
    add_sample(p, &l, 1, 1, lab, 2);
    add_sample(p, &l, 1, 2, NULL, 0);
    CPROF_ASSERT_EQ(cprof_profile_set_label(p, "pprof::base", "true"), 0);
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct cprof_sample *s = &p->samples[i];
        int base = 0;

        for (uint32_t j = 0; j < s->nlabels; j++) {
            if (s->labels[j].key == k) {
                base++;
                CPROF_ASSERT_STR(cprof_profile_str(p, s->labels[j].str), "true");
            }
        }
        CPROF_ASSERT_EQ(base, 1);
    }
    CPROF_ASSERT_EQ(p->samples[0].nlabels, 2);
    /* The label keeps the samples apart through a merge. */
    CPROF_ASSERT_EQ(cprof_profile_merge(&p, 1, &out, &d), 0);
    CPROF_ASSERT_EQ(out->nsamples, 2);
    cprof_profile_free(out);
    cprof_profile_free(p);
}
