/*
 * Reader of Go's benchmark format (golang.org/design/14313), as
 * golang.org/x/perf/benchfmt reads it for benchstat: `key: value`
 * configuration lines, `Benchmark...` result lines, `Unit` metadata
 * lines; anything else is ignored.  Units are tidied as benchstat does
 * (ns -> sec, MB -> B).  Bounded: a line longer than the limit or more
 * results than the limit is an error, not a crash.
 */
#ifndef CPROF_TOOL_BENCHSTAT_PARSE_H
#define CPROF_TOOL_BENCHSTAT_PARSE_H

#include <stddef.h>

#define BS_MAX_RESULTS (1 << 20)
#define BS_MAX_LINE    (1 << 16)

/* One measurement of a result line: a tidied value in a tidied unit. */
struct bs_value {
    double v;
    int unit;  /* index into bs_data.units */
    int ounit; /* index into bs_data.ounits: the unit as written */
};

/* One result line. */
struct bs_result {
    int file;   /* index into bs_data.files */
    int cfg;    /* index into bs_data.cfgs: the configuration in force */
    char *name; /* without "Benchmark" */
    struct bs_value *vals;
    int nvals;
};

/* A snapshot of the configuration: values by key index ("" = unset). */
struct bs_cfg {
    char **vals; /* nkeys entries when taken (later keys are unset) */
    int nvals;
};

struct bs_data {
    char **files;
    int nfiles; /* labels (.file) */
    char **keys;
    int nkeys; /* configuration keys, first-seen order */
    struct bs_cfg *cfgs;
    int ncfgs;
    char **units;
    int nunits; /* tidied units, first-seen order */
    char **ounits;
    int nounits; /* units as written, first-seen order */
    char **exact;
    int nexact; /* units declared assume=exact */
    struct bs_result *res;
    int nres;
};

/*
 * Adds the text of one input file, labelled `label`, to d.  Syntax errors
 * of result lines are reported to warn (if not NULL) as benchfmt does,
 * "path:line: message", and the line is skipped.  Returns 0 or -ENOMEM /
 * CPROF_ETOOBIG (too many results).
 */
int bs_parse(struct bs_data *d, const char *label, const char *path, const char *text, size_t len,
             void (*warn)(void *ctx, const char *msg), void *ctx);

/* Frees everything d holds; d is then empty. */
void bs_data_release(struct bs_data *d);

/* Tidies a unit as benchunit.Tidy: *factor times a value gives the tidied value. */
void bs_tidy_unit(const char *unit, char *out, size_t n, double *factor);

#endif /* CPROF_TOOL_BENCHSTAT_PARSE_H */
