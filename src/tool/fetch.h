/*
 * Fetching profiles by URL, as pprof does: `cprof [flags] host:port[/path]`
 * or `http://...`.  A small hand-written HTTP/1.1 client (GET, one
 * request per connection, plain http only): bounded in size and time, no
 * new library in the tool.  The fetched profile is saved under
 * $PPROF_TMPDIR, else ~/pprof, else $TMPDIR, as
 * pprof.<program>.<sample types>.NNN.pb.gz, like pprof.
 */
#ifndef CPROF_TOOL_FETCH_H
#define CPROF_TOOL_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cprof_diag;
struct cprof_limits;
struct cprof_profile;

/* A parsed URL: http://host:port/path?query. */
struct cprof_url {
    char host[256];  /* without brackets for IPv6 */
    char port[8];    /* decimal */
    char path[2048]; /* path and query, starting with '/' */
};

/*
 * pprof's adjustURL: whether source is a URL ("http://...", or
 * "host:port" with an optional path; a bare host:port means
 * /debug/pprof/profile), and the URL to fetch, with seconds=N set in the
 * query when seconds > 0.  Returns 1 when source is a URL (url and text
 * filled; text is the URL as printed), 0 when it is not (a file), or
 * CPROF_EUSAGE with a message in diag (https, a bad port).
 */
int cprof_url_adjust(const char *source, long long seconds, struct cprof_url *url /* OUT */,
                     char *text /* OUT */, size_t textsz, struct cprof_diag *diag);

/* Whether source is a URL (or an https one, which fetching refuses). */
bool cprof_fetch_is_url(const char *source);

/* A parsed HTTP response. */
struct cprof_http_resp {
    int status;          /* 200, 404, ... */
    char reason[64];     /* "OK", "Not Found", ... */
    bool go_pprof;       /* X-Go-Pprof header present */
    bool text_plain;     /* Content-Type contains text/plain */
    const uint8_t *body; /* into the buffer (de-chunked in place) */
    size_t body_len;     /* bytes */
};

/*
 * Parses a response held in buf[0..len) (status line, headers, body by
 * Content-Length, chunked, or up to the end); buf need not be
 * NUL-terminated.  A complete chunked body is decoded in place, so buf is
 * modified only when this returns 0: after 1 the caller may append bytes
 * and parse the whole buffer again.  Returns 0, 1 when more bytes are
 * needed (eof false), or CPROF_ECORRUPT with a message in diag.  With eof,
 * a body without a length ends at the end of the buffer.
 */
int cprof_http_parse(uint8_t *buf, size_t len, bool eof, struct cprof_http_resp *r /* OUT */,
                     struct cprof_diag *diag);

/*
 * Fetches source (a URL by cprof_url_adjust), prints "Fetching profile
 * over HTTP from <url>" (and "Please wait... (Ns)") on stderr, decodes the
 * profile within lim, saves it and prints "Saved profile in <path>".
 * timeout_s <= 0 means pprof's default (1.5 x seconds, else 60 s; the
 * connection gets 5 s more).  Caller owns *out (cprof_profile_free()).
 * Returns 0 or a negative code with the message in diag.
 */
int cprof_fetch_profile(const char *source, long long seconds, long long timeout_s,
                        const struct cprof_limits *lim, struct cprof_profile **out /* OUT */,
                        struct cprof_diag *diag);

#endif /* CPROF_TOOL_FETCH_H */
