/*
 * cprof load -h2: requests as HTTP/2 streams over TLS (ALPN "h2"), with
 * libnghttp2 doing the framing.  As in hey, whose Go transport keeps one
 * connection per host, the -c request slots of a worker thread share one
 * connection and each slot has one stream in flight; a connection the
 * server winds down (GOAWAY) is drained while new streams go to a new one,
 * and streams it refused are resent there.  -disable-keepalive gives each
 * request its own connection.  When the server does not choose h2, the
 * worker goes on over HTTP/1.1, as Go's transport does.
 *
 * Writes are batched: what nghttp2 queues during a loop turn leaves in one
 * TLS write at the turn's end (or after the reads that produced it).
 */
#include "tool/load_int.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

/* A request as HTTP/2 header fields, made from its HTTP/1.1 text. */
struct cprof_load_h2_req {
    nghttp2_nv *nv; /* pseudo-headers first */
    size_t nvlen;
    char *mem;        /* the request's text, names lowercased: nv points here */
    const char *body; /* into mem */
    size_t body_len;
};

struct cprof_load_h2 {
    struct conn t;              /* the socket: dial, TLS and epoll go through the loop's code */
    nghttp2_session *ss;        /* NULL until the server chose h2 */
    struct cprof_load_h2 *next; /* worker's h2list */
    int nslots;                 /* slots whose request is on (or waits for) this connection */
    bool ready;                 /* h2 is up: streams can be submitted */
    bool draining;              /* GOAWAY came: no new streams */
    bool single;                /* -disable-keepalive: one request, then close */
    bool dead;                  /* closed; freed at the end of the loop turn */
    bool dirty;                 /* nghttp2 may have frames to write */
    char *out;                  /* frames not yet written */
    size_t outlen, outpos, outcap;
};

static void h2req_free(struct cprof_load_h2_req *r)
{
    if (!r)
        return;
    free(r->nv);
    free(r->mem);
    free(r);
}

static void nv_set(nghttp2_nv *nv, const char *name, size_t nl, const char *val, size_t vl,
                   uint8_t flags)
{
    nv->name = (uint8_t *)(uintptr_t)name;
    nv->namelen = nl;
    nv->value = (uint8_t *)(uintptr_t)val;
    nv->valuelen = vl;
    nv->flags = flags;
}

/*
 * The request line and headers of an HTTP/1.1 request (as load_cmd.c
 * builds them) as header fields: Host becomes :authority, the
 * connection-specific fields go.  NULL when out of memory.
 */
static struct cprof_load_h2_req *h2req_new(const char *req, size_t len,
                                           const struct cprof_load_cfg *cfg, bool no_copy)
{
    struct cprof_load_h2_req *r = calloc(1, sizeof(*r));
    uint8_t fl = no_copy ? NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE : 0;
    char *p, *end, *sp1, *sp2, *eol;
    size_t lines = 0, hlen;

    if (!r)
        return NULL;
    r->mem = malloc(len + 1);
    if (!r->mem)
        goto fail;
    memcpy(r->mem, req, len);
    r->mem[len] = '\0';
    end = strstr(r->mem, "\r\n\r\n");
    if (!end)
        goto fail;
    hlen = (size_t)(end - r->mem) + 4;
    r->body = r->mem + hlen;
    r->body_len = len - hlen;
    for (p = r->mem; p < end; p++)
        lines += *p == '\n';
    r->nv = calloc(lines + 5, sizeof(*r->nv));
    if (!r->nv)
        goto fail;
    eol = strstr(r->mem, "\r\n");
    sp1 = memchr(r->mem, ' ', (size_t)(eol - r->mem));
    sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp2)
        goto fail;
    nv_set(&r->nv[r->nvlen++], ":method", 7, r->mem, (size_t)(sp1 - r->mem), fl);
    nv_set(&r->nv[r->nvlen++], ":scheme", 7, cfg->url.scheme, strlen(cfg->url.scheme), fl);
    nv_set(&r->nv[r->nvlen++], ":path", 5, sp1 + 1, (size_t)(sp2 - sp1 - 1), fl);
    for (p = eol + 2; p < end + 2; p = eol + 2) {
        char *colon, *v;
        size_t nl;
        eol = strstr(p, "\r\n");
        colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon)
            continue;
        nl = (size_t)(colon - p);
        for (size_t i = 0; i < nl; i++)
            p[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
        for (v = colon + 1; *v == ' '; v++)
            ;
        if (nl == 4 && memcmp(p, "host", 4) == 0) {
            nv_set(&r->nv[r->nvlen++], ":authority", 10, v, (size_t)(eol - v), fl);
            continue;
        }
        /* Connection-specific fields are not sent over HTTP/2 (RFC 9113 8.2.2). */
        if ((nl == 10 && memcmp(p, "connection", 10) == 0) ||
            (nl == 10 && memcmp(p, "keep-alive", 10) == 0) ||
            (nl == 16 && memcmp(p, "proxy-connection", 16) == 0) ||
            (nl == 17 && memcmp(p, "transfer-encoding", 17) == 0) ||
            (nl == 7 && memcmp(p, "upgrade", 7) == 0))
            continue;
        nv_set(&r->nv[r->nvlen++], p, nl, v, (size_t)(eol - v), fl);
    }
    /* Pseudo-headers lead: :authority was found among the others, move it up. */
    for (size_t i = 3; i < r->nvlen; i++)
        if (r->nv[i].namelen == 10 && memcmp(r->nv[i].name, ":authority", 10) == 0) {
            nghttp2_nv a = r->nv[i];
            memmove(&r->nv[4], &r->nv[3], (i - 3) * sizeof(a));
            r->nv[3] = a;
            break;
        }
    return r;
