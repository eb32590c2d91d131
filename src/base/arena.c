/*
 * Arena allocator: large blocks carved front to back, freed together.
 */
#include "base/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN     16
#define ARENA_MIN_BLOCK (64 * 1024)
#define ARENA_MAX_BLOCK (8 * 1024 * 1024)

struct cprof_arena_block {
    struct cprof_arena_block *next;
    size_t size; /* usable bytes after the header */
    _Alignas(ARENA_ALIGN) char data[];
};

void cprof_arena_init(struct cprof_arena *a)
{
    a->head = NULL;
    a->cur = NULL;
    a->end = NULL;
    a->total = 0;
}

void cprof_arena_release(struct cprof_arena *a)
{
    struct cprof_arena_block *b = a->head;

    while (b) {
        struct cprof_arena_block *next = b->next;
        free(b);
        b = next;
    }
    cprof_arena_init(a);
}

static void *arena_grow(struct cprof_arena *a, size_t n)
{
    /* Blocks double up to a cap so small profiles stay small. */
    size_t size = a->total < ARENA_MIN_BLOCK ? ARENA_MIN_BLOCK : a->total;
    struct cprof_arena_block *b;

    if (size > ARENA_MAX_BLOCK)
        size = ARENA_MAX_BLOCK;
    if (n > size / 4) {
        /* A big request gets a block of its own, behind the current one. */
        b = malloc(sizeof(*b) + n);
        if (!b)
            return NULL;
        b->size = n;
        a->total += n;
        if (a->head) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = NULL;
            a->head = b;
            a->cur = a->end = b->data + n;
        }
        return b->data;
    }
    b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->size = size;
    b->next = a->head;
    a->head = b;
    a->total += size;
    a->cur = b->data + n;
    a->end = b->data + size;
    return b->data;
}

void *cprof_arena_alloc(struct cprof_arena *a, size_t n)
{
    void *p;

    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n == 0)
        n = ARENA_ALIGN;
    if (a->cur && (size_t)(a->end - a->cur) >= n) {
        p = a->cur;
        a->cur += n;
        return p;
    }
    return arena_grow(a, n);
}

void *cprof_arena_zalloc(struct cprof_arena *a, size_t n)
{
    void *p = cprof_arena_alloc(a, n);

    if (p)
        memset(p, 0, n);
    return p;
}

void *cprof_arena_array(struct cprof_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / 2 / size)
        return NULL;
    return cprof_arena_alloc(a, n * size);
}

char *cprof_arena_strndup(struct cprof_arena *a, const char *s, size_t len)
{
    char *p = cprof_arena_alloc(a, len + 1);

    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void cprof_arena_adopt(struct cprof_arena *dst, struct cprof_arena *src)
{
    struct cprof_arena_block *last = src->head;

    if (!last)
        return;
    if (!dst->head) {
        *dst = *src;
        cprof_arena_init(src);
        return;
    }
    while (last->next)
        last = last->next;
    /* src's chain goes behind dst's head, which stays the block carved from. */
    last->next = dst->head->next;
    dst->head->next = src->head;
    dst->total += src->total;
    cprof_arena_init(src);
}
