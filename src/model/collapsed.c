/*
 * Collapsed stacks, the text FlameGraph's stackcollapse-*.pl scripts and
 * speedscope write: one line per stack, frames root first separated by
 * ';', then a space and the sample count.  pprof has no reader for it; the
 * profile built here is what `pprof -proto` of an equivalent profile would
 * hold: one sample type samples/count, one function and one location per
 * frame name, no mappings, equal stacks summed.
 */
#include "model/legacy.h"

#include <string.h>

#include "base/err.h"
#include "model/legacy_int.h"
#include "model/profile.h"

/* Splits "stack N" into stack and count; false when the line has another shape. */
static bool split_line(const char *l, size_t n, const char **stack, size_t *sn, int64_t *count)
{
    size_t i = n;

    while (i > 0 && l[i - 1] >= '0' && l[i - 1] <= '9')
        i--;
    if (i == n || i == 0 || (l[i - 1] != ' ' && l[i - 1] != '\t'))
        return false;
    if (n - i > 18 || cprof__parse_int(l + i, n - i, 10, count))
        return false;
    *stack = l;
    *sn = i - 1;
    while (*sn > 0 && (l[*sn - 1] == ' ' || l[*sn - 1] == '\t'))
        (*sn)--;
    return *sn > 0;
}

/* Every frame non-empty after trimming; the frames are added leaf first. */
static int add_frames(struct cprof__lp *lp, const char *st, size_t sn, struct cprof_diag *diag)
{
    size_t end = sn;

    while (end > 0) {
        size_t b = end;
        const char *f;
        size_t fn;
        int rc;
        while (b > 0 && st[b - 1] != ';')
            b--;
        f = st + b;
        fn = end - b;
        cprof__trim(&f, &fn);
        if (fn == 0)
            return CPROF__LEGACY_UNRECOGNIZED;
        rc = cprof__lp_loc_name(lp, f, fn, diag);
        if (rc)
            return rc;
        end = b > 0 ? b - 1 : 0;
        if (b > 0 && end == 0)
            return CPROF__LEGACY_UNRECOGNIZED; /* leading ';' */
    }
    return 0;
}

static int collapsed_body(struct cprof__lp *lp, struct cprof__scan *s, struct cprof_diag *diag)
{
    size_t lines = 0;

    while (cprof__scan(s)) {
        const char *l = s->line, *st;
        size_t n = s->linelen, sn;
        int64_t count;
        int rc;

        cprof__trim(&l, &n);
        if (n == 0)
            continue;
        if (!split_line(l, n, &st, &sn, &count) || memchr(l, '\0', n))
            return CPROF__LEGACY_UNRECOGNIZED;
        rc = cprof__lp_sample(lp, &count, 1, diag);
        if (!rc)
            rc = add_frames(lp, st, sn, diag);
        if (rc)
            return rc;
        lines++;
    }
    if (s->too_long)
        return cprof_diag_set(diag, CPROF_ECORRUPT, "collapsed stacks: line too long");
    return lines ? 0 : CPROF__LEGACY_UNRECOGNIZED;
}

int cprof_collapsed_parse(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                          struct cprof_profile **out, struct cprof_diag *diag)
{
    struct cprof__scan s;
    struct cprof__lp lp;
    int rc;

    cprof__scan_init(&s, (const char *)buf, len);
    cprof__lp_init(&lp, lim);
    lp.types[0][0] = lp.period_type[0] = "samples";
    lp.types[0][1] = lp.period_type[1] = "count";
    lp.ntypes = 1;
    lp.period = 1;
    lp.merge = true;
    rc = collapsed_body(&lp, &s, diag);
    if (!rc)
        rc = cprof__lp_finish(&lp, false, out, diag);
    cprof__lp_release(&lp);
    return rc;
}