fail:
    h2req_free(r);
    return NULL;
}

/* The slot whose stream this is, or NULL (cancelled, or not ours). */
static struct conn *slot_of(nghttp2_session *ss, int32_t id)
{
    return nghttp2_session_get_stream_user_data(ss, id);
}

static void detach(struct conn *c)
{
    struct cprof_load_h2 *s = c->h2s;

    if (!s)
        return;
    if (c->stream_id > 0 && s->ss && !s->dead) {
        nghttp2_session_set_stream_user_data(s->ss, c->stream_id, NULL);
        nghttp2_submit_rst_stream(s->ss, NGHTTP2_FLAG_NONE, c->stream_id, NGHTTP2_CANCEL);
        s->dirty = true;
    }
    c->h2s = NULL;
    c->stream_id = 0;
    s->nslots--;
}

void cprof__load_h2_detach(struct conn *c)
{
    detach(c);
}

/* Resends c's request on another connection once, uncounted, as Go does for refused streams. */
static bool resend(struct conn *c)
{
    if (c->got_bytes || c->retried)
        return false;
    detach(c);
    c->retried = true;
    c->w->todo++; /* start_request claims it again */
    cprof__load_enqueue(c);
    return true;
}

static void kill_conn(struct cprof_load_h2 *s)
{
    struct worker *w = s->t.w;

    s->dead = true;
    if (w->h2cur == s)
        w->h2cur = NULL;
    cprof__load_conn_close(&s->t);
}

void cprof__load_h2_fail_conn(struct conn *t, const char *what, uint64_t now)
{
    struct cprof_load_h2 *s = t->h2t;
    struct worker *w = t->w;

    kill_conn(s);
    for (int i = 0; i < w->nconn; i++) {
        struct conn *c = &w->conns[i];
        if (c->h2s != s)
            continue;
        /* Streams the server never took (GOAWAY) go elsewhere. */
        if (s->draining && resend(c))
            continue;
        detach(c);
        cprof__load_fail(c, what, now);
    }
}

static void lost(struct cprof_load_h2 *s, const char *what)
{
    cprof__load_h2_fail_conn(&s->t, what, cprof__load_now_ns());
}

