/*
 * CPU time the sampler could not see: threads that block its signal.
 *
 * The pthread_create trampoline and the mask wrappers (sigown.c) keep the
 * sampling signal deliverable, but some threads still block it: one that
 * blocked it before the runtime owned the signal, one that used a raw
 * rt_sigprocmask system call, one created by clone() outside pthreads.
 * Their timers fire, the signals stay pending, and the profile would
 * silently leave their CPU time out.
 *
 * Every writer tick (and once more at stop), for each sampled thread, the
 * thread's CPU clock is compared with its ring's record count.  A thread
 * that used at least two periods of CPU since its last sample has its
 * SigBlk read from /proc/self/task/TID/status; when the sampling signal is
 * blocked there, that CPU time is counted, and so is the CPU it uses while
 * no sample comes.  If samples come back later
 * (the thread unblocked), the first ones carry the missed time in their
 * weight (a POSIX timer's overruns; for perf events, at most
 * CPROF_PERF_REFRESH periods queued before the event paused), so that much
 * is taken back.  The total goes into the profile as a sample on a
 * "(not sampled: signal S blocked)" frame, so totals stay right and an
 * endpoint profile of such a program is never silently empty, with a
 * comment, and once on stderr: "N ms of CPU in threads that block signal
 * S were not sampled".
 */
#include "rt/rt.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/profile.h"

#define S (cprof__rt->sig)

enum {
    WARN_BLOCKED = 1 << 13,
};

/* One per slot of the sampler's table (same index). */
struct blk {
    pid_t tid;          /* thread this entry follows; 0 = none */
    int64_t cpu_prev;   /* its CPU clock at the previous tick, ns */
    uint64_t head_prev; /* its ring's head at the previous tick */
    int64_t quiet;      /* CPU ns since its last sample */
    int64_t pending;    /* CPU ns while blocked, not yet committed */
    bool blocking;      /* blocked at the last check */
    bool counted;       /* counted in g_threads */
};

/* Lock held for all of these. */
static struct blk *g_blk;
static uint32_t g_nblk;
static uint64_t g_unsampled_ns; /* committed total */
static uint64_t g_threads;      /* threads that contributed */

static int64_t thread_cpu_ns(pid_t tid, bool *ok)
{
    /* The kernel's CPU clock id of thread tid (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)). */
    clockid_t c = (clockid_t)((~(unsigned)tid << 3) | 6);
    struct timespec ts;

    *ok = clock_gettime(c, &ts) == 0;
    return *ok ? (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec : 0;
}

/*
 * True when /proc says thread tid blocks signal sig.  The runtime's own
 * threads (named "cprof-...") block every signal on purpose: never them.
 */
static bool blocks_signal(pid_t tid, int sig)
{
    char path[64], buf[2048];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    if (!strncmp(buf, "Name:\tcprof-", 12))
        return false;
    const char *p = strstr(buf, "\nSigBlk:");
    if (!p)
        return false;
    unsigned long long blk = strtoull(p + 8, NULL, 16);
    return sig >= 1 && sig <= 64 && (blk & (1ull << (sig - 1)));
}

static void commit(struct blk *e)
{
    if (e->pending <= 0)
        return;
    g_unsampled_ns += (uint64_t)e->pending;
    if (!e->counted)
        g_threads++;
    e->counted = true;
    e->pending = 0;
}

void cprof__cpu_blocked_reset_locked(void)
{
    if (!g_blk && S.nslots) {
        g_blk = calloc(S.nslots, sizeof(*g_blk));
        g_nblk = g_blk ? S.nslots : 0;
    } else if (g_blk) {
        memset(g_blk, 0, sizeof(*g_blk) * g_nblk);
    }
    g_unsampled_ns = 0;
    g_threads = 0;
}

/* What the first samples after an unblock carry of the missed time. */
static int64_t covered_on_resume(int64_t pending)
{
    int64_t cap;

    switch (S.mode) {
    case CPROF_CPU_POSIX: return pending; /* 1 + si_overrun periods */
    case CPROF_CPU_PERF:
        cap = (int64_t)S.period_ns * CPROF_PERF_REFRESH;
        return pending < cap ? pending : cap;
    default: return 0;
    }
}

static void follow(struct blk *e, struct cprof_thr *t, pid_t tid, bool final)
{
    uint64_t head = atomic_load(&t->ring.head);
    bool ok;
    int64_t cpu = thread_cpu_ns(tid, &ok);

    if (e->tid != tid) { /* a new thread in this slot: start following it */
        commit(e);
        memset(e, 0, sizeof(*e));
        e->tid = tid;
        e->head_prev = head;
        /* From when it was armed: a short thread may be seen by one tick only. */
        e->cpu_prev = t->cpu_at_arm > 0 && t->cpu_at_arm <= cpu ? t->cpu_at_arm : cpu;
        if (!ok)
            return;
    }
    if (!ok) { /* gone */
        commit(e);
        return;
    }
    int64_t delta = cpu - e->cpu_prev;
    uint64_t records = head - e->head_prev;
    e->cpu_prev = cpu;
    e->head_prev = head;
    if (records == 0) {
        /* CPU without samples, over as many ticks as it takes (a loaded machine). */
        e->quiet += delta;
        if (e->blocking)
            e->pending += delta;
        else if (e->quiet >= 2 * (int64_t)S.period_ns && blocks_signal(tid, S.signo)) {
            e->blocking = true;
            e->pending += e->quiet;
        }
    } else {
        e->quiet = 0;
        if (e->blocking) {
            e->pending -= covered_on_resume(e->pending);
            e->blocking = false;
            commit(e);
        }
    }
    if (final)
        commit(e);
}

void cprof__cpu_blocked_tick_locked(bool final)
{
    uint32_t n = atomic_load(&S.nused);

    if (!g_blk)
        return;
    for (uint32_t i = 0; i < n && i < g_nblk; i++) {
        struct cprof_thr *t = &S.slots[i];
        struct blk *e = &g_blk[i];
        pid_t tid = atomic_load(&t->tid);

        if (atomic_load(&t->state) != CPROF_THR_LIVE || tid <= 0) {
            commit(e);
            e->tid = 0;
            continue;
        }
        follow(e, t, tid, final);
    }
}

void cprof__cpu_blocked_thread_end_locked(struct cprof_thr *t)
{
    size_t i = (size_t)(t - S.slots);
    pid_t tid = atomic_load(&t->tid);

    /* Its CPU since the last tick: an exiting thread is gone by the next one. */
    if (g_blk && i < g_nblk && tid > 0 && g_blk[i].tid == tid)
        follow(&g_blk[i], t, tid, true);
}

int cprof__cpu_blocked_finish_locked(struct cprof_profile *p)
{
    char text[192];
    int err;

    if (!g_unsampled_ns)
        return 0;
    snprintf(text, sizeof(text), "(not sampled: signal %d blocked)", S.signo);
    err = cprof__cpu_add_pseudo_sample(p, text,
                                       S.period_ns ? (int64_t)(g_unsampled_ns / S.period_ns) : 0,
                                       (int64_t)g_unsampled_ns);
    snprintf(text, sizeof(text),
             "%llu ms of CPU in threads that block signal %d were not sampled (%llu threads)",
             (unsigned long long)(g_unsampled_ns / 1000000), S.signo,
             (unsigned long long)g_threads);
    cprof__warn_once(WARN_BLOCKED, "%s", text);
    if (!err) {
        char comment[256];
        snprintf(comment, sizeof(comment), "cprof: %s", text);
        err = cprof_profile_add_comment(p, comment);
    }
    return err;
}
