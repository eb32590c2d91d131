/*
 * `cprof run`: runs a program with the runtime preloaded and profiling on,
 * then summarizes the profile it wrote.
 */
#ifndef CPROF_TOOL_CMD_RUN_H
#define CPROF_TOOL_CMD_RUN_H

struct cprof_profile;

/*
 * cprof run [-cpu FILE] [-hz N] [-heap FILE] [-memrate N] [-leaks] [-merge]
 * [-http ADDR] [--] PROGRAM ARGS...
 * argv[0] is "run".  Returns the program's exit status (128 + signal when
 * it was killed), 127 when it could not be started, 2 for usage errors and
 * for an output directory that cannot take the profile.
 * Writes only to stderr; stdout belongs to the program.
 */
int cprof_cmd_run(int argc, char **argv);

/*
 * Prints pprof's top report of p, its n biggest nodes (header lines
 * included, default sample type), to stderr.  p is not modified.
 */
void cprof_run_print_top(struct cprof_profile *p, int n);

#endif /* CPROF_TOOL_CMD_RUN_H */
