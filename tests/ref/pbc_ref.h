/*
 * Reference codec on protobuf-c, used by the codec tests and the fuzz target.
 */
#ifndef CPROF_TESTS_PBC_REF_H
#define CPROF_TESTS_PBC_REF_H

struct cprof_buf;
struct cprof_profile;

#include <stddef.h>
#include <stdint.h>

struct cprof_diag;
struct cprof_limits;

/* Appends p packed by protobuf-c (not gzipped) to out. */
int pbc_ref_encode(const struct cprof_profile *p, struct cprof_buf *out);

/* Decodes a serialized (not gzipped) profile with protobuf-c's unpacker. */
int pbc_ref_decode(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                   struct cprof_profile **out, struct cprof_diag *diag);

#endif /* CPROF_TESTS_PBC_REF_H */
