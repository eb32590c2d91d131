/*
 * Arena: a bump allocator whose memory is freed all at once.
 *
 * A profile owns one arena; everything hanging off the profile (strings,
 * per-sample arrays, lines) lives in it, so freeing the profile is one call.
 * Not thread-safe: one owner at a time.
 */
#ifndef CPROF_BASE_ARENA_H
#define CPROF_BASE_ARENA_H

#include <stddef.h>

struct cprof_arena_block;

struct cprof_arena {
    struct cprof_arena_block *head; /* newest block; older ones chained behind */
    char *cur;                      /* next free byte in head */
    char *end;                      /* end of head's usable space */
    size_t total;                   /* bytes obtained from malloc, for limits and stats */
};

/* Initialises an empty arena; allocates nothing. */
void cprof_arena_init(struct cprof_arena *a);

/* Frees every block; the arena is empty and reusable afterwards. */
void cprof_arena_release(struct cprof_arena *a);

/*
 * Returns n bytes aligned for any type, or NULL when malloc fails or n is
 * absurd.  Zero-size requests return a valid unique pointer.  The memory is
 * not zeroed; use cprof_arena_zalloc for that.
 */
void *cprof_arena_alloc(struct cprof_arena *a, size_t n);
void *cprof_arena_zalloc(struct cprof_arena *a, size_t n);

/* Allocates n * size bytes, NULL on overflow. */
void *cprof_arena_array(struct cprof_arena *a, size_t n, size_t size);

/*
 * Moves every block of src into dst (dst keeps carving its current block);
 * src is left empty.  For work done in separate arenas on separate threads
 * that one owner frees in the end.
 */
void cprof_arena_adopt(struct cprof_arena *dst, struct cprof_arena *src);

/* Copies len bytes of s and appends a NUL. */
char *cprof_arena_strndup(struct cprof_arena *a, const char *s, size_t len);

#endif /* CPROF_BASE_ARENA_H */
