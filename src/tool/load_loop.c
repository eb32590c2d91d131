/*
 * The load generator's engine: one epoll event loop per thread, each with
 * its share of the connections and of the requests.  What keeps the cost
 * per request low (most of it is system calls on loopback): connections
 * stay registered for EPOLLIN only (EPOLLOUT only while a connect or a
 * short write is pending), the next request is written as soon as a
 * response is complete, and a read that completes a response is not
 * followed by another read to see EAGAIN (epoll is level-triggered).
 *
 * The main thread waits for SIGINT, the -z deadline or the workers' end,
 * and prints a progress line on a terminal.
 */
#include "tool/load.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "tool/load_int.h"

void cprof__load_set_events(struct conn *c, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = c};

    if (c->ev == ev)
        return;
    epoll_ctl(c->w->ep, c->ev ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e);
    c->ev = ev;
}

void cprof__load_conn_close(struct conn *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->ev = 0;
    c->reused = false;
}

void cprof__load_enqueue(struct conn *c)
{
    if (!c->queued) {
        c->queued = true;
        c->w->runq[c->w->nrunq++] = c;
    }
}

static uint32_t us_of(uint64_t ns)
{
    uint64_t us = ns / 1000;
    return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* The next request on c, after a response or an error, or none. */
void cprof__load_next_request(struct conn *c, uint64_t now)
{
    struct worker *w = c->w;

    free(c->redirect_req);
    c->redirect_req = NULL;
    c->state = C_IDLE;
    if (w->todo == 0 || now >= w->sh->deadline) {
        w->active--;
        c->next_at = UINT64_MAX; /* done */
        if (c->fd >= 0 && !w->cfg->keepalive)
            cprof__load_conn_close(c);
        return;
    }
    if (w->interval_ns) {
        c->next_at += w->interval_ns;
        /* -q is a ticker: a late worker does not catch up. */
        if (w->cfg->rate == 0 && c->next_at < now)
            c->next_at = now;
        if (c->next_at > now)
            return; /* the loop starts it when due */
    }
    cprof__load_enqueue(c);
}

void cprof__load_record_ok(struct conn *c, uint64_t now)
{
    struct worker *w = c->w;
    struct cprof_load_stats *s = &w->st;
    const struct cprof_load_parser *p = &c->ps;
    uint64_t lat = now - c->t_start, ph[LOAD_NPHASE];

    ph[LOAD_CONN] = c->reused ? 0 : c->t_ready - c->t_dial;
    ph[LOAD_DNS] = 0;
    ph[LOAD_REQ] = c->t_written - (c->reused ? c->t_start : c->t_ready);
    ph[LOAD_WAIT] = c->t_first - c->t_written;
    ph[LOAD_READ] = now - c->t_first;
    s->ok++;
    s->status[p->status > 0 && p->status < 600 ? p->status : 0]++;
    if (p->content_length > 0 && !(p->gzip && w->cfg->gzip_asked))
        s->size_total += (uint64_t)p->content_length;
    for (int i = 0; i < LOAD_NPHASE; i++) {
        s->phase_sum_ns[i] += ph[i];
        if (ph[i] < s->phase_min_ns[i])
            s->phase_min_ns[i] = ph[i];
        if (ph[i] > s->phase_max_ns[i])
            s->phase_max_ns[i] = ph[i];
    }
    if (w->cfg->rate > 0) {
        cprof_load_hist_record(&s->lat_uncorr, lat);
        s->uncorr_sum_ns += lat;
        if (lat > s->uncorr_max_ns)
            s->uncorr_max_ns = lat;
        lat = now - c->t_planned;
    }
    cprof_load_hist_record(&s->lat, lat);
    s->lat_sum_ns += lat;
    if (lat < s->lat_min_ns)
        s->lat_min_ns = lat;
    if (lat > s->lat_max_ns)
        s->lat_max_ns = lat;
    if (w->cfg->csv && s->nrows < w->row_cap) {
        if (s->nrows == s->caprows) {
            size_t cap = s->caprows ? s->caprows * 2 : 1024;
            struct cprof_load_row *r = realloc(s->rows, cap * sizeof(*r));
            if (!r)
                return;
            s->rows = r;
            s->caprows = cap;
        }
        struct cprof_load_row *r = &s->rows[s->nrows++];
        r->done_ns = now - w->sh->t0;
        r->start_ns = c->t_start - w->sh->t0;
        r->total_us = us_of(now - c->t_start);
        for (int i = 0; i < LOAD_NPHASE; i++)
            r->phase_us[i] = us_of(ph[i]);
        r->status = (uint16_t)p->status;
    }
    atomic_store_explicit(&w->done, s->ok + s->errors, memory_order_relaxed);
}

/* Fails the current request with Go's wording: Op "URL": what. */
void cprof__load_fail(struct conn *c, const char *what, uint64_t now)
{
    struct worker *w = c->w;
    char text[600];

    if (c->h2t) {
        cprof__load_h2_fail_conn(c, what, now);
        return;
    }
    if (c->h2s)
        cprof__load_h2_detach(c);
    snprintf(text, sizeof(text), "%s \"%s\": %s", w->cfg->op, w->cfg->url_text, what);
    cprof_load_stats_error(&w->st, text);
    atomic_store_explicit(&w->done, w->st.ok + w->st.errors, memory_order_relaxed);
    cprof__load_conn_close(c);
    cprof__load_next_request(c, now);
}

static void fail_errno(struct conn *c, const char *op, int err, uint64_t now)
{
    char what[400], msg[128];

    snprintf(msg, sizeof(msg), "%s", strerror(err));
    if (msg[0] >= 'A' && msg[0] <= 'Z')
        msg[0] = (char)(msg[0] - 'A' + 'a');
    snprintf(what, sizeof(what), "%s: %s", op, msg);
    cprof__load_fail(c, what, now);
}

static void start_request(struct conn *c, uint64_t now);

/*
 * A reused connection the server closed before answering: Go's transport
 * resends on a new connection once, without reporting an error.
 */
static bool retry(struct conn *c, uint64_t now)
{
    if (!c->reused || c->got_bytes || c->retried)
        return false;
    cprof__load_conn_close(c);
    c->retried = true;
    c->w->todo++; /* start_request claims it again */
    (void)now;
    cprof__load_enqueue(c);
    return true;
}

static void tls_fail(struct conn *c, const char *stage, uint64_t now)
{
    char what[400];
    unsigned long e = ERR_get_error();

    ERR_clear_error();
    snprintf(what, sizeof(what), "tls: %s failed: %s", stage,
             e ? ERR_reason_error_string(e) : "connection closed");
    cprof__load_fail(c, what, now);
}

static void on_ready(struct conn *c, uint64_t now);

static void handshake(struct conn *c, uint64_t now)
{
    int rc = SSL_connect(c->ssl);

    if (rc == 1) {
        on_ready(c, cprof__load_now_ns());
        return;
    }
    switch (SSL_get_error(c->ssl, rc)) {
    case SSL_ERROR_WANT_READ: cprof__load_set_events(c, EPOLLIN); break;
    case SSL_ERROR_WANT_WRITE: cprof__load_set_events(c, EPOLLIN | EPOLLOUT); break;
    default: tls_fail(c, "handshake", now);
    }
}

static void write_request(struct conn *c, uint64_t now)
{
    ssize_t n;

    c->state = C_WRITING;
    while (c->wpos < c->req_len) {
        if (c->ssl) {
            int rc = SSL_write(c->ssl, c->req + c->wpos, (int)(c->req_len - c->wpos));
            if (rc <= 0) {
                int e = SSL_get_error(c->ssl, rc);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    cprof__load_set_events(c, EPOLLIN | EPOLLOUT);
                    return;
                }
                if (!retry(c, now))
                    tls_fail(c, "write", now);
                return;
            }
            n = rc;
        } else {
            n = send(c->fd, c->req + c->wpos, c->req_len - c->wpos, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                    cprof__load_set_events(c, EPOLLIN | EPOLLOUT);
                    return;
                }
                if (!retry(c, now))
                    fail_errno(c, "write", errno, now);
                return;
            }
        }
        c->wpos += (size_t)n;
    }
    c->t_written = cprof__load_now_ns();
    c->state = C_READING;
    cprof__load_set_events(c, EPOLLIN);
}

