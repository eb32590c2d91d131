/*
 * The interactive report shell: go tool pprof's `(pprof) ` prompt
 * (Go 1.19's vendored google/pprof, internal/driver/interactive.go).
 *
 * The shell owns the command syntax (top10, focus and ignore arguments,
 * -cum, "> file", name=value assignments, sample type shortcuts, ":",
 * help, o/options, quit); options are the command's own flag table, set
 * and printed through its pointers, so no option is defined twice.  The
 * host (the report command) loads the profile and writes the reports.
 */
#ifndef CPROF_TOOL_SHELL_H
#define CPROF_TOOL_SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tool/flags.h"

/* One report command of the shell, with its one-off options. */
struct cprof_shell_cmd {
    const char *name;   /* a report format flag: "top", "list", "svg", ... */
    const char *param;  /* list, peek, disasm: the regexp; else NULL */
    bool has_nodecount; /* a number argument was given (or top's default 10) */
    long long nodecount;
    const char *focus;  /* joined focus (or tagfocus for tags) regexps; NULL = unchanged */
    const char *ignore; /* likewise ignore / tagignore */
    bool cum;           /* -cum */
    const char *output; /* "> FILE"; NULL = stdout */
};

struct cprof_shell_host {
    void *ctx;
    /* Report formats the shell accepts as commands (the flag table's format section). */
    const struct cprof_flag *formats;
    size_t nformats;
    /* The settable options (the flag table's option section). */
    const struct cprof_flag *options;
    size_t noptions;
    const char *const *sample_types; /* the profile's, in order */
    size_t nsample_types;
    /* Writes the report; prints its own errors; 0 or nonzero after an error. */
    int (*report)(void *ctx, const struct cprof_shell_cmd *c);
    /* Prints the profile's labels (pprof's greeting), one per line. */
    void (*greet)(void *ctx);
};

/*
 * Runs the shell until quit, exit, q or end of input: reads lines with
 * libedit (history, line editing) from the terminal, writes to stdout,
 * errors to stderr.  Option values the shell sets are strings it keeps
 * until it returns: the caller must not use them after.
 * 0, or -ENOMEM.
 * Context: main thread; changes the host's option variables.
 */
int cprof_shell_run(const struct cprof_shell_host *h);

#endif /* CPROF_TOOL_SHELL_H */
