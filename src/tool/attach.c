/*
 * `cprof attach [-seconds N] [-hz N] [-cpu FILE] [-wall FILE] PID`:
 * profiles a running process that has no cprof in it, for N seconds (or
 * until ^C or the process exits), then writes the profiles and prints
 * the top as `cprof run` does.  The pieces are described in attach.h.
 *
 * Each 10 ms the perf buffers are drained and every sample unwound at
 * once (its stack copy is not kept); in -wall mode the blocked threads are
 * sampled at the same rate.  Samples whose pc lies outside every mapping
 * known (an object loaded since) make the mappings and tables be read
 * again, at most once a second.
 */
#include "tool/attach.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "model/codec.h"
#include "model/profile.h"
#include "sym/maps.h"
#include "sym/symbolize.h"
#include "tool/cmd_run.h"

struct attach_opts {
    double seconds;   /* -seconds N */
    int hz;           /* -hz N */
    const char *cpu;  /* -cpu FILE, or NULL: the default name when no -wall */
    const char *wall; /* -wall FILE, or NULL */
    int pid;
};

/* The session: what the sample callbacks fill. */
struct session {
    struct attach_opts o;
    struct cprof_attach_objs objs;
    struct cprof_profile *cpu;        /* samples/count, cpu/nanoseconds */
    struct cprof_profile *wall;       /* samples/count, wall/nanoseconds, label state; or NULL */
    struct cprof_attach_wall *wstate; /* -wall's per-thread state, or NULL */
    uintptr_t pcs[CPROF_ATTACH_MAX_DEPTH];
    uint64_t samples;    /* perf samples used */
    uint64_t no_regs;    /* perf samples without user registers */
    uint64_t unknown_pc; /* samples at a pc outside the known mappings */
    uint64_t refreshes;  /* tables rebuilt for objects loaded meanwhile */
    uint64_t last_refresh_ns;
    uint64_t cpu_ns;             /* task-clock ns sampled */
    uint64_t start_ns;           /* monotonic: the command started */
    uint64_t tables_ns;          /* monotonic: maps read and unwind tables built */
    uint64_t armed_ns;           /* monotonic: every event open */
    uint64_t first_ns;           /* monotonic: the first sample was unwound; 0 = none yet */
    int err;                     /* first error adding to a profile */
    uint32_t state_key, running; /* strings of the wall profile */
};

/* -wall ticks take at most 1/WALL_BUDGET of a core (see run_loop). */
#define WALL_BUDGET 10

/* How often /proc/PID/task is listed for new threads (plus 0.1 ms per thread). */
#define SCAN_NS (20 * 1000 * 1000ull)

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: cprof attach [-seconds N] [-hz N] [-cpu FILE] [-wall FILE] PID\n");
    return 2;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Accepts -flag VALUE, -flag=VALUE and the same with two dashes. */
static const char *flag_value(char **argv, int *i, int argc, const char *name)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    a += a[1] == '-' ? 2 : 1;
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != 0 || *i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static int parse(int argc, char **argv, struct attach_opts *o)
{
    const char *v;
    char *end;
    int i;

    memset(o, 0, sizeof(*o));
    o->seconds = 30;
    o->hz = 100;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if ((v = flag_value(argv, &i, argc, "seconds")) != NULL) {
            o->seconds = strtod(v, &end);
            if (*end || !(o->seconds > 0) || o->seconds > 1e7) {
                fprintf(stderr, "cprof attach: bad -seconds '%s'\n", v);
                return -1;
            }
        } else if ((v = flag_value(argv, &i, argc, "hz")) != NULL) {
            long hz = strtol(v, &end, 10);
            if (*end || hz < 1 || hz > 10000) {
                fprintf(stderr, "cprof attach: bad -hz '%s': want 1..10000\n", v);
                return -1;
            }
            o->hz = (int)hz;
        } else if ((v = flag_value(argv, &i, argc, "cpu")) != NULL) {
            o->cpu = v;
        } else if ((v = flag_value(argv, &i, argc, "wall")) != NULL) {
            o->wall = v;
        } else {
            fprintf(stderr, "cprof attach: unknown flag '%s'\n", argv[i]);
            return -1;
        }
    }
    if (i + 1 != argc)
        return -1;
    long pid = strtol(argv[i], &end, 10);
    if (*end || pid <= 0 || pid > 0x3fffffff) {
        fprintf(stderr, "cprof attach: bad PID '%s'\n", argv[i]);
        return -1;
    }
    o->pid = (int)pid;
    return 0;
}

