/*
 * `cprof load [options...] <url>`: hey's command line (flags, defaults,
 * messages and exit statuses), turned into a struct cprof_load_cfg and the
 * request's bytes, then the run and its report.
 */
#include "tool/load.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "tool/flags.h"

#define LOAD_UA "cprof-load/" CPROF_VERSION

static const char usage_text[] =
    "Usage: cprof load [options...] <url>\n"
    "\n"
    "Options:\n"
    "  -n  Number of requests to run. Default is 200.\n"
    "  -c  Number of workers to run concurrently. Total number of requests cannot\n"
    "      be smaller than the concurrency level. Default is 50.\n"
    "  -q  Rate limit, in queries per second (QPS) per worker. Default is no rate limit.\n"
    "  -z  Duration of application to send requests. When duration is reached,\n"
    "      application stops and exits. If duration is specified, n is ignored.\n"
    "      Examples: -z 10s -z 3m.\n"
    "  -o  Output type. If none provided, a summary is printed.\n"
    "      \"csv\" is the only supported alternative. Dumps the response\n"
    "      metrics in comma-separated values format.\n"
    "\n"
    "  -m  HTTP method, one of GET, POST, PUT, DELETE, HEAD, OPTIONS.\n"
    "  -H  Custom HTTP header. You can specify as many as needed by repeating the flag.\n"
    "      For example, -H \"Accept: text/html\" -H \"Content-Type: application/xml\" .\n"
    "  -t  Timeout for each request in seconds. Default is 20, use 0 for infinite.\n"
    "  -A  HTTP Accept header.\n"
    "  -d  HTTP request body.\n"
    "  -D  HTTP request body from file. For example, /home/user/file.txt or ./file.txt.\n"
    "  -T  Content-type, defaults to \"text/html\".\n"
    "  -a  Basic authentication, username:password.\n"
    "  -x  HTTP Proxy address as host:port.\n"
    "  -h2 Enable HTTP/2.\n"
    "\n"
    "  -host\tHTTP Host header.\n"
    "\n"
    "  -disable-compression  Disable compression.\n"
    "  -disable-keepalive    Disable keep-alive, prevents re-use of TCP\n"
    "                        connections between different HTTP requests.\n"
    "  -disable-redirects    Disable following of HTTP redirects\n"
    "  -cpus                 Number of used cpu cores.\n"
    "                        (default for current machine is %ld cores)\n"
    "\n"
    "  --rate R              Constant total rate, R requests per second over all\n"
    "                        workers; latency is measured from each request's\n"
    "                        planned send time (uncorrected figures beside).\n"
    "  --json                Print the summary as one JSON object.\n";

#define MAX_HEADERS 64

struct load_opts {
    long long n, c, t, cpus;
    double q, rate;
    int64_t z_ns;
    const char *o, *m, *A, *d, *D, *T, *a, *x, *host, *h, *H1, *z;
    const char *H[MAX_HEADERS];
    int nH;
    bool h2, no_compression, no_keepalive, no_redirects, json;
};

static void usage(void)
{
    fprintf(stderr, usage_text, sysconf(_SC_NPROCESSORS_ONLN));
}

/* hey's usageAndExit: the message, a blank line, the usage, a blank line; status 1. */
static int usage_exit(const char *msg)
{
    if (msg && *msg)
        fprintf(stderr, "%s\n\n", msg);
    usage();
    fputc('\n', stderr);
    return 1;
}