static void on_ready(struct conn *c, uint64_t now)
{
    if (c->h2t) {
        cprof__load_h2_ready(c, now);
        return;
    }
    c->t_ready = now;
    write_request(c, now);
}

void cprof__load_dial(struct conn *c, uint64_t now)
{
    struct shared *sh = c->w->sh;
    int one = 1;

    c->t_dial = now;
    c->reused = false;
    if (sh->lookup_failed) {
        cprof__load_fail(c, sh->dial_text, now);
        return;
    }
    c->fd = socket(sh->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fail_errno(c, sh->dial_text, errno, now);
        return;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (const struct sockaddr *)&sh->addr, sh->addrlen) < 0 &&
        errno != EINPROGRESS) {
        char what[400];
        snprintf(what, sizeof(what), "%s: connect", sh->dial_text);
        fail_errno(c, what, errno, now);
        return;
    }
    c->state = C_CONNECTING;
    cprof__load_set_events(c, EPOLLIN | EPOLLOUT);
}

static void tunnel_start(struct conn *c, uint64_t now);
static void tls_start(struct conn *c, uint64_t now);

static void connected(struct conn *c, uint64_t now)
{
    int err = 0;
    socklen_t len = sizeof(err);

    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        char what[400];
        snprintf(what, sizeof(what), "%s: connect", c->w->sh->dial_text);
        fail_errno(c, what, err, now);
        return;
    }
    if (!c->w->cfg->tls) {
        on_ready(c, now);
        return;
    }
    if (c->w->cfg->proxy_host) {
        tunnel_start(c, now);
        return;
    }
    tls_start(c, now);
}