/* Adds a stack (return addresses stored minus one, as the runtime does) to p. */
static int add_stack(struct cprof_profile *p, const uintptr_t *pcs, int n, int64_t v0, int64_t v1,
                     const struct cprof_label *label)
{
    uint32_t locs[CPROF_ATTACH_MAX_DEPTH];
    int64_t values[2] = {v0, v1};
    int err = 0;

    for (int i = 0; i < n && !err; i++)
        err = cprof_profile_add_location(p, CPROF_NONE, i == 0 ? pcs[i] : pcs[i] - 1, NULL, 0,
                                         false, &locs[i]);
    if (!err)
        err = cprof_profile_add_sample(p, locs, (uint32_t)n, values, label, label ? 1 : 0,
                                       CPROF_ADD_MERGE);
    return err;
}

static void on_cpu_sample(void *ctx, const struct cprof_attach_sample *s)
{
    struct session *S = ctx;
    uint64_t regs[2] = {s->bp, s->bx};
    int n, err;

    if (!s->has_regs) {
        S->no_regs++;
        return;
    }
    if (!cprof_attach_objs_knows(&S->objs, s->ip)) {
        S->unknown_pc++;
        uint64_t now = mono_ns();
        if (now - S->last_refresh_ns > 1000000000ull) { /* an object loaded since: read again */
            S->last_refresh_ns = now;
            if (cprof_attach_objs_refresh(&S->objs) == 0)
                S->refreshes++;
        }
    }
    n = cprof_attach_unwind(&S->objs, (uintptr_t)s->ip, (uintptr_t)s->sp, (const uintptr_t *)regs,
                            s->stack, (size_t)s->stack_len, S->pcs, CPROF_ATTACH_MAX_DEPTH);
    if (n <= 0)
        return;
    S->samples++;
    S->cpu_ns += s->period;
    if (!S->first_ns)
        S->first_ns = mono_ns();
    err = add_stack(S->cpu, S->pcs, n, 1, (int64_t)s->period, NULL);
    if (!err && S->wall) {
        struct cprof_label l = {.key = S->state_key, .str = S->running};
        err = add_stack(S->wall, S->pcs, n, 1, (int64_t)s->period, &l);
        cprof_attach_wall_note_cpu(S->wstate, (int)s->tid, S->pcs, n);
    }
    if (err && !S->err)
        S->err = err;
}

static void on_wall_sample(void *ctx, int tid, const uintptr_t *pcs, int n, const char *state,
                           int64_t ns)
{
    struct session *S = ctx;
    struct cprof_label l = {.key = S->state_key};
    int err;

    (void)tid;
    err = cprof_profile_intern_cstr(S->wall, state, &l.str);
    if (!err)
        err = add_stack(S->wall, pcs, n, 1, ns, &l);
    if (err && !S->err)
        S->err = err;
}

static struct cprof_profile *new_profile(const char *type, int hz)
{
    struct cprof_profile *p = cprof_profile_new();

    if (!p)
        return NULL;
    if (cprof_profile_add_sample_type(p, "samples", "count") ||
        cprof_profile_add_sample_type(p, type, "nanoseconds") ||
        cprof_profile_intern_cstr(p, type, &p->period_type.type) ||
        cprof_profile_intern_cstr(p, "nanoseconds", &p->period_type.unit)) {
        cprof_profile_free(p);
        return NULL;
    }
    p->period = 1000000000ll / hz;
    return p;
}

