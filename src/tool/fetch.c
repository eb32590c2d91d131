/*
 * Fetching profiles over HTTP (see fetch.h).  Hand-written rather than
 * libcurl: one GET per connection to a /debug/pprof endpoint needs ~300
 * lines, keeps the tool free of a TLS-capable network library, and every
 * bound (header and body size, connect and total time) is explicit here.
 * Only plain http is supported; https is refused with a clear message.
 */
#include "tool/fetch.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "model/codec.h"
#include "model/profile.h"

#define MAX_HEADER (64 * 1024) /* status line and headers */

/* ---- URLs ---- */

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Splits "host[:port]" (host may be "[v6]") into url; false when malformed. */
static bool split_hostport(const char *hp, size_t n, bool need_port, struct cprof_url *url)
{
    const char *colon = NULL;
    size_t hl;

    if (n && hp[0] == '[') {
        const char *rb = memchr(hp, ']', n);
        if (!rb)
            return false;
        hl = (size_t)(rb - hp - 1);
        if (hl == 0 || hl >= sizeof(url->host))
            return false;
        memcpy(url->host, hp + 1, hl);
        url->host[hl] = 0;
        colon = rb + 1 < hp + n && rb[1] == ':' ? rb + 1 : NULL;
        if (!colon && rb + 1 != hp + n)
            return false;
    } else {
        colon = memchr(hp, ':', n);
        hl = colon ? (size_t)(colon - hp) : n;
        if (hl == 0 || hl >= sizeof(url->host) || memchr(hp, '@', n))
            return false;
        memcpy(url->host, hp, hl);
        url->host[hl] = 0;
    }
    if (!colon) {
        snprintf(url->port, sizeof(url->port), "80");
        return !need_port;
    }
    size_t pl = (size_t)(hp + n - colon - 1);
    if (!all_digits(colon + 1, pl) || pl >= sizeof(url->port) || atoi(colon + 1) > 65535)
        return false;
    memcpy(url->port, colon + 1, pl);
    url->port[pl] = 0;
    return true;
}

/* Sets seconds=N in the query (pprof: values.Set, then Encode sorts the keys). */
static void set_seconds(char *path, size_t n, long long seconds)
{
    char out[sizeof(((struct cprof_url *)0)->path)];
    char *q = strchr(path, '?');
    size_t len;

    if (seconds <= 0)
        return;
    len = q ? (size_t)(q - path) : strlen(path);
    snprintf(out, sizeof(out), "%.*s?", (int)len, path);
    /* Keep the other parameters, drop an old seconds=, then add ours (sorted last is fine for
       the usual seconds-only query). */
    if (q) {
        char *save, *dup = strdup(q + 1);
        for (char *kv = dup ? strtok_r(dup, "&", &save) : NULL; kv; kv = strtok_r(NULL, "&", &save))
            if (strncmp(kv, "seconds=", 8) && strcmp(kv, "seconds"))
                snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s&", kv);
        free(dup);
    }
    snprintf(out + strlen(out), sizeof(out) - strlen(out), "seconds=%lld", seconds);
    snprintf(path, n, "%s", out);
}

int cprof_url_adjust(const char *source, long long seconds, struct cprof_url *url, char *text,
                     size_t textsz, struct cprof_diag *diag)
{
    const char *rest = source, *slash;
    size_t hl;

    memset(url, 0, sizeof(*url));
    if (!strncmp(source, "https://", 8) || !strncmp(source, "https+insecure://", 17))
        return cprof_diag_set(diag, CPROF_EUSAGE, "%s: https is not supported; use http://",
                              source);
    if (!strncmp(source, "http://", 7))
        rest = source + 7;
    slash = strchr(rest, '/');
    hl = slash ? (size_t)(slash - rest) : strlen(rest);
    /* Without a scheme, only host:port[/path] is a URL (anything else is a file name). */
    if (!split_hostport(rest, hl, rest == source, url)) {
        if (rest == source)
            return 0;
        return cprof_diag_set(diag, CPROF_EUSAGE, "%s: malformed URL", source);
    }
    if (strlen(slash ? slash : "") >= sizeof(url->path))
        return cprof_diag_set(diag, CPROF_EUSAGE, "%s: URL too long", source);
    snprintf(url->path, sizeof(url->path), "%s",
             slash && strcmp(slash, "/") && slash[1] != '?' ? slash : "/debug/pprof/profile");
    if (slash && slash[1] == '?')
        snprintf(url->path + strlen(url->path), sizeof(url->path) - strlen(url->path), "%s",
                 slash + 1);
    set_seconds(url->path, sizeof(url->path), seconds);
    snprintf(text, textsz, "http://%s%s%s%s:%s%s", "", strchr(url->host, ':') ? "[" : "", url->host,
             strchr(url->host, ':') ? "]" : "", url->port, url->path);
    return 1;
}

