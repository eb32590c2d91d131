/*
 * Command-line flags with the syntax of Go's flag package, which pprof uses:
 * -flag, --flag, -flag=value, -flag value (non-bool flags only), bool flags
 * as -flag or -flag=true|false.  Parsing stops at the first non-flag
 * argument ("-" counts as one) or after "--".
 *
 * Flags are described by a table, so a command adds an option with one
 * line: name, type, pointer to the option field, help text.
 */
#ifndef CPROF_TOOL_FLAGS_H
#define CPROF_TOOL_FLAGS_H

#include <stddef.h>
#include <stdio.h>

struct cprof_diag;

enum cprof_flag_type {
    CPROF_FLAG_BOOL,   /* ptr is bool * */
    CPROF_FLAG_STRING, /* ptr is const char ** (points into argv) */
    CPROF_FLAG_INT,    /* ptr is long long *; Go's base prefixes 0x, 0o, 0b, 0 */
    CPROF_FLAG_FLOAT,  /* ptr is double * */
};

struct cprof_flag {
    const char *name; /* without dashes: "output" */
    enum cprof_flag_type type;
    void *ptr;        /* the option field the value is stored in */
    const char *help; /* one line, shown by cprof_flags_usage() */
};

/* Returned by cprof_flags_parse() for -h, -help (when not in the table). */
#define CPROF_FLAGS_HELP (-1)

/*
 * Parses argv[0..argc) against the table flags[0..n) and stores values
 * through each flag's ptr.  Returns the index of the first argument that
 * is not a flag (argc when all were flags; a "--" is consumed), or a
 * negative value: CPROF_FLAGS_HELP when help was asked for, CPROF_EUSAGE
 * with Go's message in diag ("flag provided but not defined: -x",
 * "flag needs an argument: -x", "invalid value ...", "bad flag syntax: ...").
 * Context: any thread; no globals.
 */
int cprof_flags_parse(const struct cprof_flag *flags, size_t n, int argc, char **argv,
                      struct cprof_diag *diag);

/* Prints one line per flag: "  -name type    help". */
void cprof_flags_usage(FILE *f, const struct cprof_flag *flags, size_t n);

#endif /* CPROF_TOOL_FLAGS_H */
