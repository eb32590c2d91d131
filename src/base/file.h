/*
 * Whole-file reads with a size bound, and writes that never leave a
 * half-written file behind.
 */
#ifndef CPROF_BASE_FILE_H
#define CPROF_BASE_FILE_H

#include <stddef.h>
#include <stdint.h>

struct cprof_buf;

/*
 * Reads all of path ("-" = stdin) into out, which must be initialised; the
 * buffer's max bounds the size.  0, -errno or CPROF_ETOOBIG.
 */
int cprof_file_read(const char *path, struct cprof_buf *out);

/* Reads everything from fd into out (bounded by out->max). */
int cprof_fd_read_all(int fd, struct cprof_buf *out);

/* Writes all n bytes to fd, retrying on EINTR and short writes. */
int cprof_fd_write_all(int fd, const void *p, size_t n);

/*
 * Writes data to path atomically: a temporary file in the same directory is
 * written, synced and renamed over path, so readers see the old file or the
 * new one, and a failure leaves nothing behind.  path "-" writes to stdout.
 */
int cprof_file_write_atomic(const char *path, const void *data, size_t n);

#endif /* CPROF_BASE_FILE_H */
