/*
 * Fuzz target for the profile decoder.  Invariants checked on every input:
 * - every rejection says why;
 * - the hand-written reader and the protobuf-c reference (tests/ref)
 *   accept the same inputs, and what they accept encodes to the same bytes;
 * - an accepted profile passes cprof_profile_check(), and
 *   encode(decode(x)) decodes to a profile that encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/codec.h"
#include "model/codec_int.h"
#include "model/profile.h"
#include "pbc_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct cprof_profile *p, const struct cprof_limits *lim)
{
    struct cprof_buf a, b;
    struct cprof_profile *q = NULL;
    struct cprof_diag diag;

    cprof_buf_init(&a, 0);
    cprof_buf_init(&b, 0);
    if (cprof_profile_check(p, &diag) != 0)
        abort();
    if (cprof_profile_encode(p, false, &a) != 0)
        abort();
    if (a.len == 0) {
        /* An all-default profile encodes to nothing, which is not a valid input. */
        goto out;
    }
    if (cprof_profile_decode(a.data, a.len, lim, &q, &diag) != 0)
        abort();
    if (cprof_profile_encode(q, false, &b) != 0)
        abort();
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
out:
    cprof_profile_free(q);
    cprof_buf_release(&a);
    cprof_buf_release(&b);
}

/* The fast reader and protobuf-c must agree on a plain message. */
static void differential(const uint8_t *data, size_t size, const struct cprof_limits *lim)
{
    struct cprof_profile *a = NULL, *b = NULL;
    struct cprof_diag da, db;
    struct cprof_buf ea, eb;
    int ra, rb;

    if (size == 0)
        return;
    ra = cprof__decode_message(data, size, lim, &a, &da);
    rb = pbc_ref_decode(data, size, lim, &b, &db);
    /*
     * Allowed differences, where cprof follows pprof's reader rather than
     * protobuf-c: protobuf-c cannot tell "too much memory" from "malformed";
     * a second nonzero time_nanos is legal protobuf but pprof rejects it as
     * two concatenated profiles; a known field with the wrong wire type is
     * an unknown field to protobuf-c but "type mismatch" to pprof.
     */
    if ((ra == 0) != (rb == 0) && ra != CPROF_ETOOBIG && rb != CPROF_ETOOBIG &&
        !(ra != 0 && (strstr(da.msg, "concatenated profiles") != NULL ||
                      strstr(da.msg, "wrong wire type") != NULL)))
        abort();
    if (ra == 0 && rb == 0) {
        cprof_buf_init(&ea, 0);
        cprof_buf_init(&eb, 0);
        if (cprof_profile_encode(a, false, &ea) != 0 || cprof_profile_encode(b, false, &eb) != 0)
            abort();
        if (ea.len != eb.len || memcmp(ea.data, eb.data, ea.len) != 0)
            abort();
        cprof_buf_release(&ea);
        cprof_buf_release(&eb);
    }
    cprof_profile_free(a);
    cprof_profile_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cprof_limits lim;
    struct cprof_profile *p = NULL;
    struct cprof_diag diag;

    cprof_limits_default(&lim);
    lim.max_bytes = 1 << 22;
    lim.max_samples = 1 << 16;
    lim.max_strings = 1 << 16;
    lim.max_locations = 1 << 16;
    if (cprof_profile_decode(data, size, &lim, &p, &diag) == 0)
        roundtrip(p, &lim);
    else if (diag.msg[0] == '\0')
        abort(); /* every failure must say why */
    cprof_profile_free(p);
    if (size < 2 || data[0] != 0x1f || data[1] != 0x8b)
        differential(data, size, &lim);
    return 0;
}
