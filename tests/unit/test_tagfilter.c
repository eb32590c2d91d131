/*
 * Tests of the pieces model/filter.h shares with the report engine: the
 * compiled tag filters (pprof's compileTagFilter and its matching), the
 * label units (NumLabelUnits) and simplifyFunc into a growable buffer.
 */
#include "model/filter.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/profile.h"
#include "unit.h"

static struct cprof_label lab(struct cprof_profile *p, const char *key, const char *str,
                              int64_t num, const char *unit)
{
    struct cprof_label l = {0};

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, key, &l.key), 0);
    if (str)
        CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, str, &l.str), 0);
    l.num = num;
    if (unit)
        CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, unit, &l.num_unit), 0);
    return l;
}

/* One sample: phase="warm", bytes=2048 (no unit), request=5 (no unit), wait=3 ms. */
static struct cprof_profile *labelled(void)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_label l[4];
    int64_t v = 1;

    CPROF_ASSERT(p != NULL);
    CPROF_ASSERT_EQ(cprof_profile_add_sample_type(p, "samples", "count"), 0);
    l[0] = lab(p, "phase", "warm", 0, NULL);
    l[1] = lab(p, "bytes", NULL, 2048, NULL);
    l[2] = lab(p, "request", NULL, 5, NULL);
    l[3] = lab(p, "wait", NULL, 3, "ms");
    CPROF_ASSERT_EQ(cprof_profile_add_sample(p, NULL, 0, &v, l, 4, 0), 0);
    return p;
}

/* Compiles value as a tagfocus and matches it against the only sample of p. */
static bool passes(struct cprof_profile *p, const struct cprof_label_units *u, const char *value,
                   const char *want_range)
{
    struct cprof_tagfilter *tf;
    struct cprof_diag diag = {0};
    const char *range;
    bool out = false;

    CPROF_ASSERT_EQ(cprof_tagfilter_new("tagfocus", value, &tf, &range, &diag), 0);
    if (want_range)
        CPROF_ASSERT_STR(range ? range : "(null)", want_range);
    else
        CPROF_ASSERT(range == NULL);
    CPROF_ASSERT_EQ(cprof_tagfilter_match(p, tf, u, &p->samples[0], &out), 0);
    cprof_tagfilter_free(tf);
    return out;
}

CPROF_TEST(tagfilter_label_units)
{
    struct cprof_profile *p = labelled();
    struct cprof_label_units *u = cprof_label_units_new(p);
    const struct cprof_label *l = p->samples[0].labels;

    CPROF_ASSERT(u != NULL);
    CPROF_ASSERT_STR(cprof_label_units_get(p, u, l[1].key), "bytes"); /* the key itself */
    CPROF_ASSERT_STR(cprof_label_units_get(p, u, l[2].key), "bytes"); /* pprof's guess */
    CPROF_ASSERT_STR(cprof_label_units_get(p, u, l[3].key), "ms");    /* its own unit */
    cprof_label_units_free(u);
    cprof_profile_free(p);
}

CPROF_TEST(tagfilter_ranges_and_regexps)
{
    struct cprof_profile *p = labelled();
    struct cprof_label_units *u = cprof_label_units_new(p);
    struct cprof_tagfilter *tf = (struct cprof_tagfilter *)1;
    struct cprof_diag diag = {0};
    const char *range;

    CPROF_ASSERT(u != NULL);
    /* Numeric: the range text is what follows "key=", in the caller's string. */
    CPROF_ASSERT(passes(p, u, "bytes=1kb:4kb", "1kb:4kb"));
    CPROF_ASSERT(!passes(p, u, "bytes=4kb:", "4kb:"));
    CPROF_ASSERT(passes(p, u, ":2kb", ":2kb"));
    CPROF_ASSERT(passes(p, u, "request=5b", "5b"));
    CPROF_ASSERT(passes(p, u, "wait=2ms:3000us", "2ms:3000us"));
    CPROF_ASSERT(!passes(p, u, "wait=1s:", "1s:"));
    /* Regexps: with a key, on that key's values; without, each on some "key:value". */
    CPROF_ASSERT(passes(p, u, "phase=wa.*", NULL));
    CPROF_ASSERT(!passes(p, u, "phase=cold", NULL));
    CPROF_ASSERT(passes(p, u, "warm,^phase:w", NULL));
    CPROF_ASSERT(!passes(p, u, "cold,^phase:w", NULL));
    CPROF_ASSERT(!passes(p, u, "ph.*:c", NULL));
    /* A bad regexp is a usage error named after the filter. */
    CPROF_ASSERT_EQ(cprof_tagfilter_new("tagignore", "x,(", &tf, &range, &diag), CPROF_EUSAGE);
    CPROF_ASSERT(tf == NULL);
    CPROF_ASSERT(strstr(diag.msg, "parsing tagignore regexp") != NULL);
    cprof_label_units_free(u);
    cprof_profile_free(p);
}

CPROF_TEST(tagfilter_simplify_func_buf)
{
    char *buf = NULL, *name = malloc(3001);
    size_t cap = 0;

    CPROF_ASSERT(name != NULL);
    CPROF_ASSERT_STR(cprof_simplify_func_buf("ns::f(int)", &buf, &cap), "ns::f");
    memset(name, 'a', 3000);
    memcpy(name + 2000, "(x)", 3);
    name[3000] = '\0';
    /* Grows past any fixed size: the whole 2000-byte name comes back. */
    CPROF_ASSERT_EQ(strlen(cprof_simplify_func_buf(name, &buf, &cap)), 2000);
    CPROF_ASSERT(cap >= 3001);
    free(name);
    free(buf);
}
