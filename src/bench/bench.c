/*
 * The benchmark harness (include/cprof/bench.h): Go's testing.B for C.
 *
 * Semantics follow Go's testing package: the N ramp (predictN, the 1e9
 * cap), -benchtime Nx reusing the N=1 run when N is 1, -count and -cpu
 * loops that each redo the ramp, b.Loop ramping inside one call,
 * sub-benchmarks run once with N=1 to discover them, and the result line
 * printed byte for byte as Go prints it.  Beyond Go: the ramp stops
 * growing N once wall time passes 5x the target (a benchmark whose
 * timer is mostly stopped would otherwise run for minutes).
 *
 * Allocations are counted by libcprof (cprof_heap_counts): heap sampling
 * is turned on at start, with a huge rate unless -memprofile asks for
 * samples, so the exact counters cost a few ns per allocation.
 *
 * Profiles: when -cpuprofile or -memprofile is given and -bench selects
 * several top-level benchmarks, the harness runs each one in a child
 * process of its own (this program again) so every profile holds one
 * benchmark only; files are FILE.BenchmarkName.  One benchmark: FILE.
 */
#include "cprof/bench.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "bench/bench_int.h"
#include "cprof.h"

#define MAX_BENCH  1024
#define MAX_LEVELS 16
#define HUGE_RATE  (1L << 40)

struct reg {
    const char *name;
    void (*fn)(cprof_b *b);
    const char *file;
    int line;
    int file_rank; /* order of first registration of its file */
    int seq;
};

static struct reg regs[MAX_BENCH];
static int nregs;

/* Options, Go's names. */
static struct {
    char *bench;          /* -bench, NULL = run none */
    int64_t benchtime_ns; /* -benchtime duration */
    int64_t benchtime_n;  /* -benchtime Nx, 0 = duration */
    int count;            /* -count */
    int cpus[64], ncpus;  /* -cpu */
    bool benchmem;        /* -benchmem */
    const char *cpuprofile, *memprofile;
    long memprofilerate;
    bool v;
    int64_t timeout_ns;
    const char *blockprofile, *mutexprofile; /* accepted, not supported yet */
    int only;   /* child: run only this top-level benchmark (index), -1 = all */
    int maxlen; /* child: the parent's name width */
    bool child;
} opts = {.benchtime_ns = 1000000000, .count = 1, .only = -1};

struct pattern {
    regex_t re[MAX_LEVELS];
    int n;
};

/* One run of the harness: what processBench and the output share. */
static struct {
    const char *argv0; /* for -help */
    struct pattern pat;
    int maxlen;       /* name column width */
    int extlen;       /* len("-P") for the largest P */
    bool labels_done; /* goos/goarch/pkg/cpu printed */
    bool failed;
    bool counting; /* cprof_heap_counts works */
    const char *pkg;
    char **argv;
    int argc;
} g;

struct cprof__bench {
    char *name;
    int level;
    void (*fn)(cprof_b *b);               /* top level */
    void (*subfn)(cprof_b *b, void *arg); /* sub-benchmark */
    void *arg;
    int procs;
    bool has_sub, failed, report_allocs, timer_on;
    int64_t start_ns, duration_ns;
    uint64_t start_allocs, start_bytes, net_allocs, net_bytes;
    int64_t bytes;
    int64_t prev_n, prev_ns;
    struct metric {
        char unit[64];
        double v;
    } extra[32];
    int nextra;
    uint64_t loop_n, loop_i;
    bool loop_done;
    bool loop_done_partial; /* -bench matched this name partially: only run its subs */
    int64_t loop_start_wall;
    char *out; /* b.Logf output */
    size_t out_len;
    jmp_buf *fatal_jmp;
    struct cprof__bench *parent;
    char **subnames; /* names used by sub-benchmarks, for #01 suffixes */
    int nsub;
    struct result res;
};

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void read_allocs(uint64_t *allocs, uint64_t *bytes)
{
    struct cprof_heap_counts c;

    if (g.counting && cprof_heap_counts(&c) == 0) {
        *allocs = c.allocs;
        *bytes = c.bytes;
    } else {
        *allocs = *bytes = 0;
    }
}

