/*
 * Legacy text profiles, parsed as pprof's legacy_profile.go does:
 * heap ("heap profile: ..."), Go count profiles ("goroutine profile:
 * total N") and contention ("--- contention:", "--- mutex:").  Lines are
 * recognised with the same regular expressions (model/lre.h), numbers are
 * read with Go's strconv rules, and heap samples are unsampled with
 * scaleHeapSample's arithmetic.
 */
#include "model/legacy.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/legacy_int.h"
#include "model/lre.h"
#include "model/profile.h"

static const char heap_header_re[] =
    "heap profile: *(\\d+): *(\\d+) *\\[ *(\\d+): *(\\d+) *\\] *@ *(heap[_a-z0-9]*)/?(\\d*)";
static const char heap_sample_re[] = "(-?\\d+): *(-?\\d+) *\\[ *(\\d+): *(\\d+) *] @([ x0-9a-f]*)";
static const char growth_header_re[] =
    "heap profile: *(\\d+): *(\\d+) *\\[ *(\\d+): *(\\d+) *\\] @ growthz?";
static const char frag_header_re[] =
    "heap profile: *(\\d+): *(\\d+) *\\[ *(\\d+): *(\\d+) *\\] @ fragmentationz?";
static const char count_start_re[] = "\\A(\\S+) profile: total \\d+\\z";
static const char count_re[] = "\\A(\\d+) @(( 0x[0-9a-f]+)+)\\z";
static const char contention_sample_re[] = "(\\d+) *(\\d+) @([ x0-9a-f]*)";

#define CAP(caps, g)    ((caps)[2 * (g)])
#define CAPLEN(caps, g) ((caps)[2 * (g)] == SIZE_MAX ? 0 : (caps)[2 * (g) + 1] - (caps)[2 * (g)])

/* Go's int64(f) on amd64: out of range and NaN give the most negative value. */
static int64_t go_f2i(double f)
{
    if (isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)f;
}

static int64_t go_div(int64_t a, int64_t b)
{
    return (b == -1) ? (int64_t)(0 - (uint64_t)a) : a / b;
}

static int too_long(struct cprof_diag *diag)
{
    return cprof_diag_set(diag, CPROF_ECORRUPT, "bufio.Scanner: token too long");
}

static bool is_lhex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * Every match of 0x[0-9a-f]+ in s (leftmost, not overlapping, as Go's
 * FindAllString), each decremented by one, as the sample's locations.
 * Scanned by hand: a regexp search per number would be quadratic.
 */
static int add_hex_addrs(struct cprof__lp *lp, const char *s, size_t n, struct cprof_diag *diag)
{
    size_t i = 0;

    while (i + 2 < n) {
        size_t j = i + 2;
        uint64_t a;
        int rc;
        if (s[i] != '0' || s[i + 1] != 'x' || !is_lhex(s[j])) {
            i++;
            continue;
        }
        while (j < n && is_lhex(s[j]))
            j++;
        if (cprof__parse_uint(s + i, j - i, 0, &a))
            return cprof_diag_set(diag, CPROF_ECORRUPT,
                                  "malformed sample: failed to parse as hex 64-bit number: %.*s",
                                  (int)(j - i > 40 ? 40 : j - i), s + i);
        rc = cprof__lp_loc(lp, a - 1, diag);
        if (rc)
            return rc;
        i = j;
    }
    return 0;
}

/* ---- heap ------------------------------------------------------------------ */

struct heap_hdr {
    bool v2;      /* sampling "v2": unsample */
    int64_t rate; /* period */
    bool has_alloc;
};

static bool cap_eq(const char *l, const size_t *caps, int a, int b)
{
    return CAPLEN(caps, a) == CAPLEN(caps, b) &&
           memcmp(l + CAP(caps, a), l + CAP(caps, b), CAPLEN(caps, a)) == 0;
}

static bool cap_is(const char *l, const size_t *caps, int g, const char *s)
{
    return CAPLEN(caps, g) == strlen(s) && memcmp(l + CAP(caps, g), s, strlen(s)) == 0;
}

