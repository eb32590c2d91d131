/*
 * cprof_profile_parse_any: pprof's ParseData order.  Gunzip when the
 * input is gzipped, then profile.proto; when the proto decoder rejects the
 * bytes, the legacy parsers in parseLegacy's order, then collapsed stacks
 * (which pprof lacks).  A parser that recognises its format but finds it
 * malformed ends the search, as in pprof.
 */
#include "model/legacy.h"

#include <errno.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/codec.h"
#include "model/codec_int.h"
#include "model/legacy_int.h"
#include "model/profile.h"

typedef int (*parse_fn)(const uint8_t *, size_t, const struct cprof_limits *,
                        struct cprof_profile **, struct cprof_diag *);

static int parse_legacy(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                        struct cprof_profile **out, struct cprof_diag *diag,
                        const struct cprof_diag *proto)
{
    static const struct {
        parse_fn fn;
        const char *name;
    } parsers[] = {
        {cprof_legacy_parse_cpu, "gperftools cpu"},
        {cprof_legacy_parse_heap, "heap text"},
        {cprof_legacy_parse_count, "count text"},
        {cprof_legacy_parse_contention, "contention text"},
        {cprof_collapsed_parse, "collapsed stacks"},
    };

    for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
        int rc = parsers[i].fn(buf, len, lim, out, diag);
        if (rc != CPROF__LEGACY_UNRECOGNIZED)
            return rc;
    }
    /* A proto over the limits is more likely than a format we do not know. */
    if (proto->err == CPROF_ETOOBIG) {
        if (diag)
            *diag = *proto;
        return proto->err;
    }
    return cprof_diag_set(diag, CPROF_ECORRUPT,
                          "unrecognized profile format (tried protobuf: %.80s; gperftools cpu, "
                          "heap, count, contention text, collapsed stacks)",
                          proto->msg[0] ? proto->msg : cprof_strerror(proto->err));
}

int cprof_profile_parse_any(const uint8_t *buf, size_t len, const struct cprof_limits *lim,
                            struct cprof_profile **out, struct cprof_diag *diag)
{
    struct cprof_limits dflt;
    struct cprof_diag pd = {0};
    struct cprof_buf raw;
    int rc;

    if (!lim) {
        cprof_limits_default(&dflt);
        lim = &dflt;
    }
    *out = NULL;
    if (len == 0)
        return cprof_diag_set(diag, CPROF_ECORRUPT, "empty input");
    cprof_buf_init(&raw, lim->max_bytes);
    if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
        rc = cprof_gunzip(buf, len, lim->max_bytes, &raw, diag);
        if (rc) {
            cprof_buf_release(&raw);
            return rc;
        }
        buf = raw.data;
        len = raw.len;
        if (len == 0) {
            cprof_buf_release(&raw);
            return cprof_diag_set(diag, CPROF_ECORRUPT, "empty input");
        }
    }
    rc = cprof__decode_message(buf, len, lim, out, &pd);
    if (rc == 0 || rc == -ENOMEM) {
        if (rc && diag)
            *diag = pd;
        cprof_buf_release(&raw);
        return rc;
    }
    pd.err = rc;
    rc = parse_legacy(buf, len, lim, out, diag, &pd);
    cprof_buf_release(&raw);
    return rc;
}