void cprof_bench_register(const char *name, void (*fn)(cprof_b *b), const char *file, int line)
{
    int rank = nregs;

    if (nregs >= MAX_BENCH)
        return;
    for (int i = 0; i < nregs; i++)
        if (strcmp(regs[i].file, file) == 0) {
            rank = regs[i].file_rank;
            break;
        }
    regs[nregs] = (struct reg){name, fn, file, line, rank, nregs};
    nregs++;
}

static int reg_cmp(const void *a, const void *b)
{
    const struct reg *x = a, *y = b;

    if (x->file_rank != y->file_rank)
        return x->file_rank < y->file_rank ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- timers ---- */

void cprof_b_start_timer(cprof_b *b)
{
    struct cprof__bench *s = b->priv;

    if (s->timer_on)
        return;
    read_allocs(&s->start_allocs, &s->start_bytes);
    s->start_ns = now_ns();
    s->timer_on = true;
}

void cprof_b_stop_timer(cprof_b *b)
{
    struct cprof__bench *s = b->priv;
    uint64_t a, by;

    if (!s->timer_on)
        return;
    s->duration_ns += now_ns() - s->start_ns;
    read_allocs(&a, &by);
    s->net_allocs += a - s->start_allocs;
    s->net_bytes += by - s->start_bytes;
    s->timer_on = false;
}

void cprof_b_reset_timer(cprof_b *b)
{
    struct cprof__bench *s = b->priv;

    s->nextra = 0;
    if (s->timer_on) {
        read_allocs(&s->start_allocs, &s->start_bytes);
        s->start_ns = now_ns();
    }
    s->duration_ns = 0;
    s->net_allocs = s->net_bytes = 0;
}

void cprof_b_report_allocs(cprof_b *b)
{
    b->priv->report_allocs = true;
}

void cprof_b_set_bytes(cprof_b *b, int64_t n)
{
    b->priv->bytes = n;
}

int cprof_b_procs(const cprof_b *b)
{
    return b->priv->procs;
}

void cprof_b_report_metric(cprof_b *b, double v, const char *unit)
{
    struct cprof__bench *s = b->priv;

    if (!unit || !*unit || strpbrk(unit, " \t\n\r\v\f") ||
        strlen(unit) >= sizeof(s->extra[0].unit)) {
        fprintf(stderr, "cprof_b_report_metric: bad unit '%s'\n", unit ? unit : "(null)");
        abort(); /* Go panics here too: a programming error of the benchmark */
    }
    for (int i = 0; i < s->nextra; i++)
        if (strcmp(s->extra[i].unit, unit) == 0) {
            s->extra[i].v = v;
            return;
        }
    if (s->nextra < (int)(sizeof(s->extra) / sizeof(s->extra[0]))) {
        snprintf(s->extra[s->nextra].unit, sizeof(s->extra[0].unit), "%s", unit);
        s->extra[s->nextra++].v = v;
    }
}

void cprof__b_log(cprof_b *b, int level, const char *file, int line, const char *fmt, ...)
{
    struct cprof__bench *s = b->priv;
    char msg[2048];
    const char *base = strrchr(file, '/');
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t need = strlen(msg) + strlen(file) + 64;
    char *p = realloc(s->out, s->out_len + need);
    if (p) {
        s->out = p;
        s->out_len += (size_t)snprintf(p + s->out_len, need, "    %s:%d: %s\n",
                                       base ? base + 1 : file, line, msg);
    }
    if (level >= 1)
        s->failed = true;
    if (level == 2 && s->fatal_jmp)
        longjmp(*s->fatal_jmp, 1);
}

/* ---- running ---- */

/* Calls the function under setjmp, so cprof_b_fatalf can end it. */
static void call_body(struct cprof__bench *s, cprof_b *b)
{
    jmp_buf jb;

    s->fatal_jmp = &jb;
    if (setjmp(jb) == 0) {
        if (s->fn)
            s->fn(b);
        else
            s->subfn(b, s->arg);
    }
    s->fatal_jmp = NULL;
}

static void run_n(struct cprof__bench *s, int64_t n)
{
    cprof_b b = {n, s};

    s->loop_n = s->loop_i = 0;
    s->loop_done = false;
    s->timer_on = false;
    cprof_b_reset_timer(&b);
    cprof_b_start_timer(&b);
    call_body(s, &b);
    cprof_b_stop_timer(&b);
    /* b.Loop commits its own count. */
    s->prev_n = s->loop_done ? (int64_t)s->loop_n : n;
    s->prev_ns = s->duration_ns;
}

int cprof_b_loop(cprof_b *b)
{
    struct cprof__bench *s = b->priv;

    if (s->loop_i < s->loop_n) {
        s->loop_i++;
        return 1;
    }
    if (s->loop_done)
        return 0;
    if (s->loop_i == 0) {
        s->loop_n = 1;
        s->loop_start_wall = now_ns();
        cprof_b_reset_timer(b);
        s->loop_i++;
        return 1;
    }
    if (opts.benchtime_n > 0) {
        if (s->loop_n < (uint64_t)opts.benchtime_n) {
            s->loop_n = (uint64_t)opts.benchtime_n;
            s->loop_i++;
            return 1;
        }
        goto done;
    }
    int64_t t = s->duration_ns + (s->timer_on ? now_ns() - s->start_ns : 0);
    if (t >= opts.benchtime_ns || now_ns() - s->loop_start_wall > 5 * opts.benchtime_ns ||
        s->loop_n >= 1000000000)
        goto done;
    s->loop_n = (uint64_t)cprof__bench_predict_n(opts.benchtime_ns, (int64_t)s->loop_n, t,
                                                 (int64_t)s->loop_n);
    s->loop_i++;
    return 1;
done:
    cprof_b_stop_timer(b);
    b->N = (int64_t)s->loop_n;
    s->loop_done = true;
    return 0;
}

/* Go's launch(): the ramp, after run1 has run N=1. */
static void launch(struct cprof__bench *s)
{
    if (s->loop_done)
        goto out;
    if (opts.benchtime_n > 0) {
        if (opts.benchtime_n > 1)
            run_n(s, opts.benchtime_n);
    } else {
        int64_t wall0 = now_ns();
        for (int64_t n = 1; !s->failed && s->duration_ns < opts.benchtime_ns && n < 1000000000;) {
            int64_t last = n;
            if (now_ns() - wall0 > 5 * opts.benchtime_ns)
                break;
            n = cprof__bench_predict_n(opts.benchtime_ns, s->prev_n, s->duration_ns, last);
            run_n(s, n);
        }
    }
out:
    s->res.n = s->prev_n;
    s->res.t_ns = s->duration_ns;
    s->res.bytes = s->bytes;
    s->res.mem_allocs = s->net_allocs;
    s->res.mem_bytes = s->net_bytes;
    s->res.nextra = 0;
    for (int i = 0; i < s->nextra && i < CPROF__BENCH_MAX_EXTRA; i++) {
        memcpy(s->res.extra[i].unit, s->extra[i].unit, sizeof(s->res.extra[i].unit));
        s->res.extra[i].v = s->extra[i].v;
        s->res.nextra++;
    }
}

static void print_labels(void)
{
    struct utsname u;
    const char *arch = "unknown";
    char cpu[256] = "";
    FILE *f;

    if (g.labels_done || opts.child)
        return;
    g.labels_done = true;
    if (uname(&u) == 0) {
        arch = u.machine;
        if (strcmp(arch, "x86_64") == 0)
            arch = "amd64";
        else if (strcmp(arch, "aarch64") == 0)
            arch = "arm64";
        else if (strcmp(arch, "i686") == 0 || strcmp(arch, "i386") == 0)
            arch = "386";
    }
    printf("goos: linux\ngoarch: %s\n", arch);
    if (g.pkg && *g.pkg)
        printf("pkg: %s\n", g.pkg);
#if defined(__x86_64__) || defined(__i386__)
    /* Go reads the brand string with CPUID (trailing spaces kept). */
    unsigned r[12], max = __get_cpuid_max(0x80000000, NULL);
    if (max >= 0x80000004) {
        for (unsigned k = 0; k < 3; k++)
            __get_cpuid(0x80000002 + k, &r[4 * k], &r[4 * k + 1], &r[4 * k + 2], &r[4 * k + 3]);
        char brand[49];
        memcpy(brand, r, 48);
        brand[48] = 0;
        const char *b = brand;
        while (*b == ' ')
            b++;
        snprintf(cpu, sizeof(cpu), "%s", b);
    }
#endif
    f = cpu[0] ? NULL : fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof(line), f)) {
            char *c = strchr(line, ':');
            if (strncmp(line, "model name", 10) != 0 || !c)
                continue;
            c++;
            while (*c == ' ' || *c == '\t')
                c++;
            c[strcspn(c, "\n")] = 0;
            snprintf(cpu, sizeof(cpu), "%s", c);
            break;
        }
        fclose(f);
    }
    if (cpu[0])
        printf("cpu: %s\n", cpu);
    fflush(stdout);
}