/* parseHeapHeader; 1 when unrecognised. */
static int heap_header(const char *l, size_t n, const struct cprof__lre *re, struct heap_hdr *h)
{
    size_t caps[2 * CPROF_LRE_MAX_CAP];
    int rc = cprof__lre_find(re, l, n, caps);

    if (rc <= 0)
        return rc < 0 ? rc : CPROF__LEGACY_UNRECOGNIZED;
    h->rate = 0;
    if (CAPLEN(caps, 6) && cprof__parse_int(l + CAP(caps, 6), CAPLEN(caps, 6), 10, &h->rate))
        return CPROF__LEGACY_UNRECOGNIZED;
    h->has_alloc = (!cap_eq(l, caps, 3, 1) && !cap_is(l, caps, 3, "0")) ||
                   (!cap_eq(l, caps, 4, 2) && !cap_is(l, caps, 4, "0"));
    if (cap_is(l, caps, 5, "heapz_v2") || cap_is(l, caps, 5, "heap_v2")) {
        h->v2 = true;
    } else if (cap_is(l, caps, 5, "heapprofile")) {
        h->v2 = false;
        h->rate = 1;
    } else if (cap_is(l, caps, 5, "heap")) {
        h->v2 = true;
        h->rate /= 2;
    } else {
        return CPROF__LEGACY_UNRECOGNIZED;
    }
    return 0;
}

/* scaleHeapSample */
static void scale_heap(int64_t *count, int64_t *size, int64_t rate)
{
    double avg, scale;

    if (*count == 0 || *size == 0) {
        *count = *size = 0;
        return;
    }
    if (rate <= 1)
        return;
    avg = (double)*size / (double)*count;
    scale = 1 / (1 - exp(-avg / (double)rate));
    *count = go_f2i((double)*count * scale);
    *size = go_f2i((double)*size * scale);
}

struct heap_values {
    int64_t v[4];
    uint32_t n;
    int64_t blocksize;
};

static int heap_pair(const char *l, const size_t *caps, int gc, int gs, const struct heap_hdr *h,
                     const char *label, struct heap_values *hv, struct cprof_diag *diag)
{
    int64_t count, size;

    if (cprof__parse_int(l + CAP(caps, gc), CAPLEN(caps, gc), 10, &count) ||
        cprof__parse_int(l + CAP(caps, gs), CAPLEN(caps, gs), 10, &size))
        return cprof_diag_set(diag, CPROF_ECORRUPT, "malformed sample: value out of range");
    if (count == 0 && size != 0)
        return cprof_diag_set(diag, CPROF_ECORRUPT, "%s count was 0 but %s bytes was %lld", label,
                              label, (long long)size);
    if (count != 0) {
        hv->blocksize = go_div(size, count);
        if (h->v2)
            scale_heap(&count, &size, h->rate);
    }
    hv->v[hv->n++] = count;
    hv->v[hv->n++] = size;
    return 0;
}

struct heap_res {
    struct cprof__lre hdr, growth, frag, sample;
};

static int heap_sample(struct cprof__lp *lp, const struct heap_res *res, const struct heap_hdr *h,
                       const char *l, size_t n, struct cprof_diag *diag)
{
    size_t caps[2 * CPROF_LRE_MAX_CAP];
    struct heap_values hv = {{0}, 0, 0};
    int rc = cprof__lre_find(&res->sample, l, n, caps);

    if (rc < 0)
        return cprof_diag_set(diag, rc, "out of memory");
    if (rc == 0)
        return cprof_diag_set(diag, CPROF_ECORRUPT,
                              "unexpected number of sample values: got 0, want 6");
    if (h->has_alloc && (rc = heap_pair(l, caps, 3, 4, h, "allocation", &hv, diag)) != 0)
        return rc;
    if ((rc = heap_pair(l, caps, 1, 2, h, "inuse", &hv, diag)) != 0)
        return rc;
    rc = cprof__lp_sample(lp, hv.v, hv.n, diag);
    if (rc)
        return rc;
    /*
     * A zero numeric label does not survive profile.proto (pprof's decoder
     * drops it, and no pprof output shows it): leave it out from the start.
     */
    lp->samples[lp->nsamples - 1].has_bytes = hv.blocksize != 0;
    lp->samples[lp->nsamples - 1].bytes = hv.blocksize;
    return add_hex_addrs(lp, l + CAP(caps, 5), CAPLEN(caps, 5), diag);
}

