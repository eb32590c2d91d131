/*
 * Reading every profile format pprof reads, not only profile.proto: the
 * legacy formats of gperftools and of Go's ?debug=1 endpoints, and
 * collapsed stacks (FlameGraph/speedscope "a;b;c N" lines).
 *
 * Each parser builds the profile pprof's own parser (legacy_profile.go)
 * builds from the same bytes: same sample types, values (unsampling
 * included), location order, mappings and drop/keep frames, so reports
 * agree with `go tool pprof`.  Inputs are untrusted: every parser is
 * bounded by cprof_limits, rejects malformed input with a reason in diag,
 * and is fuzzed (fuzz/fuzz_legacy_*.c).  No globals, no I/O.
 */
#ifndef CPROF_MODEL_LEGACY_H
#define CPROF_MODEL_LEGACY_H

#include <stddef.h>
#include <stdint.h>

struct cprof_diag;
struct cprof_limits;
struct cprof_profile;

/*
 * Parses buf as pprof does: gunzip when gzipped, then profile.proto, then
 * (when that fails) each legacy parser in pprof's order (gperftools CPU,
 * heap text, Go count profiles, contention text), then collapsed stacks.
 * On success *out is the caller's (cprof_profile_free()).  Errors:
 * CPROF_ECORRUPT (nothing fits: diag names what was tried; or a format
 * was recognised but is malformed: diag says where), CPROF_ETOOBIG,
 * CPROF_EVERSION, -ENOMEM.  lim may be NULL for the defaults.
 */
int cprof_profile_parse_any(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                            struct cprof_profile **out /* OUT */, struct cprof_diag *diag);

/*
 * The single parsers.  Each returns 0 with *out set, 1 when the input is
 * not in its format (diag untouched), or a negative error when it is but
 * cannot be read (reason in diag).  lim must not be NULL.
 */

/* gperftools' binary CPU profile (CPUPROFILE=...). */
int cprof_legacy_parse_cpu(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                           struct cprof_profile **out /* OUT */, struct cprof_diag *diag);

/* Heap text: "heap profile: ... @ heap_v2/N" (gperftools, Go ?debug=1), growthz, fragmentationz. */
int cprof_legacy_parse_heap(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                            struct cprof_profile **out /* OUT */, struct cprof_diag *diag);

/* Go count profiles: "goroutine profile: total N" and "N @ 0x..." lines. */
int cprof_legacy_parse_count(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                             struct cprof_profile **out /* OUT */, struct cprof_diag *diag);

/* Contention text: "--- contention:", "--- mutex:", "--- contentionz ". */
int cprof_legacy_parse_contention(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                                  struct cprof_profile **out /* OUT */, struct cprof_diag *diag);

/*
 * Collapsed stacks: lines "root;caller;leaf N" (FlameGraph's
 * stackcollapse, speedscope's export).  One sample type samples/count,
 * functions by name, no mappings; equal stacks are summed.  Recognised
 * when every non-blank line has that shape.
 */
int cprof_collapsed_parse(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                          struct cprof_profile **out /* OUT */, struct cprof_diag *diag);

#endif /* CPROF_MODEL_LEGACY_H */
