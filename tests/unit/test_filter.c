/*
 * Tests of cprof_profile_filter() (pprof's applyFocus on the profile) and
 * of the unit conversions of model/units.h.
 */
#include "model/filter.h"

#include <string.h>

#include "base/err.h"
#include "model/profile.h"
#include "model/units.h"
#include "unit.h"

/* Positions of the test profile's locations. */
enum { L_LEAF, L_WORK, L_MAIN, L_OTHER };

static uint32_t func(struct cprof_profile *p, const char *name)
{
    struct cprof_function f = {0};
    uint32_t pos;

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, name, &f.name), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "x.c", &f.filename), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_function(p, &f, &pos), 0);
    return pos;
}

static struct cprof_label label_str(struct cprof_profile *p, const char *k, const char *v)
{
    struct cprof_label l = {0};

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, k, &l.key), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, v, &l.str), 0);
    return l;
}

static struct cprof_label label_num(struct cprof_profile *p, const char *k, int64_t v)
{
    struct cprof_label l = {0};

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, k, &l.key), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "bytes", &l.num_unit), 0);
    l.num = v;
    return l;
}

/*
 * Locations: 0 = inl inlined into leaf, 1 = work, 2 = main, 3 = other.
 * Samples: [leaf work main] phase=a bytes=2048, [other main] phase=b
 * bytes=100, and one without a stack.
 */
static struct cprof_profile *new_profile(void)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_mapping m = {0};
    struct cprof_line ln[2] = {{0}};
    struct cprof_label lab[2];
    uint32_t mp, pos, s0[3] = {L_LEAF, L_WORK, L_MAIN}, s1[2] = {L_OTHER, L_MAIN};
    int64_t v;
    const char *names[] = {"work", "main", "other"};

    CPROF_ASSERT(p != NULL);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    m.start = 0x1000;
    m.limit = 0x2000;
    m.has_functions = true;
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, "/bin/prog", &m.filename), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_mapping(p, &m, &mp), 0);
    ln[0].func = func(p, "inl");
    ln[1].func = func(p, "leaf");
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, mp, 0x1010, ln, 2, false, &pos), 0);
    CPROF_ASSERT_EQ(pos, L_LEAF);
    for (uint32_t i = 0; i < 3; i++) {
        ln[0].func = func(p, names[i]);
        CPROF_ASSERT_EQ(cprof_profile_add_location(p, mp, 0x1020 + 0x10 * i, ln, 1, false, &pos),
                        0);
        CPROF_ASSERT_EQ(pos, L_WORK + i);
    }
    lab[0] = label_str(p, "phase", "a");
    lab[1] = label_num(p, "bytes", 2048);
    v = 1;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, s0, 3, &v, lab, 2, 0), 0);
    lab[0] = label_str(p, "phase", "b");
    lab[1] = label_num(p, "bytes", 100);
    v = 2;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, s1, 2, &v, lab, 2, 0), 0);
    v = 4;
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, NULL, 0, &v, NULL, 0, 0), 0);
    return p;
}

/* Filters a fresh profile with o; returns it (caller frees) and the notes. */
static struct cprof_profile *filtered(const struct cprof_filter_opts *o,
                                      struct cprof_filter_notes *notes)
{
    struct cprof_profile *p = new_profile();
    struct cprof_diag d = {0};

    CPROF_ASSERT_EQ(cprof_profile_filter(p, o, notes, &d), 0);
    return p;
}

static const char *line_name(const struct cprof_profile *p, uint32_t loc, uint32_t line)
{
    return cprof_profile_str(p, p->functions[p->locations[loc].lines[line].func].name);
}

CPROF_TEST(filter_none_drops_stackless_samples)
{
    struct cprof_filter_opts o = {0};
    struct cprof_filter_notes n;
    struct cprof_profile *p = filtered(&o, &n);

    CPROF_ASSERT_EQ(p->nsamples, 2);
    CPROF_ASSERT_EQ(p->samples[0].values[0], 1);
    CPROF_ASSERT_EQ(p->samples[1].values[0], 2);
    CPROF_ASSERT_EQ(n.unmatched, 0);
    cprof_profile_free(p);
}