/* The target's user + system CPU time, ns (clock ticks), or -1. */
static int64_t process_cpu_ns(int pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ut, st;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    p = strrchr(buf, ')');
    /* After ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (int64_t)((ut + st) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK)));
}

static bool alive(int pid)
{
    char path[64], buf[512], *p;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static void comm_of(int pid, char *out, size_t n)
{
    char path[64];
    FILE *f;

    snprintf(out, n, "pid");
    snprintf(path, sizeof(path), "/proc/%d/comm", pid);
    f = fopen(path, "re");
    if (f) {
        if (fgets(out, (int)n, f))
            out[strcspn(out, "\n/ ")] = 0;
        fclose(f);
    }
}

/* The target's mappings (with build ids) and symbols, from the files it maps. */
static int symbolize(struct cprof_profile *p, int pid, const struct cprof_maps *before)
{
    struct cprof_maps now;
    struct cprof_symbolizer *s;
    int err;

    cprof_maps_init(&now);
    err = cprof_maps_read(&now, pid, CPROF_MAPS_BUILD_IDS);
    /* The process may have exited meanwhile: the mappings seen while sampling then. */
    const struct cprof_maps *m = err ? before : &now;
    for (size_t i = 0; i < m->n; i++) {
        struct cprof_mapping mp = {
            .start = m->v[i].start, .limit = m->v[i].limit, .offset = m->v[i].offset};
        uint32_t pos;
        err = cprof_profile_intern_cstr(p, m->v[i].path, &mp.filename);
        if (!err && m->v[i].build_id[0])
            err = cprof_profile_intern_cstr(p, m->v[i].build_id, &mp.build_id);
        if (!err)
            err = cprof_profile_add_mapping(p, &mp, &pos);
        if (err)
            break;
    }
    for (uint32_t i = 0; i < p->nlocations && !err; i++)
        for (uint32_t k = 0; k < p->nmappings; k++)
            if (p->locations[i].address >= p->mappings[k].start &&
                p->locations[i].address < p->mappings[k].limit) {
                p->locations[i].mapping = k;
                break;
            }
    cprof_maps_release(&now);
    if (err)
        return err;
    s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD | CPROF_SYM_LOAD_DEMANGLER);
    if (!s)
        return -ENOMEM;
    err = cprof_symbolize_profile(p, s, 0, NULL);
    cprof_symbolizer_free(s);
    return err;
}

static int write_profile(struct session *S, struct cprof_profile *p, const char *path,
                         const char *kind, const char *comment)
{
    struct cprof_buf buf;
    int err;

    err = cprof_profile_add_comment(p, comment);
    if (!err)
        err = symbolize(p, S->o.pid, &S->objs.maps);
    cprof_buf_init(&buf, 0);
    if (!err)
        err = cprof_profile_encode(p, true, &buf);
    if (!err)
        err = cprof_file_write_atomic(path, buf.data, buf.len);
    cprof_buf_release(&buf);
    if (err) {
        fprintf(stderr, "cprof attach: cannot write '%s': %s\n", path, cprof_strerror(err));
        return err;
    }
    fprintf(stderr, "cprof: %s profile written to %s\n", kind, path);
    cprof_run_print_top(p, 10);
    return 0;
}

/* Samples until the time is up, ^C, or the target exits. */
static void run_loop(struct session *S, struct cprof_attach_perf *perf,
                     struct cprof_attach_wall *wall, uint64_t t0)
{
    struct cprof_attach_sink sink = {on_cpu_sample, S};
    struct cprof_attach_wall_sink wsink = {on_wall_sample, S};
    uint64_t end = t0 + (uint64_t)(S->o.seconds * 1e9), tick = 1000000000ull / (unsigned)S->o.hz;
    uint64_t next_wall = t0 + tick, next_scan = t0 + SCAN_NS, next_alive = t0 + 1000000000ull;
    bool wall_ok = true;
    char why[512];

