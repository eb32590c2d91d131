/*
 * Open-addressing hash index with linear probing.
 */
#include "base/htab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

void cprof_htab_init(struct cprof_htab *h)
{
    h->slots = NULL;
    h->cap = 0;
    h->len = 0;
}

void cprof_htab_release(struct cprof_htab *h)
{
    free(h->slots);
    cprof_htab_init(h);
}

static int htab_grow(struct cprof_htab *h)
{
    size_t cap = h->cap ? h->cap * 2 : 64;
    struct cprof_htab_slot *slots;

    if (cap > ((size_t)1 << 32))
        return CPROF_ETOOBIG;
    slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < h->cap; i++) {
        struct cprof_htab_slot s = h->slots[i];
        size_t j;

        if (!s.pos1)
            continue;
        for (j = s.hash & (cap - 1); slots[j].pos1; j = (j + 1) & (cap - 1))
            ;
        slots[j] = s;
    }
    free(h->slots);
    h->slots = slots;
    h->cap = cap;
    return 0;
}

int cprof_htab_lookup(struct cprof_htab *h, uint64_t hash, cprof_htab_eq_fn eq, const void *ctx,
                      uint32_t insert_pos, uint32_t *pos)
{
    uint32_t hv = (uint32_t)(hash ^ (hash >> 32));
    size_t j;

    if (h->cap) {
        for (j = hv & (h->cap - 1); h->slots[j].pos1; j = (j + 1) & (h->cap - 1)) {
            if (h->slots[j].hash == hv && eq(ctx, h->slots[j].pos1 - 1)) {
                *pos = h->slots[j].pos1 - 1;
                return 1;
            }
        }
    }
    if (insert_pos == UINT32_MAX)
        return CPROF_ENOTFOUND;
    if ((h->len + 1) * 4 > h->cap * 3) {
        int err = htab_grow(h);
        if (err)
            return err;
    }
    for (j = hv & (h->cap - 1); h->slots[j].pos1; j = (j + 1) & (h->cap - 1))
        ;
    h->slots[j].pos1 = insert_pos + 1;
    h->slots[j].hash = hv;
    h->len++;
    *pos = insert_pos;
    return 0;
}

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

uint64_t cprof_hash_u64(uint64_t h, uint64_t v)
{
    return mix(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

uint64_t cprof_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *c = p;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);

    while (n >= 8) {
        uint64_t w;
        memcpy(&w, c, 8);
        h = (h ^ mix(w)) * 0x100000001b3ULL;
        c += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, c, n);
        h = (h ^ mix(w)) * 0x100000001b3ULL;
    }
    return mix(h);
}
