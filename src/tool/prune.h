/*
 * pprof's Profile.RemoveUninteresting / Prune: frames matched by the
 * profile's drop_frames regexp (and not by keep_frames) are cut from the
 * stacks, with everything they called.  pprof applies it to every profile
 * it reads, after merging.
 */
#ifndef CPROF_TOOL_PRUNE_H
#define CPROF_TOOL_PRUNE_H

struct cprof_profile;

/*
 * Prunes p in place with its own drop_frames/keep_frames, as pprof's
 * RemoveUninteresting does; tables are not compacted (pprof does not).
 * The patterns are POSIX extended regexps here (pprof's are RE2: simple
 * patterns mean the same).  A pattern that does not compile is ignored, as
 * pprof ignores the error.  0 or -ENOMEM.
 */
int cprof_profile_remove_uninteresting(struct cprof_profile *p);

#endif /* CPROF_TOOL_PRUNE_H */