bool cprof_fetch_is_url(const char *source)
{
    struct cprof_url url;
    char text[8];

    return cprof_url_adjust(source, 0, &url, text, sizeof(text), NULL) != 0;
}

/* ---- responses ---- */

static const char *find_crlf2(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++)
        if (!memcmp(buf + i, "\r\n\r\n", 4))
            return (const char *)buf + i;
    return NULL;
}

/*
 * De-chunks body[0..*n): 0, 1 (incomplete) or CPROF_ECORRUPT.  Only with
 * apply does it move the data in place (and set *n): the caller applies
 * once the body is known complete, since an incomplete body is parsed
 * again from its start when more bytes arrive.
 */
static int dechunk(uint8_t *body, size_t *n, bool apply, struct cprof_diag *diag)
{
    size_t in = 0, out = 0, len = *n;

    for (;;) {
        const uint8_t *eol = NULL;
        for (size_t i = in; i + 1 < len; i++)
            if (body[i] == '\r' && body[i + 1] == '\n') {
                eol = body + i;
                break;
            }
        if (!eol)
            return 1;
        /* The size line, bounded and NUL-terminated (the buffer is not). */
        char line[64], *end;
        size_t ll = (size_t)(eol - body) - in;
        snprintf(line, sizeof(line), "%.*s", (int)(ll < sizeof(line) - 1 ? ll : sizeof(line) - 1),
                 (const char *)body + in);
        unsigned long long sz = strtoull(line, &end, 16);
        if (end == line || sz > (1ull << 40))
            return cprof_diag_set(diag, CPROF_ECORRUPT, "bad chunk size in HTTP response");
        in = (size_t)(eol - body) + 2;
        if (sz == 0) {
            if (apply)
                *n = out;
            return 0;
        }
        if (len - in < sz + 2)
            return 1;
        if (apply)
            memmove(body + out, body + in, (size_t)sz);
        out += (size_t)sz;
        in += (size_t)sz + 2;
    }
}

int cprof_http_parse(uint8_t *buf, size_t len, bool eof, struct cprof_http_resp *r,
                     struct cprof_diag *diag)
{
    const char *hdr_end = find_crlf2(buf, len);
    long long clen = -1;
    bool chunked = false;

    memset(r, 0, sizeof(*r));
    if (!hdr_end) {
        if (len > MAX_HEADER)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "HTTP response headers too large");
        return eof ? cprof_diag_set(diag, CPROF_ECORRUPT, "truncated HTTP response") : 1;
    }
    /* Lines are cut at CRLF with memmem: the buffer is not NUL-terminated and may hold NULs. */
    const char *hend = hdr_end + 2; /* just past the last header line's CRLF */
    const char *eol = memmem(buf, (size_t)(hend - (const char *)buf), "\r\n", 2);
    char st[128];
    size_t sl = (size_t)(eol - (const char *)buf);
    snprintf(st, sizeof(st), "%.*s", (int)(sl < sizeof(st) - 1 ? sl : sizeof(st) - 1),
             (const char *)buf);
    if (sscanf(st, "HTTP/1.%*1[01] %3d %63[^\r\n]", &r->status, r->reason) < 1 || r->status < 100 ||
        r->status > 999)
        return cprof_diag_set(diag, CPROF_ECORRUPT, "malformed HTTP status line");
    for (const char *line = eol + 2; line < hdr_end; line = eol + 2) {
        eol = memmem(line, (size_t)(hend - line), "\r\n", 2);
        size_t ll = (size_t)(eol - line);
        char h[512];
        snprintf(h, sizeof(h), "%.*s", (int)(ll < sizeof(h) - 1 ? ll : sizeof(h) - 1), line);
        if (!strncasecmp(h, "content-length:", 15))
            clen = strtoll(h + 15, NULL, 10);
        else if (!strncasecmp(h, "transfer-encoding:", 18) && strcasestr(h + 18, "chunked"))
            chunked = true;
        else if (!strncasecmp(h, "x-go-pprof:", 11))
            r->go_pprof = true;
        else if (!strncasecmp(h, "content-type:", 13) && strcasestr(h + 13, "text/plain"))
            r->text_plain = true;
    }
    uint8_t *body = (uint8_t *)hdr_end + 4;
    size_t blen = len - (size_t)(body - buf);
    r->body = body;
    if (chunked) {
        int rc = dechunk(body, &blen, false, diag);
        if (rc == 0)
            dechunk(body, &blen, true, diag);
        if (rc == 1 && eof)
            return cprof_diag_set(diag, CPROF_ECORRUPT, "truncated HTTP response");
        r->body_len = blen;
        return rc;
    }
    if (clen >= 0) {
        if (blen < (size_t)clen)
            return eof ? cprof_diag_set(diag, CPROF_ECORRUPT, "truncated HTTP response") : 1;
        r->body_len = (size_t)clen;
        return 0;
    }
    r->body_len = blen;
    return eof ? 0 : 1;
}

