/*
 * cprof's subcommands.  main() picks one by the first argument ("run");
 * anything else is the pprof-style report command.
 */
#ifndef CPROF_TOOL_CMD_H
#define CPROF_TOOL_CMD_H

/*
 * `cprof [flags] PROFILE...`: reads, merges and reports profiles.
 * argv[0] is the program name.  Returns the exit status: 0, 1 for a
 * failure (one line on stderr), 2 for a usage error.
 */
int cprof_cmd_report(int argc, char **argv);

#endif /* CPROF_TOOL_CMD_H */
