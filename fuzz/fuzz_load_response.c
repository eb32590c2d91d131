/*
 * Fuzz target for cprof load's response parser (tool/load_http.h, over
 * libhttp-parser).  The first byte picks HEAD or not and where the input
 * is split; the rest is what a server sent.  Checks: no crash or overread;
 * a complete response has a status in 100..999 and took no more bytes than
 * given; feeding the bytes in two reads gives the same outcome as one; a
 * failure leaves a message.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "tool/load_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_load_response: check failed: %s\n", #c);                         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

struct outcome {
    int rc, status;
    bool complete, keep_alive;
    int64_t content_length;
    size_t used;
};

/* Feeds buf in reads of at most split bytes, then EOF; copies each read so overreads show. */
static struct outcome run(const uint8_t *buf, size_t len, size_t split, bool head)
{
    struct cprof_load_parser p = {.want_location = true};
    struct cprof_diag diag = {0};
    struct outcome o = {0};
    size_t off = 0;

    cprof_load_parser_init(&p, head);
    while (off < len && !p.complete) {
        size_t n = len - off < split ? len - off : split, used;
        char *part = malloc(n);
        memcpy(part, buf + off, n);
        o.rc = cprof_load_parser_feed(&p, part, n, &used, &diag);
        free(part);
        CHECK(used <= n);
        o.used += used;
        if (o.rc < 0) {
            CHECK(diag.msg[0] != '\0');
            return o;
        }
        off += n;
        if (p.complete)
            break;
    }
    if (!p.complete && o.rc == 0) {
        size_t used;
        o.rc = cprof_load_parser_feed(&p, "", 0, &used, &diag);
    }
    o.complete = p.complete;
    o.status = p.status;
    o.keep_alive = p.keep_alive;
    o.content_length = p.content_length;
    CHECK(strlen(p.location) < sizeof(p.location));
    if (p.complete)
        CHECK(p.status >= 100 && p.status <= 999);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct outcome a, b;
    bool head;
    size_t split;

    if (size < 1)
        return 0;
    head = data[0] & 1;
    split = (size_t)(data[0] >> 1) + 1;
    data++;
    size--;
    a = run(data, size, size ? size : 1, head);
    b = run(data, size, split, head);
    CHECK((a.rc < 0) == (b.rc < 0));
    if (a.rc == 0) {
        CHECK(a.complete == b.complete);
        CHECK(a.status == b.status);
        CHECK(a.content_length == b.content_length);
        if (a.complete)
            CHECK(a.keep_alive == b.keep_alive);
    }
    return 0;
}
