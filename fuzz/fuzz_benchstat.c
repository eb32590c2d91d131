/*
 * Fuzz target for `cprof benchstat`: the input as both files of a
 * comparison, through the reader (benchstat_parse.c), the statistics and
 * both output formats.  Invariant: no crash, exit status 0.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/buf.h"
#include "tool/benchstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(char **argv, int argc)
{
    struct cprof_buf out, err;

    cprof_buf_init(&out, (size_t)64 << 20);
    cprof_buf_init(&err, (size_t)64 << 20);
    if (cprof__benchstat_run(argc, argv, &out, &err) != 0)
        abort();
    cprof_buf_release(&out);
    cprof_buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = memfd_create("benchstat", 0);

    if (fd < 0 || size > (1 << 20))
        goto out;
    if (size && write(fd, data, size) != (ssize_t)size)
        goto out;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    char a[] = "benchstat", b[] = "-format", c[] = "csv", d[] = "-col", e[] = "/format",
         f[] = "-row", g[] = ".name", h[] = "note";
    char x[80], y[80];
    snprintf(x, sizeof(x), "old=%s", path);
    snprintf(y, sizeof(y), "new=%s", path);
    char *v1[] = {a, x, y};
    run(v1, 3);
    char *v2[] = {a, b, c, x, y};
    run(v2, 5);
    char *v3[] = {a, d, e, f, g, x};
    run(v3, 6);
    char *v4[] = {a, d, h, x};
    run(v4, 4);
out:
    if (fd >= 0)
        close(fd);
    return 0;
}
