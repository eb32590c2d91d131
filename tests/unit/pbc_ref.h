/*
 * Reference protobuf-c encoder used by the codec tests.
 */
#ifndef CPROF_TESTS_PBC_REF_H
#define CPROF_TESTS_PBC_REF_H

struct cprof_buf;
struct cprof_profile;

/* Appends p packed by protobuf-c (not gzipped) to out. */
int pbc_ref_encode(const struct cprof_profile *p, struct cprof_buf *out);

#endif /* CPROF_TESTS_PBC_REF_H */