    while (!g_stop) {
        uint64_t now = mono_ns();
        if (now >= end)
            break;
        cprof_attach_perf_drain(perf, &sink);
        if (wall && wall_ok && now >= next_wall) {
            if (cprof_attach_wall_tick(wall, now, &S->objs, &wsink, why, sizeof(why)) != 0) {
                fprintf(stderr, "cprof attach: %s\n", why);
                wall_ok = false; /* the CPU samples go on */
            }
            /*
             * A tick reads a /proc file per thread (~20 us): with many
             * threads, space ticks so they take at most WALL_BUDGET of a
             * core.  Weights are elapsed times, so totals stay right.
             */
            uint64_t cost = mono_ns() - now;
            next_wall += tick;
            if (next_wall < now + cost * WALL_BUDGET)
                next_wall = now + cost * WALL_BUDGET;
        }
        if (now >= next_alive) {
            if (!alive(S->o.pid))
                break;
            next_alive = now + 1000000000ull;
        }
        if (now >= next_scan) { /* new threads: a listing costs ~0.1 ms per 100 threads */
            struct cprof_attach_perf_stats ps;
            cprof_attach_perf_rescan(perf);
            cprof_attach_perf_stats(perf, &ps);
            next_scan = mono_ns() + SCAN_NS + ps.threads * 100000ull;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        if (wall && tick < 10000000ull)
            ts.tv_nsec = (long)tick;
        nanosleep(&ts, NULL);
    }
    cprof_attach_perf_disable(perf);
    cprof_attach_perf_drain(perf, &sink);
}

static void comments(struct session *S, struct cprof_attach_perf *perf,
                     struct cprof_attach_wall *wall, int64_t used_ns, char *out, size_t n)
{
    struct cprof_attach_perf_stats ps;