/* https through -x: ask the proxy for a tunnel to the target first, as Go's transport does. */
static void tunnel_start(struct conn *c, uint64_t now)
{
    const struct cprof_load_url *u = &c->w->cfg->url;
    char req[2 * 2048 + 128];
    int n;
    ssize_t sent;

    n = snprintf(req, sizeof(req),
                 u->ipv6 ? "CONNECT [%s]:%s HTTP/1.1\r\nHost: [%s]:%s\r\n\r\n"
                         : "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n",
                 u->host, u->port, u->host, u->port);
    /* A fresh connection's send buffer takes these few bytes whole. */
    sent = send(c->fd, req, (size_t)n, MSG_NOSIGNAL);
    if (sent != n) {
        fail_errno(c, "proxyconnect tcp: write", sent < 0 ? errno : EAGAIN, now);
        return;
    }
    cprof_load_parser_init(&c->ps, true); /* the answer to CONNECT has no body */
    c->state = C_TUNNEL;
    cprof__load_set_events(c, EPOLLIN);
}

static void tunnel_answer(struct conn *c, uint64_t now)
{
    struct cprof_diag diag;
    size_t used;
    ssize_t n = recv(c->fd, c->w->rbuf, sizeof(c->w->rbuf), 0);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0) {
        fail_errno(c, "proxyconnect tcp: read", errno, now);
        return;
    }
    if (cprof_load_parser_feed(&c->ps, c->w->rbuf, (size_t)n, &used, &diag) < 0) {
        cprof__load_fail(c, diag.msg, now);
        return;
    }
    if (!c->ps.complete) {
        if (n == 0)
            cprof__load_fail(c, "proxyconnect tcp: unexpected EOF", now);
        return;
    }
    if (c->ps.status != 200) {
        const char *t = cprof_load_status_text(c->ps.status);
        cprof__load_fail(c, *t ? t : "unknown status code", now);
        return;
    }
    cprof_load_parser_init(&c->ps, c->w->cfg->head);
    tls_start(c, now);
}

