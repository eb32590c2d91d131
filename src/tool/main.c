/*
 * cprof command-line entry point.
 */
#include <stdio.h>
#include <string.h>

#include "tool/cmd_run.h"

int main(int argc, char **argv)
{
    /* TEMPORARY (branch cpu): dispatch `run` until main.c's owner wires it. */
    if (argc > 1 && !strcmp(argv[1], "run"))
        return cprof_cmd_run(argc - 1, argv + 1);
    fprintf(stderr, "cprof: not yet\n");
    return 2;
}
