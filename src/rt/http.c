/*
 * The /debug/pprof endpoint (reference/pprof.md §3): index, cmdline,
 * profile (CPU), symbol, goroutine (threads), threadcreate, heap and
 * allocs, with Go's paths, parameters, status codes and error convention
 * (text/plain, X-Go-Pprof: 1, message + "\n").
 *
 * One thread of ours (created with cprof__spawn_internal: it is not a
 * program thread) runs libmicrohttpd in external-epoll mode, so every
 * request is handled here, one at a time, and no other thread is created.
 * Sockets are non-blocking: a slow or stalled client costs a connection
 * slot until its timeout, never this thread's time.  Requests that wait
 * (a CPU profile, delta profiles) are suspended and finished by the loop
 * at their deadline.  Bounds: connections, header memory, POST bodies,
 * seconds, idle timeout.  The thread's allocations are the runtime's own.
 */
#include "rt/http.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "cprof.h"
#include "model/codec.h"
#include "model/merge.h"
#include "model/profile.h"
#include "rt/http_parse.h"
#include "rt/rt.h"
#include "rt/threads.h"

/*
 * libmicrohttpd is loaded with dlopen when the endpoint is asked for, never
 * linked: linking it would load GnuTLS, p11-kit and their constructors
 * (p11-kit calls newlocale at load time) into every profiled program, even
 * one that never serves HTTP.  Call sites keep the library's names through
 * the macros below.
 */
#define MHD_FUNCTIONS(X)                                                                           \
    X(MHD_add_response_header)                                                                     \
    X(MHD_create_response_from_buffer)                                                             \
    X(MHD_destroy_response)                                                                        \
    X(MHD_get_connection_values)                                                                   \
    X(MHD_get_daemon_info)                                                                         \
    X(MHD_get_timeout)                                                                             \
    X(MHD_lookup_connection_value)                                                                 \
    X(MHD_queue_response)                                                                          \
    X(MHD_resume_connection)                                                                       \
    X(MHD_run)                                                                                     \
    X(MHD_start_daemon)                                                                            \
    X(MHD_stop_daemon)                                                                             \
    X(MHD_suspend_connection)

#define MHD_SONAME "libmicrohttpd.so.12"

enum { WARN_HTTP = 1 << 20 };

static struct {
#define X(name) __typeof__(name) *name;
    MHD_FUNCTIONS(X)
#undef X
} mhd;

/* Resolves libmicrohttpd's functions; 0, or CPROF_ENOTFOUND with a warning. */
static int mhd_load(void)
{
    void *h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);

    if (!h) {
        cprof__warn_once(WARN_HTTP, "cannot load %s: %s", MHD_SONAME, dlerror());
        return CPROF_ENOTFOUND;
    }
