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

#endif /* CPROF_MODEL_MERGE_H */