static ssize_t read_body(nghttp2_session *ss, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud)
{
    struct conn *c = src->ptr;
    const struct cprof_load_h2_req *r = c->req == c->w->cfg->request ? c->w->sh->h2req : NULL;
    const char *body;
    size_t body_len, n;

    (void)ss, (void)id, (void)ud;
    if (r) {
        body = r->body;
        body_len = r->body_len;
    } else {
        const char *e = strstr(c->req, "\r\n\r\n") + 4;
        body = e;
        body_len = c->req_len - (size_t)(e - c->req);
    }
    n = body_len - c->wpos < len ? body_len - c->wpos : len;
    memcpy(buf, body + c->wpos, n);
    c->wpos += n;
    if (c->wpos == body_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static void submit(struct conn *c, uint64_t now)
{
    struct cprof_load_h2 *s = c->h2s;
    const struct cprof_load_cfg *cfg = c->w->cfg;
    struct cprof_load_h2_req *own = NULL;
    const struct cprof_load_h2_req *r = c->w->sh->h2req;
    nghttp2_data_provider prd = {.source.ptr = c, .read_callback = read_body};
    int32_t id;

    if (c->req != cfg->request) {
        /* A redirect's request: nghttp2 copies these fields. */
        own = h2req_new(c->req, c->req_len, cfg, false);
        if (!own) {
            detach(c);
            cprof__load_fail(c, "out of memory", now);
            return;
        }
        r = own;
    }
    c->t_ready = now;
    c->t_written = 0;
    c->wpos = 0;
    c->state = C_WRITING;
    id = nghttp2_submit_request(s->ss, NULL, r->nv, r->nvlen, r->body_len ? &prd : NULL, c);
    h2req_free(own);
    if (id < 0) {
        detach(c);
        cprof__load_fail(c, nghttp2_strerror(id), now);
        return;
    }
    c->stream_id = id;
    s->dirty = true;
}

static struct cprof_load_h2 *new_conn(struct worker *w)
{
    struct cprof_load_h2 *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->t.w = w;
    s->t.fd = -1;
    s->t.h2t = s;
    s->single = !w->cfg->keepalive;
    s->next = w->h2list;
    w->h2list = s;
    return s;
}

void cprof__load_h2_start(struct conn *c, uint64_t now)
{
    struct worker *w = c->w;
    struct cprof_load_h2 *s = w->h2cur;
    bool fresh = false;

    if (!s || s->dead || s->draining || s->single) {
        s = new_conn(w);
        if (!s) {
            cprof__load_fail(c, "out of memory", now);
            return;
        }
        if (!s->single)
            w->h2cur = s;
        fresh = true;
    }
    c->h2s = s;
    c->stream_id = 0;
    s->nslots++;
    c->reused = false;
    c->t_dial = now;
    c->state = C_CONNECTING;
    if (fresh)
        cprof__load_dial(&s->t, now); /* a failure fails c through s */
    else if (s->ready)
        submit(c, now);
}

static void fall_back(struct cprof_load_h2 *s)
{
    struct worker *w = s->t.w;

    w->h1_fallback = true;
    kill_conn(s);
    for (int i = 0; i < w->nconn; i++) {
        struct conn *c = &w->conns[i];
        if (c->h2s == s) {
            detach(c);
            c->retried = true;
            w->todo++;
            cprof__load_enqueue(c);
        }
    }
}

static void flush(struct cprof_load_h2 *s);

void cprof__load_h2_ready(struct conn *t, uint64_t now)
{
    struct cprof_load_h2 *s = t->h2t;
    struct worker *w = t->w;
    const unsigned char *alpn = NULL;
    unsigned alen = 0;
    /* Go's client: no push, 4 MiB stream windows (and 1 GiB for the connection). */
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                   {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 4 << 20}};

    SSL_get0_alpn_selected(t->ssl, &alpn, &alen);
    if (alen != 2 || memcmp(alpn, "h2", 2) != 0) {
        fall_back(s);
        return;
    }
    if (nghttp2_session_client_new(&s->ss, w->sh->h2cb, s) != 0) {
        s->ss = NULL;
        lost(s, "http2: out of memory");
        return;
    }
    nghttp2_submit_settings(s->ss, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0]));
    nghttp2_session_set_local_window_size(s->ss, NGHTTP2_FLAG_NONE, 0, 1 << 30);
    s->ready = true;
    s->dirty = true;
    t->state = C_READING;
    cprof__load_set_events(t, EPOLLIN);
    for (int i = 0; i < w->nconn && !s->dead; i++) {
        struct conn *c = &w->conns[i];
        if (c->h2s == s && c->stream_id == 0)
            submit(c, now);
    }
    flush(s);
}