/* ---- the client ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events until deadline; 0 or -ETIMEDOUT/-errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd p = {.fd = fd, .events = events};

    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        int n = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

static int connect_to(const struct cprof_url *url, int64_t deadline, int *out)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res, *ai;
    int err = -ECONNREFUSED, fd = -1;

    if (getaddrinfo(url->host, url->port, &hints, &res))
        return -EHOSTUNREACH;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS && (err = wait_fd(fd, POLLOUT, deadline)) == 0) {
            socklen_t sl = sizeof(err);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
            err = -err;
            if (!err)
                break;
        } else if (errno != EINPROGRESS) {
            err = -errno;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return err;
    *out = fd;
    return 0;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            int err = wait_fd(fd, POLLOUT, deadline);
            if (err)
                return err;
            continue;
        }
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* GETs url into buf (bounded by its max) and parses the response into r. */
static int http_get(const struct cprof_url *url, int64_t deadline, struct cprof_buf *buf,
                    struct cprof_http_resp *r, struct cprof_diag *diag)
{
    char req[3072];
    int fd = -1, err, rc = 1;

    err = connect_to(url, deadline, &fd);
    if (err)
        return cprof_diag_set(diag, err, "http fetch: %s", cprof_strerror(err));
    snprintf(req, sizeof(req),
             "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: cprof\r\n"
             "Accept-Encoding: identity\r\nConnection: close\r\n\r\n",
             url->path, strchr(url->host, ':') ? "[" : "", url->host,
             strchr(url->host, ':') ? "]" : "", url->port);
    err = send_all(fd, req, strlen(req), deadline);
    while (!err && rc == 1) {
        err = cprof_buf_reserve(buf, 65536);
        if (err)
            break;
        ssize_t n = recv(fd, buf->data + buf->len, buf->cap - buf->len, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            err = wait_fd(fd, POLLIN, deadline);
            continue;
        }
        if (n < 0) {
            err = -errno;
            break;
        }
        buf->len += (size_t)n;
        rc = cprof_http_parse(buf->data, buf->len, n == 0, r, diag);
        if (rc < 0) {
            close(fd);
            return rc;
        }
    }
    close(fd);
    if (err == CPROF_ETOOBIG)
        return cprof_diag_set(diag, err, "http fetch: response larger than %zu bytes", buf->max);
    if (err)
        return cprof_diag_set(diag, err, "http fetch: %s", cprof_strerror(err));
    return 0;
}

/* ---- saving ---- */

/* pprof's setTmpDir: $PPROF_TMPDIR, $HOME/pprof, then the temp dir. */
static int tmp_dir(char *out, size_t n)
{
    const char *cands[3] = {getenv("PPROF_TMPDIR"), NULL, getenv("TMPDIR")};
    char home[4096];

    if (getenv("HOME")) {
        snprintf(home, sizeof(home), "%s/pprof", getenv("HOME"));
        cands[1] = home;
    }
    for (int i = 0; i < 3; i++) {
        const char *d = cands[i] ? cands[i] : (i == 2 ? "/tmp" : NULL);
        if (!d || !*d)
            continue;
        if (mkdir(d, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "Could not use temp dir %s: %s\n", d, strerror(errno));
            continue;
        }
        snprintf(out, n, "%s", d);
        return 0;
    }
    return -ENOENT;
}

