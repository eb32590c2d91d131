/*
 * gperftools' legacy binary CPU profile (pprof's parseCPU / cpuProfile).
 *
 * The file is machine words of one width and byte order, which pprof
 * guesses by trying 32-bit little, 32-bit big, 64-bit little and 64-bit
 * big endian until the header reads 0, 3, 0, period, 0.  Records follow:
 * count, depth, pc[0..depth) (leaf first), until the trailer 0, 1, 0; the
 * rest is the text of /proc/self/maps.
 */
#include "model/legacy.h"

#include <string.h>

#include "base/err.h"
#include "model/legacy_int.h"
#include "model/profile.h"

struct words {
    const uint8_t *p;
    size_t n;       /* bytes left */
    bool dead;      /* a read ran past the end: Go's nil slice */
    unsigned width; /* 4 or 8 */
    bool big;
};

/* One word; past the end it yields 0 and the reader is dead from then on. */
static uint64_t word(struct words *w)
{
    uint64_t v = 0;

    if (w->dead || w->n < w->width) {
        w->dead = true;
        return 0;
    }
    for (unsigned i = 0; i < w->width; i++) {
        unsigned k = w->big ? i : w->width - 1 - i;
        v = v << 8 | w->p[k];
    }
    w->p += w->width;
    w->n -= w->width;
    return v;
}

static int read_samples(struct cprof__lp *lp, struct words *w, struct cprof_diag *diag)
{
    while (!w->dead && w->n > 0) {
        uint64_t count = word(w), nstk = word(w);
        int64_t vals[2];
        int rc;

        if (w->dead || nstk > w->n / 4)
            return CPROF__LEGACY_UNRECOGNIZED;
        /* The trailer: count 0, one frame at address 0. */
        if (count == 0 && nstk == 1) {
            struct words peek = *w;
            if (word(&peek) == 0) {
                *w = peek;
                break;
            }
        }
        vals[0] = (int64_t)count;
        vals[1] = (int64_t)(count * (uint64_t)lp->period);
        rc = cprof__lp_sample(lp, vals, 2, diag);
        for (uint64_t i = 0; !rc && i < nstk; i++) {
            uint64_t a = word(w);
            rc = cprof__lp_loc(lp, i > 0 ? a - 1 : a, diag);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * Signal-handler frames: when (almost) every sample has the same address
 * second, drop it; twice at most.  The leaf comes from the signal context
 * and is always right.
 */
static void strip_handler_frames(struct cprof__lp *lp)
{
    size_t margin = lp->nsamples / 32;

    for (int iter = 0; iter < 2; iter++) {
        uint64_t cand = 0;
        size_t votes = 0, have = 0;

        /* Boyer-Moore majority vote, then a count: at most one address can qualify. */
        for (size_t s = 0; s < lp->nsamples; s++) {
            struct cprof__lp_sample *sm = &lp->samples[s];
            uint64_t a;
            if (sm->nlocs < 2)
                continue;
            a = lp->addrs[lp->stack[sm->first + 1]];
            if (votes == 0)
                cand = a, votes = 1;
            else
                votes += cand == a ? 1 : (size_t)-1;
            have = 1;
        }
        if (!have)
            return;
        votes = 0;
        for (size_t s = 0; s < lp->nsamples; s++) {
            struct cprof__lp_sample *sm = &lp->samples[s];
            if (sm->nlocs > 1 && lp->addrs[lp->stack[sm->first + 1]] == cand)
                votes++;
        }
        if (votes < lp->nsamples - margin)
            continue;
        for (size_t s = 0; s < lp->nsamples; s++) {
            struct cprof__lp_sample *sm = &lp->samples[s];
            uint32_t *st = &lp->stack[sm->first];
            if (sm->nlocs > 1 && lp->addrs[st[1]] == cand) {
                memmove(&st[1], &st[2], (sm->nlocs - 2) * sizeof(*st));
                sm->nlocs--;
            }
        }
    }
}

static int cpu_profile(struct words *w, int64_t period, const struct cprof_limits *lim,
                       struct cprof_profile **out, struct cprof_diag *diag)
{
    struct cprof__lp lp;
    struct cprof__scan s;
    int rc;

    cprof__lp_init(&lp, lim);
    lp.period = (int64_t)((uint64_t)period * 1000);
    lp.period_type[0] = "cpu";
    lp.period_type[1] = "nanoseconds";
    lp.types[0][0] = "samples";
    lp.types[0][1] = "count";
    lp.types[1][0] = "cpu";
    lp.types[1][1] = "nanoseconds";
    lp.ntypes = 2;
    lp.drop_frames = CPROF__CPU_DROP_RX;
    /* A bad record makes the whole file "not a CPU profile", as in pprof. */
    rc = read_samples(&lp, w, diag);
    if (!rc) {
        strip_handler_frames(&lp);
        cprof__scan_init(&s, w->dead ? "" : (const char *)w->p, w->dead ? 0 : w->n);
        rc = cprof__lp_parse_maps(&lp, &s, diag);
    }
    if (!rc)
        rc = cprof__lp_finish(&lp, true, out, diag);
    cprof__lp_release(&lp);
    return rc;
}

int cprof_legacy_parse_cpu(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                           struct cprof_profile **out, struct cprof_diag *diag)
{
    static const struct {
        unsigned width;
        bool big;
    } kinds[] = {{4, false}, {4, true}, {8, false}, {8, true}};

    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct words w = {buf, len, false, kinds[k].width, kinds[k].big};
        uint64_t n1 = word(&w), n2 = word(&w), n3 = word(&w), n4 = word(&w), n5 = word(&w);

        if (w.dead || n1 != 0 || n2 != 3 || n4 == 0 || n5 != 0)
            continue;
        if (n3 == 0)
            return cpu_profile(&w, (int64_t)n4, lim, out, diag);
        if (n3 == 1)
            return cprof_diag_set(diag, CPROF_EVERSION,
                                  "java legacy CPU profiles are not supported");
    }
    return CPROF__LEGACY_UNRECOGNIZED;
}