static void tls_start(struct conn *c, uint64_t now)
{
    c->ssl = SSL_new(c->w->sh->ssl_ctx);
    if (!c->ssl) {
        tls_fail(c, "setup", now);
        return;
    }
    SSL_set_fd(c->ssl, c->fd);
    if (!c->w->cfg->url.ipv6 &&
        strspn(c->w->cfg->url.host, "0123456789.") != strlen(c->w->cfg->url.host))
        SSL_set_tlsext_host_name(c->ssl, c->w->cfg->url.host);
    c->state = C_HANDSHAKE;
    handshake(c, now);
}

/* Same-origin redirects are followed on the same connection, as Go's client does. */
bool cprof__load_follow_redirect(struct conn *c, bool keep_alive)
{
    const struct cprof_load_cfg *cfg = c->w->cfg;
    const char *loc = c->ps.location, *m = cfg->method, *path;
    int st = c->ps.status;
    size_t plen, cap;
    char *req;

    if (!cfg->follow_redirects || !c->ps.location[0] || c->redirects >= 10 ||
        (st != 301 && st != 302 && st != 303 && st != 307 && st != 308))
        return false;
    path = loc;
    if (loc[0] != '/') {
        size_t sl = strlen(cfg->url.scheme), hl = strlen(cfg->url.hostport);
        if (strncmp(loc, cfg->url.scheme, sl) != 0 || strncmp(loc + sl, "://", 3) != 0 ||
            strncmp(loc + sl + 3, cfg->url.hostport, hl) != 0 ||
            (loc[sl + 3 + hl] != '/' && loc[sl + 3 + hl] != '\0'))
            return false; /* another origin: the 3xx is the answer */
        path = loc + sl + 3 + hl;
        if (!*path)
            path = "/";
    }
    if (st == 301 || st == 302 || st == 303)
        m = strcmp(m, "HEAD") == 0 ? "HEAD" : "GET";
    /* The request line changes; the headers stay (minus the body for GET). */
    const char *hdrs = strstr(cfg->request, "\r\n");
    plen = strlen(path);
    cap = strlen(m) + plen + cfg->request_len + 32;
    req = malloc(cap);
    if (!req)
        return false;
    size_t hl = (size_t)(strstr(cfg->request, "\r\n\r\n") + 4 - hdrs);
    int n = snprintf(req, cap, "%s %.*s HTTP/1.1", m, (int)plen, path);
    memcpy(req + n, hdrs, hl);
    size_t len = (size_t)n + hl;
    if (m == cfg->method) {
        size_t body = cfg->request_len - (size_t)(hdrs - cfg->request) - hl;
        memcpy(req + len, hdrs + hl, body);
        len += body;
    }
    free(c->redirect_req);
    c->redirect_req = req;
    c->req = req;
    c->req_len = len;
    c->redirects++;
    c->wpos = 0;
    c->got_bytes = false;
    cprof_load_parser_init(&c->ps, strcmp(m, "HEAD") == 0);
    if (c->w->h2 && !c->w->h1_fallback) {
        cprof__load_h2_start(c, cprof__load_now_ns());
    } else if (!keep_alive) {
        cprof__load_conn_close(c);
        cprof__load_dial(c, cprof__load_now_ns());
    } else {
        c->reused = true;
        write_request(c, cprof__load_now_ns());
    }
    return true;
}

static void complete(struct conn *c, uint64_t now)
{
    bool keep = c->ps.keep_alive && c->w->cfg->keepalive;

    if (cprof__load_follow_redirect(c, keep))
        return;
    cprof__load_record_ok(c, now);
    if (keep)
        c->reused = true;
    else
        cprof__load_conn_close(c);
    cprof__load_next_request(c, now);
}