static void heap_types(struct cprof__lp *lp, bool has_alloc)
{
    static const char *const four[4][2] = {{"alloc_objects", "count"},
                                           {"alloc_space", "bytes"},
                                           {"inuse_objects", "count"},
                                           {"inuse_space", "bytes"}};

    lp->period_type[0] = "space";
    lp->period_type[1] = "bytes";
    if (has_alloc) {
        memcpy(lp->types, four, sizeof(four));
        lp->ntypes = 4;
    } else {
        lp->types[0][0] = "objects";
        lp->types[0][1] = "count";
        lp->types[1][0] = "space";
        lp->types[1][1] = "bytes";
        lp->ntypes = 2;
    }
    lp->drop_frames = CPROF__ALLOC_DROP_RX;
    lp->keep_frames = CPROF__ALLOC_KEEP_RX;
}

static int heap_body(struct cprof__lp *lp, const struct heap_res *res, struct cprof__scan *s,
                     struct cprof_diag *diag)
{
    struct heap_hdr h = {false, 0, false};
    int rc;

    rc = heap_header(s->line, s->linelen, &res->hdr, &h);
    if (rc == CPROF__LEGACY_UNRECOGNIZED) {
        size_t caps[2 * CPROF_LRE_MAX_CAP];
        rc = cprof__lre_find(&res->growth, s->line, s->linelen, caps);
        if (rc == 0)
            rc = cprof__lre_find(&res->frag, s->line, s->linelen, caps);
        if (rc == 0)
            return CPROF__LEGACY_UNRECOGNIZED;
        h.rate = 1;
        rc = rc < 0 ? rc : 0;
    }
    if (rc < 0)
        return cprof_diag_set(diag, rc, "out of memory");
    lp->period = h.rate;
    heap_types(lp, h.has_alloc);
    while (cprof__scan(s)) {
        const char *l = s->line;
        size_t n = s->linelen;
        cprof__trim(&l, &n);
        if (cprof__is_space_or_comment(l, n))
            continue;
        if (cprof__is_map_sentinel(l, n))
            break;
        rc = heap_sample(lp, res, &h, l, n, diag);
        if (rc)
            return rc;
    }
    if (s->too_long)
        return too_long(diag);
    return cprof__lp_additional_sections(lp, s, diag);
}

int cprof_legacy_parse_heap(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                            struct cprof_profile **out, struct cprof_diag *diag)
{
    struct heap_res *res;
    struct cprof__scan s;
    struct cprof__lp lp;
    int rc;

    cprof__scan_init(&s, (const char *)buf, len);
    if (!cprof__scan(&s))
        return s.too_long ? too_long(diag) : CPROF__LEGACY_UNRECOGNIZED;
    res = malloc(sizeof(*res));
    if (!res)
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    if (cprof__lre_compile(&res->hdr, heap_header_re) ||
        cprof__lre_compile(&res->growth, growth_header_re) ||
        cprof__lre_compile(&res->frag, frag_header_re) ||
        cprof__lre_compile(&res->sample, heap_sample_re)) {
        free(res);
        return cprof_diag_set(diag, CPROF_EUSAGE, "internal: bad heap pattern");
    }
    cprof__lp_init(&lp, lim);
    rc = heap_body(&lp, res, &s, diag);
    if (!rc)
        rc = cprof__lp_finish(&lp, false, out, diag);
    cprof__lp_release(&lp);
    free(res);
    return rc;
}

/* ---- Go count profiles ------------------------------------------------------- */

static int malformed(struct cprof_diag *diag)
{
    return cprof_diag_set(diag, CPROF_ECORRUPT, "malformed profile format");
}

static int count_line(struct cprof__lp *lp, const struct cprof__lre *re, const char *l, size_t n,
                      struct cprof_diag *diag)
{
    size_t caps[2 * CPROF_LRE_MAX_CAP];
    int64_t v;
    int rc = cprof__lre_find(re, l, n, caps);

