/*
 * `cprof load`: an HTTP load generator with hey's flags, report and CSV.
 * load_cmd.c parses the command line and builds the request, load_loop.c
 * runs one epoll event loop per thread over keep-alive connections and
 * fills per-thread statistics, load_report.c merges and prints them.
 */
#ifndef CPROF_TOOL_LOAD_H
#define CPROF_TOOL_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tool/load_hist.h"
#include "tool/load_http.h"

/* What to run: the command line, resolved. */
struct cprof_load_cfg {
    struct cprof_load_url url; /* the target */
    const char *url_text;      /* as given, for error texts */
    const char *method;        /* uppercased */
    const char *op;            /* Go's error prefix: "Get", "Post" */
    char *request;             /* the whole request, headers and body */
    size_t request_len;        /* bytes */
    uint64_t n;                /* requests in all (UINT64_MAX with -z) */
    int c;                     /* connections */
    int threads;               /* event-loop threads */
    double q;                  /* -q: requests/s per connection, 0 = none */
    double rate;               /* --rate: requests/s in all, 0 = none */
    uint64_t timeout_ns;       /* per request, 0 = none */
    uint64_t duration_ns;      /* -z, 0 = none */
    bool keepalive;            /* reuse connections */
    bool follow_redirects;     /* follow same-origin 3xx */
    bool gzip_asked;           /* Accept-Encoding: gzip was sent */
    bool head;                 /* HEAD: responses have no body */
    bool tls;                  /* https */
    bool h2;                   /* -h2 */
    bool csv;                  /* keep per-request rows */
    const char *scheme_error;  /* per-request error for a URL we cannot send to */
    const char *proxy_host;    /* -x: connect here instead (NULL = direct) */
    const char *proxy_port;
};

/* Phases of one request, hey's Details lines. */
enum { LOAD_CONN, LOAD_DNS, LOAD_REQ, LOAD_WAIT, LOAD_READ, LOAD_NPHASE };

/* One CSV row: a successful request. */
struct cprof_load_row {
    uint64_t done_ns;               /* completion, since the start (orders rows) */
    uint64_t start_ns;              /* start, since the start of the run */
    uint32_t phase_us[LOAD_NPHASE]; /* phases, microseconds */
    uint32_t total_us;              /* the whole request */
    uint16_t status;
};

struct cprof_load_err {
    char *text; /* Go-worded: Get "URL": dial tcp ...: connection refused */
    uint64_t count;
};

/* One thread's results; merged by cprof_load_stats_merge(). */
struct cprof_load_stats {
    uint64_t ok;      /* responses (any status) */
    uint64_t errors;  /* requests that failed */
    uint64_t aborted; /* in flight at the -z deadline or Ctrl-C */
    uint64_t lat_sum_ns, lat_min_ns, lat_max_ns;
    uint64_t phase_sum_ns[LOAD_NPHASE];
    uint64_t phase_min_ns[LOAD_NPHASE];
    uint64_t phase_max_ns[LOAD_NPHASE];
    uint64_t status[600];              /* by code; [0] holds codes out of range */
    uint64_t size_total;               /* sum of positive Content-Lengths */
    struct cprof_load_hist lat;        /* latency (from the planned send with --rate) */
    struct cprof_load_hist lat_uncorr; /* --rate: from the actual send */
    uint64_t uncorr_sum_ns, uncorr_max_ns;
    struct cprof_load_err *errs; /* distinct error texts */
    size_t nerrs;
    struct cprof_load_row *rows; /* -o csv */
    size_t nrows, caprows;
};

void cprof_load_stats_init(struct cprof_load_stats *s);
void cprof_load_stats_release(struct cprof_load_stats *s);
/* Counts one failed request with its text (copied). */
void cprof_load_stats_error(struct cprof_load_stats *s, const char *text);
/* dst += src (rows and errors move over). */
void cprof_load_stats_merge(struct cprof_load_stats *dst, struct cprof_load_stats *src);

/*
 * Runs the load described by cfg and leaves the merged results in out
 * (initialized here), the wall time in *total_ns.  Returns 0, or -errno
 * when the threads could not be started (a message is on stderr).
 * SIGINT stops the run early; the results so far are kept.
 */
int cprof_load_run(const struct cprof_load_cfg *cfg, struct cprof_load_stats *out,
                   uint64_t *total_ns /* OUT */);

/* hey's summary, CSV, or a JSON object, on f. */
void cprof_load_report_summary(FILE *f, const struct cprof_load_cfg *cfg,
                               const struct cprof_load_stats *s, uint64_t total_ns);
void cprof_load_report_csv(FILE *f, struct cprof_load_stats *s);
void cprof_load_report_json(FILE *f, const struct cprof_load_cfg *cfg,
                            const struct cprof_load_stats *s, uint64_t total_ns);

/*
 * Parses and checks `load` arguments as cprof_cmd_load does, without
 * running anything: -1 when they are good, else the exit status (the
 * messages are on stderr).  For the fuzz target.
 */
int cprof__load_check_args(int argc, char **argv);

/* `cprof load [flags] URL`; argv[0] is "load".  Exit status as hey's. */
int cprof_cmd_load(int argc, char **argv);

#endif /* CPROF_TOOL_LOAD_H */
