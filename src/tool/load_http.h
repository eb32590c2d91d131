/*
 * The load generator's view of HTTP/1.1: the target URL, and a response
 * parser fed with whatever a read returned.  The parser is a library's
 * (Debian's libhttp-parser) behind this small interface, so another
 * (llhttp) can take its place without touching the event loop.
 */
#ifndef CPROF_TOOL_LOAD_HTTP_H
#define CPROF_TOOL_LOAD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cprof_diag;

/* A parsed target URL.  Strings point into buf. */
struct cprof_load_url {
    char buf[2 * 2048 + 64]; /* the URL, then its parts' copies */
    const char *scheme;      /* lowercased: "http", "https", anything else is kept */
    const char *host;        /* without brackets for IPv6 literals; may be "" */
    const char *port;        /* explicit or the scheme's default ("80", "443", "") */
    const char *target;      /* path and query, "/" when empty; no fragment */
    const char *hostport;    /* the Host header's value: host[:port], brackets kept */
    bool ipv6;               /* host is an IPv6 literal */
};

/*
 * Parses an absolute URL the way Go's url.Parse does for hey's purposes:
 * "scheme://[user@]host[:port]/path?query#frag".  Input up to 2048 bytes.
 * Returns 0, or CPROF_EUSAGE with Go-worded text in diag
 * ("parse \"URL\": invalid port ..."): an unsupported scheme is not an error
 * here (hey reports it per request).
 * Context: any thread.
 */
int cprof_load_url_parse(const char *s, struct cprof_load_url *u /* OUT */,
                         struct cprof_diag *diag);

/* One response being parsed.  Embedded in each connection; no allocation. */
struct cprof_load_parser {
    _Alignas(8) unsigned char impl[64]; /* the library parser's state */
    int status;                         /* status code, once the headers are in */
    int64_t content_length;             /* -1 when the response does not say */
    bool head;                          /* the request was HEAD: no body follows */
    bool headers_done;                  /* the status line and headers are in */
    bool complete;                      /* the whole response is in */
    bool keep_alive;                    /* the connection may carry another request */
    bool gzip;                          /* Content-Encoding: gzip */
    bool bad_status;                    /* the status code was not 3 digits */
    bool want_location;                 /* keep the Location header (redirects followed) */
    char location[1024];                /* Location header value when want_location */
    uint8_t hdr_state;                  /* which header's value is arriving */
    uint16_t location_len;
};

/* Prepares p for a new response to a request (HEAD when head). */
void cprof_load_parser_init(struct cprof_load_parser *p, bool head);

/*
 * Feeds len bytes (len 0: the peer closed the connection).  Stops at the
 * end of a response: *used says how many bytes were taken.  Returns 0 (the
 * response may still be incomplete: see p->complete) or -1 for a malformed
 * response, with the reason in diag.
 * Context: the connection's thread.
 */
int cprof_load_parser_feed(struct cprof_load_parser *p, const char *buf, size_t len,
                           size_t *used /* OUT */, struct cprof_diag *diag);

/* The reason phrase of a status code ("Forbidden"), or "" when unknown. */
const char *cprof_load_status_text(int status);

#endif /* CPROF_TOOL_LOAD_HTTP_H */