#define X(name)                                                                                    \
    mhd.name = (__typeof__(name) *)dlsym(h, #name);                                                \
    if (!mhd.name) {                                                                               \
        cprof__warn_once(WARN_HTTP, "%s lacks %s", MHD_SONAME, #name);                             \
        return CPROF_ENOTFOUND;                                                                    \
    }
    MHD_FUNCTIONS(X)
#undef X
    return 0;
}

#define MHD_add_response_header         mhd.MHD_add_response_header
#define MHD_create_response_from_buffer mhd.MHD_create_response_from_buffer
#define MHD_destroy_response            mhd.MHD_destroy_response
#define MHD_get_connection_values       mhd.MHD_get_connection_values
#define MHD_get_daemon_info             mhd.MHD_get_daemon_info
#define MHD_get_timeout                 mhd.MHD_get_timeout
#define MHD_lookup_connection_value     mhd.MHD_lookup_connection_value
#define MHD_queue_response              mhd.MHD_queue_response
#define MHD_resume_connection           mhd.MHD_resume_connection
#define MHD_run                         mhd.MHD_run
#define MHD_start_daemon                mhd.MHD_start_daemon
#define MHD_stop_daemon                 mhd.MHD_stop_daemon
#define MHD_suspend_connection          mhd.MHD_suspend_connection

#if __has_include("rt/heap.h")
#include "rt/heap.h"
#define HAVE_HEAP 1
#else
#define HAVE_HEAP 0
#endif

#define MAX_CONNECTIONS 64          /* concurrent connections */
#define CONN_TIMEOUT_S  10          /* idle connection timeout */
#define CONN_MEMORY     (64 * 1024) /* per-connection header/request memory */
#define MAX_BODY        (64 * 1024) /* POST body of /symbol */
#define MAX_SYMBOLS     4096        /* addresses per /symbol request */
#define PREFIX          "/debug/pprof/"

/* One request; MHD's per-connection pointer. */
struct req {
    struct MHD_Connection *conn; /* its connection */
    struct cprof_buf body;       /* POST body, at most MAX_BODY */
    bool body_too_big;           /* the body was cut */
    bool suspended;              /* waiting for its deadline */
    int64_t deadline_ms;         /* CLOCK_MONOTONIC, when suspended */
    int kind;                    /* enum pending_kind */
    int debug;                   /* for delta profiles: always 0 */
    char name[16];               /* profile name (delta) */
    int memfd;                   /* CPU profile output, -1 = none */
    struct cprof_profile *base;  /* delta: the first snapshot */
    int64_t base_ns;             /* delta: CLOCK_REALTIME of the first snapshot */
    struct MHD_Response *resp;   /* ready response, after resume */
    unsigned status;             /* its status */
    struct req *next;            /* in the pending list */
};

enum pending_kind { PEND_NONE, PEND_CPU, PEND_DELTA };

/* The server; written by the starting thread before the server thread exists, then its own. */
static struct {
    char addr[256];        /* as configured */
    pthread_t thread;      /* the server thread */
    bool started;          /* thread is joinable */
    _Atomic int stop;      /* asks the loop to end */
    int wake_fd;           /* eventfd: wakes the loop (stop) */
    struct MHD_Daemon *d;  /* the daemon, server thread only */
    struct req *pending;   /* suspended requests, server thread only */
    bool cpu_ours;         /* a CPU profile started by a request is running */
    _Atomic int done;      /* the server thread is finishing or gone */
    pid_t pid;             /* the process that owns the thread (a fork child does not) */
    _Atomic int listen_fd; /* the listening socket, -1 = none (closed by a fork child) */
    _Atomic int epoll_fd;  /* the daemon's epoll instance, -1 = none (same) */
    int port;              /* the port bound, once bound */
    bool child;            /* a forked child following its parent's endpoint */
    pid_t parent;          /* ... that parent */
    int scan_from;         /* a forked child's: bind the first free port above this */
    int delay_ms;          /* a forked child's: wait this long before serving */
    char url[320];         /* http://host:port/debug/pprof/, once bound */
    char reg[512];         /* this process's registry entry, "" = none */
    char regdir[400];      /* the registry (see below), "" = none; kept here, as a
                            * child may lose its environment (nginx's workers) */
} g_http = {.wake_fd = -1, .listen_fd = -1, .epoll_fd = -1};

/*
 * The registry of the endpoints of one process tree: a directory, named
 * in CPROF_HTTP_REG by the first server (the one `cprof run` started), in
 * which each forked child that serves writes a file named by its pid
 * holding its URL and command line.  Every index page lists the entries of
 * live processes; entries of dead ones are removed by whoever sees them.
 * The directory is sticky and writable by all (as /tmp): a worker that
 * dropped its privileges still registers; an entry is only a link shown
 * on loopback pages.
 */
#define FOLLOW_DELAY_MS 200 /* a forked child serves once it has lived this long */
#define FOLLOW_PORTS    200 /* ports tried above the parent's */

static void reg_dir_init(void)
{
    const char *d = getenv("CPROF_HTTP_REG"); /* an exec'd descendant's: the tree's */
    const char *tmp = getenv("TMPDIR");
    char path[400];

    if (d && *d) {
        snprintf(g_http.regdir, sizeof(g_http.regdir), "%s", d);
        return;
    }
    snprintf(path, sizeof(path), "%s/cprof-http.%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return;
    chmod(path, 01777);
    setenv("CPROF_HTTP_REG", path, 1);
    snprintf(g_http.regdir, sizeof(g_http.regdir), "%s", path);
}

/* The command line, arguments joined by spaces, cut to n - 1 bytes. */
static void self_cmdline(char *out, size_t n)
{
    struct cprof_buf b;

    out[0] = 0;
    cprof_buf_init(&b, 0);
    if (cprof_file_read("/proc/self/cmdline", &b) == 0 && b.len) {
        size_t len = b.len < n - 1 ? b.len : n - 1;
        for (size_t i = 0; i < len; i++)
            out[i] = b.data[i] == 0 || b.data[i] == '\n' ? ' ' : (char)b.data[i];
        while (len && out[len - 1] == ' ')
            len--;
        out[len] = 0;
    }
    cprof_buf_release(&b);
}

/* Writes this child's entry (atomically: a reader never sees half of one). */
static void reg_add(const char *cmdline)
{
    const char *d = g_http.regdir;
    char tmp[600];
    struct cprof_buf b;

    if (!d || !*d)
        return;
    snprintf(g_http.reg, sizeof(g_http.reg), "%s/%ld", d, (long)getpid());
    snprintf(tmp, sizeof(tmp), "%s.tmp", g_http.reg);
    cprof_buf_init(&b, 0);
    cprof_buf_printf(&b, "%s\n%s\n", g_http.url, cmdline);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len;
    if (fd >= 0)
        close(fd);
    if (!ok || rename(tmp, g_http.reg) < 0) {
        unlink(tmp);
        g_http.reg[0] = 0;
    }
    cprof_buf_release(&b);
}

static void html_escaped(struct cprof_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': cprof_buf_printf(b, "&lt;"); break;
        case '>': cprof_buf_printf(b, "&gt;"); break;
        case '&': cprof_buf_printf(b, "&amp;"); break;
        case '"':
        case '\'': cprof_buf_printf(b, "&#%d;", *s); break;
        default: cprof_buf_append(b, s, 1);
        }
    }
}

/* The port in pid's registry entry (a parent that forked before it bound), else 0. */
static int reg_port_of(pid_t pid)
{
    const char *d = g_http.regdir;
    char path[700];
    struct cprof_buf b;
    int port = 0;

    if (!d || !*d)
        return 0;
    snprintf(path, sizeof(path), "%s/%ld", d, (long)pid);
    cprof_buf_init(&b, 1 << 16);
    if (cprof_file_read(path, &b) == 0 && cprof_buf_append(&b, "", 1) == 0) {
        char *nl = strchr((char *)b.data, '\n'), *colon;
        if (nl)
            *nl = 0;
        colon = strrchr((char *)b.data, ':');
        if (colon)
            port = atoi(colon + 1);
    }
    cprof_buf_release(&b);
    return port > 0 && port < 65536 ? port : 0;
}

