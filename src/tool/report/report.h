/*
 * Report engine: pprof's text and graph reports (top, traces, peek, tree,
 * list, dot, tags, callgrind, collapsed, topproto) computed from a decoded profile.
 *
 * The engine follows go tool pprof (Go 1.19's vendored google/pprof): the
 * same sample selection, filters, graph, trimming, unit choice and layouts,
 * so its output can be compared byte for byte.  It never modifies the input
 * profile: filters work on a private copy of the stacks.  The caller is
 * expected to have merged its sources first (pprof always runs Merge, which
 * also drops all-zero samples and sums identical ones) and pruned the
 * stacks by the profile's drop_frames (tool/prune.h, pprof's
 * RemoveUninteresting, which pprof runs once when it reads a profile).
 *
 * Regular expressions are POSIX extended (regcomp), searched unanchored as
 * Go's MatchString does.  RE2-only syntax (\d, \w, (?i), non-greedy
 * operators) is not available.
 */
#ifndef CPROF_TOOL_REPORT_REPORT_H
#define CPROF_TOOL_REPORT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct cprof_diag;
struct cprof_profile;

enum cprof_report_kind {
    CPROF_REPORT_TOP,        /* -top / -text */
    CPROF_REPORT_TRACES,     /* -traces */
    CPROF_REPORT_TREE,       /* -tree */
    CPROF_REPORT_PEEK,       /* -peek=REGEX (opts.symbol) */
    CPROF_REPORT_LIST,       /* -list=REGEX (opts.symbol): sources read from disk */
    CPROF_REPORT_DOT,        /* -dot */
    CPROF_REPORT_TAGS,       /* -tags */
    CPROF_REPORT_CALLGRIND,  /* -callgrind */
    CPROF_REPORT_COLLAPSED,  /* -collapsed: folded stacks, root first */
    CPROF_REPORT_COMMENTS,   /* -comments */
    CPROF_REPORT_TOPPROTO,   /* -topproto: the top table as a gzipped profile (binary) */
    CPROF_REPORT_DISASM,     /* -disasm=REGEX (opts.symbol): needs the binaries on disk */
    CPROF_REPORT_FLAMEGRAPH, /* -flamegraph: interactive SVG flame graph */
    CPROF_REPORT_LABELS,     /* the profile's labels only (the shell's greeting) */
};

enum cprof_report_granularity {
    CPROF_GRAN_FUNCTIONS, /* default */
    CPROF_GRAN_FILEFUNCTIONS,
    CPROF_GRAN_FILES,
    CPROF_GRAN_LINES,
    CPROF_GRAN_ADDRESSES,
};

/*
 * Report options, named after pprof's.  Strings are borrowed; NULL or ""
 * means unset.  Fill with cprof_report_opts_init() first.
 */
struct cprof_report_opts {
    const char
        *sample_index;   /* index or type name ("inuse_" stripped as fallback); NULL = default */
    bool mean;           /* divide by sample value 0 (count) */
    double divide_by;    /* displayed values x 1/divide_by; 1 */
    const char *unit;    /* "minimum" (default), "auto" or a unit name */
    int nodecount;       /* -1 = auto (top: all, graphs: 80) */
    double nodefraction; /* 0.005 */
    double edgefraction; /* 0.001 */
    bool trim;           /* true; false disables the three above */
    bool cum;            /* sort by cum instead of flat */
    enum cprof_report_granularity granularity; /* functions */
    bool noinlines;            /* attribute inlined frames to the outermost function */
    bool relative_percentages; /* percentages of the focused subset */
    bool drop_negative;        /* hide nodes with negative values */
    bool compact_labels;       /* shorter headers (no File/Type/Time/Duration) */
    bool call_tree;            /* dot, callgrind: a context-sensitive call tree, not a graph */
    const char *focus, *ignore, *hide, *show, *show_from, *prune_from;
    const char *tagfocus, *tagignore, *tagshow, *taghide;
    const char *symbol;      /* regex for peek and list */
    const char *source_path; /* list: search path (':'-separated); NULL = cwd */
    const char *trim_path;   /* list: prefixes to trim from file names */
    bool intel_syntax;       /* disasm: Intel syntax instead of AT&T */
    FILE *warn;  /* pprof's notes ("Focus expression matched no samples"); NULL = none */
    int threads; /* threads a big report may use (base/par.h); 1 = none */
};

/* Sets every option to pprof's default. */
void cprof_report_opts_init(struct cprof_report_opts *o /* OUT */);

/*
 * Writes report kind of p with options o to out.  p is not modified.
 * 0, or a negative error with a pprof-like one-line reason in diag
 * (may be NULL): CPROF_EUSAGE for a bad option or regex ("parsing focus
 * regexp: ..."), CPROF_ENOTFOUND for "no matches found for regexp: ..."
 * and, after the whole list report is written, for a source file that
 * could not be read ("list: could not find file ..."),
 * -ENOMEM, -EIO when writing fails.
 * Context: any thread; uses no global state (but the time zone for Time:
 * and the current directory for list).
 */
int cprof_report_run(const struct cprof_profile *p, enum cprof_report_kind kind,
                     const struct cprof_report_opts *o, FILE *out, struct cprof_diag *diag);

/*
 * Writes p as a flame graph: one self-contained interactive SVG file
 * (inline CSS and JavaScript; no external resources).  The call tree is
 * merged root first by frame name at o's granularity (inline frames
 * included unless noinlines), after o's sample selection and filters;
 * the root is drawn at the bottom.  Hovering shows "name (value, pct%)",
 * a click zooms into a frame, Search (or Ctrl-F) highlights frames
 * matching a regular expression.  Frames narrower than 0.3 pixels are
 * omitted, which the header says.  Same as cprof_report_run() with
 * CPROF_REPORT_FLAMEGRAPH; same errors.
 * Context: any thread.
 */
int cprof_report_flamegraph(const struct cprof_profile *p, const struct cprof_report_opts *o,
                            FILE *out, struct cprof_diag *diag);

/*
 * pprof's -tagroot and -tagleaf: *out is a copy of p (ids kept) whose
 * every sample has a pseudo frame per key of tagroot at its root and of
 * tagleaf at its leaf (comma-separated keys; the first root key is the
 * outermost frame, the last leaf key the innermost).  A frame's function
 * is the sample's values for the key joined by "," (strings, then numbers
 * scaled to unit, pprof's -unit: NULL or "" = "minimum"), its file the key;
 * without a value the name is empty.  "TagRoot expression matched no
 * samples" (TagLeaf likewise) goes to warn (may be NULL) when no sample has
 * any of the keys.  Caller frees *out.  0, -ENOMEM or a decode error
 * (reason in diag, may be NULL).
 * Context: any thread; p must not change during the call.
 */
int cprof_report_label_frames(const struct cprof_profile *p, const char *tagroot,
                              const char *tagleaf, const char *unit,
                              struct cprof_profile **out /* OUT */, FILE *warn,
                              struct cprof_diag *diag);

/* Parses "functions", "lines", ...; 0 or CPROF_EUSAGE. */
int cprof_report_granularity_parse(const char *s, enum cprof_report_granularity *g /* OUT */);

#endif /* CPROF_TOOL_REPORT_REPORT_H */
