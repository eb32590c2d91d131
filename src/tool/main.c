/*
 * cprof command-line entry point: dispatches to a subcommand by the first
 * argument, else runs the pprof-style report command.
 */
#include <stdio.h>
#include <string.h>

#include "tool/attach.h"
#include "tool/benchstat.h"
#include "tool/cmd.h"
#include "tool/cmd_run.h"
#include "tool/load.h"

/* Subcommands, chosen by argv[1]; each gets argv from its own name on. */
static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"run", cprof_cmd_run},
    {"load", cprof_cmd_load},
    {"attach", cprof_cmd_attach},
    {"benchstat", cprof_cmd_benchstat},
};

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].fn(argc - 1, argv + 1);
    }
    return cprof_cmd_report(argc, argv);
}
