/*
 * HTTP/1.1 response parsing for the load generator, over libhttp-parser
 * (see load_http.h), and the target URL's parser.  The parser's state
 * lives inside struct cprof_load_parser; its callbacks only note the
 * status, the length, Content-Encoding and Location, and the end.
 */
#include "tool/load_http.h"

#include <assert.h>
#include <ctype.h>
#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

static_assert(sizeof(http_parser) <= sizeof(((struct cprof_load_parser *)0)->impl),
              "http_parser does not fit");

enum { HDR_OTHER, HDR_ENCODING, HDR_LOCATION };

static struct cprof_load_parser *owner(http_parser *hp)
{
    return hp->data;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    struct cprof_load_parser *p = owner(hp);

    /* A field name split across reads is rare enough to read as "other". */
    if (len == 16 && strncasecmp(at, "content-encoding", 16) == 0)
        p->hdr_state = HDR_ENCODING;
    else if (len == 8 && p->want_location && strncasecmp(at, "location", 8) == 0)
        p->hdr_state = HDR_LOCATION;
    else
        p->hdr_state = HDR_OTHER;
    return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    struct cprof_load_parser *p = owner(hp);

    if (p->hdr_state == HDR_ENCODING) {
        p->gzip = len >= 4 && strncasecmp(at, "gzip", 4) == 0;
    } else if (p->hdr_state == HDR_LOCATION) {
        size_t room = sizeof(p->location) - 1 - p->location_len;
        if (len > room)
            len = room;
        memcpy(p->location + p->location_len, at, len);
        p->location_len = (uint16_t)(p->location_len + len);
        p->location[p->location_len] = '\0';
    }
    return 0;
}

static int on_headers_complete(http_parser *hp)
{
    struct cprof_load_parser *p = owner(hp);

    /* The parser takes 1 to 3 digits; HTTP (and Go) want exactly 3. */
    if (hp->status_code < 100) {
        p->bad_status = true;
        return -1;
    }
    p->status = hp->status_code;
    p->content_length = hp->content_length == ULLONG_MAX || (hp->flags & F_CHUNKED)
                            ? -1
                            : (int64_t)hp->content_length;
    p->headers_done = true;
    /* 1 tells the parser that no body follows (a response to HEAD). */
    return p->head ? 1 : 0;
}

static int on_message_complete(http_parser *hp)
{
    struct cprof_load_parser *p = owner(hp);

    if (hp->status_code >= 100 && hp->status_code < 200 && hp->status_code != 101) {
        /* An interim response (100 Continue): the real one follows. */
        p->headers_done = false;
        p->location_len = 0;
        return 0;
    }
    p->complete = true;
    p->keep_alive = http_should_keep_alive(hp) != 0;
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_message_complete = on_message_complete,
};

void cprof_load_parser_init(struct cprof_load_parser *p, bool head)
{
    http_parser *hp = (http_parser *)p->impl;
    bool want_location = p->want_location;

    http_parser_init(hp, HTTP_RESPONSE);
    hp->data = p;
    p->status = 0;
    p->content_length = -1;
    p->head = head;
    p->headers_done = false;
    p->complete = false;
    p->keep_alive = false;
    p->gzip = false;
    p->bad_status = false;
    p->want_location = want_location;
    p->location[0] = '\0';
    p->location_len = 0;
    p->hdr_state = HDR_OTHER;
}

int cprof_load_parser_feed(struct cprof_load_parser *p, const char *buf, size_t len, size_t *used,
                           struct cprof_diag *diag)
{
    http_parser *hp = (http_parser *)p->impl;
    size_t n;
    enum http_errno e;

    *used = 0;
    if (p->complete)
        return 0;
    n = http_parser_execute(hp, &settings, buf, len);
    e = HTTP_PARSER_ERRNO(hp);
    *used = n;
    if (e == HPE_OK || (e == HPE_PAUSED && p->complete))
        return 0;
    if (p->bad_status) {
        cprof_diag_set(diag, -1, "malformed HTTP status code \"%u\"", hp->status_code);
        return -1;
    }
    cprof_diag_set(diag, -1, "malformed HTTP response: %s", http_errno_description(e));
    return -1;
}

const char *cprof_load_status_text(int status)
{
    const char *t = status > 0 && status < 1000 ? http_status_str((enum http_status)status) : "";

    return t && strcmp(t, "<unknown>") != 0 ? t : "";
}

/* ---- URL ------------------------------------------------------------------ */

static bool scheme_char(char c, bool first)
{
    return isalpha((unsigned char)c) ||
           (!first && (isdigit((unsigned char)c) || c == '+' || c == '-' || c == '.'));
}

static int bad(struct cprof_diag *diag, const char *url, const char *why, const char *what)
{
    return cprof_diag_set(diag, CPROF_EUSAGE, "parse \"%s\": %s%s", url, why, what ? what : "");
}