static void read_response(struct conn *c)
{
    struct worker *w = c->w;
    struct cprof_diag diag;
    size_t used;

    for (;;) {
        ssize_t n;
        if (c->ssl) {
            int rc = SSL_read(c->ssl, w->rbuf, sizeof(w->rbuf));
            if (rc <= 0) {
                int e = SSL_get_error(c->ssl, rc);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                    return;
                ERR_clear_error();
                n = e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL ? 0 : -1;
                errno = ECONNRESET;
            } else {
                n = rc;
            }
        } else {
            n = recv(c->fd, w->rbuf, sizeof(w->rbuf), 0);
        }
        uint64_t now = cprof__load_now_ns();
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (c->state != C_READING && c->state != C_WRITING) {
            /* EOF, an error or stray bytes on an idle connection: drop it. */
            cprof__load_conn_close(c);
            return;
        }
        if (n < 0) {
            if (!retry(c, now))
                fail_errno(c, "read", errno, now);
            return;
        }
        if (n > 0 && !c->got_bytes) {
            c->got_bytes = true;
            c->t_first = now;
        }
        if (cprof_load_parser_feed(&c->ps, w->rbuf, (size_t)n, &used, &diag) < 0) {
            cprof__load_fail(c, diag.msg, now);
            return;
        }
        if (c->ps.complete) {
            if (n == 0 || used < (size_t)n)
                c->ps.keep_alive = false; /* closed, or bytes after the response */
            complete(c, now);
            return;
        }
        if (n == 0) {
            if (!retry(c, now))
                cprof__load_fail(c, "EOF", now);
            return;
        }
        /* A short plain read means the socket is drained: epoll says when more comes. */
        if (!c->ssl && (size_t)n < sizeof(w->rbuf))
            return;
    }
}

static void start_request(struct conn *c, uint64_t now)
{
    struct worker *w = c->w;

    if (w->todo == 0 || now >= w->sh->deadline ||
        atomic_load_explicit(&w->sh->stop, memory_order_relaxed)) {
        c->state = C_IDLE;
        c->next_at = UINT64_MAX; /* done */
        w->active--;
        return;
    }
    w->todo--;
    if (!c->retried) {
        c->t_start = now;
        c->t_planned = w->interval_ns ? c->next_at : now;
        if (c->t_planned > now)
            c->t_planned = now;
    }
    c->req = w->cfg->request;
    c->req_len = w->cfg->request_len;
    c->wpos = 0;
    c->got_bytes = false;
    c->redirects = 0;
    cprof_load_parser_init(&c->ps, w->cfg->head);
    if (w->cfg->scheme_error) {
        cprof__load_fail(c, w->cfg->scheme_error, now);
        return;
    }
    if (w->h2 && !w->h1_fallback) {
        cprof__load_h2_start(c, now);
        return;
    }
    if (c->fd < 0) {
        cprof__load_dial(c, now);
        return;
    }
    c->t_ready = now;
    write_request(c, now);
}

static void on_event(struct conn *c, uint32_t ev)
{
    uint64_t now = cprof__load_now_ns();

    if (c->h2t) {
        if (c->fd < 0)
            return; /* closed earlier in this batch of events */
        if (c->state == C_READING) {
            cprof__load_h2_on_event(c, ev);
            return;
        }
    }
    switch (c->state) {
    case C_CONNECTING: connected(c, now); break;
    case C_TUNNEL: tunnel_answer(c, now); break;
    case C_HANDSHAKE: handshake(c, now); break;
    case C_WRITING:
        if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP) && !(ev & EPOLLOUT)) {
            read_response(c);
            break;
        }
        write_request(c, now);
        break;
    case C_READING:
    case C_IDLE: read_response(c); break;
    }
}

