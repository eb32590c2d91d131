/*
 * Tests of the flame graph report (src/tool/report/flame.c) on small
 * crafted profiles: frame geometry (root at the bottom, widths by value,
 * siblings in name order), value and percentage labels, filters and
 * sample_index, inline frames, and XML escaping of names.
 */
#include <stdlib.h>

#include "base/err.h"
#include "model/profile.h"
#include "tool/report/report.h"
#include "unit.h"

static uint32_t fl_loc(struct cprof_profile *p, uint64_t addr, const char *inner, const char *outer)
{
    struct cprof_line ln[2] = {{0}};
    uint32_t n = 0, pos;

    for (int i = 0; i < 2; i++) {
        const char *name = i == 0 ? inner : outer;
        struct cprof_function f = {0};

        if (!name)
            continue;
        CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, name, &f.name), 0);
        f.system_name = f.name;
        CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &ln[n++].func), 0);
    }
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, CPROF_NONE, addr, ln, n, false, &pos), 0);
    return pos;
}

/* main -> a (60 samples, 600 ms), main -> b (40 samples, 400 ms). */
static struct cprof_profile *fl_profile(const char *a, const char *b)
{
    struct cprof_profile *p = cprof_profile_new();
    uint32_t m, st[2];
    int64_t v[2];

    CPROF_ASSERT(p != NULL);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "cpu", "nanoseconds"), 0);
    m = fl_loc(p, 0x100, NULL, "main");
    st[0] = fl_loc(p, 0x200, NULL, a), st[1] = m;
    v[0] = 60, v[1] = 600000000;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, st, 2, v, NULL, 0, 0), 0);
    st[0] = fl_loc(p, 0x300, NULL, b), st[1] = m;
    v[0] = 40, v[1] = 400000000;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, st, 2, v, NULL, 0, 0), 0);
    return p;
}

/* The flame graph of p with options o; caller frees. */
static char *fl_render(const struct cprof_profile *p, const struct cprof_report_opts *o)
{
    struct cprof_diag diag = {0};
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);

    CPROF_ASSERT(f != NULL);
    CPROF_ASSERT_EQ(cprof_report_flamegraph(p, o, f, &diag), 0);
    fclose(f);
    return s;
}

#define ASSERT_HAS(svg, want)                                                                      \
    do {                                                                                           \
        if (!strstr((svg), (want)))                                                                \
            cprof__test_fail(__FILE__, __LINE__, "svg lacks: %s", (want));                         \
    } while (0)

CPROF_TEST(flame_widths_and_labels)
{
    struct cprof_profile *p = fl_profile("b_first_by_name", "a_second");
    struct cprof_report_opts o;
    char *svg;

    cprof_report_opts_init(&o);
    o.sample_index = "samples";
    svg = fl_render(p, &o);
    /* Rows: leaves at y=62, main at 78, root at the bottom (94); 1180 px wide. */
    ASSERT_HAS(svg, "<title>root (100, 100%)</title><rect x=\"10.00\" y=\"94\" "
                    "width=\"1180.00\" height=\"15\"");
    ASSERT_HAS(svg, "<title>main (100, 100%)</title><rect x=\"10.00\" y=\"78\" "
                    "width=\"1180.00\"");
    /* Siblings in name order: a_second (40%) first, then b_first_by_name (60%). */
    ASSERT_HAS(svg, "<title>a_second (40, 40.00%)</title><rect x=\"10.00\" y=\"62\" "
                    "width=\"472.00\"");
    ASSERT_HAS(svg, "<title>b_first_by_name (60, 60.00%)</title><rect x=\"482.00\" y=\"62\" "
                    "width=\"708.00\"");
    ASSERT_HAS(svg, "<text x=\"485.00\" y=\"73.5\">b_first_by_name</text>");
    ASSERT_HAS(svg, "Type: samples  \xc2\xb7  Total: 100</text>");
    ASSERT_HAS(svg, "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" "
                    "height=\"140\"");
    ASSERT_HAS(svg, "<script type=\"text/ecmascript\"><![CDATA[");
    CPROF_ASSERT(strstr(svg, "omitted") == NULL);
    CPROF_ASSERT(strstr(svg, "href") == NULL); /* self-contained */
    free(svg);
    cprof_profile_free(p);
}

CPROF_TEST(flame_default_sample_index_units)
{
    struct cprof_profile *p = fl_profile("a", "b");
    struct cprof_report_opts o;
    char *svg;

    cprof_report_opts_init(&o);
    svg = fl_render(p, &o);
    ASSERT_HAS(svg, "<title>a (600ms, 60.00%)</title>");
    ASSERT_HAS(svg, "<title>b (400ms, 40.00%)</title>");
    ASSERT_HAS(svg, "<title>root (1000ms, 100%)</title>");
    ASSERT_HAS(svg, "Type: cpu  \xc2\xb7  Total: 1000ms");
    free(svg);
    cprof_profile_free(p);
}

