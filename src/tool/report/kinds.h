/*
 * The report formats the command line, the shell and the web UI offer
 * (pprof's commands table, internal/driver/commands.go): one row per
 * format with its flag, its help line, how it is written and what it
 * needs.  The engine's own needs per report kind (trimming, granularity,
 * the writer) are in the same file, report/kinds.c, behind report_int.h.
 */
#ifndef CPROF_TOOL_REPORT_KINDS_H
#define CPROF_TOOL_REPORT_KINDS_H

#include <stdbool.h>
#include <stddef.h>

#include "tool/report/report.h"

/* The number of formats (the command line's flag table has a section of them). */
#define CPROF_REPORT_NFORMATS 19

/* Who writes a format. */
enum cprof_report_out {
    CPROF_OUT_ENGINE, /* the report engine (cprof_report_run) */
    CPROF_OUT_RAW,    /* the filtered profile as text (pprof's -raw) */
    CPROF_OUT_PROTO,  /* the filtered profile, gzipped protobuf (-proto) */
    CPROF_OUT_IMAGE,  /* the engine's dot, rendered by graphviz */
};

struct cprof_report_format {
    const char *name;            /* flag and shell command: "top" */
    const char *help;            /* one line for the usage text */
    bool regexp;                 /* takes a regexp: -list=REGEX */
    enum cprof_report_out out;   /* who writes it */
    enum cprof_report_kind kind; /* the engine's report (IMAGE: its dot) */
    const char *image;           /* IMAGE: dot's -T argument */
    bool binary;                 /* binary output: refused on a terminal */
    bool compact;                /* a single profile is compacted first (pprof merges it) */
};

/*
 * The formats, in the order of the usage text; *n gets their count.
 * Context: any thread (constant data).
 */
const struct cprof_report_format *cprof_report_formats(size_t *n /* OUT */);

/* The format named name ("top", "svg", ...), or NULL. */
const struct cprof_report_format *cprof_report_format_find(const char *name);

#endif /* CPROF_TOOL_REPORT_KINDS_H */