/* Writes what nghttp2 has queued, batched; EPOLLOUT only while the socket is full. */
static void flush(struct cprof_load_h2 *s)
{
    struct conn *t = &s->t;

    if (s->dead || !s->ss)
        return;
    s->dirty = false;
    for (;;) {
        while (s->outpos < s->outlen) {
            int n = SSL_write(t->ssl, s->out + s->outpos, (int)(s->outlen - s->outpos));
            if (n <= 0) {
                int e = SSL_get_error(t->ssl, n);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    cprof__load_set_events(t, EPOLLIN | EPOLLOUT);
                    return;
                }
                ERR_clear_error();
                lost(s, e == SSL_ERROR_SYSCALL && errno ? strerror(errno) : "unexpected EOF");
                return;
            }
            s->outpos += (size_t)n;
        }
        s->outpos = s->outlen = 0;
        while (s->outlen < 65536) {
            const uint8_t *data;
            ssize_t n = nghttp2_session_mem_send(s->ss, &data);
            if (n < 0) {
                lost(s, nghttp2_strerror((int)n));
                return;
            }
            if (n == 0)
                break;
            if (s->outlen + (size_t)n > s->outcap) {
                size_t cap = s->outcap ? s->outcap : 16384;
                while (cap < s->outlen + (size_t)n)
                    cap *= 2;
                char *o = realloc(s->out, cap);
                if (!o) {
                    lost(s, "http2: out of memory");
                    return;
                }
                s->out = o;
                s->outcap = cap;
            }
            memcpy(s->out + s->outlen, data, (size_t)n);
            s->outlen += (size_t)n;
        }
        if (s->outlen == 0) {
            cprof__load_set_events(t, EPOLLIN);
            return;
        }
    }
}

/* Closes s when nothing more will happen on it. */
static void maybe_close(struct cprof_load_h2 *s)
{
    if (s->dead || !s->ss)
        return;
    if ((s->nslots == 0 && (s->draining || s->single)) ||
        (!nghttp2_session_want_read(s->ss) && !nghttp2_session_want_write(s->ss))) {
        if (s->nslots > 0)
            lost(s, "http2: client connection lost");
        else
            kill_conn(s);
    }
}

void cprof__load_h2_on_event(struct conn *t, uint32_t ev)
{
    struct cprof_load_h2 *s = t->h2t;
    struct worker *w = t->w;

    if (ev & EPOLLOUT)
        flush(s);
    while (!s->dead && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        int n = SSL_read(t->ssl, w->rbuf, sizeof(w->rbuf));
        if (n <= 0) {
            int e = SSL_get_error(t->ssl, n);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                break;
            ERR_clear_error();
            lost(s, e == SSL_ERROR_SYSCALL && errno && errno != EAGAIN ? strerror(errno)
                                                                       : "unexpected EOF");
            return;
        }
        ssize_t rv = nghttp2_session_mem_recv(s->ss, (const uint8_t *)w->rbuf, (size_t)n);
        if (rv < 0) {
            lost(s, nghttp2_strerror((int)rv));
            return;
        }
        /*
         * A short read with nothing buffered (read ahead included): the
         * socket is drained, epoll says when more comes.
         */
        if ((size_t)n < sizeof(w->rbuf) && !SSL_has_pending(t->ssl))
            break;
    }
    flush(s);
    maybe_close(s);
}

void cprof__load_h2_turn_end(struct worker *w)
{
    struct cprof_load_h2 **pp = &w->h2list;

    while (*pp) {
        struct cprof_load_h2 *s = *pp;
        if (s->dirty)
            flush(s);
        if (!s->dead)
            maybe_close(s);
        if (s->dead) {
            *pp = s->next;
            nghttp2_session_del(s->ss);
            free(s->out);
            free(s);
            continue;
        }
        pp = &s->next;
    }
}

void cprof__load_h2_close_all(struct worker *w)
{
    while (w->h2list) {
        struct cprof_load_h2 *s = w->h2list;
        w->h2list = s->next;
        cprof__load_conn_close(&s->t);
        nghttp2_session_del(s->ss);
        free(s->out);
        free(s);
    }
    w->h2cur = NULL;
}

/* ---- nghttp2 callbacks: on the worker thread, inside mem_recv / mem_send ---- */

static int on_begin_headers(nghttp2_session *ss, const nghttp2_frame *f, void *ud)
{
    struct conn *c;

    (void)ud;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_RESPONSE)
        return 0;
    c = slot_of(ss, f->hd.stream_id);
    if (c && !c->got_bytes) {
        c->got_bytes = true;
        c->t_first = cprof__load_now_ns();
    }
    return 0;
}

