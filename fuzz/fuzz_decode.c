/*
 * Fuzz target for the profile decoder.  Invariant checked on every input
 * the decoder accepts: the result passes cprof_profile_check(), and
 * encode(decode(x)) decodes to a profile that encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/codec.h"
#include "model/profile.h"

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
    return 0;
}