static void bench_name(char *out, size_t n, const char *name, int procs)
{
    if (procs != 1)
        snprintf(out, n, "%s-%d", name, procs);
    else
        snprintf(out, n, "%s", name);
}

static void print_output(struct cprof__bench *s, const char *tag, const char *name)
{
    if (!s->out_len)
        return;
    printf("--- %s: %s\n%s", tag, name, s->out);
    free(s->out);
    s->out = NULL;
    s->out_len = 0;
}

/* run1: N=1 once; true when the benchmark is to be ramped and reported. */
static bool run1(struct cprof__bench *s)
{
    int n = (int)strlen(s->name) + g.extlen + 1;

    if (n > g.maxlen)
        g.maxlen = n + 8; /* Go's slack, so widths do not jump at every name */
    run_n(s, 1);
    if (s->failed) {
        printf("--- FAIL: %s\n%s", s->name, s->out ? s->out : "");
        fflush(stdout);
        g.failed = true;
        return false;
    }
    if (s->has_sub || s->loop_done_partial) {
        print_output(s, "BENCH", s->name);
        return false;
    }
    return true;
}

/* processBench: the -cpu and -count loops, each a fresh ramp, one line each. */
static void process_bench(struct cprof__bench *s)
{
    char name[4096], line[8192];

    print_labels();
    for (int i = 0; i < opts.ncpus; i++) {
        for (int j = 0; j < opts.count; j++) {
            s->procs = opts.cpus[i];
            bench_name(name, sizeof(name), s->name, s->procs);
            if (i > 0 || j > 0) {
                s->failed = false;
                s->has_sub = false;
                free(s->out);
                s->out = NULL;
                s->out_len = 0;
                run_n(s, 1);
            }
            launch(s);
            if (s->failed) {
                printf("%-*s\t--- FAIL: %s\n%s", g.maxlen, name, name, s->out ? s->out : "");
                fflush(stdout);
                g.failed = true;
                continue;
            }
            cprof__bench_format_result(&s->res, opts.benchmem || s->report_allocs, line,
                                       sizeof(line));
            printf("%-*s\t%s\n", g.maxlen, name, line);
            print_output(s, "BENCH", name);
            fflush(stdout);
        }
    }
}