/* The index's list of the other live processes of the tree that serve. */
static void reg_list(struct cprof_buf *out)
{
    const char *d = g_http.regdir;
    DIR *dir = d && *d ? opendir(d) : NULL;
    struct dirent *e;
    bool any = false;

    if (!dir)
        return;
    while ((e = readdir(dir)) != NULL) {
        char path[700], *end;
        long pid = strtol(e->d_name, &end, 10);
        struct cprof_buf b;
        if (pid <= 0 || *end || pid == (long)getpid())
            continue;
        snprintf(path, sizeof(path), "%s/%s", d, e->d_name);
        if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
            unlink(path); /* a child that died without cleaning up */
            continue;
        }
        cprof_buf_init(&b, 1 << 16);
        if (cprof_file_read(path, &b) == 0 && b.len && cprof_buf_append(&b, "", 1) == 0) {
            char *url = (char *)b.data, *nl = strchr(url, '\n'), *cmd = NULL;
            if (nl) {
                *nl = 0;
                cmd = nl + 1;
                if ((nl = strchr(cmd, '\n')) != NULL)
                    *nl = 0;
            }
            if (!any)
                cprof_buf_printf(out, "<p>\nOther processes of this program serving "
                                      "/debug/pprof/:\n<ul>\n");
            any = true;
            cprof_buf_printf(out, "<li><a href=\"");
            html_escaped(out, url);
            cprof_buf_printf(out, "\">pid %ld</a> ", pid);
            html_escaped(out, cmd ? cmd : "");
            cprof_buf_printf(out, "</li>\n");
        }
        cprof_buf_release(&b);
    }
    closedir(dir);
    if (any)
        cprof_buf_printf(out, "</ul>\n</p>\n");
}

/* True when the registry was made by another process (we were exec'd under it). */
static bool getenv_owner_other(void)
{
    char mine[64];

    snprintf(mine, sizeof(mine), "cprof-http.%ld", (long)getpid());
    const char *slash = strrchr(g_http.regdir, '/');
    return !slash || strcmp(slash + 1, mine) != 0;
}

