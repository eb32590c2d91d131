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
#include <stddef.h>
#include <stdint.h>

struct cprof_diag;
struct cprof_profile;
struct cprof_sample;

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

/* ---- pieces shared with the report engine and tool/prune.c ---------------- */

/*
 * The unit of each numeric label key of a profile, as pprof's
 * NumLabelUnits: the first non-empty unit its labels give, else "bytes"
 * for "alignment" and "request", else the key itself.
 */
struct cprof_label_units;

/*
 * The label units of p's samples as they are now (pprof computes them
 * before filtering).  Caller frees with cprof_label_units_free().  NULL on
 * ENOMEM.
 * Context: the owner's thread of p.
 */
struct cprof_label_units *cprof_label_units_new(const struct cprof_profile *p);

/* The unit of label key key (a string of p, the profile u was made from). */
const char *cprof_label_units_get(const struct cprof_profile *p, const struct cprof_label_units *u,
                                  uint32_t key);

/* Frees u; NULL is a no-op. */
void cprof_label_units_free(struct cprof_label_units *u);

/*
 * A compiled tagfocus or tagignore filter (pprof's compileTagFilter):
 * "[key=]value" where value is either a numeric range ("32kb", "1ms:5s",
 * ":64kb", "5s:") or comma-separated regexps.
 */
struct cprof_tagfilter;

/*
 * Compiles value, the text of the filter named name ("tagfocus"), into
 * *out (caller frees with cprof_tagfilter_free()).  *range gets the part
 * of value read as a numeric range, for pprof's "Interpreted '...' as
 * range" note, or NULL when it is regexps.  Returns 0, CPROF_EUSAGE for a
 * regexp that does not compile ("parsing tagfocus regexp: ..." in diag)
 * or -ENOMEM ("out of memory" in diag); *out is NULL on error.
 * Context: any thread.
 */
int cprof_tagfilter_new(const char *name, const char *value, struct cprof_tagfilter **out /* OUT */,
                        const char **range /* OUT */, struct cprof_diag *diag);

/*
 * Whether sample s of p passes tf, in *out: a numeric filter wants a
 * numeric label (of its key, if it has one) in the range, after scaling
 * from the key's unit in u to the range's unit; a regexp filter with a
 * key wants a string label of that key matching one of the regexps,
 * without a key every regexp must match some string label's "key:value".
 * Returns 0 or -ENOMEM.
 * Context: the owner's thread of p.
 */
int cprof_tagfilter_match(const struct cprof_profile *p, const struct cprof_tagfilter *tf,
                          const struct cprof_label_units *u, const struct cprof_sample *s,
                          bool *out /* OUT */);

/* Frees tf; NULL is a no-op. */
void cprof_tagfilter_free(struct cprof_tagfilter *tf);

/*
 * pprof's simplifyFunc: name without a leading '.' (PPC ELF v1 function
 * descriptors), cut at the first '(' that does not open "(anonymous
 * namespace)" or "operator()"; written to out (size n >= 1), truncated to
 * n - 1 bytes.
 * Context: any thread.
 */
void cprof_simplify_func(const char *name, char *out, size_t n);

/*
 * cprof_simplify_func of name into *buf, which grows to fit (*cap is its
 * size; start with NULL and 0, the caller frees *buf).  Returns *buf, or
 * NULL on ENOMEM (*buf is then still the caller's to free).
 * Context: any thread.
 */
const char *cprof_simplify_func_buf(const char *name, char **buf, size_t *cap);

/*
 * Forgets p's builder indexes over its locations and samples, which go
 * stale when stacks or lines are edited in place (the filters here,
 * pruning); the next cprof_profile_add_*() rebuilds them.
 * Context: the owner's thread of p.
 */
void cprof_profile_unindex(struct cprof_profile *p);

#endif /* CPROF_MODEL_FILTER_H */
