/*
 * Whole-file reads with a size bound, and atomic whole-file writes.
 */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"

int cprof_fd_read_all(int fd, struct cprof_buf *out)
{
    for (;;) {
        ssize_t n;
        int err = cprof_buf_reserve(out, 64 * 1024);

        if (err == CPROF_ETOOBIG && out->len < out->max)
            err = cprof_buf_reserve(out, out->max - out->len);
        if (err)
            return err;
        n = read(fd, out->data + out->len, out->cap - out->len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return 0;
        out->len += (size_t)n;
        if (out->max && out->len == out->max) {
            char probe;
            ssize_t m = read(fd, &probe, 1);
            if (m > 0)
                return CPROF_ETOOBIG;
        }
    }
}

int cprof_file_read(const char *path, struct cprof_buf *out)
{
    int fd, err;

    if (strcmp(path, "-") == 0)
        return cprof_fd_read_all(0, out);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    err = cprof_fd_read_all(fd, out);
    close(fd);
    return err;
}

int cprof_fd_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int cprof_file_write_atomic(const char *path, const void *data, size_t n)
{
    size_t plen = strlen(path);
    char *tmp;
    int fd, err;

    if (strcmp(path, "-") == 0)
        return cprof_fd_write_all(1, data, n);
    tmp = malloc(plen + 16);
    if (!tmp)
        return -ENOMEM;
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        err = -errno;
        goto out_free;
    }
    err = cprof_fd_write_all(fd, data, n);
    if (!err && fchmod(fd, 0644) < 0)
        err = -errno;
    if (close(fd) < 0 && !err)
        err = -errno;
    if (!err && rename(tmp, path) < 0)
        err = -errno;
    if (err)
        unlink(tmp);
out_free:
    free(tmp);
    return err;
}