/* The first server removes the registry when it stops; a child removes its entry. */
static void reg_remove(void)
{
    const char *d = g_http.regdir;

    if (g_http.reg[0]) {
        unlink(g_http.reg);
        g_http.reg[0] = 0;
    }
    if (d && *d && !g_http.child && !getenv_owner_other()) {
        DIR *dir = opendir(d);
        struct dirent *e;
        char path[700];
        while (dir && (e = readdir(dir)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", d, e->d_name);
            /* Entries of children still alive (daemons) stay, and so does the directory. */
            long pid = strtol(e->d_name, NULL, 10);
            if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
                unlink(path);
        }
        if (dir)
            closedir(dir);
        rmdir(d);
    }
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t realtime_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- responses ---- */

static enum MHD_Result send_resp(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Response *text_resp(const char *ctype, const void *data, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);

    if (r)
        MHD_add_response_header(r, "Content-Type", ctype);
    return r;
}

/* Go's serveError: text/plain, X-Go-Pprof: 1, message and a newline. */
static struct MHD_Response *error_resp(const char *msg)
{
    char line[512];
    int n = snprintf(line, sizeof(line), "%s\n", msg);
    struct MHD_Response *r = text_resp("text/plain; charset=utf-8", line, (size_t)n);

    if (r)
        MHD_add_response_header(r, "X-Go-Pprof", "1");
    return r;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    return send_resp(c, status, error_resp(msg));
}

/* A profile file: application/octet-stream, attachment named filename. */
static struct MHD_Response *file_resp(const void *data, size_t len, const char *filename)
{
    char disp[96];
    struct MHD_Response *r = text_resp("application/octet-stream", data, len);

    snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", filename);
    if (r)
        MHD_add_response_header(r, "Content-Disposition", disp);
    return r;
}

static struct MHD_Response *profile_resp(const struct cprof_profile *p, const char *filename)
{
    struct cprof_buf b;
    struct MHD_Response *r = NULL;

    cprof_buf_init(&b, 0);
    if (cprof_profile_encode(p, true, &b) == 0)
        r = file_resp(b.data, b.len, filename);
    else
        r = error_resp("Could not encode the profile");
    cprof_buf_release(&b);
    return r;
}

/* ---- parameters ---- */

/* A GET argument's raw value, or NULL when absent. */
static const char *arg(struct MHD_Connection *c, const char *key)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

/* ---- profiles the runtime builds ---- */

static int build_profile(const char *name, struct cprof_profile **out);

#if HAVE_HEAP
/* The heap profiler's profile, symbolized with the symbolizer kept between requests. */
static int heap_profile(bool allocs, struct cprof_profile **out)
{
    struct cprof_profile *p = NULL;
    int err = cprof__heap_profile(allocs ? CPROF_HEAP_ALLOCS : 0, &p);

    if (!err)
        err = cprof__threads_symbolize(p);
    if (err) {
        cprof_profile_free(p);
        return err;
    }
    *out = p;
    return 0;
}
#endif

static bool is_heap(const char *name)
{
    return !strcmp(name, "heap") || !strcmp(name, "allocs");
}

static bool known_profile(const char *name)
{
    return !strcmp(name, "goroutine") || !strcmp(name, "threadcreate") ||
           (HAVE_HEAP && is_heap(name));
}

static int build_profile(const char *name, struct cprof_profile **out)
{
    if (!strcmp(name, "goroutine"))
        return cprof__threads_profile(CPROF_THREADS_GOROUTINE, out);
    if (!strcmp(name, "threadcreate"))
        return cprof__threads_profile(CPROF_THREADS_THREADCREATE, out);
#if HAVE_HEAP
    if (is_heap(name))
        return heap_profile(!strcmp(name, "allocs"), out);
#endif
    return CPROF_ENOTFOUND;
}

/* ---- legacy heap text (debug=1) ---- */

#if HAVE_HEAP
/* Go's "heap profile:" text, from the (already unsampled) proto values. */
static int heap_text(const struct cprof_profile *p, struct cprof_buf *out)
{
    int64_t t[4] = {0, 0, 0, 0};
    int err = 0;

    if (p->nsample_types < 4)
        return CPROF_ECORRUPT;
    for (uint32_t i = 0; i < p->nsamples; i++)
        for (int k = 0; k < 4; k++)
            t[k] += p->samples[i].values[k];
    err = cprof_buf_printf(out, "heap profile: %lld: %lld [%lld: %lld] @ heapprofile\n",
                           (long long)t[2], (long long)t[3], (long long)t[0], (long long)t[1]);
    for (uint32_t i = 0; i < p->nsamples && !err; i++) {
        const struct cprof_sample *s = &p->samples[i];
        err = cprof_buf_printf(out, "%lld: %lld [%lld: %lld] @", (long long)s->values[2],
                               (long long)s->values[3], (long long)s->values[0],
                               (long long)s->values[1]);
        for (uint32_t j = 0; j < s->nlocs && !err; j++)
            err = cprof_buf_printf(out, " %#llx",
                                   (unsigned long long)p->locations[s->locs[j]].address + (j > 0));
        if (!err)
            err = cprof_buf_printf(out, "\n");
        for (uint32_t j = 0; j < s->nlocs && !err; j++) {
            const struct cprof_location *l = &p->locations[s->locs[j]];
            for (uint32_t k = 0; k < l->nlines && !err; k++) {
                const struct cprof_function *f = &p->functions[l->lines[k].func];
                err = cprof_buf_printf(
                    out, "#\t%#llx\t%s\t%s:%lld\n", (unsigned long long)l->address,
                    cprof_profile_str(p, f->name), cprof_profile_str(p, f->filename),
                    (long long)l->lines[k].line);
            }
        }
        if (!err)
            err = cprof_buf_printf(out, "\n");
    }
    return err;
}
#endif

/* debug=N text of a named profile. */
static struct MHD_Response *text_profile(const char *name, long debug)
{
    struct cprof_profile *p = NULL;
    struct cprof_buf b;
    struct MHD_Response *r;
    int err;

    cprof_buf_init(&b, 0);
    if (!strcmp(name, "goroutine") && debug >= 2) {
        err = cprof__threads_text(&b);
    } else {
        err = build_profile(name, &p);
#if HAVE_HEAP
        if (!err && is_heap(name))
            err = heap_text(p, &b);
        else
#endif
            if (!err)
            err = cprof__count_profile_text(p, name, &b);
    }
    if (err) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Could not write %s profile: %s", name, cprof_strerror(err));
        r = error_resp(msg);
    } else {
        r = text_resp("text/plain; charset=utf-8", b.data ? (void *)b.data : "", b.len);
    }
    cprof_profile_free(p);
    cprof_buf_release(&b);
    return r;
}

/* ---- suspended requests ---- */

static void suspend(struct req *q, int kind, long seconds)
{
    q->kind = kind;
    q->deadline_ms = mono_ms() + seconds * 1000;
    q->suspended = true;
    q->next = g_http.pending;
    g_http.pending = q;
    MHD_suspend_connection(q->conn);
}

/* Stops the CPU profile a request started and reads it back. */
static struct MHD_Response *finish_cpu(struct req *q)
{
    struct cprof_buf b;
    struct MHD_Response *r;
    int err = cprof_cpu_stop();

    g_http.cpu_ours = false;
    cprof_buf_init(&b, 0);
    if (!err && lseek(q->memfd, 0, SEEK_SET) < 0)
        err = -errno;
    if (!err)
        err = cprof_fd_read_all(q->memfd, &b);
    if (err) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Could not write CPU profile: %s", cprof_strerror(err));
        r = error_resp(msg);
    } else {
        r = file_resp(b.data, b.len, "profile");
    }
    cprof_buf_release(&b);
    close(q->memfd);
    q->memfd = -1;
    return r;
}

/* Go's delta: merge(base scaled by -1, now), time and duration of the pair. */
static struct MHD_Response *finish_delta(struct req *q)
{
    struct cprof_profile *p1 = NULL, *d = NULL;
    char filename[32];
    int err = build_profile(q->name, &p1);

    if (!err) {
        struct cprof_profile *both[2] = {q->base, p1};
        for (uint32_t i = 0; i < q->base->nsamples; i++)
            for (uint32_t k = 0; k < q->base->nsample_types; k++)
                q->base->samples[i].values[k] = -q->base->samples[i].values[k];
        err = cprof_profile_merge(both, 2, &d, NULL);
    }
    if (err) {
        cprof_profile_free(p1);
        return error_resp(cprof_strerror(err));
    }
    /* The pair's own times: a heap profile's time is when sampling began. */
    d->time_nanos = realtime_ns();
    d->duration_nanos = d->time_nanos - q->base_ns;
    snprintf(filename, sizeof(filename), "%s-delta", q->name);
    struct MHD_Response *r = profile_resp(d, filename);
    cprof_profile_free(d);
    cprof_profile_free(p1);
    return r;
}