/* Go's time.ParseDuration: [-+]?(\d*\.?\d*(ns|us|µs|ms|s|m|h))+ or "0". */
static int parse_duration(int64_t *out, const char *s)
{
    static const struct {
        const char *u;
        double ns;
    } units[] = {{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
                 {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
    double total = 0;
    bool neg = false;

    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    if (!*s)
        return -EINVAL;
    while (*s) {
        char *end;
        double v;
        size_t best = 0, bi = 0;

        if (!isdigit((unsigned char)*s) && *s != '.')
            return -EINVAL;
        if (s[0] == '.' && !isdigit((unsigned char)s[1]))
            return -EINVAL;
        v = strtod(s, &end);
        if (end == s || *end == 'e' || *end == 'E')
            return -EINVAL;
        s = end;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t l = strlen(units[i].u);
            if (strncmp(s, units[i].u, l) == 0 && l > best) {
                best = l;
                bi = i;
            }
        }
        if (!best)
            return -EINVAL;
        total += v * units[bi].ns;
        s += best;
    }
    if (total > 9.2e18)
        return -EINVAL;
    *out = (int64_t)(neg ? -total : total);
    return 0;
}

/* Go's http.CanonicalHeaderKey: "x-foo" -> "X-Foo". */
static void canonical(char *k)
{
    bool up = true;

    for (; *k; k++) {
        *k = (char)(up ? toupper((unsigned char)*k) : tolower((unsigned char)*k));
        up = *k == '-';
    }
}

struct header {
    char key[128];
    const char *val;
};

/* header.Set: replaces a key's value or appends it. */
static void set_header(struct header *hs, int *n, const char *key, size_t klen, const char *val)
{
    char k[128];

    snprintf(k, sizeof(k), "%.*s", (int)klen, key);
    canonical(k);
    for (int i = 0; i < *n; i++)
        if (strcmp(hs[i].key, k) == 0) {
            hs[i].val = val;
            return;
        }
    if (*n < MAX_HEADERS + 4) {
        memcpy(hs[*n].key, k, sizeof(k));
        hs[(*n)++].val = val;
    }
}

static int cmp_header(const void *a, const void *b)
{
    return strcmp(((const struct header *)a)->key, ((const struct header *)b)->key);
}

/* hey's ^([\w-]+):\s*(.+) on a -H value: the key length and the value. */
static bool match_header(const char *s, size_t *klen, const char **val)
{
    size_t i = 0;

    while (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-')
        i++;
    if (i == 0 || s[i] != ':')
        return false;
    *klen = i;
    s += i + 1;
    while (isspace((unsigned char)s[0]) && s[1])
        s++;
    if (!*s)
        return false;
    *val = s;
    return true;
}

/* hey's ^(.+):([^\s].+) on -a: the last ':' followed by a non-space and one more byte. */
static bool match_auth(const char *s, size_t *ulen)
{
    for (size_t i = strlen(s); i-- > 1;)
        if (s[i] == ':' && s[i + 1] && !isspace((unsigned char)s[i + 1]) && s[i + 2]) {
            *ulen = i;
            return true;
        }
    return false;
}

/* Go's http.validMethod: a token. */
static bool valid_method(const char *m)
{
    if (!*m)
        return false;
    for (; *m; m++)
        if ((unsigned char)*m <= ' ' || (unsigned char)*m >= 0x7f ||
            strchr("()<>@,;:\\\"/[]?={}", *m))
            return false;
    return true;
}

static int build_request(struct cprof_load_cfg *cfg, const struct load_opts *o, const char *body,
                         size_t body_len, char *msg, size_t msglen)
{
    struct header hs[MAX_HEADERS + 8];
    int nh = 0;
    struct cprof_buf b;
    char ua[512], auth[768], clen[32];
    const char *host = o->host && *o->host ? o->host : cfg->url.hostport;

    set_header(hs, &nh, "Content-Type", 12, o->T);
    for (int i = 0; i < o->nH; i++) {
        size_t kl;
        const char *v;
        if (!match_header(o->H[i], &kl, &v)) {
            snprintf(msg, msglen, "could not parse the provided input; input = %s", o->H[i]);
            return -1;
        }
        if (kl == 4 && strncasecmp(o->H[i], "host", 4) == 0)
            host = v; /* Go sends Host from req.Host, not the header map */
        else
            set_header(hs, &nh, o->H[i], kl, v);
    }
    if (o->A && *o->A)
        set_header(hs, &nh, "Accept", 6, o->A);
    if (o->a && *o->a) {
        size_t ul;
        unsigned char enc[700];
        if (!match_auth(o->a, &ul) || strlen(o->a) > 500) {
            snprintf(msg, msglen, "could not parse the provided input; input = %s", o->a);
            return -1;
        }
        EVP_EncodeBlock(enc, (const unsigned char *)o->a, (int)strlen(o->a));
        snprintf(auth, sizeof(auth), "Basic %s", enc);
        set_header(hs, &nh, "Authorization", 13, auth);
    }
    /* The User-Agent: a custom one keeps ours after it, as hey does. */
    {
        const char *cur = NULL;
        for (int i = 0; i < nh; i++)
            if (strcmp(hs[i].key, "User-Agent") == 0)
                cur = hs[i].val;
        snprintf(ua, sizeof(ua), cur ? "%s " LOAD_UA : LOAD_UA, cur);
        set_header(hs, &nh, "User-Agent", 10, ua);
    }
    if (!o->no_compression)
        set_header(hs, &nh, "Accept-Encoding", 15, "gzip");
    if (o->no_keepalive)
        set_header(hs, &nh, "Connection", 10, "close");
    if (body_len || !strcmp(cfg->method, "POST") || !strcmp(cfg->method, "PUT") ||
        !strcmp(cfg->method, "PATCH")) {
        snprintf(clen, sizeof(clen), "%zu", body_len);
        set_header(hs, &nh, "Content-Length", 14, clen);
    }
    qsort(hs, (size_t)nh, sizeof(hs[0]), cmp_header);

    cprof_buf_init(&b, (size_t)1 << 30);
    int err = 0;
    char line[4400];
    /* Through a proxy, http requests name the whole URL; https ones go through a tunnel. */
    if (cfg->proxy_host && !cfg->tls)
        snprintf(line, sizeof(line), "%s %s://%s%s HTTP/1.1\r\nHost: %s\r\n", cfg->method,
                 cfg->url.scheme, cfg->url.hostport, cfg->url.target, host);
    else
        snprintf(line, sizeof(line), "%s %s HTTP/1.1\r\nHost: %s\r\n", cfg->method, cfg->url.target,
                 host);
    err |= cprof_buf_append(&b, line, strlen(line));
    for (int i = 0; i < nh; i++) {
        err |= cprof_buf_append(&b, hs[i].key, strlen(hs[i].key));
        err |= cprof_buf_append(&b, ": ", 2);
        err |= cprof_buf_append(&b, hs[i].val, strlen(hs[i].val));
        err |= cprof_buf_append(&b, "\r\n", 2);
    }
    err |= cprof_buf_append(&b, "\r\n", 2);
    if (body_len)
        err |= cprof_buf_append(&b, body, body_len);
    if (err) {
        cprof_buf_release(&b);
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    cfg->request_len = b.len;
    cfg->request = (char *)cprof_buf_detach(&b, &cfg->request_len);
    return 0;
}

/* Go's url.Error op for a method: "GET" -> "Get". */
static void method_op(const char *m, char *op, size_t len)
{
    size_t i = 0;

    for (; m[i] && i + 1 < len; i++)
        op[i] = (char)(i ? tolower((unsigned char)m[i]) : m[i]);
    op[i] = '\0';
}

struct load_state {
    struct load_opts o;
    struct cprof_load_cfg cfg;
    struct cprof_buf body;
    char method[64], op[64], scheme_err[600], proxy[512];
};

/* Checks the options and fills st->cfg.  Returns -1 (ok) or an exit status. */
static int configure(struct load_state *st, const char *url)
{
    struct load_opts *o = &st->o;
    struct cprof_load_cfg *cfg = &st->cfg;
    struct cprof_diag diag = {0};
    char msg[700];
    const char *body = o->d;
    size_t body_len = o->d ? strlen(o->d) : 0;

    if (o->z_ns > 0) {
        if (o->c <= 0)
            return usage_exit("-c cannot be smaller than 1.");
    } else {
        if (o->n <= 0 || o->c <= 0)
            return usage_exit("-n and -c cannot be smaller than 1.");
        if (o->n < o->c)
            return usage_exit("-n cannot be less than -c.");
    }
    if (o->c > 100000)
        return usage_exit("-c cannot be larger than 100000.");
    if (o->rate < 0 || o->q < 0 || isnan(o->rate) || isnan(o->q))
        return usage_exit("-q and --rate cannot be negative.");
    snprintf(st->method, sizeof(st->method), "%s", o->m);
    for (char *p = st->method; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    cfg->method = st->method;
    if (o->h && *o->h)
        return usage_exit("Flag '-h' is deprecated, please use '-H' instead.");
    if (o->D && *o->D) {
        cprof_buf_init(&st->body, (size_t)1 << 30);
        int err = cprof_file_read(o->D, &st->body);
        if (err) {
            fprintf(stderr, "open %s: %s\n", o->D,
                    err == -ENOENT ? "no such file or directory" : cprof_strerror(err));
            return 1;
        }
        body = (const char *)st->body.data;
        body_len = st->body.len;
    }
    if (o->x && *o->x) {
        /* hey takes host:port (url.Parse of it has a scheme "host"). */
        char *px = st->proxy;
        const char *hp = strstr(o->x, "://") ? strstr(o->x, "://") + 3 : o->x;
        snprintf(px, sizeof(st->proxy), "%s", hp);
        char *colon = strrchr(px, ':'), *slash = strchr(px, '/');
        if (slash)
            *slash = '\0';
        if (o->x[0] == ':')
            return usage_exit("parse \":::\": missing protocol scheme");
        cfg->proxy_host = px;
        cfg->proxy_port = "80";
        if (colon && colon > px) {
            *colon = '\0';
            cfg->proxy_port = colon + 1;
        }
    }
    if (!valid_method(cfg->method)) {
        snprintf(msg, sizeof(msg), "net/http: invalid method \"%s\"", o->m);
        return usage_exit(msg);
    }
    if (cprof_load_url_parse(url, &cfg->url, &diag) != 0)
        return usage_exit(diag.msg);
    cfg->url_text = url;
    method_op(cfg->method, st->op, sizeof(st->op));
    cfg->op = st->op;
    if (strcmp(cfg->url.scheme, "http") != 0 && strcmp(cfg->url.scheme, "https") != 0) {
        snprintf(st->scheme_err, sizeof(st->scheme_err), "unsupported protocol scheme \"%s\"",
                 cfg->url.scheme);
        cfg->scheme_error = st->scheme_err;
    } else if (!cfg->url.host[0]) {
        cfg->scheme_error = "http: no Host in request URL";
    }
    cfg->tls = strcmp(cfg->url.scheme, "https") == 0;
    if (build_request(cfg, o, body, body_len, msg, sizeof(msg)) < 0)
        return usage_exit(msg);
    cfg->n = o->z_ns > 0 ? UINT64_MAX : (uint64_t)o->n;
    cfg->c = (int)o->c;
    cfg->threads = o->cpus > 0 ? (int)(o->cpus < 1024 ? o->cpus : 1024) : 1;
    cfg->q = o->q;
    cfg->rate = o->rate;
    cfg->timeout_ns = o->t > 0 ? (uint64_t)o->t * 1000000000u : 0;
    cfg->duration_ns = o->z_ns > 0 ? (uint64_t)o->z_ns : 0;
    cfg->keepalive = !o->no_keepalive;
    cfg->follow_redirects = !o->no_redirects;
    cfg->gzip_asked = !o->no_compression;
    cfg->head = strcmp(cfg->method, "HEAD") == 0;
    cfg->h2 = o->h2;
    cfg->csv = o->o && strcmp(o->o, "csv") == 0;
    return -1;
}

/*
 * Go's flag syntax, one flag at a time through cprof_flags_parse, so that
 * the repeatable -H and the duration -z are taken as they come.  Returns
 * the index of the URL in argv (argc when none), CPROF_FLAGS_HELP, or a
 * negative error with Go's message in diag.
 */
static int parse_flags(const struct cprof_flag *flags, size_t n, struct load_opts *o, int argc,
                       char **argv, struct cprof_diag *diag)
{
    int i = 1;

    while (i < argc) {
        const char *a = argv[i], *name = a + 1, *eq;
        const struct cprof_flag *f = NULL;
        int take = 1, rc;

        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "--") == 0)
            return i + 1;
        if (name[0] == '-')
            name++;
        eq = strchr(name, '=');
        for (size_t k = 0; k < n; k++)
            if (strncmp(flags[k].name, name, eq ? (size_t)(eq - name) : strlen(name)) == 0 &&
                flags[k].name[eq ? (size_t)(eq - name) : strlen(name)] == '\0')
                f = &flags[k];
        if (f && !eq && f->type != CPROF_FLAG_BOOL && i + 1 < argc)
            take = 2;
        o->H1 = o->z = NULL;
        rc = cprof_flags_parse(flags, n, take, argv + i, diag);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        if (o->H1) {
            if (o->nH >= MAX_HEADERS)
                return cprof_diag_set(diag, CPROF_EUSAGE, "too many -H flags (at most %d)",
                                      MAX_HEADERS);
            o->H[o->nH++] = o->H1;
        }
        if (o->z && parse_duration(&o->z_ns, o->z) < 0)
            return cprof_diag_set(diag, CPROF_EUSAGE,
                                  "invalid value \"%s\" for flag -z: "
                                  "parse error",
                                  o->z);
        i += rc;
    }
    return i;
}

/* Parses argv into st; -1 when the load should run, else the exit status. */
static int parse_args(struct load_state *st, int argc, char **argv)
{
    struct load_opts *o = &st->o;
    const struct cprof_flag flags[] = {
        {"n", CPROF_FLAG_INT, &o->n, ""},
        {"c", CPROF_FLAG_INT, &o->c, ""},
        {"q", CPROF_FLAG_FLOAT, &o->q, ""},
        {"t", CPROF_FLAG_INT, &o->t, ""},
        {"z", CPROF_FLAG_STRING, &o->z, ""},
        {"o", CPROF_FLAG_STRING, &o->o, ""},
        {"m", CPROF_FLAG_STRING, &o->m, ""},
        {"H", CPROF_FLAG_STRING, &o->H1, ""},
        {"h", CPROF_FLAG_STRING, &o->h, ""},
        {"A", CPROF_FLAG_STRING, &o->A, ""},
        {"d", CPROF_FLAG_STRING, &o->d, ""},
        {"D", CPROF_FLAG_STRING, &o->D, ""},
        {"T", CPROF_FLAG_STRING, &o->T, ""},
        {"a", CPROF_FLAG_STRING, &o->a, ""},
        {"x", CPROF_FLAG_STRING, &o->x, ""},
        {"h2", CPROF_FLAG_BOOL, &o->h2, ""},
        {"host", CPROF_FLAG_STRING, &o->host, ""},
        {"disable-compression", CPROF_FLAG_BOOL, &o->no_compression, ""},
        {"disable-keepalive", CPROF_FLAG_BOOL, &o->no_keepalive, ""},
        {"disable-redirects", CPROF_FLAG_BOOL, &o->no_redirects, ""},
        {"cpus", CPROF_FLAG_INT, &o->cpus, ""},
        {"rate", CPROF_FLAG_FLOAT, &o->rate, ""},
        {"json", CPROF_FLAG_BOOL, &o->json, ""},
    };
    struct cprof_diag diag = {0};
    int i;

    memset(st, 0, sizeof(*st));
    o->n = 200;
    o->c = 50;
    o->t = 20;
    o->m = "GET";
    o->T = "text/html";
    o->cpus = sysconf(_SC_NPROCESSORS_ONLN);
    i = parse_flags(flags, sizeof(flags) / sizeof(flags[0]), o, argc, argv, &diag);
    if (i == CPROF_FLAGS_HELP) {
        usage();
        return 0;
    }
    if (i < 0) {
        /* Go's flag package: the message, the usage, status 2. */
        fprintf(stderr, "%s\n", diag.msg);
        usage();
        return 2;
    }
    if (i >= argc)
        return usage_exit("");
    return configure(st, argv[i]);
}

static void release(struct load_state *st)
{
    free(st->cfg.request);
    st->cfg.request = NULL;
    cprof_buf_release(&st->body);
}

int cprof__load_check_args(int argc, char **argv)
{
    static struct load_state st;
    int rc = parse_args(&st, argc, argv);

    release(&st);
    return rc;
}

int cprof_cmd_load(int argc, char **argv)
{
    static struct load_state st;
    struct cprof_load_stats stats;
    uint64_t total_ns = 0;
    int rc;

    rc = parse_args(&st, argc, argv);
    if (rc >= 0)
        goto out;
    if (cprof_load_run(&st.cfg, &stats, &total_ns) != 0) {
        rc = 1;
        goto out;
    }
    if (st.cfg.csv)
        cprof_load_report_csv(stdout, &stats);
    else if (st.o.json)
        cprof_load_report_json(stdout, &st.cfg, &stats, total_ns);
    else
        cprof_load_report_summary(stdout, &st.cfg, &stats, total_ns);
    if (stats.aborted && !st.cfg.csv && !st.o.json)
        fprintf(stderr, "cprof load: %llu requests in flight at the end were aborted\n",
                (unsigned long long)stats.aborted);
    cprof_load_stats_release(&stats);
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    release(&st);
    return rc;
}