    if (rc < 0)
        return cprof_diag_set(diag, rc, "out of memory");
    if (rc == 0 || cprof__parse_int(l + CAP(caps, 1), CAPLEN(caps, 1), 0, &v))
        return malformed(diag);
    rc = cprof__lp_sample(lp, &v, 1, diag);
    if (rc)
        return rc;
    rc = add_hex_addrs(lp, l + CAP(caps, 2), CAPLEN(caps, 2), diag);
    /* every field is 0x[0-9a-f]+ here, so a parse failure is an overflow */
    return rc == CPROF_ECORRUPT ? malformed(diag) : rc;
}

static int count_body(struct cprof__lp *lp, struct cprof__scan *s, char *type,
                      struct cprof_diag *diag)
{
    struct cprof__lre start, line;
    size_t caps[2 * CPROF_LRE_MAX_CAP];
    int rc;

    if (cprof__lre_compile(&start, count_start_re) || cprof__lre_compile(&line, count_re))
        return cprof_diag_set(diag, CPROF_EUSAGE, "internal: bad count pattern");
    while (cprof__scan(s) && cprof__is_space_or_comment(s->line, s->linelen))
        ;
    if (s->too_long)
        return too_long(diag);
    rc = cprof__lre_find(&start, s->line, s->linelen, caps);
    if (rc <= 0)
        return rc < 0 ? cprof_diag_set(diag, rc, "out of memory") : CPROF__LEGACY_UNRECOGNIZED;
    if (CAPLEN(caps, 1) > 255)
        return cprof_diag_set(diag, CPROF_ETOOBIG, "profile name longer than 255 bytes");
    memcpy(type, s->line + CAP(caps, 1), CAPLEN(caps, 1));
    type[CAPLEN(caps, 1)] = '\0';
    lp->period_type[0] = lp->types[0][0] = type;
    lp->period_type[1] = lp->types[0][1] = "count";
    lp->ntypes = 1;
    lp->period = 1;
    lp->drop_frames = CPROF__CPU_DROP_RX;
    while (cprof__scan(s)) {
        if (cprof__is_space_or_comment(s->line, s->linelen))
            continue;
        if (cprof__has_prefix(s->line, s->linelen, "---"))
            break;
        rc = count_line(lp, &line, s->line, s->linelen, diag);
        if (rc)
            return rc;
    }
    if (s->too_long)
        return too_long(diag);
    return cprof__lp_additional_sections(lp, s, diag);
}

int cprof_legacy_parse_count(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                             struct cprof_profile **out, struct cprof_diag *diag)
{
    struct cprof__scan s;
    struct cprof__lp lp;
    char type[256];
    int rc;

    cprof__scan_init(&s, (const char *)buf, len);
    cprof__lp_init(&lp, lim);
    rc = count_body(&lp, &s, type, diag);
    if (!rc)
        rc = cprof__lp_finish(&lp, false, out, diag);
    cprof__lp_release(&lp);
    return rc;
}

/* ---- contention ---------------------------------------------------------------- */

struct cont_attrs {
    int64_t cpu_hz;
};

/* One "key = value" line: 0 taken, 1 not an attribute (samples start), or unrecognised. */
static int cont_attr(struct cprof__lp *lp, struct cont_attrs *a, const char *l, size_t n,
                     bool *is_attr)
{
    const char *eq = memchr(l, '=', n), *k = l, *v;
    size_t kn, vn;
    int64_t x;

    *is_attr = eq != NULL;
    if (!eq)
        return 0;
    kn = (size_t)(eq - l);
    v = eq + 1;
    vn = n - kn - 1;
    cprof__trim(&k, &kn);
    cprof__trim(&v, &vn);
#define KEY(s) (kn == strlen(s) && memcmp(k, s, kn) == 0)
    if (KEY("discarded samples"))
        return 0;
    if (!KEY("cycles/second") && !KEY("sampling period") && !KEY("ms since reset"))
        return CPROF__LEGACY_UNRECOGNIZED;
    if (cprof__parse_int(v, vn, 0, &x))
        return CPROF__LEGACY_UNRECOGNIZED;
    if (KEY("cycles/second"))
        a->cpu_hz = x;
    else if (KEY("sampling period"))
        lp->period = x;
    else
        lp->duration_nanos = (int64_t)((uint64_t)x * 1000 * 1000);
#undef KEY
    return 0;
}