static bool match_level(int level, const char *elem)
{
    if (level >= g.pat.n)
        return true;
    return regexec(&g.pat.re[level], elem, 0, NULL, 0) == 0;
}

/* Go's rewrite(): spaces to '_', unprintable bytes escaped. */
static void rewrite(const char *in, char *out, size_t n)
{
    size_t o = 0;

    for (; *in && o + 8 < n; in++) {
        unsigned char c = (unsigned char)*in;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
            out[o++] = '_';
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = 0;
}

static char *unique_name(struct cprof__bench *parent, const char *base)
{
    char buf[4096];
    int k = 0;

    snprintf(buf, sizeof(buf), "%s", base);
    for (;;) {
        bool used = false;
        for (int i = 0; i < parent->nsub; i++)
            if (strcmp(parent->subnames[i], buf) == 0)
                used = true;
        if (!used)
            break;
        snprintf(buf, sizeof(buf), "%s#%02d", base, ++k);
    }
    char **p = realloc(parent->subnames, sizeof(*p) * (size_t)(parent->nsub + 1));
    if (!p)
        return strdup(buf);
    parent->subnames = p;
    p[parent->nsub++] = strdup(buf);
    return strdup(buf);
}

int cprof_b_run(cprof_b *b, const char *sub, void (*fn)(cprof_b *b, void *arg), void *arg)
{
    struct cprof__bench *parent = b->priv, s;
    char rw[2048], full[4096];
    bool timer = parent->timer_on;

    parent->has_sub = true;
    rewrite(sub ? sub : "", rw, sizeof(rw));
    char *uniq = unique_name(parent, rw);
    if (!uniq)
        return 1;
    if (!match_level(parent->level + 1, uniq)) {
        free(uniq);
        return 1;
    }
    /* Go stops the parent's timer while a sub-benchmark runs. */
    cprof_b_stop_timer(b);
    memset(&s, 0, sizeof(s));
    snprintf(full, sizeof(full), "%s/%s", parent->name, uniq);
    free(uniq);
    s.name = strdup(full);
    s.level = parent->level + 1;
    s.subfn = fn;
    s.arg = arg;
    s.procs = parent->procs;
    s.parent = parent;
    if (g.pat.n > s.level + 1)
        s.loop_done_partial = true; /* partial match: only its sub-benchmarks run */
    if (s.name && run1(&s))
        process_bench(&s);
    bool ok = !s.failed;
    if (!ok)
        parent->failed = true;
    free(s.name);
    free(s.out);
    for (int i = 0; i < s.nsub; i++)
        free(s.subnames[i]);
    free(s.subnames);
    if (timer)
        cprof_b_start_timer(b);
    return ok;
}

/* ---- RunParallel ---- */

struct cprof_pb {
    struct par *par;
    uint64_t cache, left;
};

struct par {
    _Atomic uint64_t next;
    uint64_t n, grain;
    void (*body)(cprof_pb *pb, void *arg);
    void *arg;
};

int cprof_pb_next(cprof_pb *pb)
{
    if (pb->cache == 0) {
        uint64_t n = atomic_fetch_add(&pb->par->next, pb->par->grain);
        if (n >= pb->par->n)
            return 0;
        pb->cache = pb->par->grain;
        if (n + pb->cache > pb->par->n)
            pb->cache = pb->par->n - n;
    }
    pb->cache--;
    return 1;
}

static void *par_main(void *arg)
{
    struct par *p = arg;
    cprof_pb pb = {p, 0, 0};

    p->body(&pb, p->arg);
    return NULL;
}

void cprof_b_run_parallel(cprof_b *b, void (*body)(cprof_pb *pb, void *arg), void *arg)
{
    struct cprof__bench *s = b->priv;
    int procs = s->procs > 0 ? s->procs : 1;
    pthread_t th[1024];
    struct par p = {.n = (uint64_t)b->N, .grain = 1, .body = body, .arg = arg};

    if (b->N <= 0)
        return;
    /* Go: about 100 us of work per grab, at most 10000 iterations. */
    if (s->prev_n > 0 && s->prev_ns > 0) {
        int64_t per = s->prev_ns / s->prev_n;
        int64_t grain = per > 0 ? 100000 / per : 10000;
        p.grain = (uint64_t)(grain < 1 ? 1 : grain > 10000 ? 10000 : grain);
    }
    atomic_init(&p.next, 0);
    if (procs > 1024)
        procs = 1024;
    int started = 0;
    for (int i = 0; i < procs; i++)
        if (pthread_create(&th[started], NULL, par_main, &p) == 0)
            started++;
    if (!started)
        par_main(&p);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

/* ---- flags ---- */

static void usage_exit(const char *msg, const char *arg)
{
    fprintf(stderr, "flag provided but not defined or invalid: %s%s%s\n", msg, arg ? " " : "",
            arg ? arg : "");
    exit(2);
}

static int parse_cpu_list(const char *s)
{
    char buf[512], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", s);
    opts.ncpus = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        while (*t == ' ')
            t++;
        if (!*t)
            continue;
        long v = strtol(t, &end, 10);
        if (*end || v <= 0 || v > 1024 || opts.ncpus >= 64) {
            fprintf(stderr, "testing: invalid value \"%s\" for flag -test.cpu\n", s);
            exit(2);
        }
        opts.cpus[opts.ncpus++] = (int)v;
    }
    return opts.ncpus ? 0 : -1;
}

static int parse_flag(const char *name, const char *val)
{
    if (strcmp(name, "bench") == 0) {
        opts.bench = strdup(val);
    } else if (strcmp(name, "benchtime") == 0) {
        size_t l = strlen(val);
        if (l >= 1 && val[l - 1] == 'x') {
            char *end;
            errno = 0;
            long long n = strtoll(val, &end, 10);
            /* strconv.ParseInt: optional sign, then digits only */
            bool digits =
                l > 1 &&
                (isdigit((unsigned char)val[0]) ||
                 ((val[0] == '+' || val[0] == '-') && l > 2 && isdigit((unsigned char)val[1])));
            if (!digits || end != val + l - 1 || errno || n <= 0) {
                fprintf(stderr, "invalid value \"%s\" for flag -test.benchtime: invalid count\n",
                        val);
                exit(2);
            }
            opts.benchtime_n = n;
        } else if (cprof__bench_parse_duration(val, &opts.benchtime_ns) != 0 ||
                   opts.benchtime_ns < 0) {
            fprintf(stderr, "invalid value \"%s\" for flag -test.benchtime: invalid duration\n",
                    val);
            exit(2);
        } else {
            opts.benchtime_n = 0;
        }
    } else if (strcmp(name, "count") == 0) {
        opts.count = atoi(val);
        if (opts.count < 0)
            usage_exit("-test.count", val);
    } else if (strcmp(name, "cpu") == 0) {
        if (parse_cpu_list(val))
            usage_exit("-test.cpu", val);
    } else if (strcmp(name, "cpuprofile") == 0) {
        opts.cpuprofile = val;
    } else if (strcmp(name, "memprofile") == 0) {
        opts.memprofile = val;
    } else if (strcmp(name, "memprofilerate") == 0) {
        opts.memprofilerate = atol(val);
    } else if (strcmp(name, "timeout") == 0) {
        if (cprof__bench_parse_duration(val, &opts.timeout_ns))
            usage_exit("-test.timeout", val);
    } else if (strcmp(name, "run") == 0 || strcmp(name, "outputdir") == 0) {
        /* no tests in a C benchmark program: accepted and ignored (see -help) */
    } else if (strcmp(name, "blockprofile") == 0 || strcmp(name, "mutexprofile") == 0) {
        if (name[0] == 'b')
            opts.blockprofile = val;
        else
            opts.mutexprofile = val;
    } else if (strcmp(name, "blockprofilerate") == 0 || strcmp(name, "mutexprofilefraction") == 0) {
        char *end;
        (void)strtol(val, &end, 10);
        if (*end || end == val)
            usage_exit(name, val);
    } else if (strcmp(name, "cprof.only") == 0) {
        opts.only = atoi(val);
        opts.child = true;
    } else if (strcmp(name, "cprof.maxlen") == 0) {
        opts.maxlen = atoi(val);
    } else {
        return -1;
    }
    return 0;
}

static bool is_bool_flag(const char *name)
{
    return strcmp(name, "benchmem") == 0 || strcmp(name, "v") == 0 || strcmp(name, "short") == 0 ||
           strcmp(name, "json") == 0;
}

static void usage_help(void)
{
    printf("Usage of %s (a cprof benchmark program; Go's test flags, also as -test.NAME):\n"
           "  -bench regexp       run the benchmarks matching regexp (per level, split on '/')\n"
           "  -benchtime d|Nx     run each benchmark for duration d or N iterations (default 1s)\n"
           "  -benchmem           print B/op and allocs/op (bytes requested, every thread)\n"
           "  -count n            run each benchmark n times (default 1)\n"
           "  -cpu list           run each benchmark with these thread counts (-P suffix)\n"
           "  -cpuprofile file    CPU profile (file.BenchmarkName when several run)\n"
           "  -memprofile file    allocation profile (same naming)\n"
           "  -memprofilerate n   bytes between heap samples (1: every allocation)\n"
           "  -timeout d          fail after d (default none)\n"
           "  -blockprofile file, -mutexprofile file\n"
           "                      accepted; not supported yet: the runtime has no lock profile\n"
           "  -run regexp         accepted and ignored: a benchmark program has no tests\n"
           "  -v                  accepted; benchmark logs are always shown, as in Go\n",
           g.argv0 ? g.argv0 : "bench");
    exit(0);
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char name[128];
        const char *val = NULL;

        if (a[0] != '-')
            usage_exit(a, NULL);
        a += a[1] == '-' ? 2 : 1;
        if (strncmp(a, "test.", 5) == 0)
            a += 5;
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof(name))
            usage_exit(argv[i], NULL);
        memcpy(name, a, nl);
        name[nl] = 0;
        if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0) {
            g.argv0 = argv[0];
            usage_help();
        }
        if (eq)
            val = eq + 1;
        if (is_bool_flag(name)) {
            bool on = !val || strcmp(val, "true") == 0 || strcmp(val, "1") == 0;
            if (strcmp(name, "benchmem") == 0)
                opts.benchmem = on;
            else if (strcmp(name, "v") == 0)
                opts.v = on;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "flag needs an argument: -%s\n", name);
                exit(2);
            }
            val = argv[++i];
        }
        if (parse_flag(name, val))
            usage_exit(argv[i], NULL);
    }
}

