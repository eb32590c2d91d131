/*
 * Growable byte buffer with an upper bound on its size.
 */
#include "base/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

void cprof_buf_init(struct cprof_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

int cprof_buf_reserve(struct cprof_buf *b, size_t n)
{
    size_t want, cap;
    uint8_t *p;

    if (n > SIZE_MAX / 2 - b->len)
        return CPROF_ETOOBIG;
    want = b->len + n;
    if (b->max && want > b->max)
        return CPROF_ETOOBIG;
    if (want <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    if (b->max && cap > b->max)
        cap = b->max;
    p = realloc(b->data, cap);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int cprof_buf_append(struct cprof_buf *b, const void *p, size_t n)
{
    int err = cprof_buf_reserve(b, n);

    if (err)
        return err;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int cprof_buf_printf(struct cprof_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, err;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CPROF_EUSAGE;
    err = cprof_buf_reserve(b, (size_t)n + 1);
    if (err)
        return err;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

uint8_t *cprof_buf_detach(struct cprof_buf *b, size_t *len)
{
    uint8_t *p = b->data;

    *len = b->len;
    cprof_buf_init(b, b->max);
    return p;
}

void cprof_buf_release(struct cprof_buf *b)
{
    free(b->data);
    cprof_buf_init(b, b->max);
}
