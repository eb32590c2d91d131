/*
 * pprof wire format: decoding and encoding profile.proto, gzipped or plain.
 *
 * Decoding trusts nothing: sizes and counts are bounded by cprof_limits,
 * every string, location, function and mapping reference is checked, and a
 * failure leaves a one-line reason in the caller's diag.  Encoding is
 * deterministic: the same profile gives the same bytes.
 */
#ifndef CPROF_MODEL_CODEC_H
#define CPROF_MODEL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cprof_buf;
struct cprof_diag;
struct cprof_profile;

struct cprof_limits {
    size_t max_bytes;     /* decompressed message size */
    size_t max_samples;   /* samples in one profile */
    size_t max_strings;   /* string table entries */
    size_t max_locations; /* locations, functions and mappings, each */
    size_t max_depth;     /* locations in one sample */
    size_t max_labels;    /* labels on one sample */
    size_t max_lines;     /* lines (inline frames) in one location */
    size_t max_values;    /* sample types */
    int max_threads;      /* threads decoding may use (1: the caller's only; see base/par.h) */
};

/* Limits generous enough for any real profile (GiB-scale inputs). */
void cprof_limits_default(struct cprof_limits *lim /* OUT */);

/*
 * Decodes a profile from buf (gzip is detected by its magic bytes).
 * On success *out is a new profile the caller frees with
 * cprof_profile_free().  Errors: CPROF_ECORRUPT, CPROF_ETOOBIG, -ENOMEM,
 * with the reason in diag (may be NULL).  lim may be NULL for the defaults.
 */
int cprof_profile_decode(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                         struct cprof_profile **out /* OUT */, struct cprof_diag *diag);

/*
 * Encodes p as a serialized Profile message, gzipped when gzip is true, and
 * appends it to out.  0, -ENOMEM, CPROF_ETOOBIG.
 */
int cprof_profile_encode(const struct cprof_profile *p, bool gzip, struct cprof_buf *out);

/*
 * cprof_profile_encode on up to nthreads threads (base/par.h: not for the
 * runtime); the same bytes whatever nthreads is, gzip aside (see
 * cprof_gzip_parallel).
 */
int cprof_profile_encode_threads(const struct cprof_profile *p, bool gzip, int nthreads,
                                 struct cprof_buf *out);

/*
 * Checks the invariants pprof's CheckValid enforces (ids nonzero and
 * unique, every sample has one value per sample type, ...).
 * 0 or CPROF_ECORRUPT with the reason in diag.
 */
int cprof_profile_check(const struct cprof_profile *p, struct cprof_diag *diag);

/*
 * gzip: one member, the same bytes for the same input and level.  level is
 * ISA-L's, 0 (fastest, largest) to 3; CPROF_GZIP_LEVEL is what profiles
 * are written with.  cprof_gzip_parallel compresses pieces of at least
 * 4 MiB on up to nthreads threads (the output depends on the number of
 * pieces).  gunzip bounds its output by max bytes and reads any number of
 * members.  0, -ENOMEM, -EINVAL (level), CPROF_ETOOBIG.
 */
#define CPROF_GZIP_LEVEL 2
int cprof_gzip(const uint8_t *in, size_t len, int level, struct cprof_buf *out);
int cprof_gzip_parallel(const uint8_t *in, size_t len, int level, int nthreads,
                        struct cprof_buf *out);
int cprof_gunzip(const uint8_t *in, size_t len, size_t max, struct cprof_buf *out,
                 struct cprof_diag *diag);

#endif /* CPROF_MODEL_CODEC_H */