/* Finishes due requests (all when force) and resumes their connections. */
static void run_due(bool force)
{
    int64_t now = mono_ms();

    for (struct req **pp = &g_http.pending; *pp;) {
        struct req *q = *pp;
        if (!force && q->deadline_ms > now) {
            pp = &q->next;
            continue;
        }
        *pp = q->next;
        q->resp = q->kind == PEND_CPU ? finish_cpu(q) : finish_delta(q);
        q->status = q->resp ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR;
        q->suspended = false;
        MHD_resume_connection(q->conn);
    }
}

static int64_t next_deadline(void)
{
    int64_t d = INT64_MAX;

    for (struct req *q = g_http.pending; q; q = q->next)
        if (q->deadline_ms < d)
            d = q->deadline_ms;
    return d;
}

/* ---- handlers ---- */

static enum MHD_Result serve_cpu(struct req *q)
{
    struct cprof_http_params par;
    const char *msg;
    long seconds;
    int err;

    if (cprof__http_params_check(arg(q->conn, "seconds"), NULL, NULL, true, &par, &msg))
        return send_error(q->conn, MHD_HTTP_BAD_REQUEST, msg);
    seconds = par.seconds;
    q->memfd = memfd_create("cprof-http-cpu", MFD_CLOEXEC);
    if (q->memfd < 0)
        return send_error(q->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                          "Could not enable CPU profiling: no memory file");
    err = cprof_cpu_start(q->memfd, cprof__rt->cfg.hz > 0 ? cprof__rt->cfg.hz : 100);
    if (err) {
        close(q->memfd);
        q->memfd = -1;
        return send_error(q->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                          err == CPROF_EBUSY
                              ? "Could not enable CPU profiling: cpu profiling already in use"
                              : "Could not enable CPU profiling: cannot start the profiler");
    }
    g_http.cpu_ours = true;
    suspend(q, PEND_CPU, seconds);
    return MHD_YES;
}

static enum MHD_Result serve_named(struct req *q, const char *name)
{
    struct cprof_http_params par;
    struct cprof_profile *p = NULL;
    struct MHD_Response *r;
    const char *bad;
    long debug, seconds;
    bool has_seconds;
    int err;

    if (!known_profile(name))
        return send_error(q->conn, MHD_HTTP_NOT_FOUND, "Unknown profile");
    if (cprof__http_params_check(arg(q->conn, "seconds"), arg(q->conn, "debug"), arg(q->conn, "gc"),
                                 false, &par, &bad))
        return send_error(q->conn, MHD_HTTP_BAD_REQUEST, bad);
    debug = par.debug;
    seconds = par.seconds;
    has_seconds = par.has_seconds;
    if (debug != 0)
        return send_resp(q->conn, MHD_HTTP_OK, text_profile(name, debug));
    err = build_profile(name, &p);
    if (err) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Could not write %s profile: %s", name, cprof_strerror(err));
        return send_error(q->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
    }
    if (has_seconds) {
        q->base = p;
        q->base_ns = realtime_ns();
        snprintf(q->name, sizeof(q->name), "%s", name);
        suspend(q, PEND_DELTA, seconds);
        return MHD_YES;
    }
    r = profile_resp(p, name);
    cprof_profile_free(p);
    return send_resp(q->conn, MHD_HTTP_OK, r);
}

static enum MHD_Result serve_cmdline(struct req *q)
{
    struct cprof_buf b;
    enum MHD_Result ret;

    cprof_buf_init(&b, 1 << 20);
    if (cprof_file_read("/proc/self/cmdline", &b) < 0)
        b.len = 0;
    if (b.len && b.data[b.len - 1] == 0)
        b.len--; /* Go joins argv with NULs: no trailing one */
    ret = send_resp(q->conn, MHD_HTTP_OK,
                    text_resp("text/plain; charset=utf-8", b.data ? (void *)b.data : "", b.len));
    cprof_buf_release(&b);
    return ret;
}

/* GET arguments are the addresses of a GET /symbol (MHD decodes '+' to ' '). */
static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct cprof_buf *b = cls;

    (void)kind;
    if (cprof_buf_printf(b, "%s%s%s+", key, value ? "=" : "", value ? value : "") < 0)
        return MHD_NO;
    return MHD_YES;
}

