/*
 * Growable byte buffer with an upper bound on its size.
 */
#ifndef CPROF_BASE_BUF_H
#define CPROF_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct cprof_buf {
    uint8_t *data; /* malloc'd; NULL while empty */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
    size_t max;    /* growth past this fails with CPROF_ETOOBIG; 0 = unbounded */
};

/* No allocation. max bounds growth (0 = no bound). */
void cprof_buf_init(struct cprof_buf *b, size_t max);

/* Makes room for n more bytes.  0, -ENOMEM or CPROF_ETOOBIG. */
int cprof_buf_reserve(struct cprof_buf *b, size_t n);

/* Appends n bytes.  0, -ENOMEM or CPROF_ETOOBIG. */
int cprof_buf_append(struct cprof_buf *b, const void *p, size_t n);

/* Appends formatted text (no NUL is kept in len). */
int cprof_buf_printf(struct cprof_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Hands the contents to the caller (free() them) and empties b. */
uint8_t *cprof_buf_detach(struct cprof_buf *b, size_t *len /* OUT */);

/* Frees the contents; b is reusable after cprof_buf_init. */
void cprof_buf_release(struct cprof_buf *b);

#endif /* CPROF_BASE_BUF_H */
