/*
 * cprof command-line entry point.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "cprof: not yet\n");
    return 2;
}
