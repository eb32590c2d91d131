/*
 * Merging profiles with the semantics of pprof's profile.Merge: the tool
 * merges every profile it reads (even a single one, which compacts it),
 * and the runtime merges to build delta profiles.
 */
#ifndef CPROF_MODEL_MERGE_H
#define CPROF_MODEL_MERGE_H

#include <stddef.h>

struct cprof_diag;
struct cprof_profile;

/*
 * Merges srcs[0..n) into a new profile, exactly as pprof's profile.Merge:
 *  - all profiles must have the same period type and sample types
 *    (CPROF_EMISMATCH, with "incompatible ... types A and B" in diag);
 *  - header: sample types, period type, drop/keep frames from srcs[0];
 *    period the largest; duration the sum; time the earliest (pprof's rule:
 *    a later zero resets it); comments deduplicated in order; default
 *    sample type the first nonempty one;
 *  - mappings, functions and locations are deduplicated with pprof's keys
 *    (a mapping by its 4 KiB-rounded size, offset and build id or file
 *    name) and renumbered 1, 2, ... in first-use order, mapping 1 being
 *    the first mapping of the first profile that has any; only what
 *    samples reference is kept;
 *  - samples whose values are all zero are dropped; samples with the same
 *    stack and labels are summed.  Labels are put in pprof's canonical
 *    order (string labels by key, then numeric labels by key); labels
 *    pprof ignores (no string, zero number, no unit) are dropped.
 * Line columns are kept and are part of a location's identity.
 * The sources are not modified.  Caller owns *out (cprof_profile_free()).
 * Returns 0, CPROF_EUSAGE (n == 0), CPROF_EMISMATCH, -ENOMEM, CPROF_ETOOBIG.
 * Context: any thread; sources must not change during the call.
 */
int cprof_profile_merge(struct cprof_profile *const *srcs, size_t n,
                        struct cprof_profile **out /* OUT */, struct cprof_diag *diag);

/*
 * pprof's Profile.ScaleN: every value of sample type k is multiplied by
 * ratios[k] (nsample_types entries) and rounded; types whose ratio is 1
 * are left alone, and a sample whose scaled values are all zero is
 * dropped (unless every ratio is 1).  Always 0.
 * Context: the owner's thread of p.
 */
int cprof_profile_scale(struct cprof_profile *p, const double *ratios);

/*
 * pprof's measurement.ScaleProfiles, run before every merge of the tool:
 * brings ps[0..n) to common units, so that profiles whose sample types
 * differ only in the unit (cpu in microseconds and in nanoseconds, bytes
 * and kilobytes, "ns" and "nanoseconds") can be merged.  For the period
 * type (over the profiles that have one) and for each sample type
 * position (n >= 2), the finest unit among the profiles is chosen (the
 * first when they are equal); each profile's unit string becomes that
 * unit's, its period is converted (truncated toward zero) and its values
 * are scaled with cprof_profile_scale() (rounded; samples scaled to all
 * zeros are dropped).  Units pprof does not know (count, ...) scale by 1.
 * When the types are not compatible as pprof sees them (type names that
 * differ other than by a trailing "s", units of different kinds,
 * different numbers of sample types), nothing is changed and 0 is
 * returned: cprof_profile_merge() then reports the mismatch.
 * 0, -ENOMEM or CPROF_ETOOBIG.
 * Context: the owner's thread of every profile.
 */
int cprof_profile_scale_units(struct cprof_profile *const *ps, size_t n);

/*
 * pprof's Profile.Normalize: scales p so that each sample type's total
 * equals base's (a type with a zero total in p scales by 0).  0,
 * CPROF_EMISMATCH ("incompatible sample types ..." in diag) or -ENOMEM.
 */
int cprof_profile_normalize(struct cprof_profile *p, const struct cprof_profile *base,
                            struct cprof_diag *diag);

/*
 * pprof's Profile.SetLabel with one value: every sample gets the string
 * label key=value, replacing the labels with that key.  0, -ENOMEM or
 * CPROF_ETOOBIG.
 */
int cprof_profile_set_label(struct cprof_profile *p, const char *key, const char *value);

#endif /* CPROF_MODEL_MERGE_H */
