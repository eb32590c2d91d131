/*
 * Sample filters applied to the profile itself, as pprof's applyFocus
 * (internal/driver/driver_focus.go) does before it writes -raw or -proto:
 * Profile.FilterSamplesByName (focus, ignore, hide, show), ShowFrom,
 * FilterSamplesByTag (tagfocus, tagignore), FilterTagsByName (tagshow,
 * taghide) and PruneFrom, in that order.
 *
 * Like pprof, the filters edit samples and location lines in place and do
 * not compact the tables: a location no sample uses any more stays.
 * Regular expressions are POSIX extended (regcomp), searched unanchored as
 * Go's MatchString does; RE2-only syntax is not available.
 */
#ifndef CPROF_MODEL_FILTER_H
#define CPROF_MODEL_FILTER_H

#include <stdbool.h>

struct cprof_diag;
struct cprof_profile;

/* The filters, named after pprof's options; NULL or "" = unset.  Strings are borrowed. */
struct cprof_filter_opts {
    const char *focus, *ignore, *hide, *show, *show_from, *prune_from;
    const char *tagfocus, *tagignore, *tagshow, *taghide;
};

/* One bit per filter, in the order pprof prints its notes about them. */
enum cprof_filter_bit {
    CPROF_FILTER_FOCUS = 1 << 0,
    CPROF_FILTER_IGNORE = 1 << 1,
    CPROF_FILTER_HIDE = 1 << 2,
    CPROF_FILTER_SHOW = 1 << 3,
    CPROF_FILTER_SHOW_FROM = 1 << 4,
    CPROF_FILTER_TAGFOCUS = 1 << 5,
    CPROF_FILTER_TAGIGNORE = 1 << 6,
    CPROF_FILTER_TAGSHOW = 1 << 7,
    CPROF_FILTER_TAGHIDE = 1 << 8,
};
#define CPROF_FILTER_NBITS 9

/* What pprof would tell the user about the filters. */
struct cprof_filter_notes {
    unsigned ranges;    /* CPROF_FILTER_TAGFOCUS/TAGIGNORE: read as a numeric range */
    unsigned unmatched; /* bits of the filters that were set and matched nothing */
};

/*
 * pprof's name of a filter in its notes ("Focus", "ShowFrom", ...) for
 * one bit; "" for anything else.
 */
const char *cprof_filter_name(unsigned bit);

/*
 * Applies the filters of o to p in place, exactly as pprof's applyFocus.
 * Even with no filter set, samples without locations are dropped (pprof's
 * FilterSamplesByName always runs).  Numeric tag filters ("32kb",
 * "1ms:5s", "key=:64kb") compare label values in the unit pprof's
 * NumLabelUnits gives their key, computed before any filtering.
 * notes (may be NULL) is filled as far as the filters got, also on error.
 * Returns 0, CPROF_EUSAGE for a regexp that does not compile ("parsing
 * focus regexp: ..." in diag) or -ENOMEM.  On error p may be partly
 * filtered.
 * Context: the owner's thread of p.
 */
int cprof_profile_filter(struct cprof_profile *p, const struct cprof_filter_opts *o,
                         struct cprof_filter_notes *notes /* OUT, may be NULL */,
                         struct cprof_diag *diag);

#endif /* CPROF_MODEL_FILTER_H */