/* Go rejects control characters and invalid %-escapes anywhere in a URL. */
static int check_chars(const char *s, struct cprof_diag *diag)
{
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return bad(diag, s, "net/url: invalid control character in URL", NULL);
        if (*c == '%' && !(isxdigit((unsigned char)c[1]) && isxdigit((unsigned char)c[2]))) {
            char esc[4] = {0};
            memcpy(esc, c, c[1] ? (c[2] ? 3 : 2) : 1);
            cprof_diag_set(diag, CPROF_EUSAGE, "parse \"%s\": invalid URL escape \"%s\"", s, esc);
            return CPROF_EUSAGE;
        }
    }
    return 0;
}

/* Splits "host[:port]" (brackets for IPv6) into u; the authority is in buf. */
static int split_host(char *auth, const char *url, struct cprof_load_url *u,
                      struct cprof_diag *diag)
{
    char *at = strrchr(auth, '@'), *colon;

    if (at)
        auth = at + 1;
    u->hostport = auth;
    if (auth[0] == '[') {
        char *close = strchr(auth, ']');
        if (!close)
            return bad(diag, url, "missing ']' in host", NULL);
        colon = close[1] == ':' ? close + 1 : NULL;
        if (close[1] != '\0' && !colon) {
            cprof_diag_set(diag, CPROF_EUSAGE, "parse \"%s\": invalid port \"%s\" after host", url,
                           close + 1);
            return CPROF_EUSAGE;
        }
        u->ipv6 = true;
    } else {
        colon = strrchr(auth, ':');
    }
    if (colon) {
        for (const char *d = colon + 1; *d; d++)
            if (!isdigit((unsigned char)*d)) {
                cprof_diag_set(diag, CPROF_EUSAGE, "parse \"%s\": invalid port \"%s\" after host",
                               url, colon);
                return CPROF_EUSAGE;
            }
    }
    /* host and port get their own copies after the authority in buf. */
    return 0;
}

int cprof_load_url_parse(const char *s, struct cprof_load_url *u, struct cprof_diag *diag)
{
    size_t len = strlen(s), i = 0;
    char *b = u->buf, *auth, *end, *frag;
    int err;

    memset(u, 0, sizeof(*u));
    if (len > 2048)
        return cprof_diag_set(diag, CPROF_EUSAGE, "parse: URL longer than 2048 bytes");
    err = check_chars(s, diag);
    if (err)
        return err;
    while (s[i] && scheme_char(s[i], i == 0))
        i++;
    if (i == 0 || s[i] != ':') {
        if (s[0] == ':')
            return bad(diag, s, "missing protocol scheme", NULL);
        /* No scheme: hey sends it anyway and fails per request. */
        i = 0;
    }
    memcpy(b, s, len + 1);
    frag = strchr(b, '#');
    if (frag)
        *frag = '\0';
    for (size_t k = 0; k < i; k++)
        b[k] = (char)tolower((unsigned char)b[k]);
    u->scheme = b;
    if (i == 0) {
        u->scheme = "";
        u->host = u->port = u->hostport = "";
        u->target = b;
        return 0;
    }
    b[i] = '\0';
    auth = b + i + 1;
    if (strncmp(auth, "//", 2) != 0) {
        /* "scheme:opaque": no host. */
        u->host = u->port = u->hostport = "";
        u->target = auth;
        return 0;
    }
    auth += 2;
    end = auth + strcspn(auth, "/?");
    /* The authority is moved one byte on so that it gets its terminator. */
    {
        size_t alen = (size_t)(end - auth), rest = strlen(end);
        memmove(auth + alen + 2, end, rest + 1);
        auth[alen] = '\0';
        u->target = auth + alen + 2;
        if (u->target[0] != '/') {
            /* "?q" alone: the path is "/" (Go sends "/?q"). */
            memmove((char *)u->target + 1, u->target, rest + 1);
            ((char *)u->target)[0] = '/';
            if (rest == 0)
                ((char *)u->target)[1] = '\0';
        }
    }
    err = split_host(auth, s, u, diag);
    if (err)
        return err;
    /* host and port copies go after the target. */
    {
        char *hp = (char *)u->target + strlen(u->target) + 1, *colon;
        const char *src = u->hostport;
        size_t hlen;

        if (u->ipv6) {
            const char *close = strchr(src, ']');
            hlen = (size_t)(close - src - 1);
            memcpy(hp, src + 1, hlen);
            colon = (char *)(close[1] == ':' ? close + 1 : NULL);
        } else {
            colon = strrchr(src, ':');
            hlen = colon ? (size_t)(colon - src) : strlen(src);
            memcpy(hp, src, hlen);
        }
        hp[hlen] = '\0';
        u->host = hp;
        if (colon && colon[1]) {
            u->port = colon + 1;
        } else {
            u->port = strcmp(u->scheme, "https") == 0  ? "443"
                      : strcmp(u->scheme, "http") == 0 ? "80"
                                                       : "";
        }
    }
    return 0;
}