static int cont_sample(struct cprof__lp *lp, const struct cprof__lre *re, int64_t cpu_hz,
                       const char *l, size_t n, struct cprof_diag *diag)
{
    size_t caps[2 * CPROF_LRE_MAX_CAP];
    int64_t v1, v2, vals[2];
    int rc = cprof__lre_find(re, l, n, caps);

    if (rc < 0)
        return cprof_diag_set(diag, rc, "out of memory");
    if (rc == 0)
        return CPROF__LEGACY_UNRECOGNIZED;
    if (cprof__parse_int(l + CAP(caps, 1), CAPLEN(caps, 1), 10, &v1) ||
        cprof__parse_int(l + CAP(caps, 2), CAPLEN(caps, 2), 10, &v2))
        return cprof_diag_set(diag, CPROF_ECORRUPT, "malformed sample: value out of range");
    if (lp->period > 0) {
        if (cpu_hz > 0) {
            double ghz = (double)cpu_hz / 1e9;
            v1 = go_f2i((double)v1 * (double)lp->period / ghz);
        }
        v2 = (int64_t)((uint64_t)v2 * (uint64_t)lp->period);
    }
    vals[0] = v2;
    vals[1] = v1;
    rc = cprof__lp_sample(lp, vals, 2, diag);
    if (!rc)
        rc = add_hex_addrs(lp, l + CAP(caps, 3), CAPLEN(caps, 3), diag);
    return rc;
}

static int cont_body(struct cprof__lp *lp, struct cprof__scan *s, struct cprof_diag *diag)
{
    struct cprof__lre re;
    struct cont_attrs a = {0};
    int rc = 0;

    if (cprof__lre_compile(&re, contention_sample_re))
        return cprof_diag_set(diag, CPROF_EUSAGE, "internal: bad contention pattern");
    while (cprof__scan(s)) {
        const char *l = s->line;
        size_t n = s->linelen;
        bool is_attr;
        cprof__trim(&l, &n);
        if (cprof__is_space_or_comment(l, n))
            continue;
        if (cprof__has_prefix(l, n, "---"))
            break;
        rc = cont_attr(lp, &a, l, n, &is_attr);
        if (rc || !is_attr)
            break;
    }
    if (rc)
        return rc;
    if (s->too_long)
        return too_long(diag);
    for (;;) {
        const char *l = s->line;
        size_t n = s->linelen;
        cprof__trim(&l, &n);
        if (cprof__has_prefix(l, n, "---"))
            break;
        if (!cprof__is_space_or_comment(l, n)) {
            rc = cont_sample(lp, &re, a.cpu_hz, l, n, diag);
            if (rc)
                return rc;
        }
        if (!cprof__scan(s))
            break;
    }
    if (s->too_long)
        return too_long(diag);
    return cprof__lp_additional_sections(lp, s, diag);
}

int cprof_legacy_parse_contention(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                                  struct cprof_profile **out, struct cprof_diag *diag)
{
    struct cprof__scan s;
    struct cprof__lp lp;
    int rc;

    cprof__scan_init(&s, (const char *)buf, len);
    if (!cprof__scan(&s))
        return s.too_long ? too_long(diag) : CPROF__LEGACY_UNRECOGNIZED;
    if (!cprof__has_prefix(s.line, s.linelen, "--- contentionz ") &&
        !cprof__has_prefix(s.line, s.linelen, "--- mutex:") &&
        !cprof__has_prefix(s.line, s.linelen, "--- contention:"))
        return CPROF__LEGACY_UNRECOGNIZED;
    cprof__lp_init(&lp, lim);
    lp.period_type[0] = lp.types[0][0] = "contentions";
    lp.period_type[1] = lp.types[0][1] = "count";
    lp.types[1][0] = "delay";
    lp.types[1][1] = "nanoseconds";
    lp.ntypes = 2;
    lp.period = 1;
    lp.drop_frames = CPROF__LOCK_DROP_RX;
    rc = cont_body(&lp, &s, diag);
    if (!rc)
        rc = cprof__lp_finish(&lp, false, out, diag);
    cprof__lp_release(&lp);
    return rc;
}
