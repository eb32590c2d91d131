/*
 * Fuzz target for the tool's HTTP/1.1 response parser (cprof_http_parse,
 * tool/fetch.h): status line, headers, Content-Length, chunked bodies,
 * read-to-EOF, the header size limit.  The input is the bytes a server
 * sent.  Checks: no crash or overread (the buffer is exactly the input,
 * not NUL-terminated); on success the status is 100..999 and the body
 * lies inside the buffer; on failure diag holds a message; and parsing
 * the bytes as they arrive in two parts (first part with eof false, then
 * the whole) gives the same result as parsing them at once.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "tool/fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_http_response: check failed: %s\n", #c);                         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* One parse's outcome. */
struct outcome {
    int rc;          /* cprof_http_parse's */
    int status;      /* when rc is 0 */
    uint8_t *body;   /* a copy, when rc is 0 */
    size_t body_len; /* bytes */
    bool in_parts;   /* the first part was incomplete, so the whole was parsed after it */
};

/*
 * Parses a copy of data[0..size) as it arrives in two parts: the first
 * split bytes with eof false, then (when those need more) the whole with
 * eof, in the same buffer as the client does.  Checks the invariants.
 */
static void parse_parts(const uint8_t *data, size_t size, size_t split, bool eof, struct outcome *o)
{
    uint8_t *buf = malloc(size ? size : 1);
    struct cprof_http_resp r;
    struct cprof_diag diag = {0};
    size_t len = split < size ? split : size;

    CHECK(buf);
    memcpy(buf, data, size);
    memset(o, 0, sizeof(*o));
    o->rc = cprof_http_parse(buf, len, len < size ? false : eof, &r, &diag);
    if (o->rc == 1 && len < size) {
        memset(&diag, 0, sizeof(diag));
        len = size;
        o->in_parts = true;
        o->rc = cprof_http_parse(buf, len, eof, &r, &diag);
    }
    CHECK(o->rc == 0 || o->rc == 1 || (o->rc < 0 && diag.err == o->rc && diag.msg[0]));
    if (o->rc == 1)
        CHECK(!eof || len < size);
    if (o->rc == 0) {
        CHECK(r.status >= 100 && r.status <= 999);
        CHECK(memchr(r.reason, 0, sizeof(r.reason)) != NULL);
        CHECK(r.body >= buf && r.body <= buf + len);
        CHECK(r.body_len <= (size_t)(buf + len - r.body));
        o->status = r.status;
        o->body_len = r.body_len;
        o->body = malloc(r.body_len ? r.body_len : 1);
        CHECK(o->body);
        memcpy(o->body, r.body, r.body_len);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int eof = 0; eof < 2; eof++) {
        struct outcome whole, parts;

        parse_parts(data, size, size, eof, &whole);
        parse_parts(data, size, size / 2, eof, &parts);
        /* An incomplete first part leaves the buffer as it was: the whole
           then parses exactly as if it had arrived at once. */
        if (parts.in_parts) {
            CHECK(parts.rc == whole.rc);
            if (whole.rc == 0)
                CHECK(parts.status == whole.status && parts.body_len == whole.body_len &&
                      !memcmp(parts.body, whole.body, whole.body_len));
        }
        free(whole.body);
        free(parts.body);
    }
    return 0;
}
