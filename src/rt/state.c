/*
 * The runtime singleton, its configuration from the environment, the
 * library constructor and destructor, and the runtime's warnings.
 *
 * Environment (read once, by the constructor):
 *   CPROF_CPU=FILE        profile CPU from start to exit, written to FILE
 *   CPROF_HZ=N            sampling rate, samples per CPU second (default 100)
 *   CPROF_DEPTH=N         max frames per sample (default 128)
 *   CPROF_CPU_TIMER=perf|posix|itimer   force a sampling mechanism
 *   CPROF_SIGNAL=N        force the signal of the perf/posix mechanisms
 *   CPROF_HEAP, CPROF_MEMRATE, ...  the heap profiler: see src/rt/heap.c
 *   CPROF_HTTP=ADDR       serve /debug/pprof/ on ADDR (host:port; loopback
 *                         only unless CPROF_HTTP_ALLOW_REMOTE=1), src/rt/http.c
 *
 * Processes: the first process that profiles with CPROF_CPU=FILE writes
 * FILE and records itself in CPROF_CPU_PID.  A program it execs after a
 * fork (any descendant, whose pid differs) writes FILE.<pid> instead, so
 * nothing is clobbered.  A forked child that does not exec is followed:
 * its CPU session starts over, empty (the parent's samples belong to the
 * parent), and is written to FILE.<pid> at its exit (cpu.c,
 * cprof__fork_child); with CPROF_HTTP it serves its own endpoint (http.c).
 * Code run in a vfork or posix_spawn child never touches this state: the
 * pid check below.  Samples of an image that execs are lost (exec runs no
 * destructors).
 * A process killed by SIGINT, SIGTERM or SIGHUP writes at the signal
 * (src/rt/exitsig.c): the destructor's work is cprof__rt_exit_work, run
 * once by whichever of the destructor and the exit thread comes first.
 */
#include "rt/rt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cprof.h"
#include "rt/http.h"
#include "rt/sig/unwind.h"
#include "rt/threads.h"

/*
 * The one runtime singleton.
 *
 * Threading contract: `lock` guards every field, with these exceptions.
 * `heap` has its own locks and rules (rt/heap.h): malloc wrappers reach
 * it on any thread.  `sig` is also read by the signal handler, on any thread at any time:
 * its configuration fields change only while sig.active is zero and no
 * handler is in flight; slot rings follow the single-producer (handler) /
 * single-consumer (lock holder) protocol of rt/sig/cpu_sig.h.  `inited`
 * and `pid` are written by the constructor (or the first API call) before
 * any other thread of ours exists, and by the fork child handler.  No
 * function called from a signal handler takes `lock`.
 */
static struct cprof_rt g_rt = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .cpu = {.out_fd = -1},
    .heap = {.lock = PTHREAD_MUTEX_INITIALIZER,
             .start_lock = PTHREAD_MUTEX_INITIALIZER,
             .bg_lock = PTHREAD_MUTEX_INITIALIZER,
             .bg_wake = PTHREAD_COND_INITIALIZER},
};

struct cprof_rt *const cprof__rt = &g_rt;
struct cprof_cpu_sig *const cprof__cpu_sig = &g_rt.sig;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

__attribute__((format(printf, 1, 0))) static void vwarn(const char *fmt, va_list ap)
{
    char msg[512];
    int saved_errno = errno;
    int n = snprintf(msg, sizeof(msg), "cprof: ");

    n += vsnprintf(msg + n, sizeof(msg) - (size_t)n - 1, fmt, ap);
    if (n > (int)sizeof(msg) - 2)
        n = (int)sizeof(msg) - 2;
    msg[n++] = '\n';
    if (write(STDERR_FILENO, msg, (size_t)n) < 0) {
        /* nowhere left to complain */
    }
    errno = saved_errno;
}

void cprof__warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
}

void cprof__warn_once(uint32_t bit, const char *fmt, ...)
{
    va_list ap;

    if (__atomic_fetch_or(&g_rt.warned, bit, __ATOMIC_RELAXED) & bit)
        return;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
}

/* Parses a positive integer variable; def when unset, def (and a warning) when bad. */
static int env_int(const char *name, int def, int lo, int hi)
{
    const char *s = getenv(name);
    char *end;
    long v;

    if (!s || !*s)
        return def;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        cprof__warn("ignoring %s='%s': want an integer in [%d, %d]", name, s, lo, hi);
        return def;
    }
    return (int)v;
}

static void read_config(struct cprof_rt_cfg *cfg)
{
    const char *s;

    cfg->hz = env_int("CPROF_HZ", 100, 1, 100000);
    cfg->depth = env_int("CPROF_DEPTH", 128, 1, 1024);
    cfg->signo = env_int("CPROF_SIGNAL", 0, 1, 64);
    cfg->timer = 0;
    s = getenv("CPROF_CPU_TIMER");
    if (s && *s) {
        if (!strcmp(s, "perf"))
            cfg->timer = CPROF_CPU_PERF;
        else if (!strcmp(s, "posix"))
            cfg->timer = CPROF_CPU_POSIX;
        else if (!strcmp(s, "itimer"))
            cfg->timer = CPROF_CPU_ITIMER;
        else
            cprof__warn("ignoring CPROF_CPU_TIMER='%s': want perf, posix or itimer", s);
    }
    s = getenv("CPROF_CPU");
    if (s && *s) {
        if (strlen(s) >= sizeof(cfg->cpu_file))
            cprof__warn("ignoring CPROF_CPU: path too long");
        else
            strcpy(cfg->cpu_file, s);
    }
}