static int on_header(nghttp2_session *ss, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                     const uint8_t *val, size_t vl, uint8_t flags, void *ud)
{
    struct conn *c = slot_of(ss, f->hd.stream_id);
    struct cprof_load_parser *p;

    (void)flags, (void)ud;
    if (!c || f->hd.type != NGHTTP2_HEADERS)
        return 0;
    p = &c->ps;
    if (nl == 7 && memcmp(name, ":status", 7) == 0) {
        int st = 0;
        for (size_t i = 0; i < vl && i < 4; i++)
            st = st * 10 + (val[i] - '0');
        /* An interim response (1xx): the real one follows. */
        p->status = st;
        if (st >= 200) {
            p->headers_done = true;
        } else {
            p->content_length = -1;
            p->location[0] = '\0';
        }
    } else if (nl == 14 && memcmp(name, "content-length", 14) == 0) {
        int64_t v = 0;
        for (size_t i = 0; i < vl && i < 18; i++)
            v = v * 10 + (val[i] - '0');
        p->content_length = v;
    } else if (nl == 16 && memcmp(name, "content-encoding", 16) == 0) {
        p->gzip = vl >= 4 && strncasecmp((const char *)val, "gzip", 4) == 0;
    } else if (nl == 8 && p->want_location && memcmp(name, "location", 8) == 0) {
        size_t n = vl < sizeof(p->location) - 1 ? vl : sizeof(p->location) - 1;
        memcpy(p->location, val, n);
        p->location[n] = '\0';
    }
    return 0;
}

static int on_frame_send(nghttp2_session *ss, const nghttp2_frame *f, void *ud)
{
    struct conn *c;

    (void)ud;
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM) && (c = slot_of(ss, f->hd.stream_id)))
        c->t_written = cprof__load_now_ns();
    return 0;
}

static int on_frame_recv(nghttp2_session *ss, const nghttp2_frame *f, void *ud)
{
    struct cprof_load_h2 *s = ud;

    (void)ss;
    if (f->hd.type == NGHTTP2_GOAWAY) {
        s->draining = true;
        if (s->t.w->h2cur == s)
            s->t.w->h2cur = NULL;
    }
    return 0;
}

/* A request nghttp2 could not send (the connection is going away): resend it elsewhere. */
static int on_frame_not_send(nghttp2_session *ss, const nghttp2_frame *f, int err, void *ud)
{
    struct cprof_load_h2 *s = ud;
    struct worker *w = s->t.w;

    (void)ss;
    if (f->hd.type != NGHTTP2_HEADERS)
        return 0;
    for (int i = 0; i < w->nconn; i++) {
        struct conn *c = &w->conns[i];
        if (c->h2s == s && c->stream_id == f->hd.stream_id) {
            c->stream_id = 0; /* never opened: nothing to cancel */
            if (!resend(c)) {
                detach(c);
                cprof__load_fail(c, nghttp2_strerror(err), cprof__load_now_ns());
            }
            break;
        }
    }
    return 0;
}

static int on_stream_close(nghttp2_session *ss, int32_t id, uint32_t code, void *ud)
{
    struct conn *c = slot_of(ss, id);
    uint64_t now = cprof__load_now_ns();
    char what[160];

    (void)ud;
    if (!c)
        return 0;
    nghttp2_session_set_stream_user_data(ss, id, NULL);
    c->stream_id = 0; /* closed: nothing to cancel */
    if (code == NGHTTP2_NO_ERROR && c->ps.headers_done) {
        detach(c);
        if (c->t_written == 0 || c->t_written > c->t_first)
            c->t_written = c->t_first;
        c->ps.complete = true;
        if (cprof__load_follow_redirect(c, true))
            return 0;
        cprof__load_record_ok(c, now);
        cprof__load_next_request(c, now);
        return 0;
    }
    if (code == NGHTTP2_REFUSED_STREAM && resend(c))
        return 0;
    detach(c);
    if (code == NGHTTP2_NO_ERROR)
        snprintf(what, sizeof(what), "http2: stream ID %d closed without a response", id);
    else
        snprintf(what, sizeof(what), "stream error: stream ID %d; %s", id,
                 nghttp2_http2_strerror(code));
    cprof__load_fail(c, what, now);
    return 0;
}

int cprof__load_h2_setup(struct shared *sh)
{
    nghttp2_session_callbacks *cb;

    sh->h2req = h2req_new(sh->cfg->request, sh->cfg->request_len, sh->cfg, true);
    if (!sh->h2req || nghttp2_session_callbacks_new(&cb) != 0) {
        fprintf(stderr, "cprof load: cannot set up HTTP/2: out of memory\n");
        h2req_free(sh->h2req);
        sh->h2req = NULL;
        return -ENOMEM;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(cb, on_frame_not_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    sh->h2cb = cb;
    return 0;
}

void cprof__load_h2_teardown(struct shared *sh)
{
    nghttp2_session_callbacks_del(sh->h2cb);
    sh->h2cb = NULL;
    h2req_free(sh->h2req);
    sh->h2req = NULL;
}