CPROF_TEST(filter_focus_ignore)
{
    struct cprof_filter_opts o = {.focus = "work"};
    struct cprof_filter_notes n;
    struct cprof_profile *p = filtered(&o, &n);

    CPROF_ASSERT_EQ(p->nsamples, 1);
    CPROF_ASSERT_EQ(p->samples[0].values[0], 1);
    cprof_profile_free(p);
    /* Ignore wins over focus; a file name matches too (x.c everywhere). */
    o = (struct cprof_filter_opts){.focus = "x\\.c", .ignore = "other"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(p->nsamples, 1);
    CPROF_ASSERT_EQ(p->samples[0].values[0], 1);
    cprof_profile_free(p);
    /* The mapping's file matches. */
    o = (struct cprof_filter_opts){.ignore = "/bin/prog"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(p->nsamples, 0);
    CPROF_ASSERT_EQ(n.unmatched, 0);
    cprof_profile_free(p);
}

CPROF_TEST(filter_hide_show_edit_lines)
{
    struct cprof_filter_opts o = {.hide = "^inl$"};
    struct cprof_filter_notes n;
    struct cprof_profile *p = filtered(&o, &n);

    /* The inlined line goes, the location stays. */
    CPROF_ASSERT_EQ(p->locations[L_LEAF].nlines, 1);
    CPROF_ASSERT_STR(line_name(p, L_LEAF, 0), "leaf");
    CPROF_ASSERT_EQ(p->samples[0].nlocs, 3);
    cprof_profile_free(p);
    /* Every line hidden: the location leaves the stacks, not the table. */
    o = (struct cprof_filter_opts){.hide = "inl|leaf"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(p->nlocations, 4);
    CPROF_ASSERT_EQ(p->samples[0].nlocs, 2);
    CPROF_ASSERT_EQ(p->samples[0].locs[0], L_WORK);
    cprof_profile_free(p);
    o = (struct cprof_filter_opts){.show = "main"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(p->nsamples, 2);
    for (size_t i = 0; i < 2; i++) {
        CPROF_ASSERT_EQ(p->samples[i].nlocs, 1);
        CPROF_ASSERT_EQ(p->samples[i].locs[0], L_MAIN);
    }
    CPROF_ASSERT_EQ(p->locations[L_WORK].nlines, 0);
    cprof_profile_free(p);
}

CPROF_TEST(filter_show_from_and_prune_from)
{
    struct cprof_filter_opts o = {.show_from = "work"};
    struct cprof_filter_notes n;
    struct cprof_profile *p = filtered(&o, &n);

    /* Frames above the highest match go; samples without a match go. */
    CPROF_ASSERT_EQ(p->nsamples, 1);
    CPROF_ASSERT_EQ(p->samples[0].nlocs, 2);
    CPROF_ASSERT_EQ(p->samples[0].locs[1], L_WORK);
    cprof_profile_free(p);
    /* show_from in an inline chain keeps the lines up to the match. */
    o = (struct cprof_filter_opts){.show_from = "^inl$"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(p->locations[L_LEAF].nlines, 1);
    CPROF_ASSERT_EQ(p->samples[0].nlocs, 1);
    cprof_profile_free(p);
    /* prune_from: frames below the lowest match go, the match stays. */
    o = (struct cprof_filter_opts){.prune_from = "work"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(p->nsamples, 2);
    CPROF_ASSERT_EQ(p->samples[0].nlocs, 2);
    CPROF_ASSERT_EQ(p->samples[0].locs[0], L_WORK);
    CPROF_ASSERT_EQ(p->samples[1].nlocs, 2);
    cprof_profile_free(p);
    o = (struct cprof_filter_opts){.prune_from = "leaf"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(p->locations[L_LEAF].nlines, 1);
    CPROF_ASSERT_STR(line_name(p, L_LEAF, 0), "leaf");
    cprof_profile_free(p);
}

CPROF_TEST(filter_tags)
{
    struct cprof_filter_opts o = {.tagfocus = "phase=a"};
    struct cprof_filter_notes n;
    struct cprof_profile *p = filtered(&o, &n);

    CPROF_ASSERT_EQ(p->nsamples, 1);
    CPROF_ASSERT_EQ(p->samples[0].values[0], 1);
    CPROF_ASSERT_EQ(n.ranges, 0);
    cprof_profile_free(p);
    /* Key-less string filters match "key:value". */
    o = (struct cprof_filter_opts){.tagignore = "phase:a"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(p->nsamples, 1);
    CPROF_ASSERT_EQ(p->samples[0].values[0], 2);
    cprof_profile_free(p);
    /* Numeric ranges, in the label's unit: 100 B <= 1 kB < 2048 B. */
    o = (struct cprof_filter_opts){.tagfocus = ":1kb"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(n.ranges, CPROF_FILTER_TAGFOCUS);
    CPROF_ASSERT_EQ(p->nsamples, 1);
    CPROF_ASSERT_EQ(p->samples[0].values[0], 2);
    cprof_profile_free(p);
    o = (struct cprof_filter_opts){.tagfocus = "bytes=2kb", .tagignore = "bytes=1kb:"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(n.ranges, CPROF_FILTER_TAGFOCUS | CPROF_FILTER_TAGIGNORE);
    CPROF_ASSERT_EQ(p->nsamples, 0);
    CPROF_ASSERT_EQ(n.unmatched, 0);
    cprof_profile_free(p);
    /* tagshow/taghide remove labels by key. */
    o = (struct cprof_filter_opts){.taghide = "phase"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(p->samples[0].nlabels, 1);
    CPROF_ASSERT_STR(cprof_profile_str(p, p->samples[0].labels[0].key), "bytes");
    cprof_profile_free(p);
    o = (struct cprof_filter_opts){.tagshow = "phase"};
    p = filtered(&o, &n);
    CPROF_ASSERT_EQ(p->samples[1].nlabels, 1);
    CPROF_ASSERT_STR(cprof_profile_str(p, p->samples[1].labels[0].key), "phase");
    cprof_profile_free(p);
}

CPROF_TEST(filter_notes_and_errors)
{
    struct cprof_filter_opts o = {.focus = "nomatch", .hide = "nomatch", .tagshow = "nomatch"};
    struct cprof_filter_notes n;
    struct cprof_profile *p = filtered(&o, &n);
    struct cprof_diag d = {0};

    CPROF_ASSERT_EQ(p->nsamples, 0);
    CPROF_ASSERT_EQ(n.unmatched, CPROF_FILTER_FOCUS | CPROF_FILTER_HIDE | CPROF_FILTER_TAGSHOW);
    CPROF_ASSERT_STR(cprof_filter_name(CPROF_FILTER_SHOW_FROM), "ShowFrom");
    cprof_profile_free(p);
    p = new_profile();
    o = (struct cprof_filter_opts){.ignore = "("};
    CPROF_ASSERT_EQ(cprof_profile_filter(p, &o, &n, &d), CPROF_EUSAGE);
    CPROF_ASSERT(strncmp(d.msg, "parsing ignore regexp: ", 23) == 0);
    cprof_profile_free(p);
}

CPROF_TEST(units_scale_like_pprof)
{
    const char *u;

    CPROF_ASSERT(cprof_units_scale(3, "microseconds", "nanoseconds", &u) == 3000.0);
    CPROF_ASSERT_STR(u, "ns");
    CPROF_ASSERT(cprof_units_scale(2048, "bytes", "kilobytes", &u) == 2.0);
    CPROF_ASSERT_STR(u, "kB");
    CPROF_ASSERT(cprof_units_scale(1536, "B", "minimum", &u) == 1.5);
    CPROF_ASSERT_STR(u, "kB");
    CPROF_ASSERT(cprof_units_scale(-2000000, "ns", "ms", &u) == -2.0);
    CPROF_ASSERT(cprof_units_scale(7, "count", "auto", &u) == 7.0);
    CPROF_ASSERT_STR(u, "");
    CPROF_ASSERT(cprof_units_scale(7, "widgets", "things", &u) == 7.0);
    CPROF_ASSERT_STR(u, "things");
    /* An unknown target unit falls back to the kind's default unit. */
    CPROF_ASSERT(cprof_units_scale(5000000000, "ns", "fortnights", &u) == 5.0);
    CPROF_ASSERT_STR(u, "s");
    CPROF_ASSERT(cprof_units_same_kind("nanoseconds", "Seconds"));
    CPROF_ASSERT(cprof_units_same_kind("bytes", "MB"));
    CPROF_ASSERT(!cprof_units_same_kind("bytes", "ns"));
    CPROF_ASSERT(!cprof_units_same_kind("count", "count"));
}