CPROF_TEST(flame_focus_rescales)
{
    struct cprof_profile *p = fl_profile("a", "b");
    struct cprof_report_opts o;
    char *svg;

    cprof_report_opts_init(&o);
    o.sample_index = "0";
    o.focus = "^b$";
    svg = fl_render(p, &o);
    /* Only b's samples remain: they fill the width; percentages stay of the total. */
    ASSERT_HAS(svg, "<title>b (40, 40.00%)</title><rect x=\"10.00\" y=\"62\" "
                    "width=\"1180.00\"");
    ASSERT_HAS(svg, "Total: 100  \xc2\xb7  Shown: 40</text>");
    CPROF_ASSERT(strstr(svg, "<title>a (") == NULL);
    free(svg);
    cprof_profile_free(p);
}

CPROF_TEST(flame_escapes_names)
{
    struct cprof_profile *p = fl_profile("std::vector<int>::push_back(int&&)", "q'\"\xff\x01x");
    struct cprof_report_opts o;
    char *svg;

    cprof_report_opts_init(&o);
    svg = fl_render(p, &o);
    ASSERT_HAS(svg, "<title>std::vector&lt;int&gt;::push_back(int&amp;&amp;) (600ms");
    ASSERT_HAS(svg, ">std::vector&lt;int&gt;::push_back(int&amp;&amp;)</text>");
    /* Invalid UTF-8 and control bytes cannot appear in XML: replaced. */
    ASSERT_HAS(svg, "<title>q&#39;&quot;??x (400ms");
    CPROF_ASSERT(strstr(svg, "<int>") == NULL);
    CPROF_ASSERT(strstr(svg, "\xff") == NULL);
    free(svg);
    cprof_profile_free(p);
}

CPROF_TEST(flame_inline_frames)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_report_opts o;
    uint32_t st[2];
    int64_t v = 5;
    char *svg;

    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    st[0] = fl_loc(p, 0x200, "inlined_leaf", "outer");
    st[1] = fl_loc(p, 0x100, NULL, "main");
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, st, 2, &v, NULL, 0, 0), 0);
    cprof_report_opts_init(&o);
    svg = fl_render(p, &o);
    /* root, main, outer, inlined_leaf: the inlined frame sits on its caller. */
    ASSERT_HAS(svg, "<title>outer (5, 100%)</title><rect x=\"10.00\" y=\"78\"");
    ASSERT_HAS(svg, "<title>inlined_leaf (5, 100%)</title><rect x=\"10.00\" y=\"62\"");
    free(svg);
    o.noinlines = true;
    svg = fl_render(p, &o);
    ASSERT_HAS(svg, "<title>outer (5, 100%)</title><rect x=\"10.00\" y=\"62\"");
    CPROF_ASSERT(strstr(svg, "inlined_leaf") == NULL);
    free(svg);
    cprof_profile_free(p);
}

CPROF_TEST(flame_omits_tiny_frames)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_report_opts o;
    uint32_t st[2];
    int64_t v;
    char *svg;

    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    st[1] = fl_loc(p, 0x100, NULL, "main");
    st[0] = fl_loc(p, 0x200, NULL, "big");
    v = 100000;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, st, 2, &v, NULL, 0, 0), 0);
    st[0] = fl_loc(p, 0x300, NULL, "tiny"); /* 1180 px / 100001: far below 0.3 px */
    v = 1;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, st, 2, &v, NULL, 0, 0), 0);
    cprof_report_opts_init(&o);
    svg = fl_render(p, &o);
    ASSERT_HAS(svg, "<title>big (");
    CPROF_ASSERT(strstr(svg, "<title>tiny") == NULL);
    ASSERT_HAS(svg, "1 frame narrower than 0.3 px omitted");
    free(svg);
    cprof_profile_free(p);
}

CPROF_TEST(flame_bad_sample_index)
{
    struct cprof_profile *p = fl_profile("a", "b");
    struct cprof_report_opts o;
    struct cprof_diag diag = {0};
    FILE *f = fopen("/dev/null", "w");

    cprof_report_opts_init(&o);
    o.sample_index = "nosuch";
    CPROF_ASSERT(f != NULL);
    CPROF_ASSERT(cprof_report_flamegraph(p, &o, f, &diag) == CPROF_EUSAGE);
    CPROF_ASSERT(strstr(diag.msg, "sample_index") != NULL);
    fclose(f);
    cprof_profile_free(p);
}
