/*
 * Open-addressing hash index: maps keys that live elsewhere (in an array
 * owned by the caller) to their uint32 position in that array.
 *
 * The table stores only positions and hashes; the caller supplies the hash
 * of a key and an equality callback that compares the probe key with the
 * element at a position.  Used to intern strings, functions, locations,
 * mappings and samples.
 */
#ifndef CPROF_BASE_HTAB_H
#define CPROF_BASE_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cprof_htab_slot {
    uint32_t pos1; /* position + 1; 0 = empty */
    uint32_t hash; /* low bits of the key's hash */
};

struct cprof_htab {
    struct cprof_htab_slot *slots; /* malloc'd, cap entries */
    size_t cap;                    /* power of two, or 0 */
    size_t len;                    /* occupied slots */
};

/* Returns true when the element at pos equals the probe key in ctx. */
typedef bool (*cprof_htab_eq_fn)(const void *ctx, uint32_t pos);

void cprof_htab_init(struct cprof_htab *h);
void cprof_htab_release(struct cprof_htab *h);

/*
 * Looks the key up.  When found, *pos is its position and the result is 1.
 * When absent and insert_pos is not UINT32_MAX, records insert_pos for the
 * key, sets *pos = insert_pos and returns 0.  When absent and insert_pos is
 * UINT32_MAX, returns CPROF_ENOTFOUND.  -ENOMEM when the table cannot grow.
 */
int cprof_htab_lookup(struct cprof_htab *h, uint64_t hash, cprof_htab_eq_fn eq, const void *ctx,
                      uint32_t insert_pos, uint32_t *pos /* OUT */);

/* Hashing helpers: a fast 64-bit mix for bytes and integers. */
uint64_t cprof_hash_bytes(const void *p, size_t n, uint64_t seed);
uint64_t cprof_hash_u64(uint64_t h, uint64_t v);

#endif /* CPROF_BASE_HTAB_H */