/* Go's splitRegexp: split on '/' outside brackets and parentheses. */
static void compile_pattern(const char *re)
{
    char buf[4096];
    int depth = 0, start = 0;
    size_t n = strlen(re);

    g.pat.n = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = re[i];
        if (c == '[' || c == '(')
            depth++;
        else if ((c == ']' || c == ')') && depth > 0)
            depth--;
        else if (c == '\\' && i + 1 < n)
            i++;
        else if ((c == '/' && depth == 0) || c == 0) {
            size_t l = i - (size_t)start;
            if (l >= sizeof(buf) || g.pat.n >= MAX_LEVELS) {
                fprintf(stderr, "testing: invalid regexp for -test.bench: too long\n");
                exit(1);
            }
            memcpy(buf, re + start, l);
            buf[l] = 0;
            int err = regcomp(&g.pat.re[g.pat.n], buf, REG_EXTENDED | REG_NOSUB);
            if (err) {
                char msg[256];
                regerror(err, &g.pat.re[g.pat.n], msg, sizeof(msg));
                fprintf(stderr,
                        "testing: invalid regexp for element %d of -test.bench (\"%s\"): %s\n",
                        g.pat.n, buf, msg);
                exit(1);
            }
            g.pat.n++;
            start = (int)i + 1;
        }
    }
}