static int save(const struct cprof_profile *p, char *path, size_t pathsz)
{
    char dir[4096], prefix[1024] = "pprof.";
    struct cprof_buf enc;
    int err = tmp_dir(dir, sizeof(dir)), fd = -1;

    if (err)
        return err;
    if (p->nmappings && p->mappings[0].filename) {
        const char *f = cprof_profile_str(p, p->mappings[0].filename);
        const char *base = strrchr(f, '/') ? strrchr(f, '/') + 1 : f;
        snprintf(prefix + strlen(prefix), sizeof(prefix) - strlen(prefix), "%s.", base);
    }
    for (uint32_t i = 0; i < p->nsample_types; i++)
        snprintf(prefix + strlen(prefix), sizeof(prefix) - strlen(prefix), "%s.",
                 cprof_profile_str(p, p->sample_types[i].type));
    for (int i = 1; i < 10000 && fd < 0; i++) {
        if (snprintf(path, pathsz, "%s/%s%03d.pb.gz", dir, prefix, i) >= (int)pathsz)
            return -ENAMETOOLONG;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            return -errno;
    }
    if (fd < 0)
        return -EEXIST;
    cprof_buf_init(&enc, 0);
    err = cprof_profile_encode(p, true, &enc);
    if (!err)
        err = cprof_fd_write_all(fd, enc.data, enc.len);
    if (close(fd) < 0 && !err)
        err = -errno;
    cprof_buf_release(&enc);
    if (err)
        unlink(path);
    return err;
}

int cprof_fetch_profile(const char *source, long long seconds, long long timeout_s,
                        const struct cprof_limits *lim, struct cprof_profile **out,
                        struct cprof_diag *diag)
{
    struct cprof_url url;
    struct cprof_http_resp r;
    struct cprof_buf buf;
    char text[2400], saved[4200];
    int rc = cprof_url_adjust(source, seconds, &url, text, sizeof(text), diag);

    if (rc <= 0)
        return rc < 0 ? rc : cprof_diag_set(diag, CPROF_EUSAGE, "%s: not a URL", source);
    if (seconds <= 0) {
        const char *s = strstr(url.path, "seconds=");
        if (s && (s[-1] == '?' || s[-1] == '&'))
            seconds = atoll(s + 8);
    }
    if (timeout_s <= 0)
        timeout_s = seconds > 0 ? seconds + seconds / 2 : 60;
    fprintf(stderr, "Fetching profile over HTTP from %s\n", text);
    if (seconds > 0)
        fprintf(stderr, "Please wait... (%llds)\n", seconds);
    cprof_buf_init(&buf, lim->max_bytes + MAX_HEADER);
    rc = http_get(&url, mono_ms() + (timeout_s + 5) * 1000, &buf, &r, diag);
    if (!rc && r.status != 200) {
        while (r.body_len && (r.body[r.body_len - 1] == '\n' || r.body[r.body_len - 1] == '\r'))
            r.body_len--;
        if (r.go_pprof && r.text_plain)
            rc = cprof_diag_set(diag, CPROF_ENOTFOUND, "%s: server response: %d %s - %.*s", text,
                                r.status, r.reason, (int)(r.body_len > 120 ? 120 : r.body_len),
                                (const char *)r.body);
        else
            rc = cprof_diag_set(diag, CPROF_ENOTFOUND, "%s: server response: %d %s", text, r.status,
                                r.reason);
    } else if (rc) {
        char msg[sizeof(diag->msg)];
        snprintf(msg, sizeof(msg), "%s", diag->msg);
        rc = cprof_diag_set(diag, rc, "%s: %s", text, msg);
    }
    if (!rc) {
        rc = cprof_profile_decode(r.body, r.body_len, lim, out, diag);
        if (rc)
            rc = cprof_diag_set(diag, rc, "%s: parsing profile: %s", text,
                                diag->msg[0] ? diag->msg : cprof_strerror(rc));
    }
    cprof_buf_release(&buf);
    if (rc)
        return rc;
    if (save(*out, saved, sizeof(saved)) == 0)
        fprintf(stderr, "Saved profile in %s\n", saved);
    else
        fprintf(stderr, "Could not save profile: %s\n", strerror(errno));
    return 0;
}
