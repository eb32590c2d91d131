/*
 * The runtime's one profile writer: every sampler (CPU, heap) builds a
 * profile of raw addresses, then hands it here to get the process's
 * mappings and symbols, its command line as a comment, the gzipped pprof
 * encoding, and its destination.
 */
#include "rt/rt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "model/codec.h"
#include "model/profile.h"

#define CMDLINE_MAX 2048 /* bytes of /proc/self/cmdline kept in the comment */

/* Appends arg to out (of size n, at *len), shell-quoted when it needs to be. */
static void append_arg(char *out, size_t n, size_t *len, const char *arg)
{
    bool plain = *arg != 0;

    for (const char *c = arg; *c && plain; c++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                       "_-+=/.,:@%^",
                       *c) != NULL;
    if (*len && *len + 1 < n)
        out[(*len)++] = ' ';
    if (!plain && *len + 1 < n)
        out[(*len)++] = '\'';
    for (const char *c = arg; *c && *len + 5 < n; c++) {
        if (*c == '\'') {
            memcpy(out + *len, "'\\''", 4);
            *len += 4;
        } else {
            out[(*len)++] = *c == '\n' ? ' ' : *c;
        }
    }
    if (!plain && *len + 1 < n)
        out[(*len)++] = '\'';
    out[*len] = 0;
}

/*
 * "cprof: cmdline: ARGS" from /proc/self/cmdline (what the program shows there:
 * a server that renames itself is seen by its new name), so each of the
 * profiles a run leaves (FILE.<pid> of children) says which process it is.
 */
static int add_cmdline_comment(struct cprof_profile *p)
{
    char raw[CMDLINE_MAX], text[CMDLINE_MAX + 64];
    size_t len = 0, got = 0;
    ssize_t r;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0; /* no /proc: no comment */
    while (got < sizeof(raw) - 1 && (r = read(fd, raw + got, sizeof(raw) - 1 - got)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    raw[got] = 0;
    len = (size_t)snprintf(text, sizeof(text), "cprof: cmdline:");
    for (size_t i = 0; i < got; i += strlen(raw + i) + 1)
        append_arg(text, sizeof(text) - 4, &len, raw + i);
    if (got == sizeof(raw) - 1)
        strcpy(text + len, " ...");
    return len > strlen("cprof: cmdline:") ? cprof_profile_add_comment(p, text) : 0;
}

int cprof__profile_write(struct cprof_profile *p, int fd, const char *path)
{
    struct cprof_buf buf;
    int err;

    /* Mappings, then symbolization (src/rt/maps.c): the file is useful elsewhere. */
    err = cprof__add_self_mappings(p);
    if (!err)
        err = add_cmdline_comment(p);
    cprof_buf_init(&buf, 0);
    if (!err)
        err = cprof_profile_encode(p, true, &buf);
    if (!err)
        err = fd >= 0 ? cprof_fd_write_all(fd, buf.data, buf.len)
                      : cprof_file_write_atomic(path, buf.data, buf.len);
    cprof_buf_release(&buf);
    return err;
}