static void on_timeout(int sig)
{
    static const char msg[] = "panic: test timed out\n";
    (void)sig;
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(2);
}

/* pkg: CPROF_BENCH_PKG, else the first benchmark's source file name without .c */
static const char *pkg_name(void)
{
    static char buf[256];
    const char *env = getenv("CPROF_BENCH_PKG");

    if (env)
        return env;
    if (!nregs)
        return "";
    const char *f = strrchr(regs[0].file, '/');
    snprintf(buf, sizeof(buf), "%s", f ? f + 1 : regs[0].file);
    char *dot = strrchr(buf, '.');
    if (dot)
        *dot = 0;
    return buf;
}

static void run_top(int idx)
{
    struct cprof__bench s;

    memset(&s, 0, sizeof(s));
    s.name = malloc(strlen(regs[idx].name) + 10);
    if (!s.name)
        return;
    sprintf(s.name, "Benchmark%s", regs[idx].name);
    s.fn = regs[idx].fn;
    s.procs = opts.cpus[0];
    if (g.pat.n > 1)
        s.loop_done_partial = true;
    if (run1(&s))
        process_bench(&s);
    if (s.failed)
        g.failed = true;
    free(s.name);
    free(s.out);
    for (int i = 0; i < s.nsub; i++)
        free(s.subnames[i]);
    free(s.subnames);
}