/* Go's symbol protocol: "num_symbols: 1", then "0x<addr> <name>" per resolved address. */
static enum MHD_Result serve_symbol(struct req *q, bool post)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_buf in, out;
    enum MHD_Result ret;
    uint64_t *addrs = calloc(MAX_SYMBOLS, sizeof(*addrs));
    uint32_t naddrs = 0;
    int err = p && addrs ? 0 : -ENOMEM;

    cprof_buf_init(&in, MAX_BODY + 1);
    cprof_buf_init(&out, 0);
    if (post)
        err = err ? err
                  : cprof_buf_append(&in, q->body.data ? (void *)q->body.data : "", q->body.len);
    else
        MHD_get_connection_values(q->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &in);
    if (!err)
        err = cprof_buf_append(&in, "", 1);
    if (!err) {
        uint32_t n = cprof__http_symbol_addrs((char *)in.data, addrs, MAX_SYMBOLS);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t loc;
            if (cprof_profile_add_location(p, CPROF_NONE, addrs[i], NULL, 0, false, &loc) == 0)
                addrs[naddrs++] = addrs[i];
        }
    }
    cprof_buf_printf(&out, "num_symbols: 1\n");
    if (!err && naddrs)
        err = cprof__threads_symbolize(p);
    for (uint32_t i = 0; i < naddrs && !err; i++) {
        const struct cprof_location *l = NULL;
        for (uint32_t j = 0; j < p->nlocations; j++)
            if (p->locations[j].address == addrs[i])
                l = &p->locations[j];
        if (l && l->nlines)
            cprof_buf_printf(&out, "%#llx %s\n", (unsigned long long)addrs[i],
                             cprof_profile_str(p, p->functions[l->lines[0].func].name));
    }
    if (q->body_too_big)
        cprof_buf_printf(&out, "reading request: body larger than %d bytes\n", MAX_BODY);
    ret = send_resp(
        q->conn, MHD_HTTP_OK,
        text_resp("text/plain; charset=utf-8", out.data ? (void *)out.data : "", out.len));
    cprof_buf_release(&in);
    cprof_buf_release(&out);
    cprof_profile_free(p);
    free(addrs);
    return ret;
}

static void index_row(struct cprof_buf *b, const char *name, unsigned long long count)
{
    cprof_buf_printf(b, "<tr><td>%llu</td><td><a href='%s?debug=1'>%s</a></td></tr>\n", count, name,
                     name);
}

static const char *const descs[][2] = {
    {"allocs", "A sampling of all past memory allocations"},
    {"cmdline", "The command line invocation of the current program"},
    {"goroutine", "Stack traces of all current goroutines"},
    {"heap", "A sampling of memory allocations of live objects. You can specify the gc GET "
             "parameter to run GC before taking the heap sample."},
    {"profile", "CPU profile. You can specify the duration in the seconds GET parameter. After "
                "you get the profile file, use the go tool pprof command to investigate the "
                "profile."},
    {"threadcreate", "Stack traces that led to the creation of new OS threads"},
};

static unsigned long long index_count(const char *name)
{
    if (!strcmp(name, "goroutine"))
        return cprof__threads_count();
    if (!strcmp(name, "threadcreate"))
        return cprof__threadcreate_count();
    if (is_heap(name)) {
        struct cprof_profile *p = NULL;
        unsigned long long n = 0;
        if (build_profile(name, &p) == 0)
            n = p->nsamples;
        cprof_profile_free(p);
        return n;
    }
    return 0;
}

/* Go's index page: Count | Profile table, the full dump link, descriptions. */
static enum MHD_Result serve_index(struct req *q)
{
    struct cprof_buf b;
    enum MHD_Result ret;
    size_t n = sizeof(descs) / sizeof(descs[0]);

    cprof_buf_init(&b, 0);
    cprof_buf_printf(&b, "<html>\n<head>\n<title>/debug/pprof/</title>\n<style>\n"
                         ".profile-name{\n\tdisplay:inline-block;\n\twidth:6rem;\n}\n</style>\n"
                         "</head>\n<body>\n/debug/pprof/<br>\n<br>\n"
                         "Types of profiles available:\n<table>\n"
                         "<thead><td>Count</td><td>Profile</td></thead>\n");
    for (size_t i = 0; i < n; i++)
        if (HAVE_HEAP || !is_heap(descs[i][0]))
            index_row(&b, descs[i][0], index_count(descs[i][0]));
    cprof_buf_printf(&b, "</table>\n<a href=\"goroutine?debug=2\">full goroutine stack dump</a>\n"
                         "<br>\n<p>\nProfile Descriptions:\n<ul>\n");
    for (size_t i = 0; i < n; i++)
        if (HAVE_HEAP || !is_heap(descs[i][0]))
            cprof_buf_printf(&b, "<li><div class=profile-name>%s: </div> %s</li>\n", descs[i][0],
                             descs[i][1]);
    cprof_buf_printf(&b, "</ul>\n</p>\n");
    reg_list(&b);
    cprof_buf_printf(&b, "</body>\n</html>");
    ret = send_resp(q->conn, MHD_HTTP_OK,
                    text_resp("text/html; charset=utf-8", b.data ? (void *)b.data : "", b.len));
    cprof_buf_release(&b);
    return ret;
}

static enum MHD_Result route(struct req *q, const char *url, const char *method)
{
    bool post = !strcmp(method, "POST");

