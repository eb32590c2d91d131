/*
 * Fuzz target for cprof load's command line (flags, -H and -a values, -z
 * durations, the URL): the input is NUL-separated arguments.  Checks: no
 * crash, and the result is "run" (-1) or one of hey's exit statuses.
 * Nothing runs and nothing is read but a -D file named in the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *argv[66];
    int argc = 0, rc;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    argv[argc++] = (char *)"load";
    for (char *p = buf; p <= buf + size && argc < 65; p += strlen(p) + 1) {
        if (strncmp(p, "-D", 2) == 0 || strstr(p, "-D=")) /* no file reads */
            continue;
        argv[argc++] = p;
    }
    argv[argc] = NULL;
    /* The usage text goes to stderr; keep the replay's output readable. */
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    rc = cprof__load_check_args(argc, argv);
    fclose(stderr);
    stderr = saved;
    if (!(rc == -1 || rc == 0 || rc == 1 || rc == 2)) {
        fprintf(stderr, "fuzz_load_args: status %d\n", rc);
        abort();
    }
    free(buf);
    return 0;
}