static int open_profile(const char *base, const char *bench, bool several, char *path, size_t n)
{
    if (several)
        snprintf(path, n, "%s.%s", base, bench);
    else
        snprintf(path, n, "%s", base);
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/* Runs top-level benchmark idx in a child process with its own profiles. */
static int spawn_one(int idx)
{
    char onlyarg[64], lenarg[64];
    char **av = calloc((size_t)g.argc + 4, sizeof(*av));
    pid_t pid;
    int st;

    if (!av)
        return -1;
    for (int i = 0; i < g.argc; i++)
        av[i] = g.argv[i];
    snprintf(onlyarg, sizeof(onlyarg), "-test.cprof.only=%d", idx);
    snprintf(lenarg, sizeof(lenarg), "-test.cprof.maxlen=%d", g.maxlen);
    av[g.argc] = onlyarg;
    av[g.argc + 1] = lenarg;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execv("/proc/self/exe", av);
        _exit(127);
    }
    free(av);
    if (pid < 0)
        return -1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void write_profiles_start(const char *bench, bool several, int *cpu_fd)
{
    char path[4096];

    *cpu_fd = -1;
    if (opts.cpuprofile) {
        *cpu_fd = open_profile(opts.cpuprofile, bench, several, path, sizeof(path));
        if (*cpu_fd < 0 || cprof_cpu_start(*cpu_fd, 100) != 0) {
            fprintf(stderr, "testing: cannot start CPU profile '%s'\n", path);
            exit(1);
        }
    }
}

static void write_profiles_end(const char *bench, bool several, int cpu_fd)
{
    char path[4096];

    if (cpu_fd >= 0) {
        cprof_cpu_stop();
        close(cpu_fd);
    }
    if (opts.memprofile) {
        int fd = open_profile(opts.memprofile, bench, several, path, sizeof(path));
        int err = fd < 0 ? -errno : cprof_heap_write(fd, CPROF_HEAP_ALLOCS);
        if (fd >= 0)
            close(fd);
        if (err) {
            fprintf(stderr, "testing: cannot write memory profile '%s': %s\n", path,
                    cprof_strerror(err));
            exit(1);
        }
    }
}

int cprof_bench_main(int argc, char **argv)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int selected[MAX_BENCH], nsel = 0, maxp = 1;
    char name[4096];

    g.argc = argc;
    g.argv = argv;
    opts.cpus[0] = ncpu > 0 ? (int)ncpu : 1;
    opts.ncpus = 1;
    parse_args(argc, argv);
    for (int i = 0; i < 2 && !opts.child; i++) {
        const char *f = i ? opts.mutexprofile : opts.blockprofile;
        if (f) /* on stderr: the output stays Go's */
            fprintf(stderr,
                    "cprof-bench: -%s %s: not supported yet (the runtime has no %s "
                    "profile); no file written\n",
                    i ? "mutexprofile" : "blockprofile", f, i ? "mutex" : "block");
    }
    qsort(regs, (size_t)nregs, sizeof(regs[0]), reg_cmp);
    g.pkg = pkg_name();
    long rate = opts.memprofile ? (opts.memprofilerate > 0 ? opts.memprofilerate : 0) : HUGE_RATE;
    g.counting = cprof_heap_start(rate) == 0;
    free(malloc(1)); /* registers this thread with the counters */
    if (opts.timeout_ns > 0) {
        signal(SIGALRM, on_timeout);
        alarm((unsigned)((opts.timeout_ns + 999999999) / 1000000000));
    }
    if (opts.bench && *opts.bench) {
        compile_pattern(opts.bench);
        for (int i = 0; i < opts.ncpus; i++)
            if (opts.cpus[i] > maxp)
                maxp = opts.cpus[i];
        bench_name(name, sizeof(name), "", maxp);
        g.extlen = (int)strlen(name);
        for (int i = 0; i < nregs; i++) {
            snprintf(name, sizeof(name), "Benchmark%s", regs[i].name);
            if (!match_level(0, name))
                continue;
            selected[nsel++] = i;
            int l = (int)strlen(name) + (maxp != 1 ? g.extlen : 0) + g.extlen + 1;
            if (l > g.maxlen)
                g.maxlen = l;
        }
        if (opts.maxlen > g.maxlen)
            g.maxlen = opts.maxlen;
        bool several = nsel > 1;
        bool profiles = opts.cpuprofile || opts.memprofile;
        if (opts.child) {
            int cpu_fd;
            int idx = opts.only;
            if (idx < 0 || idx >= nregs)
                return 2;
            snprintf(name, sizeof(name), "Benchmark%s", regs[idx].name);
            write_profiles_start(name, true, &cpu_fd);
            run_top(idx);
            write_profiles_end(name, true, cpu_fd);
            fflush(stdout);
            return g.failed ? 1 : 0;
        }
        if (several && profiles) {
            print_labels();
            for (int k = 0; k < nsel; k++)
                if (spawn_one(selected[k]) != 0)
                    g.failed = true;
        } else {
            int cpu_fd = -1;
            if (profiles)
                write_profiles_start(name, false, &cpu_fd);
            for (int k = 0; k < nsel; k++)
                run_top(selected[k]);
            if (profiles)
                write_profiles_end(name, false, cpu_fd);
        }
    }
    if (g.failed) {
        printf("FAIL\n");
        fflush(stdout);
        return 1;
    }
    printf("PASS\n");
    fflush(stdout);
    return 0;
}