/* Fails requests that ran past -t. */
static void sweep_timeouts(struct worker *w, uint64_t now)
{
    uint64_t t = w->cfg->timeout_ns;

    w->last_sweep = now;
    for (int i = 0; i < w->nconn; i++) {
        struct conn *c = &w->conns[i];
        if (c->state != C_IDLE && now - c->t_start > t)
            cprof__load_fail(
                c, "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                now);
    }
}

/* Nanoseconds the loop may sleep (-1: until an event); queues the paced requests due. */
static int64_t plan(struct worker *w, uint64_t now)
{
    uint64_t next = UINT64_MAX;

    if (w->interval_ns) {
        for (int i = 0; i < w->nconn; i++) {
            struct conn *c = &w->conns[i];
            if (c->state != C_IDLE || c->queued || c->next_at == UINT64_MAX)
                continue;
            if (c->next_at <= now)
                cprof__load_enqueue(c);
            else if (c->next_at < next)
                next = c->next_at;
        }
    }
    if (w->cfg->timeout_ns && next > now + 100000000u)
        next = now + 100000000u;
    if (w->sh->deadline < next)
        next = w->sh->deadline;
    if (next == UINT64_MAX)
        return -1;
    if (next <= now)
        return 0;
    return (int64_t)(next - now);
}

/*
 * epoll_wait with a nanosecond timeout (epoll_pwait2, Linux 5.11), so that
 * paced requests leave on time; whole milliseconds, rounded up, elsewhere.
 */
static int wait_events(struct worker *w, struct epoll_event *evs, int max, int64_t timeout_ns)
{
    static atomic_int no_pwait2;

    if (timeout_ns > 0 && !atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
        struct timespec ts = {(time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000)};
        int n = epoll_pwait2(w->ep, evs, max, &ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        atomic_store(&no_pwait2, 1);
    }
    return epoll_wait(w->ep, evs, max,
                      timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000));
}

static void run_queue(struct worker *w)
{
    while (w->nrunq > 0 && !atomic_load_explicit(&w->sh->stop, memory_order_relaxed)) {
        struct conn *c = w->runq[--w->nrunq];
        c->queued = false;
        start_request(c, cprof__load_now_ns());
        c->retried = false;
    }
}

static void abort_inflight(struct worker *w)
{
    for (int i = 0; i < w->nconn; i++) {
        struct conn *c = &w->conns[i];
        if (c->state != C_IDLE)
            w->st.aborted++;
        cprof__load_conn_close(c);
        free(c->redirect_req);
        c->redirect_req = NULL;
        c->h2s = NULL;
    }
    if (w->h2)
        cprof__load_h2_close_all(w);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[256];
    struct epoll_event se = {.events = EPOLLIN, .data.ptr = NULL};

    epoll_ctl(w->ep, EPOLL_CTL_ADD, w->sh->stop_fd, &se);
    for (int i = 0; i < w->nconn; i++)
        if (!w->interval_ns)
            cprof__load_enqueue(&w->conns[i]);
    w->active = w->nconn;
    while (w->active > 0 && !atomic_load_explicit(&w->sh->stop, memory_order_relaxed)) {
        uint64_t now = cprof__load_now_ns();
        int64_t timeout;
        int n;

        if (now >= w->sh->deadline)
            break;
        timeout = plan(w, now);
        run_queue(w);
        if (w->h2)
            cprof__load_h2_turn_end(w);
        if (w->active == 0)
            break;
        if (w->nrunq > 0)
            timeout = 0;
        n = wait_events(w, evs, 256, timeout);
        for (int i = 0; i < n; i++) {
            if (!evs[i].data.ptr)
                goto out;
            on_event(evs[i].data.ptr, evs[i].events);
        }
        if (w->cfg->timeout_ns && cprof__load_now_ns() - w->last_sweep > 100000000u)
            sweep_timeouts(w, cprof__load_now_ns());
    }
out:
    abort_inflight(w);
    if (atomic_fetch_sub(&w->sh->running, 1) == 1)
        pthread_kill(w->sh->main, SIGUSR1);
    return NULL;
}

/* Resolves the target (or the proxy) once, before the clock starts. */
static void resolve(struct shared *sh, const struct cprof_load_cfg *cfg)
{
    const char *host = cfg->proxy_host ? cfg->proxy_host : cfg->url.host;
    const char *port = cfg->proxy_host ? cfg->proxy_port : cfg->url.port;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    char ip[INET6_ADDRSTRLEN + 2];
    int rc;

    if (cfg->scheme_error)
        return;
    rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0 || !ai) {
        sh->lookup_failed = true;
        snprintf(sh->dial_text, sizeof(sh->dial_text), "dial tcp: lookup %s: %s", host,
                 rc == EAI_NONAME ? "no such host" : gai_strerror(rc));
        return;
    }
    memcpy(&sh->addr, ai->ai_addr, ai->ai_addrlen);
    sh->addrlen = ai->ai_addrlen;
    getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof(ip), NULL, 0, NI_NUMERICHOST);
    snprintf(sh->dial_text, sizeof(sh->dial_text),
             ai->ai_family == AF_INET6 ? "dial tcp [%s]:%s" : "dial tcp %s:%s", ip, port);
    freeaddrinfo(ai);
}

