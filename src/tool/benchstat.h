/*
 * `cprof benchstat`: golang.org/x/perf's benchstat on Go's benchmark format.
 */
#ifndef CPROF_TOOL_BENCHSTAT_H
#define CPROF_TOOL_BENCHSTAT_H

struct cprof_buf;

/* The subcommand: argv[0] is "benchstat".  Exit status 0, 1 or 2. */
int cprof_cmd_benchstat(int argc, char **argv);

/* Same, with stdout and stderr text appended to out and err (for tests). */
int cprof__benchstat_run(int argc, char **argv, struct cprof_buf *out, struct cprof_buf *err);

#endif /* CPROF_TOOL_BENCHSTAT_H */