    if (!strcmp(url, "/debug/pprof")) {
        struct MHD_Response *r = text_resp("text/html; charset=utf-8", "", 0);
        if (r)
            MHD_add_response_header(r, "Location", PREFIX);
        return send_resp(q->conn, MHD_HTTP_MOVED_PERMANENTLY, r);
    }
    if (strncmp(url, PREFIX, strlen(PREFIX)) != 0)
        return send_resp(q->conn, MHD_HTTP_NOT_FOUND,
                         text_resp("text/plain; charset=utf-8", "404 page not found\n", 19));
    const char *name = url + strlen(PREFIX);
    if (!*name)
        return serve_index(q);
    if (!strcmp(name, "cmdline"))
        return serve_cmdline(q);
    if (!strcmp(name, "profile"))
        return serve_cpu(q);
    if (!strcmp(name, "symbol"))
        return serve_symbol(q, post);
    return serve_named(q, name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct req *q = *con_cls;

    (void)cls;
    (void)version;
    if (!q) {
        q = calloc(1, sizeof(*q));
        if (!q)
            return MHD_NO;
        q->conn = c;
        q->memfd = -1;
        cprof_buf_init(&q->body, MAX_BODY);
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!q->body_too_big && cprof_buf_append(&q->body, upload, *upload_size) < 0)
            q->body_too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->resp) { /* resumed: the suspended work is done */
        struct MHD_Response *r = q->resp;
        q->resp = NULL;
        return send_resp(c, q->status, r);
    }
    if (q->suspended)
        return MHD_YES;
    if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "POST"))
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
    return route(q, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct req *q = *con_cls;

    (void)cls;
    (void)c;
    (void)code;
    if (!q)
        return;
    for (struct req **pp = &g_http.pending; *pp; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            break;
        }
    if (q->memfd >= 0) {
        if (g_http.cpu_ours) {
            cprof_cpu_stop();
            g_http.cpu_ours = false;
        }
        close(q->memfd);
    }
    if (q->resp)
        MHD_destroy_response(q->resp);
    cprof_profile_free(q->base);
    cprof_buf_release(&q->body);
    free(q);
    *con_cls = NULL;
}

/* ---- listening ---- */

static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* Resolves, checks and binds the configured address; the socket or -1 (warned). */
static int listen_socket(void)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *res = NULL;
    char host[200], port[16], shown[300];
    const char *remote = getenv("CPROF_HTTP_ALLOW_REMOTE");
    int fd = -1, one = 1, err;

    if (!cprof__http_split_addr(g_http.addr, host, sizeof(host), port, sizeof(port))) {
        cprof__warn_once(WARN_HTTP, "CPROF_HTTP='%s': want host:port", g_http.addr);
        return -1;
    }
    err = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (err) {
        cprof__warn_once(WARN_HTTP, "cannot serve on '%s': %s", g_http.addr, gai_strerror(err));
        return -1;
    }
    if (!is_loopback(res->ai_addr) && !(remote && !strcmp(remote, "1"))) {
        cprof__warn_once(WARN_HTTP,
                         "not serving on '%s': not a loopback address (set "
                         "CPROF_HTTP_ALLOW_REMOTE=1 to allow it)",
                         g_http.addr);
        goto out;
    }
    if (g_http.child && !g_http.scan_from)
        g_http.scan_from = atoi(port); /* parent's port unknown: above the asked one (0: any) */
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0 && g_http.child && g_http.scan_from > 0) {
        /* A forked child: the first free port above its parent's. */
        int r = -1;
        for (int p = g_http.scan_from + 1; p <= g_http.scan_from + FOLLOW_PORTS && p < 65536; p++) {
            if (res->ai_family == AF_INET)
                ((struct sockaddr_in *)res->ai_addr)->sin_port = htons((uint16_t)p);
            else
                ((struct sockaddr_in6 *)res->ai_addr)->sin6_port = htons((uint16_t)p);
            r = bind(fd, res->ai_addr, res->ai_addrlen);
            if (r == 0 || errno != EADDRINUSE)
                break;
        }
        if (r < 0 || listen(fd, 128) < 0) {
            cprof__warn_once(WARN_HTTP, "pid %ld: no free port above %d to serve on: %s",
                             (long)getpid(), g_http.scan_from, strerror(errno));
            close(fd);
            fd = -1;
            goto out;
        }
    } else if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
        cprof__warn_once(WARN_HTTP, "cannot serve on '%s': %s", g_http.addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
        goto out;
    }
    {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        char ip[INET6_ADDRSTRLEN] = "?";
        int p = 0;
        getsockname(fd, (struct sockaddr *)&ss, &sl);
        if (ss.ss_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
            p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            snprintf(shown, sizeof(shown), "%s:%d", ip, p);
        } else {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip));
            p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            snprintf(shown, sizeof(shown), "[%s]:%d", ip, p);
        }
        g_http.port = p;
        snprintf(g_http.url, sizeof(g_http.url), "http://%s/debug/pprof/", shown);
    }
    {
        char cmd[200];
        self_cmdline(cmd, sizeof(cmd));
        if (g_http.child)
            cprof__warn("pid %ld (%s) serving /debug/pprof on %s", (long)getpid(), cmd, g_http.url);
        else if (!strcmp(port, "0")) /* the caller cannot know the port: say it */
            cprof__warn("serving %s", g_http.url);
        reg_add(cmd);
    }
out:
    freeaddrinfo(res);
    return fd;
}

/* ---- the server thread ---- */

static void serve_loop(void)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(g_http.d, MHD_DAEMON_INFO_EPOLL_FD);
    struct pollfd pfd[2] = {{.fd = info ? info->epoll_fd : -1, .events = POLLIN},
                            {.fd = g_http.wake_fd, .events = POLLIN}};

    atomic_store(&g_http.epoll_fd, pfd[0].fd);

    while (!atomic_load(&g_http.stop)) {
        MHD_UNSIGNED_LONG_LONG to = 0;
        int64_t timeout = -1, due = next_deadline();
        uint64_t junk;

        if (MHD_get_timeout(g_http.d, &to) == MHD_YES)
            timeout = to > INT_MAX ? INT_MAX : (int64_t)to;
        if (due != INT64_MAX) {
            int64_t left = due - mono_ms();
            left = left < 0 ? 0 : left;
            if (timeout < 0 || left < timeout)
                timeout = left;
        }
        if (poll(pfd, 2, (int)(timeout > INT_MAX ? INT_MAX : timeout)) < 0 && errno != EINTR)
            break;
        if (pfd[1].revents && read(g_http.wake_fd, &junk, sizeof(junk)) < 0) {
            /* eventfd: nothing to read is fine */
        }
        run_due(false);
        MHD_run(g_http.d);
    }
}