static SSL_CTX *tls_context(const struct cprof_load_cfg *cfg)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (!ctx)
        return NULL;
    /* hey does not verify certificates (InsecureSkipVerify). */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* Whole socket reads, not a record header and then its body: half the reads. */
    SSL_CTX_set_read_ahead(ctx, 1);
    /* -h2 asks for h2 and takes HTTP/1.1 when the server declines, as Go's transport. */
    if (!cfg->h2)
        SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x08http/1.1", 9);
    else
        SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x02h2\x08http/1.1", 12);
    return ctx;
}

/* Splits cfg's connections and requests over the workers. */
static int setup_workers(struct shared *sh, struct worker *ws, int nw)
{
    const struct cprof_load_cfg *cfg = sh->cfg;
    int g = 0;

    for (int i = 0; i < nw; i++) {
        struct worker *w = &ws[i];
        w->sh = sh;
        w->cfg = cfg;
        w->nconn = cfg->c / nw + (i < cfg->c % nw);
        w->todo = cfg->n == UINT64_MAX
                      ? UINT64_MAX
                      : cfg->n / (uint64_t)nw + ((uint64_t)i < cfg->n % (uint64_t)nw);
        w->row_cap = 1000000 / (size_t)nw + 1;
        w->h2 = sh->h2cb != NULL;
        cprof_load_stats_init(&w->st);
        w->conns = calloc((size_t)w->nconn, sizeof(*w->conns));
        w->runq = calloc((size_t)w->nconn, sizeof(*w->runq));
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        if (!w->conns || !w->runq || w->ep < 0)
            return -ENOMEM;
        if (cfg->rate > 0)
            w->interval_ns = (uint64_t)(1e9 * cfg->c / cfg->rate);
        else if (cfg->q > 0)
            w->interval_ns = (uint64_t)(1e9 / cfg->q);
        for (int k = 0; k < w->nconn; k++, g++) {
            struct conn *c = &w->conns[k];
            c->w = w;
            c->fd = -1;
            c->ps.want_location = cfg->follow_redirects;
            /* --rate staggers the connections over one interval: an even total rate. */
            c->next_at = sh->t0 + (cfg->rate > 0 ? (uint64_t)(1e9 * g / cfg->rate) : 0);
        }
    }
    return 0;
}

static void progress(struct worker *ws, int nw, uint64_t start)
{
    uint64_t done = 0, el = cprof__load_now_ns() - start;

    for (int i = 0; i < nw; i++)
        done += atomic_load_explicit(&ws[i].done, memory_order_relaxed);
    fprintf(stderr, "\r%llu requests in %.0f s, %.0f/s   ", (unsigned long long)done, el / 1e9,
            done / (el / 1e9));
}

