/*
 * Error codes shared by every cprof module.
 *
 * Functions return 0 on success, -errno for system failures, and one of the
 * CPROF_E* codes below (all under -4096, so they never collide with errno)
 * for cprof's own failures.
 */
#ifndef CPROF_BASE_ERR_H
#define CPROF_BASE_ERR_H

#include "cprof.h" /* enum cprof_err, cprof_strerror() */

/*
 * Caller-supplied diagnostic: a parser fills it with the reason for a
 * failure.  msg is always NUL-terminated.
 */
struct cprof_diag {
    int err;       /* the code returned */
    char msg[200]; /* one line, lowercase, no final period */
};

/* Formats a message into diag (if not NULL) and returns err. */
int cprof_diag_set(struct cprof_diag *diag, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* CPROF_BASE_ERR_H */