/*
 * Fork.  Every lock of the runtime is either taken by prepare (so the
 * child finds it free and what it guards whole) or taken over by the
 * child when only a thread the child does not have could hold it (the
 * writer's, the endpoint's).  Prepare takes them in the runtime's lock
 * order: g_rt.lock, the heap's start_lock and lock, the loader-walk lock
 * (no thread of ours is then inside the loader's lock, which glibc would
 * leave held in the child), threadcreate's lock.
 */
static void fork_prepare(void)
{
    cprof__fork_prepare();
    cprof__heap_fork_prepare();
    cprof__unwind_fork_prepare();
    cprof__threads_fork_prepare();
}

static void fork_parent(void)
{
    cprof__threads_fork_parent();
    cprof__unwind_fork_parent();
    cprof__heap_fork_parent();
    cprof__fork_parent();
}

static void fork_child(void)
{
    cprof__threads_fork_child();
    cprof__unwind_fork_child();
    cprof__heap_fork_child();
    cprof__http_fork_child();
    cprof__fork_child();
}

static void init_once_fn(void)
{
    g_rt.pid = getpid();
    read_config(&g_rt.cfg);
    g_rt.thr_key_ok = pthread_key_create(&g_rt.thr_key, cprof__thread_end) == 0;
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    /* Unwind tables are built here, outside any signal handler. */
    int err = cprof__unwind_setup();
    if (err)
        cprof__warn("unwinder setup failed: %s; stacks will be short", cprof_strerror(err));
    cprof_unwind_thread_init();
    /* A vfork child must find them resolved: dlsym may allocate. */
    cprof__exec_resolve();
    cprof__sig_resolve();
    g_rt.inited = true;
}

void cprof__rt_ensure_init(void)
{
    pthread_once(&init_once, init_once_fn);
}

/* FILE for the first profiled process, FILE.<pid> for its descendants. */
static void env_output_path(char *out, size_t n)
{
    const char *owner = getenv("CPROF_CPU_PID");
    pid_t pid = getpid();
    char buf[32];

    if (owner && *owner && atol(owner) != (long)pid) {
        snprintf(out, n, "%s.%ld", g_rt.cfg.cpu_file, (long)pid);
        return;
    }
    snprintf(out, n, "%s", g_rt.cfg.cpu_file);
    if (!owner || !*owner) {
        snprintf(buf, sizeof(buf), "%ld", (long)pid);
        setenv("CPROF_CPU_PID", buf, 1);
    }
}

/* CPROF_HTTP: the first process serves; descendants that inherit it do not. */
static void start_http(void)
{
    const char *addr = getenv("CPROF_HTTP");
    const char *owner = getenv("CPROF_HTTP_PID");
    char buf[32];
    int err;

    if (!addr || !*addr || (owner && *owner && atol(owner) != (long)getpid()))
        return;
    snprintf(buf, sizeof(buf), "%ld", (long)getpid());
    setenv("CPROF_HTTP_PID", buf, 1);
    err = cprof__http_start(addr);
    if (err)
        cprof__warn("cannot serve on '%s': %s", addr, cprof_strerror(err));
    /* Go's /heap and /allocs always answer: sample the heap (CPROF_MEMRATE, default 512 KiB). */
    else if ((err = cprof_heap_start(0)) != 0)
        cprof__warn("heap sampling for the endpoint: %s", cprof_strerror(err));
}

__attribute__((constructor)) static void rt_ctor(void)
{
    char path[sizeof(g_rt.cpu.out_path)];
    int err;

    cprof__rt_ensure_init();
    cprof__heap_init();
    cprof__heap_enter(); /* setenv and the server thread's start are the runtime's */
    start_http();
    cprof__heap_leave();
    if (g_rt.cfg.cpu_file[0]) {
        cprof__heap_enter(); /* its setenv is the runtime's */
        env_output_path(path, sizeof(path));
        cprof__heap_leave();
        pthread_mutex_lock(&g_rt.lock);
        err = cprof__cpu_start_locked(-1, path, g_rt.cfg.hz);
        pthread_mutex_unlock(&g_rt.lock);
        if (err)
            cprof__warn("cannot start CPU profile '%s': %s", path, cprof_strerror(err));
    }
    /* A program killed by SIGINT/SIGTERM/SIGHUP still writes what it was asked to. */
    pthread_mutex_lock(&g_rt.lock);
    bool cpu = g_rt.cpu.running;
    pthread_mutex_unlock(&g_rt.lock);
    if (cpu || g_rt.heap.file[0] || g_rt.heap.leaks) {
        cprof__heap_enter();
        cprof__exitsig_start();
        cprof__heap_leave();
    }
}

void cprof__rt_exit_work(int signo)
{
    cprof__heap_enter(); /* the CPU profile's writing is the runtime's own work */
    cprof__http_stop();
    pthread_mutex_lock(&g_rt.lock);
    if (g_rt.cpu.running)
        cprof__cpu_stop_locked();
    pthread_mutex_unlock(&g_rt.lock);
    cprof__heap_leave();
    if (signo)
        cprof__heap_exit_signal(signo);
    cprof__heap_fini();
}

/* Runs after the program's atexit handlers (the loader's fini runs last). */
__attribute__((destructor)) static void rt_dtor(void)
{
    if (!g_rt.inited || getpid() != g_rt.pid)
        return; /* a vfork child calling exit() must not touch the parent's state */
    cprof__exit_run(0);
}

CPROF_EXPORT int cprof_http_start(const char *addr)
{
    if (!addr || !*addr)
        return CPROF_EUSAGE;
    cprof__rt_ensure_init();
    return cprof__http_start(addr);
}