/* Waits for the workers' end, Ctrl-C or the deadline; SIGINT and SIGUSR1 are blocked. */
static void wait_workers(struct shared *sh, struct worker *ws, int nw)
{
    sigset_t set;
    bool tty = isatty(2), shown = false;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    while (atomic_load(&sh->running) > 0) {
        uint64_t now = cprof__load_now_ns(), wait_ns = 1000000000u;
        struct timespec ts;
        int sig;

        if (now >= sh->deadline)
            break;
        if (sh->deadline - now < wait_ns)
            wait_ns = sh->deadline - now;
        ts.tv_sec = (time_t)(wait_ns / 1000000000u);
        ts.tv_nsec = (long)(wait_ns % 1000000000u);
        sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT)
            break;
        if (tty && cprof__load_now_ns() - sh->t0 > 2000000000u && atomic_load(&sh->running) > 0) {
            progress(ws, nw, sh->t0);
            shown = true;
        }
    }
    if (shown)
        fprintf(stderr, "\r%60s\r", "");
    atomic_store(&sh->stop, 1);
    uint64_t one = 1;
    if (write(sh->stop_fd, &one, sizeof(one)) < 0)
        perror("cprof load: eventfd");
}

int cprof_load_run(const struct cprof_load_cfg *cfg, struct cprof_load_stats *out,
                   uint64_t *total_ns)
{
    struct shared sh = {.cfg = cfg};
    int nw = cfg->threads < cfg->c ? cfg->threads : cfg->c, err = 0, started = 0;
    struct worker *ws;
    sigset_t set, old;

    cprof_load_stats_init(out);
    resolve(&sh, cfg);
    if (cfg->tls && !(sh.ssl_ctx = tls_context(cfg))) {
        fprintf(stderr, "cprof load: cannot set up TLS\n");
        return -ENOMEM;
    }
    /* Go's transport speaks HTTP/2 over TLS only: -h2 on http:// stays HTTP/1.1. */
    if (cfg->h2 && cfg->tls && !cfg->scheme_error && (err = cprof__load_h2_setup(&sh)) != 0) {
        SSL_CTX_free(sh.ssl_ctx);
        return err;
    }
    ws = calloc((size_t)nw, sizeof(*ws));
    sh.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    sh.main = pthread_self();
    if (!ws || sh.stop_fd < 0) {
        err = -ENOMEM;
        goto out;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    sh.t0 = cprof__load_now_ns();
    sh.deadline = cfg->duration_ns ? sh.t0 + cfg->duration_ns : UINT64_MAX;
    err = setup_workers(&sh, ws, nw);
    if (err)
        goto out_mask;
    atomic_store(&sh.running, nw);
    for (; started < nw; started++) {
        if (pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]) != 0) {
            err = -EAGAIN;
            atomic_fetch_sub(&sh.running, nw - started);
            break;
        }
    }
    wait_workers(&sh, ws, nw);
    for (int i = 0; i < started; i++)
        pthread_join(ws[i].tid, NULL);
    *total_ns = cprof__load_now_ns() - sh.t0;
    for (int i = 0; i < started; i++)
        cprof_load_stats_merge(out, &ws[i].st);
out_mask:
    /* A SIGUSR1 from the last worker may still be pending: take it before unblocking. */
    {
        struct timespec zero = {0, 0};
        sigset_t u;
        sigemptyset(&u);
        sigaddset(&u, SIGUSR1);
        while (sigtimedwait(&u, NULL, &zero) > 0)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
    for (int i = 0; ws && i < nw; i++) {
        for (int k = 0; ws[i].conns && k < ws[i].nconn; k++)
            free(ws[i].conns[k].redirect_req);
        free(ws[i].conns);
        free(ws[i].runq);
        if (ws[i].ep > 0)
            close(ws[i].ep);
        cprof_load_stats_release(&ws[i].st);
    }
    free(ws);
    if (sh.stop_fd >= 0)
        close(sh.stop_fd);
    SSL_CTX_free(sh.ssl_ctx);
    cprof__load_h2_teardown(&sh);
    if (err)
        fprintf(stderr, "cprof load: cannot start the worker threads: %s\n", strerror(-err));
    return err;
}
