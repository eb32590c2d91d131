/*
 * Unit tests of the HTTP parsers: the tool's response parser
 * (cprof_http_parse) and the endpoint's string-level parsing
 * (rt/http_parse.h).  Their fuzz targets check invariants; these check
 * the exact results.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"
#include "rt/http_parse.h"
#include "tool/fetch.h"
#include "unit.h"

/* A chunked body that arrives in two reads decodes as if it came at once. */
CPROF_TEST(http_parse_chunked_in_parts)
{
    static const char resp[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n";
    size_t len = sizeof(resp) - 1, first = strlen(resp) - 12; /* inside the second chunk */
    uint8_t *buf = malloc(len);
    struct cprof_http_resp r;
    struct cprof_diag diag = {0};

    CPROF_ASSERT(buf);
    memcpy(buf, resp, len);
    CPROF_ASSERT_EQ(cprof_http_parse(buf, first, false, &r, &diag), 1);
    CPROF_ASSERT_EQ(cprof_http_parse(buf, len, false, &r, &diag), 0);
    CPROF_ASSERT_EQ(r.status, 200);
    CPROF_ASSERT_STR(r.reason, "OK");
    CPROF_ASSERT_EQ(r.body_len, 7);
    CPROF_ASSERT(!memcmp(r.body, "abcdefg", 7));
    free(buf);
}

/* Go's error responses, and bytes that are not a response. */
CPROF_TEST(http_parse_errors)
{
    char ok[] = "HTTP/1.1 404 Not Found\r\nX-Go-Pprof: 1\r\nContent-Type: text/plain\r\n"
                "Content-Length: 16\r\n\r\nUnknown profile\n";
    char nul[] = "HTTP/1.1 200 OK\0\r\nContent-Length: 2\r\n\r\nhi";
    char bad_chunk[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    struct cprof_http_resp r;
    struct cprof_diag diag = {0};

    CPROF_ASSERT_EQ(cprof_http_parse((uint8_t *)ok, sizeof(ok) - 1, false, &r, &diag), 0);
    CPROF_ASSERT_EQ(r.status, 404);
    CPROF_ASSERT(r.go_pprof && r.text_plain);
    CPROF_ASSERT_EQ(r.body_len, 16);
    /* A NUL in the status line ends the reason; the parse stays inside the buffer. */
    CPROF_ASSERT_EQ(cprof_http_parse((uint8_t *)nul, sizeof(nul) - 1, true, &r, &diag), 0);
    CPROF_ASSERT_STR(r.reason, "OK");
    CPROF_ASSERT_EQ(r.body_len, 2);
    CPROF_ASSERT_EQ(cprof_http_parse((uint8_t *)bad_chunk, sizeof(bad_chunk) - 1, true, &r, &diag),
                    CPROF_ECORRUPT);
    CPROF_ASSERT_STR(diag.msg, "bad chunk size in HTTP response");
    CPROF_ASSERT_EQ(cprof_http_parse((uint8_t *)ok, 20, true, &r, &diag), CPROF_ECORRUPT);
    CPROF_ASSERT_STR(diag.msg, "truncated HTTP response");
}

CPROF_TEST(http_params_check)
{
    struct cprof_http_params p;
    const char *msg;

    CPROF_ASSERT_EQ(cprof__http_params_check(NULL, NULL, NULL, true, &p, &msg), 0);
    CPROF_ASSERT_EQ(p.seconds, 30);
    CPROF_ASSERT_EQ(cprof__http_params_check("5", "x", NULL, true, &p, &msg), 0);
    CPROF_ASSERT_EQ(p.seconds, 5);
    CPROF_ASSERT_EQ(cprof__http_params_check("0", NULL, NULL, true, &p, &msg), 400);
    CPROF_ASSERT_STR(msg, "invalid value for \"seconds\" - must be a positive integer");
    CPROF_ASSERT_EQ(cprof__http_params_check("3601", NULL, NULL, true, &p, &msg), 400);
    CPROF_ASSERT_STR(msg, "profile duration exceeds server's WriteTimeout");
    CPROF_ASSERT_EQ(cprof__http_params_check(NULL, "1x", NULL, false, &p, &msg), 400);
    CPROF_ASSERT_STR(msg, "invalid value for \"debug\" - must be an integer");
    CPROF_ASSERT_EQ(cprof__http_params_check(NULL, "1", "y", false, &p, &msg), 400);
    CPROF_ASSERT_STR(msg, "invalid value for \"gc\" - must be an integer");
    CPROF_ASSERT_EQ(cprof__http_params_check("5", "1", "1", false, &p, &msg), 400);
    CPROF_ASSERT_STR(msg, "seconds and debug params are incompatible");
    CPROF_ASSERT_EQ(cprof__http_params_check("", "2", "1", false, &p, &msg), 0);
    CPROF_ASSERT(!p.has_seconds && p.has_debug && p.has_gc);
    CPROF_ASSERT_EQ(p.debug, 2);
    CPROF_ASSERT_EQ(p.seconds, 0);
}

CPROF_TEST(http_symbol_addrs)
{
    char body[] = "0x4005d0+0x400600 junk\r\n0+0x0+10+0x1ffffffffffffffff+0x10";
    uint64_t a[8];

    CPROF_ASSERT_EQ(cprof__http_symbol_addrs(body, a, 8), 4);
    CPROF_ASSERT_EQ_U64(a[0], 0x4005d0);
    CPROF_ASSERT_EQ_U64(a[1], 0x400600);
    CPROF_ASSERT_EQ_U64(a[2], 10);
    CPROF_ASSERT_EQ_U64(a[3], 0x10);
}

CPROF_TEST(http_split_addr)
{
    char host[16], port[8];

    CPROF_ASSERT(cprof__http_split_addr("[::1]:6060", host, sizeof(host), port, sizeof(port)));
    CPROF_ASSERT_STR(host, "::1");
    CPROF_ASSERT_STR(port, "6060");
    CPROF_ASSERT(cprof__http_split_addr(":0", host, sizeof(host), port, sizeof(port)));
    CPROF_ASSERT_STR(host, "");
    CPROF_ASSERT(!cprof__http_split_addr("localhost", host, sizeof(host), port, sizeof(port)));
    CPROF_ASSERT(!cprof__http_split_addr("h:80x", host, sizeof(host), port, sizeof(port)));
}
