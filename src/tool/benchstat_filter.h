/*
 * benchstat's expression languages (golang.org/x/perf/benchproc/syntax):
 * filters (`.name:Copy /size:(4k OR 8k) -goos:/^win/ .unit:ns/op`) and
 * projections (`.name,/size@num goos@(linux darwin)`).  Both parse outside
 * input: bounded, every error is a message with the offending column.
 * Regular expressions are POSIX extended (regcomp), searched unanchored,
 * where Go uses RE2; the common subset means the same.
 */
#ifndef CPROF_TOOL_BENCHSTAT_FILTER_H
#define CPROF_TOOL_BENCHSTAT_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#define BS_FILTER_MAX_DEPTH 64   /* nesting of ( ) and - */
#define BS_FILTER_MAX_LEN   4096 /* bytes of one expression */
#define BS_MAX_VALUES       256  /* measurements of one result line */

struct bs_filter;

/*
 * Parses query into *out (caller frees with bs_filter_free()).  Returns 0,
 * or -1 with err holding Go's "syntax error: MSG\n\tQUERY\n\t   ^" text, or
 * -ENOMEM.
 */
int bs_filter_parse(const char *query, struct bs_filter **out /* OUT */, char *err, size_t errlen);

void bs_filter_free(struct bs_filter *f);

/* What a filter sees of one result. */
struct bs_fres {
    /* value of a key (.name, .fullname, .file, /sub, config key); "" if none */
    const char *(*get)(void *ctx, const char *key, char *buf, size_t n);
    void *ctx;
    int nvals;                 /* measurements, at most BS_MAX_VALUES */
    const char *const *units;  /* tidied unit of each measurement */
    const char *const *ounits; /* unit as written (may equal units[i]) */
};

/* Sets keep[i] for each measurement the filter keeps; returns how many. */
int bs_filter_match(const struct bs_filter *f, const struct bs_fres *r, bool *keep /* OUT */);

/* One field of a projection: key, order, and for "@(a b)" the fixed values. */
enum bs_order { BS_ORDER_FIRST, BS_ORDER_ALPHA, BS_ORDER_NUM, BS_ORDER_FIXED };

struct bs_pfield {
    char *key;
    enum bs_order order;
    char **fixed; /* BS_ORDER_FIXED: the values, in order */
    int nfixed;
};

/*
 * Parses a projection ("key", "key@alpha", "key@num", "key@(v1 v2)",
 * separated by commas or spaces) into *fields / *n (free with
 * bs_proj_free()).  Checks the keys: ".unit" is refused (filters only),
 * ".config" takes no fixed order, other keys starting with '.' must be
 * .name, .fullname, .file or .config.  Returns 0, -1 with err set as for
 * filters, or -ENOMEM.
 */
int bs_proj_parse(const char *expr, struct bs_pfield **fields /* OUT */, int *n /* OUT */,
                  char *err, size_t errlen);

void bs_proj_free(struct bs_pfield *fields, int n);

/* Numeric value of a "num"-ordered string ("2k", "1Mi", "3.5"); false if none. */
bool bs_num_value(const char *s, double *v /* OUT */);

#endif /* CPROF_TOOL_BENCHSTAT_FILTER_H */
