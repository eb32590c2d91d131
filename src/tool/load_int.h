/*
 * cprof load's internals shared by the event loop (load_loop.c) and its
 * HTTP/2 side (load_h2.c): a connection slot, a worker thread, what the
 * workers share, and the loop's helpers the HTTP/2 code calls back into.
 * Everything here runs on the worker thread that owns the slot.
 */
#ifndef CPROF_TOOL_LOAD_INT_H
#define CPROF_TOOL_LOAD_INT_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "tool/load.h"

/* C_TUNNEL: waiting for the proxy's answer to CONNECT (https through -x). */
enum conn_state { C_IDLE, C_CONNECTING, C_TUNNEL, C_HANDSHAKE, C_WRITING, C_READING };

struct worker;
struct cprof_load_h2;     /* one HTTP/2 connection (load_h2.c) */
struct cprof_load_h2_req; /* a request as HTTP/2 header fields (load_h2.c) */

/*
 * One of -c request slots.  Over HTTP/1.1 it is also the connection;
 * with -h2 its requests are streams on a connection it shares (h2s), and
 * an HTTP/2 connection's own socket is a conn too (h2t set).
 */
struct conn {
    struct worker *w;
    int fd;          /* -1 when closed */
    SSL *ssl;        /* https only */
    uint8_t state;   /* enum conn_state */
    bool reused;     /* carried a response before this request */
    bool retried;    /* this request was resent on a new connection */
    bool got_bytes;  /* bytes of this response arrived */
    bool queued;     /* on the worker's run queue */
    uint32_t ev;     /* events registered with epoll (0: not registered) */
    int redirects;   /* redirects followed for this request */
    size_t wpos;     /* request bytes written (-h2: body bytes handed over) */
    const char *req; /* the request being sent */
    size_t req_len;
    char *redirect_req; /* malloc'd request when following a redirect */
    uint64_t t_start;   /* request start (dial start on a new connection), ns */
    uint64_t t_planned; /* --rate: when it should have started, ns */
    uint64_t t_dial, t_ready, t_written, t_first; /* phase boundaries, ns */
    uint64_t next_at;          /* -q / --rate: earliest start of the next request, ns */
    struct cprof_load_h2 *h2t; /* set on an HTTP/2 connection's socket */
    struct cprof_load_h2 *h2s; /* -h2 slot: the connection its request is on (or waits for) */
    int32_t stream_id;         /* -h2 slot: its stream, 0 before it is submitted */
    struct cprof_load_parser ps;
};

/* What all workers share, read-only once they run. */
struct shared {
    const struct cprof_load_cfg *cfg;
    struct sockaddr_storage addr; /* where to connect */
    socklen_t addrlen;
    char dial_text[300]; /* "dial tcp 127.0.0.1:8080" or the lookup error */
    bool lookup_failed;
    SSL_CTX *ssl_ctx;
    struct cprof_load_h2_req *h2req; /* -h2: cfg->request as header fields */
    void *h2cb;                      /* -h2: nghttp2_session_callbacks */
    uint64_t t0;                     /* run start, ns */
    uint64_t deadline;               /* -z: end, ns (UINT64_MAX: none) */
    atomic_int stop;                 /* set by the main thread */
    int stop_fd;                     /* eventfd in every worker's epoll set */
    atomic_int running;              /* workers still running */
    pthread_t main;
};

struct worker {
    struct shared *sh;
    const struct cprof_load_cfg *cfg;
    int ep;
    struct conn *conns;
    int nconn;
    int active;           /* connections with work in flight or planned */
    uint64_t todo;        /* requests not started yet */
    uint64_t interval_ns; /* per connection, -q or --rate; 0 = none */
    struct conn **runq;   /* connections to start a request on */
    int nrunq;
    size_t row_cap;               /* CSV rows kept at most */
    uint64_t last_sweep;          /* last timeout sweep, ns */
    _Atomic uint64_t done;        /* responses + errors, for the progress line */
    bool h2;                      /* requests go out as HTTP/2 streams */
    bool h1_fallback;             /* the server did not choose h2: HTTP/1.1 from now on */
    struct cprof_load_h2 *h2cur;  /* the connection new streams go to (NULL: dial one) */
    struct cprof_load_h2 *h2list; /* every HTTP/2 connection not yet freed */
    struct cprof_load_stats st;
    pthread_t tid;
    char rbuf[65536];
};

static inline uint64_t cprof__load_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the event loop's helpers (load_loop.c) ---- */

void cprof__load_set_events(struct conn *c, uint32_t ev);
/* Closes c's socket (and TLS); a slot's request state is kept. */
void cprof__load_conn_close(struct conn *c);
/* Puts c on the run queue: its next request starts in the loop's next turn. */
void cprof__load_enqueue(struct conn *c);
/* After a response or an error: plans c's next request, or retires c. */
void cprof__load_next_request(struct conn *c, uint64_t now);
/* Counts c's response (status, phases, histograms, CSV row). */
void cprof__load_record_ok(struct conn *c, uint64_t now);
/* Fails c's request with Go's wording (Op "URL": what); on an HTTP/2 socket, every request on it.
 */
void cprof__load_fail(struct conn *c, const char *what, uint64_t now);
/* Starts connecting c to the target (or the proxy). */
void cprof__load_dial(struct conn *c, uint64_t now);
/* Follows a same-origin redirect in c's response; false when it is the answer. */
bool cprof__load_follow_redirect(struct conn *c, bool keep_alive);

/* ---- HTTP/2 (load_h2.c) ---- */

/* Prepares sh->h2req and sh->h2cb; -errno on failure (message on stderr). */
int cprof__load_h2_setup(struct shared *sh);
void cprof__load_h2_teardown(struct shared *sh);
/* Starts c's request (c->req) as a stream, dialing a connection when needed. */
void cprof__load_h2_start(struct conn *c, uint64_t now);
/* The TLS handshake of the connection whose socket is t is done. */
void cprof__load_h2_ready(struct conn *t, uint64_t now);
/* Readable or writable socket of an established HTTP/2 connection. */
void cprof__load_h2_on_event(struct conn *t, uint32_t ev);
/* t's connection failed: every request on it fails with what. */
void cprof__load_h2_fail_conn(struct conn *t, const char *what, uint64_t now);
/* Takes slot c off its connection (cancelling its stream): before c's request is failed. */
void cprof__load_h2_detach(struct conn *c);
/* End of a loop turn: writes what the turn queued, frees connections that are done. */
void cprof__load_h2_turn_end(struct worker *w);
/* The worker's end: closes and frees its connections. */
void cprof__load_h2_close_all(struct worker *w);

#endif /* CPROF_TOOL_LOAD_INT_H */