    cprof_attach_perf_stats(perf, &ps);
    snprintf(out, n,
             "cprof attach: pid=%d sampler=perf-task-clock hz=%d samples=%llu cpu_ns=%llu "
             "process_cpu_ns=%lld threads=%llu events=%llu ring_bytes=%zu lost=%llu "
             "late_threads=%llu other_pid=%llu no_regs=%llu unknown_pc=%llu "
             "refreshes=%llu unreadable_objects=%u tables_ms=%.1f armed_ms=%.1f "
             "first_sample_ms=%.1f",
             S->o.pid, S->o.hz, (unsigned long long)S->samples, (unsigned long long)S->cpu_ns,
             (long long)used_ns, (unsigned long long)ps.threads, (unsigned long long)ps.events,
             ps.ring_bytes, (unsigned long long)ps.lost, (unsigned long long)ps.late,
             (unsigned long long)ps.other_pid, (unsigned long long)S->no_regs,
             (unsigned long long)S->unknown_pc, (unsigned long long)S->refreshes, S->objs.skipped,
             (double)(S->tables_ns - S->start_ns) / 1e6, (double)(S->armed_ns - S->start_ns) / 1e6,
             S->first_ns ? (double)(S->first_ns - S->start_ns) / 1e6 : -1.0);
    if (wall) {
        struct cprof_attach_wall_stats ws;
        size_t len = strlen(out);
        cprof_attach_wall_stats(wall, &ws);
        snprintf(out + len, n - len,
                 " wall_ticks=%llu wall_captures=%llu wall_reused=%llu "
                 "wall_failed=%llu",
                 (unsigned long long)ws.ticks, (unsigned long long)ws.captures,
                 (unsigned long long)ws.reused, (unsigned long long)ws.failed);
    }
}

/* Opens everything, samples, writes; the exit status. */
static int session_run(struct session *S)
{
    struct cprof_attach_perf *perf = NULL;
    struct cprof_attach_wall *wall = NULL;
    char why[512], name[64], def[128], text[1024];
    int err, status = 1;

    err = cprof_attach_objs_refresh(&S->objs);
    S->tables_ns = mono_ns();
    if (err == -EACCES || err == -EPERM) {
        fprintf(stderr,
                "cprof attach: cannot read /proc/%d/maps: not allowed to look at that "
                "process (another user's, or not dumpable): run cprof as its user, or with "
                "CAP_SYS_PTRACE (root)\n",
                S->o.pid);
        return 1;
    }
    if (err) {
        fprintf(stderr, "cprof attach: cannot read process %d: %s\n", S->o.pid,
                err == -ENOENT ? "no such process" : cprof_strerror(err));
        return 1;
    }
    S->cpu = new_profile("cpu", S->o.hz);
    S->wall = S->o.wall ? new_profile("wall", S->o.hz) : NULL;
    if (!S->cpu || (S->o.wall && !S->wall) ||
        (S->wall && (cprof_profile_intern_cstr(S->wall, "state", &S->state_key) ||
                     cprof_profile_intern_cstr(S->wall, "running", &S->running))) ||
        (S->o.wall && cprof_attach_wall_new(S->o.pid, &wall) != 0)) {
        fprintf(stderr, "cprof attach: out of memory\n");
        goto out;
    }
    S->wstate = wall;
    int64_t used0 = process_cpu_ns(S->o.pid);
    uint64_t t0 = mono_ns();
    struct timespec wall0;
    clock_gettime(CLOCK_REALTIME, &wall0);
    err = cprof_attach_perf_open(S->o.pid, S->o.hz, &perf, why, sizeof(why));
    if (err) {
        fprintf(stderr, "cprof attach: %s\n", why);
        goto out;
    }
    S->armed_ns = mono_ns();
    if (why[0])
        fprintf(stderr, "cprof attach: some threads are not sampled: %s\n", why);
    S->last_refresh_ns = t0;
    fprintf(stderr, "cprof attach: sampling process %d at %d Hz for %.3g s (^C stops)\n", S->o.pid,
            S->o.hz, S->o.seconds);
    run_loop(S, perf, wall, t0);
    int64_t used1 = process_cpu_ns(S->o.pid);
    int64_t dur = (int64_t)(mono_ns() - t0);
    comments(S, perf, wall, used0 >= 0 && used1 >= used0 ? used1 - used0 : -1, text, sizeof(text));
    fprintf(stderr, "cprof attach: %.2f s: %llu samples, %.3f s CPU sampled", (double)dur / 1e9,
            (unsigned long long)S->samples, (double)S->cpu_ns / 1e9);
    if (used0 >= 0 && used1 >= used0)
        fprintf(stderr, "; the process used %.3f s CPU meanwhile", (double)(used1 - used0) / 1e9);
    fprintf(stderr, "\n");
    if (S->err) {
        fprintf(stderr, "cprof attach: %s\n", cprof_strerror(S->err));
        goto out;
    }
    for (struct cprof_profile *p = S->cpu; p; p = p == S->cpu ? S->wall : NULL) {
        p->time_nanos = (int64_t)wall0.tv_sec * 1000000000ll + wall0.tv_nsec;
        p->duration_nanos = dur;
    }
    status = 0;
    if (S->o.cpu || !S->o.wall) {
        comm_of(S->o.pid, name, sizeof(name));
        snprintf(def, sizeof(def), "cprof.%s.%d.cpu.pb.gz", name, S->o.pid);
        if (write_profile(S, S->cpu, S->o.cpu ? S->o.cpu : def, "CPU", text) != 0)
            status = 1;
    }
    if (S->wall && write_profile(S, S->wall, S->o.wall, "wall-clock", text) != 0)
        status = 1;
out:
    cprof_attach_perf_close(perf);
    cprof_attach_wall_free(wall);
    return status;
}

int cprof_cmd_attach(int argc, char **argv)
{
    struct session S;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    int status;

    memset(&S, 0, sizeof(S));
    S.start_ns = mono_ns();
    if (parse(argc, argv, &S.o) < 0)
        return usage();
    if (S.o.pid == getpid()) {
        fprintf(stderr, "cprof attach: cannot attach to itself\n");
        return 2;
    }
    cprof_attach_objs_init(&S.objs, S.o.pid);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    status = session_run(&S);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    cprof_attach_objs_release(&S.objs);
    cprof_profile_free(S.cpu);
    cprof_profile_free(S.wall);
    return status;
}