static void *server_main(void *arg)
{
    int fd;

    (void)arg;
    pthread_setname_np(pthread_self(), "cprof-http");
#if HAVE_HEAP
    cprof__heap_enter(); /* everything this thread allocates is the runtime's own */
#endif
    if (g_http.delay_ms > 0) {
        /* A forked child that execs or exits before this never serves (nor binds). */
        /* glibc's setuid/setgid signal every thread (nginx's workers): EINTR is no stop. */
        struct pollfd pw = {.fd = g_http.wake_fd, .events = POLLIN};
        int64_t until = mono_ms() + g_http.delay_ms, left;
        int r = 0;
        while ((left = until - mono_ms()) > 0 &&
               ((r = poll(&pw, 1, (int)left)) == 0 || (r < 0 && errno == EINTR)))
            r = 0;
        if (r != 0 || atomic_load(&g_http.stop))
            goto out;
    }
    if (g_http.child && !g_http.scan_from)
        g_http.scan_from = reg_port_of(g_http.parent);
    if (mhd_load() != 0)
        goto out;
    fd = listen_socket();
    if (fd < 0)
        goto out;
    g_http.d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONN_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!g_http.d) {
        cprof__warn_once(WARN_HTTP, "cannot serve on '%s': the HTTP server did not start",
                         g_http.addr);
        close(fd);
        goto out;
    }
    atomic_store(&g_http.listen_fd, fd);
    serve_loop();
    run_due(true); /* finish what waits, so no connection is left suspended */
    MHD_run(g_http.d);
    atomic_store(&g_http.epoll_fd, -1);
    MHD_stop_daemon(g_http.d);
    g_http.d = NULL;
    atomic_store(&g_http.listen_fd, -1);
    close(fd);
out:
    atomic_store(&g_http.done, 1);
    return NULL;
}

int cprof__http_start(const char *addr)
{
    sigset_t all, old;
    int err;

    if (g_http.started)
        return CPROF_EBUSY;
    if (strlen(addr) >= sizeof(g_http.addr))
        return CPROF_EUSAGE;
    snprintf(g_http.addr, sizeof(g_http.addr), "%s", addr);
    if (!g_http.child)
        reg_dir_init();
    g_http.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (g_http.wake_fd < 0)
        return -errno;
    /* No program signal handler runs on our thread: block them all before it exists. */
    sigfillset(&all);
    cprof__real_sigmask(SIG_SETMASK, &all, &old); /* past sigown.c's filter: really all */
    err = -cprof__spawn_internal(&g_http.thread, server_main);
    cprof__real_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        close(g_http.wake_fd);
        g_http.wake_fd = -1;
        return err;
    }
    g_http.started = true;
    g_http.pid = getpid();
    return 0;
}

void cprof__http_stop(void)
{
    struct timespec ts;
    uint64_t one = 1;

    if (!g_http.started || g_http.pid != getpid())
        return;
    atomic_store(&g_http.stop, 1);
    if (write(g_http.wake_fd, &one, sizeof(one)) < 0) {
        /* the loop also wakes on its own timeouts */
    }
    /* Bounded: a request being answered right now (a symbolization) may take a while. */
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 2;
    reg_remove();
    if (pthread_timedjoin_np(g_http.thread, NULL, &ts) == 0) {
        cprof__threads_release();
        g_http.started = false;
        close(g_http.wake_fd);
        g_http.wake_fd = -1;
    }
}

void cprof__http_fork_child(void)
{
    int fd;

    if (!g_http.started)
        return;
    /* The daemon and its connections are the parent's: leaked, never run here. */
    if ((fd = atomic_exchange(&g_http.listen_fd, -1)) >= 0)
        close(fd);
    if ((fd = atomic_exchange(&g_http.epoll_fd, -1)) >= 0)
        close(fd);
    if (g_http.wake_fd >= 0)
        close(g_http.wake_fd);
    g_http.wake_fd = -1;
    g_http.d = NULL;
    g_http.pending = NULL;
    g_http.cpu_ours = false;
    g_http.started = false;
    atomic_store(&g_http.stop, 0);
    atomic_store(&g_http.done, 0);
    g_http.reg[0] = 0; /* the parent's entry, if any, is the parent's */
    /*
     * Follow: serve on the next free port after the parent's, once alive a
     * while.  A parent that forked before it bound is found in the registry.
     */
    {
        int err;
        g_http.child = true;
        g_http.parent = g_http.pid;
        g_http.scan_from = g_http.port;
        g_http.delay_ms = FOLLOW_DELAY_MS;
        g_http.port = 0;
        g_http.url[0] = 0;
        char addr[sizeof(g_http.addr)];
        memcpy(addr, g_http.addr, sizeof(addr));
        err = cprof__http_start(addr);
        if (err)
            cprof__warn("pid %ld: cannot serve /debug/pprof: %s", (long)getpid(),
                        cprof_strerror(err));
    }
}
