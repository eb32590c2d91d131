/*
 * A report session: one profile, loaded from its sources (files or URLs),
 * merged, combined with a base, symbolized and pruned once, then asked
 * for any number of reports (pprof's driver: fetchProfiles, then
 * generateReport per command).
 *
 * The command line runs one session for one report; the interactive shell
 * holds one for all its commands; the web UI server holds one per profile
 * and runs reports into buffers from several threads.  Nothing here is
 * global: every option is in the session or in the request, every error
 * comes back as a code with its one-line reason in a struct cprof_diag,
 * and pprof's notes go to a FILE the caller chooses.
 */
#ifndef CPROF_TOOL_SESSION_H
#define CPROF_TOOL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model/codec.h" /* struct cprof_limits */
#include "tool/report/kinds.h"
#include "tool/report/report.h"

struct cprof_buf;
struct cprof_diag;

/* The options of one report: the engine's, plus what the session adds. */
struct cprof_session_opts {
    struct cprof_report_opts report; /* selection, filters, layout; strings borrowed */
    const char *tagroot, *tagleaf;   /* pprof's label pseudo frames; NULL or "" = none */
};

struct cprof_session {
    struct cprof_profile *prof;     /* the loaded profile, owned; NULL before loading */
    struct cprof_session_opts opts; /* defaults for reports (cprof_session_init) */
    struct cprof_limits lim;        /* bounds for every source read */
    long long seconds;              /* URL sources: -seconds, 0 = the server's default */
    long long timeout;              /* URL sources: -timeout in seconds, 0 = pprof's */
    const char *symbolize;          /* -symbolize mode (pprof's syntax); NULL = default */
    bool normalize;                 /* -normalize: scale sources to the base's totals */
    bool keep_profile;              /* reports never edit prof (shell, server); see report */
    int threads;                    /* threads a big job may use (base/par.h) */
    FILE *notes;                    /* pprof's notes while loading; NULL = none */
};

/*
 * Sets s to an empty session with pprof's defaults, limits sized for
 * this machine's processors and notes to stderr.  No allocation.
 */
void cprof_session_init(struct cprof_session *s /* OUT */);

/* Frees the session's profile; s may be initialized again. */
void cprof_session_release(struct cprof_session *s);

/* Threads for big decoding, encoding and compression jobs: the online processors, capped. */
int cprof_session_cpus(void);

/*
 * Loads paths[0..n) (files or URLs), finds their binaries (binary: the
 * one named on the command line, or NULL) and merges them into s->prof,
 * replacing any profile s had (pprof's chunkedGrab and combineProfiles,
 * units made common first).  A single profile is merged too (that
 * compacts it, as pprof does) unless compact is false (see
 * cprof_report_format.compact).  0, or a negative code with the reason in
 * diag (may be NULL); s->prof is unchanged on error.
 * Context: the session's owner thread.
 */
int cprof_session_load(struct cprof_session *s, char *const *paths, size_t n, const char *binary,
                       bool compact, struct cprof_diag *diag);

/*
 * pprof's -base (diff false) and -diff_base (diff true): the base
 * profile at path is loaded like a source, labelled pprof::base=true for
 * -diff_base, the sources are scaled to its totals with s->normalize, it
 * is negated and merged into s->prof.  0, or a negative code with the
 * reason in diag; s->prof is unchanged on error.
 * Context: the session's owner thread.
 */
int cprof_session_apply_base(struct cprof_session *s, const char *path, bool diff,
                             const char *binary, struct cprof_diag *diag);

/*
 * Symbolizes s->prof from local binaries as s->symbolize asks (pprof's
 * Symbolizer.Symbolize options), then prunes its stacks with the
 * profile's drop_frames (pprof's RemoveUninteresting, run once here for
 * every report).  Notes about mappings and options go to s->notes.  0, or
 * a negative code with the reason in diag.
 * Context: the session's owner thread.
 */
int cprof_session_symbolize(struct cprof_session *s, struct cprof_diag *diag);

/*
 * Writes report f of s->prof with options o (NULL: s->opts); symbol is
 * the regexp of -list, -peek and -disasm.  Text is written to out as it
 * is made; images, -raw and -proto are made whole and then written.
 * -raw and -proto filter the profile itself: s->prof in place unless
 * s->keep_profile, else a copy.  pprof's notes go to o->report.warn.
 * 0, or a negative code with the reason in diag (may be NULL); after an
 * error out may hold part of a text report.
 * Context: with s->keep_profile, any number of threads at once (s is only
 * read); else the session's owner thread.
 */
int cprof_session_report(struct cprof_session *s, const struct cprof_session_opts *o,
                         const struct cprof_report_format *f, const char *symbol, FILE *out,
                         struct cprof_diag *diag);

/*
 * cprof_session_report() into out (appended to; cprof_buf_init'ed by
 * the caller), made whole before the call returns.  Same errors; out
 * holds nothing new after an error.
 */
int cprof_session_report_buf(struct cprof_session *s, const struct cprof_session_opts *o,
                             const struct cprof_report_format *f, const char *symbol,
                             struct cprof_buf *out, struct cprof_diag *diag);

/*
 * pprof's reportOptions checks for the formats that bypass the report
 * engine (-raw, -proto): the sample type must exist and the divisor must
 * not be zero.  0 or CPROF_EUSAGE with the reason in diag.
 * Context: any thread; p is only read.
 */
int cprof_session_check_options(const struct cprof_profile *p, const struct cprof_report_opts *o,
                                struct cprof_diag *diag);

#endif /* CPROF_TOOL_SESSION_H */
