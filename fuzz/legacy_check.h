/*
 * Invariants the legacy-format fuzz targets check on every input (see
 * legacy_check.c).
 */
#ifndef CPROF_FUZZ_LEGACY_CHECK_H
#define CPROF_FUZZ_LEGACY_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct cprof_diag;
struct cprof_limits;
struct cprof_profile;

typedef int (*cprof_fuzz_parse_fn)(const uint8_t *, size_t, const struct cprof_limits *,
                                   struct cprof_profile **, struct cprof_diag *);

/*
 * Runs parse on data with small limits and aborts when an invariant breaks:
 * a rejection must say why (or be "not this format", 1); an accepted
 * profile must pass cprof_profile_check() and survive encode/decode with
 * the same bytes.  Also runs cprof_profile_parse_any on the same bytes.
 */
void cprof_fuzz_legacy(cprof_fuzz_parse_fn parse, const uint8_t *data, size_t size);

#endif /* CPROF_FUZZ_LEGACY_CHECK_H */
