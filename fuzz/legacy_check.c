/*
 * Shared checks of the legacy-format fuzz targets (legacy_check.h).
 */
#include "legacy_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/codec.h"
#include "model/legacy.h"
#include "model/profile.h"

static void fail(const char *what, const struct cprof_diag *diag)
{
    fprintf(stderr, "legacy_check: %s failed: %s\n", what, diag ? diag->msg : "");
    abort();
}

static void roundtrip(const struct cprof_profile *p, const struct cprof_limits *lim)
{
    struct cprof_buf a, b;
    struct cprof_profile *q = NULL;
    struct cprof_diag diag;

    cprof_buf_init(&a, 0);
    cprof_buf_init(&b, 0);
    if (cprof_profile_check(p, &diag) != 0)
        fail("check", &diag);
    if (cprof_profile_encode(p, false, &a) != 0)
        fail("encode", NULL);
    if (a.len > 0) {
        if (cprof_profile_decode(a.data, a.len, lim, &q, &diag) != 0)
            fail("decode of the encoding", &diag);
        if (cprof_profile_encode(q, false, &b) != 0)
            fail("re-encode", NULL);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            fail("encode(decode(encode(p))) == encode(p)", NULL);
    }
    cprof_profile_free(q);
    cprof_buf_release(&a);
    cprof_buf_release(&b);
}

static void run(cprof_fuzz_parse_fn parse, const uint8_t *data, size_t size,
                const struct cprof_limits *lim)
{
    struct cprof_profile *p = NULL;
    struct cprof_diag diag = {0};
    int rc = parse(data, size, lim, &p, &diag);

    if (rc == 0) {
        roundtrip(p, lim);
    } else if (rc < 0 && diag.msg[0] == '\0') {
        abort(); /* every failure must say why */
    } else if (rc > 0 && p != NULL) {
        abort(); /* "not this format" leaves nothing behind */
    }
    cprof_profile_free(p);
}

void cprof_fuzz_legacy(cprof_fuzz_parse_fn parse, const uint8_t *data, size_t size)
{
    struct cprof_limits lim;

    cprof_limits_default(&lim);
    lim.max_bytes = 1 << 22;
    lim.max_samples = 1 << 14;
    lim.max_strings = 1 << 14;
    lim.max_locations = 1 << 14;
    lim.max_depth = 1 << 10;
    run(parse, data, size, &lim);
    run(cprof_profile_parse_any, data, size, &lim);
}
