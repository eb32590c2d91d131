/*
 * Internals shared by the codec's files and its reference tests.
 */
#ifndef CPROF_MODEL_CODEC_INT_H
#define CPROF_MODEL_CODEC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "model/profile.h"

struct cprof_diag;
struct cprof_limits;
struct cprof_profile;

/* id -> table position, for the ids of one table. */
struct cprof_id_pos {
    uint64_t id;
    uint32_t pos;
};

struct cprof_idmap {
    uint32_t *dense; /* dense[id] = pos + 1 when ids are compact */
    uint64_t dense_len;
    struct cprof_id_pos *sorted; /* otherwise (id, pos) sorted by id */
    size_t n;
};

/*
 * Builds the map for n ids found every stride bytes from first.  Fails with
 * CPROF_ECORRUPT on a zero or duplicate id (message names kind).
 */
int cprof__idmap_build(struct cprof_idmap *m, const uint64_t *first, size_t n, size_t stride,
                       const char *kind, struct cprof_diag *diag);

/* Position of id, or CPROF_NONE (the sorted case). */
uint32_t cprof__idmap_find(const struct cprof_idmap *m, uint64_t id);

/* Position of id, or CPROF_NONE.  Inline: decoding calls it per frame. */
static inline uint32_t cprof__idmap_get(const struct cprof_idmap *m, uint64_t id)
{
    if (m->dense)
        return id < m->dense_len && m->dense[id] ? m->dense[id] - 1 : CPROF_NONE;
    return cprof__idmap_find(m, id);
}

void cprof__idmap_release(struct cprof_idmap *m);

/* Decodes one serialized (not gzipped) Profile message; see cprof_profile_decode. */
int cprof__decode_message(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                          struct cprof_profile **out, struct cprof_diag *diag);

#endif /* CPROF_MODEL_CODEC_INT_H */
