/*
 * The CPU profiler: starts and stops sampling, gives every thread of the
 * process a CPU-time timer whose signal goes to that thread, folds the
 * handler's records into a profile in a background thread, and writes the
 * profile (gzipped pprof) at stop.
 *
 * Mechanisms, best first (CPROF_CPU_TIMER forces one): a perf task-clock
 * event per thread (rates well above the kernel tick; each sample weighs the
 * exact CPU time the event counted, read from the records of its mmap'd
 * ring, or with read() where the mapping is refused; the event signals
 * every overflow and is re-armed once every CPROF_PERF_REFRESH of them, so
 * a sample costs no system call but the signal's return), a POSIX timer on
 * each thread's CPU clock (weighted by 1 + si_overrun), process-wide
 * setitimer(ITIMER_PROF).  What a sample costs, and where: bench/README.md.
 * Threads alive at start and threads the program creates without our
 * pthread_create wrapper are found by scanning /proc/self/task every writer
 * tick; threads created through the wrapper register themselves and
 * unregister in a thread-key destructor.
 *
 * Unwind tables follow the loaded objects: every writer tick compares the
 * loader's load/unload counters with those the tables were built at and
 * rebuilds them, outside the lock, when they moved; dlopen and dlclose
 * (interpose.c) wake the writer so the rebuild follows them at once.
 */
#include "rt/rt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/perf_event.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "cprof.h"
#include "model/codec.h"
#include "model/profile.h"
#include "rt/sig/unwind.h"

#define MAX_THREADS    4096  /* slots in the thread table */
#define MAX_FDS        65536 /* perf event fds we can map back to a slot */
#define WRITER_TICK_MS 100   /* how often the writer folds and rescans */
#define MAX_HZ         100000

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

enum {
    WARN_PERF = 1 << 0,
    WARN_POSIX = 1 << 1,
    WARN_FOLD = 1 << 2,
    WARN_SLOTS = 1 << 3,
    WARN_ARM = 1 << 4,
    WARN_RATE = 1 << 5,
};

/* The singleton (state.c) and the handler's part of it. */
#define G (*cprof__rt)
#define S (cprof__rt->sig)

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;

    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- tables (allocated once, never freed: a late signal must find them) ---- */

static int tables_init(void)
{
    if (S.slots)
        return 0;
    void *m = mmap(NULL, sizeof(struct cprof_thr) * MAX_THREADS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -errno;
    void *f = mmap(NULL, sizeof(int32_t) * MAX_FDS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (f == MAP_FAILED) {
        munmap(m, sizeof(struct cprof_thr) * MAX_THREADS);
        return -errno;
    }
    memset(f, 0xff, sizeof(int32_t) * MAX_FDS); /* -1: no slot */
    S.slots = m;
    S.nslots = MAX_THREADS;
    for (uint32_t i = 0; i < S.nslots; i++)
        S.slots[i].perf_fd = -1;
    S.fd2slot = f;
    S.nfd2slot = MAX_FDS;
    return 0;
}

/* Makes t's ring big enough for the session; an old ring is never unmapped. */
static int ring_prepare(struct cprof_ring *r, int hz, int depth)
{
    uint32_t words = CPROF_REC_HDR_WORDS + (uint32_t)depth;
    uint32_t cap = 32;

    /* A quarter second of samples at the full rate: the writer drains every 100 ms. */
    while (cap < (uint32_t)hz / 4)
        cap <<= 1;
    uint64_t head = atomic_load(&r->head);
    atomic_store(&r->tail, head);
    atomic_store(&r->dropped, 0);
    atomic_store(&r->dropped_ns, 0);
    if (r->mem && r->rec_words >= words && r->cap >= cap)
        return 0;
    void *m = mmap(NULL, (size_t)cap * words * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -errno;
    r->mem = m;
    r->cap = cap;
    r->rec_words = words;
    return 0;
}

static struct cprof_thr *slot_find_live(pid_t tid)
{
    uint32_t n = atomic_load(&S.nused);

    for (uint32_t i = 0; i < n; i++) {
        struct cprof_thr *t = &S.slots[i];
        if (atomic_load(&t->state) == CPROF_THR_LIVE && atomic_load(&t->tid) == tid)
            return t;
    }
    return NULL;
}

static struct cprof_thr *slot_claim(pid_t tid)
{
    for (uint32_t i = 0; i < S.nslots; i++) {
        struct cprof_thr *t = &S.slots[i];
        if (atomic_load(&t->state) != CPROF_THR_FREE)
            continue;
        if (ring_prepare(&t->ring, G.cpu.hz, S.depth))
            return NULL;
        atomic_store(&t->tid, tid);
        t->perf_fd = -1;
        t->has_timer = false;
        t->last_count = 0;
        t->seen = G.cpu.scan_gen;
        if (i + 1 > atomic_load(&S.nused))
            atomic_store(&S.nused, i + 1);
        return t;
    }
    cprof__warn_once(WARN_SLOTS, "more than %d threads: new threads are not sampled", MAX_THREADS);
    return NULL;
}

/* ---- mechanisms ---- */

static int perf_open(pid_t tid)
{
    struct perf_event_attr a;
    int fd;

    memset(&a, 0, sizeof(a));
    a.type = PERF_TYPE_SOFTWARE;
    a.size = sizeof(a);
    a.config = PERF_COUNT_SW_TASK_CLOCK;
    a.sample_period = S.period_ns;
    a.sample_type = PERF_SAMPLE_READ; /* records carry the count: see arm_perf */
    a.disabled = 1;
    /*
     * No overflow, hence no signal, while the thread runs in the kernel:
     * an overflow between a system call's entry and the thread's sleep
     * queued a signal that woke nanosleep, poll, epoll_wait, sem_timedwait
     * ... with EINTR, whatever SA_RESTART says.  The kernel's task-clock
     * hrtimer still counts kernel time (perf_swevent_hrtimer reads the
     * count first, then drops the overflow of a kernel-mode interrupt), so
     * the next user-mode sample weighs it: no CPU time is lost, and it
     * lands where it did before (a signal is only taken on the way back to
     * user mode).  Also what perf_event_paranoid 2 allows.
     */
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/*
 * Maps the smallest ring of t's event (a control page and one data page)
 * so the handler reads each sample's count from memory instead of calling
 * read(): a system call less per sample.  The mapping is charged to
 * locked memory (perf_event_mlock_kb, then RLIMIT_MEMLOCK); when refused,
 * the thread is sampled without it.  Lock held.
 */
static uint64_t g_perf_unmapped; /* lock held; threads sampled without a ring */

static void perf_map(struct cprof_thr *t)
{
    long pg = sysconf(_SC_PAGESIZE);
    void *m;

    if (pg <= 0 || (pg & (pg - 1)))
        return;
    m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, t->perf_fd, 0);
    if (m == MAP_FAILED) {
        g_perf_unmapped++;
        return;
    }
    t->perf_data_size = (uint64_t)pg;
    t->perf_map_len = 2 * (size_t)pg;
    atomic_store(&t->perf_page, m);
}

static int arm_perf(struct cprof_thr *t, pid_t tid)
{
    struct f_owner_ex owner = {.type = F_OWNER_TID, .pid = tid};
    int fd = perf_open(tid);

    if (fd < 0)
        return fd;
    if (fd >= S.nfd2slot || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC) < 0 ||
        fcntl(fd, F_SETOWN_EX, &owner) < 0 || fcntl(fd, F_SETSIG, S.signo) < 0) {
        int err = fd >= S.nfd2slot ? -EMFILE : -errno;
        close(fd);
        return err;
    }
    t->perf_fd = fd;
    t->last_count = 0;
    t->period_ns = 0;
    t->cost_ns = 0;
    t->meas_count = 0;
    t->meas_calls = 0;
    t->calls = 0;
    t->nsig = 0;
    perf_map(t);
    atomic_store(&S.fd2slot[fd], (int32_t)(t - S.slots));
    atomic_store(&t->state, CPROF_THR_LIVE);
    if (ioctl(fd, PERF_EVENT_IOC_REFRESH, CPROF_PERF_REFRESH) < 0)
        return -errno;
    return 0;
}

/* The kernel's CPU clock id of thread tid (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)). */
static clockid_t thread_cpu_clock(pid_t tid)
{
    return (clockid_t)((~(unsigned)tid << 3) | 6);
}

/* A draw for a thread's first expiry: splitmix64 over tid, clock and a counter. */
static uint64_t first_draw(pid_t tid)
{
    static _Atomic uint64_t seq;
    uint64_t x = (uint64_t)tid * 0x9e3779b97f4a7c15ull ^ (uint64_t)now_ns(CLOCK_MONOTONIC) ^
                 atomic_fetch_add(&seq, 0x9e3779b97f4a7c15ull);

    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static int arm_posix(struct cprof_thr *t, pid_t tid)
{
    struct sigevent sev;
    struct itimerspec its;
    uint64_t first;

    memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = S.signo;
    sev.sigev_value.sival_int = (int)(t - S.slots);
    sev.sigev_notify_thread_id = tid;
    if (timer_create(thread_cpu_clock(tid), &sev, &t->timer) < 0)
        return -errno;
    t->has_timer = true;
    atomic_store(&t->state, CPROF_THR_LIVE);
    /*
     * A random first expiry, so short-lived threads are not all missed.
     * Our own generator: libc's rand() would move the program's sequence.
     */
    first = 1 + first_draw(tid) % S.period_ns;
    its.it_value.tv_sec = (time_t)(first / 1000000000);
    its.it_value.tv_nsec = (long)(first % 1000000000);
    its.it_interval.tv_sec = (time_t)(S.period_ns / 1000000000);
    its.it_interval.tv_nsec = (long)(S.period_ns % 1000000000);
    if (timer_settime(t->timer, 0, &its, NULL) < 0)
        return -errno;
    return 0;
}

/* Stops t's timer; the slot stays until its ring is drained.  Lock held. */
static void disarm(struct cprof_thr *t)
{
    if (t->perf_fd >= 0) {
        atomic_store(&S.fd2slot[t->perf_fd], -1);
        ioctl(t->perf_fd, PERF_EVENT_IOC_DISABLE, 0);
        /*
         * No handler can be reading the ring: the thread is gone, or is
         * the caller, or stop has waited for every handler to finish.
         */
        void *m = atomic_exchange(&t->perf_page, NULL);
        if (m)
            munmap(m, t->perf_map_len);
        close(t->perf_fd);
        t->perf_fd = -1;
    }
    if (t->has_timer) {
        timer_delete(t->timer);
        t->has_timer = false;
    }
    atomic_store(&t->state, CPROF_THR_DEAD);
}

/* Starts sampling thread tid.  Lock held. */
static void register_tid(pid_t tid)
{
    struct cprof_thr *t = slot_claim(tid);
    int err = 0;

    if (!t)
        return;
    /* Where its CPU clock stood when sampling began (cpu_blocked.c counts from there). */
    t->cpu_at_arm = now_ns(thread_cpu_clock(tid));
    switch (S.mode) {
    case CPROF_CPU_PERF: err = arm_perf(t, tid); break;
    case CPROF_CPU_POSIX: err = arm_posix(t, tid); break;
    default: atomic_store(&t->state, CPROF_THR_LIVE); break;
    }
    if (err) {
        if (err != -ESRCH) { /* ESRCH: the thread exited meanwhile */
            G.cpu.arm_failures++;
            cprof__warn_once(WARN_ARM, "cannot sample thread %d: %s", (int)tid,
                             cprof_strerror(err));
        }
        disarm(t);
        return;
    }
    G.cpu.threads++;
}

/* ---- folding ---- */

/*
 * Stack cache: raw stack (the pcs as recorded) -> its sample in the fold
 * profile, so a stack seen before costs one hash and one compare instead
 * of a location lookup per frame and a merge lookup.  Open addressing,
 * linear probing, at most half full; hash 0 marks an empty entry.  Lock
 * held; emptied with the fold profile.
 */
struct stack_ent {
    uint64_t hash;   /* stack_hash(), never 0; 0 = empty */
    uint32_t sample; /* position in G.cpu.fold->samples */
};
static struct stack_ent *g_stacks;
static size_t g_stacks_cap, g_stacks_used; /* cap: a power of two, or 0 */

static void stacks_clear(void)
{
    free(g_stacks);
    g_stacks = NULL;
    g_stacks_cap = g_stacks_used = 0;
}

static uint64_t stack_hash(const uint64_t *pcs, uint32_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

    for (uint32_t i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h ? h : 1;
}

/* True when sample idx of the fold profile is the stack pcs[0, n). */
static bool stack_is(uint32_t idx, const uint64_t *pcs, uint32_t n)
{
    const struct cprof_profile *p = G.cpu.fold;

    if (idx >= p->nsamples || p->samples[idx].nlocs != n)
        return false;
    const uint32_t *locs = p->samples[idx].locs;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t addr = i == 0 ? pcs[i] : pcs[i] - 1; /* as fold_add stores them */
        if (locs[i] >= p->nlocations || p->locations[locs[i]].address != addr)
            return false;
    }
    return true;
}

/* The entry for hash h: the matching one, else the empty one to fill. */
static struct stack_ent *stacks_slot(uint64_t h, const uint64_t *pcs, uint32_t n)
{
    size_t mask = g_stacks_cap - 1;

    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct stack_ent *e = &g_stacks[i];
        if (e->hash == 0 || (e->hash == h && stack_is(e->sample, pcs, n)))
            return e;
    }
}

/* Remembers that stack pcs[0, n) is sample idx; failures only cost speed. */
static void stacks_put(uint64_t h, const uint64_t *pcs, uint32_t n, uint32_t idx)
{
    if (2 * (g_stacks_used + 1) > g_stacks_cap) {
        size_t cap = g_stacks_cap ? 2 * g_stacks_cap : 1024;
        struct stack_ent *old = g_stacks, *t = calloc(cap, sizeof(*t));
        size_t oldcap = g_stacks_cap;
        if (!t)
            return;
        g_stacks = t;
        g_stacks_cap = cap;
        for (size_t i = 0; i < oldcap; i++) {
            if (!old[i].hash)
                continue;
            size_t j = old[i].hash & (cap - 1);
            while (t[j].hash)
                j = (j + 1) & (cap - 1);
            t[j] = old[i];
        }
        free(old);
    }
    struct stack_ent *e = stacks_slot(h, pcs, n);
    if (e->hash)
        return; /* there already */
    e->hash = h;
    e->sample = idx;
    g_stacks_used++;
}

static void fold_add(const uint64_t *pcs, uint32_t n, int64_t ns)
{
    uint32_t locs[1024 + 1];
    int64_t values[2] = {1, ns};
    uint64_t h = stack_hash(pcs, n);
    int err = 0;

    if (g_stacks_cap) {
        struct stack_ent *e = stacks_slot(h, pcs, n);
        if (e->hash) {
            int64_t *v = G.cpu.fold->samples[e->sample].values;
            v[0] += 1;
            v[1] += ns;
            return;
        }
    }
    for (uint32_t i = 0; i < n && !err; i++) {
        /* Callers: the return address minus one lies inside the call instruction. */
        uint64_t addr = i == 0 ? pcs[i] : pcs[i] - 1;
        err = cprof_profile_add_location(G.cpu.fold, CPROF_NONE, addr, NULL, 0, false, &locs[i]);
    }
    size_t before = G.cpu.fold->nsamples;
    if (!err)
        err = cprof_profile_add_sample(G.cpu.fold, locs, n, values, NULL, 0, CPROF_ADD_MERGE);
    if (!err && G.cpu.fold->nsamples == before + 1)
        stacks_put(h, pcs, n, (uint32_t)before);
    if (err && !G.cpu.fold_err) {
        G.cpu.fold_err = err;
        cprof__warn_once(WARN_FOLD, "cannot record samples: %s", cprof_strerror(err));
    }
}

/* Moves every record of t's ring into the fold profile.  Lock held. */
static void drain(struct cprof_thr *t)
{
    struct cprof_ring *r = &t->ring;
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

    for (; tail != head; tail++) {
        const uint64_t *rec = r->mem + (size_t)(tail & (r->cap - 1)) * r->rec_words;
        uint32_t n = (uint32_t)(rec[1] & 0xffff);
        if (n > r->rec_words - CPROF_REC_HDR_WORDS)
            n = r->rec_words - CPROF_REC_HDR_WORDS;
        if (n == 0) {
            atomic_fetch_add(&r->dropped, 1);
            atomic_fetch_add(&r->dropped_ns, rec[0]);
            continue;
        }
        G.cpu.records++;
        if ((rec[1] >> 16) & CPROF_REC_TRUNCATED)
            G.cpu.truncated++;
        fold_add(rec + CPROF_REC_HDR_WORDS, n, (int64_t)rec[0]);
    }
    atomic_store_explicit(&r->tail, tail, memory_order_release);
}

static uint64_t g_dropped, g_dropped_ns; /* lock held; totals of drained slots */

static void drain_all(void)
{
    uint32_t n = atomic_load(&S.nused);

    for (uint32_t i = 0; i < n; i++) {
        struct cprof_thr *t = &S.slots[i];
        int st = atomic_load(&t->state);
        if (st == CPROF_THR_FREE)
            continue;
        drain(t);
        g_dropped += atomic_exchange(&t->ring.dropped, 0);
        g_dropped_ns += atomic_exchange(&t->ring.dropped_ns, 0);
        if (st == CPROF_THR_DEAD) {
            atomic_store(&t->tid, 0);
            atomic_store(&t->state, CPROF_THR_FREE);
        }
    }
}

/* Samples threads that appeared, forgets threads that are gone.  Lock held. */
static void scan_threads(void)
{
    uint32_t gen = ++G.cpu.scan_gen;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || tid == G.cpu.writer_tid)
            continue;
        struct cprof_thr *t = slot_find_live(tid);
        if (t)
            t->seen = gen;
        else
            register_tid(tid);
    }
    closedir(d);
    uint32_t n = atomic_load(&S.nused);
    for (uint32_t i = 0; i < n; i++) {
        struct cprof_thr *t = &S.slots[i];
        /*
         * Not listed is not proof of exit: /proc/self/task is read by
         * position, and a thread that exits during the scan shifts the
         * ones after it, so a live thread can be skipped.  Only a thread
         * the kernel no longer knows is gone.
         */
        if (atomic_load(&t->state) == CPROF_THR_LIVE && t->seen != gen &&
            syscall(SYS_tgkill, G.pid, atomic_load(&t->tid), 0) < 0 && errno == ESRCH)
            disarm(t); /* gone: no handler can run on it any more */
    }
    cprof__cpu_blocked_tick_locked(false); /* CPU of threads that block the signal */
}

/* ---- unwind tables and loaded objects ---- */

/* Loader generation the published unwind tables were built at. */
static _Atomic unsigned long long g_unw_gen;

static int loader_gen_cb(struct dl_phdr_info *info, size_t size, void *ctx)
{
    /* Both counters only grow: their sum changes whenever either does. */
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs))
        *(unsigned long long *)ctx = info->dlpi_adds + info->dlpi_subs;
    return 1; /* the first object carries the counters */
}

/* Objects ever loaded plus unloaded; takes the loader's list lock briefly. */
static unsigned long long loader_gen(void)
{
    unsigned long long gen = 0;

    cprof__dl_iterate(loader_gen_cb, &gen);
    return gen;
}

int cprof__unwind_setup(void)
{
    atomic_store(&g_unw_gen, loader_gen());
    return cprof_unwind_init();
}

/*
 * Ticks left of fast polling for a new object: set by a dlopen that had to
 * tail-call (interpose.c), which returns before we can act.
 */
static atomic_int g_dl_pending;
#define DL_POLL_MS    2  /* writer tick while g_dl_pending */
#define DL_POLL_TICKS 50 /* ... for at most this many ticks */

/*
 * Rebuilds the unwind tables if objects were loaded or unloaded; true if it
 * did.  Writer, lock not held.
 */
static bool unwind_sync(void)
{
    unsigned long long gen = loader_gen();

    if (gen == atomic_load(&g_unw_gen))
        return false;
    /* Noted first: an object loaded during the rebuild triggers the next one. */
    atomic_store(&g_unw_gen, gen);
    if (cprof_unwind_refresh() != 0) {
        atomic_store(&g_unw_gen, 0); /* given up (an unload ran): the next tick tries again */
        return false;
    }
    G.cpu.unw_refreshes++;
    return true;
}

void cprof__dl_unloading(void)
{
    /* Stop clears active before it symbolizes, which may dlclose under the lock. */
    if (atomic_load_explicit(&S.active, memory_order_relaxed))
        cprof__maps_note_unload();
}

void cprof__dl_changed(void)
{
    /* Not profiling: the writer's first tick of the next session catches up. */
    if (!atomic_load_explicit(&S.active, memory_order_relaxed))
        return;
    atomic_store(&g_dl_pending, DL_POLL_TICKS);
    pthread_cond_signal(&G.wake);
}

static void deadline_after(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += ms * 1000000L;
    while (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* A small non-negative integer from a /proc file, or dflt. */
static long proc_long(const char *path, long dflt)
{
    char buf[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return dflt;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return dflt;
    buf[n] = 0;
    char *end;
    long v = strtol(buf, &end, 10);
    return end == buf || v < 0 ? dflt : v;
}

/*
 * Sampling's budget: perf's own for its sampling interrupts
 * (perf_cpu_time_max_percent, 25% by default; 0 and 100 mean "no limit" to
 * the kernel, not to us).  Each thread keeps its samples' cost within it
 * (throttle_sigsafe in sig/cpu_sig.c): a sample costs ~10 us on a quiet
 * machine here and up to ~80 us on this VM under load, so no fixed rate
 * is safe everywhere; at 100 kHz a 0.9 s program did not end in 600 s.
 */
static uint32_t perf_budget_pct(void)
{
    long pct = proc_long("/proc/sys/kernel/perf_cpu_time_max_percent", 25);

    return pct <= 0 || pct > 25 ? 25 : (uint32_t)pct;
}

/* The kernel throttles events above perf_event_max_sample_rate: ask no more. */
static int perf_rate_cap(void)
{
    long max = proc_long("/proc/sys/kernel/perf_event_max_sample_rate", MAX_HZ);

    return max < 100 ? 100 : max > MAX_HZ ? MAX_HZ : (int)max;
}

/* Says once that threads were slowed down, and to what.  Lock held. */
static void warn_throttled(void)
{
    uint64_t p = atomic_load_explicit(&S.slowest_ns, memory_order_relaxed);

    if (p)
        cprof__warn_once(WARN_RATE,
                         "sampling at %d Hz costs more than %u%% of the CPU here: "
                         "slowed down to fit (the profile says to what)",
                         G.cpu.hz, S.budget_pct);
}

/*
 * A forked child's session arms no timer until the child has lived
 * CHILD_DEFER_MS: most children exec or exit sooner, and a timer armed in
 * a child that execs could leave a sampling signal pending for the new
 * image.  The writer arms them (writer_main); a child that exits before
 * writes no profile.  Lock held.
 */
#define CHILD_DEFER_MS 100
static bool g_child_defer;
static void arm_all(void);

void *cprof__writer_main(void *arg)
{
    int64_t next_fold = now_ns(CLOCK_MONOTONIC) + WRITER_TICK_MS * 1000000LL;

    (void)arg;
    cprof__heap_ignore_thread();
    pthread_mutex_lock(&G.lock);
    G.cpu.writer_tid = gettid();
    if (g_child_defer) {
        struct timespec ts;
        deadline_after(&ts, CHILD_DEFER_MS);
        while (!G.cpu.writer_stop && pthread_cond_timedwait(&G.wake, &G.lock, &ts) != ETIMEDOUT)
            ;
        if (!G.cpu.writer_stop) {
            g_child_defer = false;
            arm_all();
            cprof__exitsig_start(); /* a killed child writes its profile too */
        }
    }
    while (!G.cpu.writer_stop) {
        struct timespec ts;
        /* The rebuild takes ms and the loader's lock: never under ours. */
        pthread_mutex_unlock(&G.lock);
        bool fast = atomic_load(&g_dl_pending) > 0;
        if (unwind_sync())
            atomic_store(&g_dl_pending, 0);
        else if (fast)
            atomic_fetch_sub(&g_dl_pending, 1);
        pthread_mutex_lock(&G.lock);
        if (G.cpu.writer_stop)
            break;
        deadline_after(&ts, atomic_load(&g_dl_pending) > 0 ? DL_POLL_MS : WRITER_TICK_MS);
        pthread_cond_timedwait(&G.wake, &G.lock, &ts);
        if (G.cpu.writer_stop)
            break;
        /* Fast polling ticks only look for new objects. */
        if (now_ns(CLOCK_MONOTONIC) < next_fold && atomic_load(&g_dl_pending) > 0)
            continue;
        next_fold = now_ns(CLOCK_MONOTONIC) + WRITER_TICK_MS * 1000000LL;
        drain_all();
        scan_threads();
        warn_throttled();
        cprof__sig_verify(); /* handlers replaced by raw system calls */
    }
    pthread_mutex_unlock(&G.lock);
    return NULL;
}

/* ---- the profile ---- */

static const char *mode_name(int mode)
{
    switch (mode) {
    case CPROF_CPU_PERF: return "perf-task-clock";
    case CPROF_CPU_POSIX: return "posix-thread-cputime";
    default: return "itimer-prof";
    }
}

int cprof__cpu_add_pseudo_sample(struct cprof_profile *p, const char *name, int64_t count,
                                 int64_t ns)
{
    struct cprof_function f = {0};
    struct cprof_line line = {0};
    uint32_t loc;
    int64_t values[2] = {count, ns};
    int err;

    err = cprof_profile_intern_cstr(p, name, &f.name);
    if (!err) {
        f.system_name = f.name;
        err = cprof_profile_add_function(p, &f, &line.func);
    }
    if (!err)
        err = cprof_profile_add_location(p, CPROF_NONE, 0, &line, 1, false, &loc);
    if (!err)
        err = cprof_profile_add_sample(p, &loc, 1, values, NULL, 0, 0);
    return err;
}

/* Samples lost to full rings still count: one sample on a "(dropped samples)" frame. */
static int add_dropped_sample(struct cprof_profile *p)
{
    if (!g_dropped)
        return 0;
    return cprof__cpu_add_pseudo_sample(p, "(dropped samples)", (int64_t)g_dropped,
                                        (int64_t)g_dropped_ns);
}

static int finish_profile(struct cprof_profile *p)
{
    char text[384];
    int err;

    p->time_nanos = G.cpu.start_ns;
    p->duration_nanos = now_ns(CLOCK_MONOTONIC) - G.cpu.start_mono_ns;
    p->period = (int64_t)S.period_ns;
    err = cprof_profile_intern_cstr(p, "cpu", &p->period_type.type);
    if (!err)
        err = cprof_profile_intern_cstr(p, "nanoseconds", &p->period_type.unit);
    if (!err)
        err = add_dropped_sample(p);
    if (!err)
        err = cprof__cpu_blocked_finish_locked(p);
    snprintf(text, sizeof(text), "cprof: sampler=%s hz=%d signal=%d", mode_name(S.mode), G.cpu.hz,
             S.signo);
    if (G.cpu.hz_asked != G.cpu.hz) /* capped: see perf_rate_cap */
        snprintf(text + strlen(text), sizeof(text) - strlen(text), " hz-asked=%d", G.cpu.hz_asked);
    uint64_t slowest = atomic_load(&S.slowest_ns);
    if (slowest) /* some threads' samples cost too much: see perf_budget_pct */
        snprintf(text + strlen(text), sizeof(text) - strlen(text), " slowed-to-hz=%llu",
                 (unsigned long long)(1000000000 / slowest));
    if (g_perf_unmapped) /* threads whose count came from read(): slower, as exact */
        snprintf(text + strlen(text), sizeof(text) - strlen(text), " perf-unmapped=%llu",
                 (unsigned long long)g_perf_unmapped);
    if (!err)
        err = cprof_profile_add_comment(p, text);
    snprintf(text, sizeof(text),
             "cprof: samples=%llu dropped=%llu dropped_ns=%llu truncated=%llu depth=%d "
             "threads=%llu unknown_signals=%llu uncovered=%llu unwind_refreshes=%llu",
             (unsigned long long)G.cpu.records, (unsigned long long)g_dropped,
             (unsigned long long)g_dropped_ns, (unsigned long long)G.cpu.truncated, S.depth,
             (unsigned long long)G.cpu.threads, (unsigned long long)atomic_load(&S.unknown),
             (unsigned long long)atomic_load(&S.uncovered),
             (unsigned long long)G.cpu.unw_refreshes);
    if (!err)
        err = cprof_profile_add_comment(p, text);
    /* Mappings and symbols are added by cprof__profile_write (src/rt/write.c). */
    return err;
}

static int write_profile(void)
{
    int err = G.cpu.fold_err ? G.cpu.fold_err : finish_profile(G.cpu.fold);

    if (!err)
        err = cprof__profile_write(G.cpu.fold, G.cpu.out_fd, G.cpu.out_path);
    if (err)
        cprof__warn("cannot write CPU profile%s%s: %s", G.cpu.out_fd >= 0 ? "" : " ",
                    G.cpu.out_fd >= 0 ? "" : G.cpu.out_path, cprof_strerror(err));
    return err;
}

/* ---- start / stop ---- */

static void install_handler(int signo)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = cprof_cpu_handler_sigsafe;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    /* Owned from now on: the program's changes are recorded, ours stays (sigown.c). */
    cprof__sig_install(signo, &sa, CPROF_SIG_INTERNAL);
}

static bool is_ours(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == cprof_cpu_handler_sigsafe;
}

/* A real-time signal nobody handles (or ours from an earlier session); 0 if none. */
static int pick_signal(void)
{
    struct sigaction old;

    if (G.cfg.signo)
        return G.cfg.signo;
    for (int s = SIGRTMIN + 6; s < SIGRTMAX - 2; s++) {
        if (cprof__real_sigaction(s, NULL, &old) < 0)
            continue;
        if (is_ours(&old) || (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL))
            return s;
    }
    return 0;
}

/* Decides the mechanism: the forced or best one, falling back when refused. */
static int choose_mode(void)
{
    int mode = G.cfg.timer ? G.cfg.timer : CPROF_CPU_PERF;
    int err;

    if (mode == CPROF_CPU_PERF) {
        err = perf_open(gettid());
        if (err >= 0) {
            close(err);
            return mode;
        }
        cprof__warn_once(WARN_PERF, "perf events refused (%s): using POSIX CPU timers",
                         cprof_strerror(err));
        mode = CPROF_CPU_POSIX;
    }
    if (mode == CPROF_CPU_POSIX) {
        timer_t t;
        struct sigevent sev = {.sigev_notify = SIGEV_NONE};
        if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &t) == 0) {
            timer_delete(t);
            return mode;
        }
        cprof__warn_once(WARN_POSIX, "POSIX CPU timers refused (%s): using setitimer",
                         strerror(errno));
    }
    return CPROF_CPU_ITIMER;
}

static int new_fold_profile(void)
{
    struct cprof_profile *p = cprof_profile_new();
    int err;

    if (!p)
        return -ENOMEM;
    err = cprof_profile_add_sample_type(p, "samples", "count");
    if (!err)
        err = cprof_profile_add_sample_type(p, "cpu", "nanoseconds");
    if (err) {
        cprof_profile_free(p);
        return err;
    }
    G.cpu.fold = p;
    stacks_clear();
    return 0;
}

static int start_writer(void)
{
    sigset_t all, old;
    int err;

    /* The writer never takes a sampling signal: block them all before it exists. */
    sigfillset(&all);
    cprof__real_sigmask(SIG_SETMASK, &all, &old);
    G.cpu.writer_stop = false;
    err = -cprof__spawn_internal(&G.cpu.writer, cprof__writer_main);
    cprof__real_sigmask(SIG_SETMASK, &old, NULL);
    G.cpu.writer_started = err == 0;
    return err;
}

/* Arms every thread's timer (the process timer for setitimer).  Lock held. */
static void arm_all(void)
{
    scan_threads();
    if (S.mode == CPROF_CPU_ITIMER) {
        struct itimerval it = {{0, 0}, {0, 0}};
        it.it_interval.tv_sec = (time_t)(S.period_ns / 1000000000);
        it.it_interval.tv_usec = (suseconds_t)(S.period_ns % 1000000000 / 1000);
        if (!it.it_interval.tv_sec && !it.it_interval.tv_usec)
            it.it_interval.tv_usec = 1;
        it.it_value = it.it_interval;
        setitimer(ITIMER_PROF, &it, NULL);
    }
}

static int cpu_start_locked(int out_fd, const char *path, int hz)
{
    int err;

    if (G.cpu.running)
        return CPROF_EBUSY;
    if (hz <= 0 || hz > MAX_HZ || (out_fd < 0 && (!path || !*path)))
        return CPROF_EUSAGE;
    if (getpid() != G.pid)
        return CPROF_EBUSY;
    err = tables_init();
    if (err)
        return err;
    memset(&G.cpu, 0, sizeof(G.cpu));
    G.cpu.out_fd = out_fd;
    if (out_fd < 0)
        snprintf(G.cpu.out_path, sizeof(G.cpu.out_path), "%s", path);
    g_dropped = g_dropped_ns = 0;
    g_perf_unmapped = 0;
    S.period_ns = 1000000000ull / (uint64_t)hz; /* choose_mode opens an event with it */
    S.depth = G.cfg.depth ? G.cfg.depth : 128;
    S.mode = choose_mode();
    G.cpu.hz_asked = hz;
    if (S.mode == CPROF_CPU_PERF && hz > perf_rate_cap()) {
        int cap = perf_rate_cap();
        cprof__warn_once(WARN_RATE, "%d Hz is above perf_event_max_sample_rate: sampling at %d Hz",
                         hz, cap);
        hz = cap;
    }
    G.cpu.hz = hz;
    S.period_ns = 1000000000ull / (uint64_t)hz;
    S.budget_pct = perf_budget_pct();
    atomic_store(&S.slowest_ns, 0);
    if (S.mode == CPROF_CPU_ITIMER) {
        struct sigaction old;
        cprof__real_sigaction(SIGPROF, NULL, &old);
        if (!is_ours(&old) && ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL))
            return CPROF_EBUSY; /* the program owns SIGPROF */
        S.signo = SIGPROF;
    } else {
        S.signo = pick_signal();
        if (!S.signo)
            return CPROF_EBUSY;
    }
    err = new_fold_profile();
    if (err)
        return err;
    cprof__maps_forget_locked();
    cprof__cpu_blocked_reset_locked();
    install_handler(S.signo);
    atomic_store(&S.unknown, 0);
    atomic_store(&S.signals, 0);
    atomic_store(&S.uncovered, 0);
    G.cpu.start_ns = now_ns(CLOCK_REALTIME);
    G.cpu.start_mono_ns = now_ns(CLOCK_MONOTONIC);
    G.cpu.running = true;
    G.cpu.writer_tid = -1;
    atomic_store(&S.active, 1);
    if (!g_child_defer)
        arm_all();
    err = start_writer();
    if (err)
        cprof__warn("cannot start the profile writer thread: %s; folding at stop only",
                    cprof_strerror(err));
    return 0;
}

int cprof__cpu_start_locked(int out_fd, const char *path, int hz)
{
    int err;

    /* Thread lists, tables, the writer thread's stack and TLS: the runtime's memory. */
    cprof__heap_enter();
    err = cpu_start_locked(out_fd, path, hz);
    cprof__heap_leave();
    return err;
}

int cprof__cpu_stop_locked(void)
{
    int err;

    if (!G.cpu.running || G.cpu.writer_stop)
        return G.cpu.running ? CPROF_EBUSY : CPROF_EUSAGE;
    G.cpu.writer_stop = true;
    if (G.cpu.writer_started) {
        pthread_cond_broadcast(&G.wake);
        pthread_mutex_unlock(&G.lock);
        pthread_join(G.cpu.writer, NULL);
        pthread_mutex_lock(&G.lock);
        G.cpu.writer_started = false;
    }
    if (S.mode == CPROF_CPU_ITIMER) {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_PROF, &off, NULL);
    }
    atomic_store(&S.active, 0);
    while (atomic_load(&S.inflight) > 0)
        sched_yield();
    cprof__cpu_blocked_tick_locked(true);
    uint32_t n = atomic_load(&S.nused);
    for (uint32_t i = 0; i < n; i++)
        if (atomic_load(&S.slots[i].state) == CPROF_THR_LIVE)
            disarm(&S.slots[i]);
    drain_all();
    warn_throttled();
    /* A forked child that ended before its timers were armed has nothing to say. */
    err = g_child_defer ? 0 : write_profile();
    g_child_defer = false;
    cprof_profile_free(G.cpu.fold);
    G.cpu.fold = NULL;
    stacks_clear();
    cprof__maps_forget_locked();
    G.cpu.running = false;
    G.cpu.writer_stop = false;
    return err;
}

/* ---- threads created through the pthread_create wrapper ---- */

void cprof__thread_begin(void)
{
    cprof__heap_enter(); /* pthread_getattr_np allocates: the runtime's, not the program's */
    cprof_unwind_thread_init();
    cprof__heap_leave();
    if (G.thr_key_ok)
        pthread_setspecific(G.thr_key, (void *)1);
    if (getpid() != G.pid)
        return;
    pthread_mutex_lock(&G.lock);
    if (G.cpu.running && !G.cpu.writer_stop && !slot_find_live(gettid()))
        register_tid(gettid());
    pthread_mutex_unlock(&G.lock);
}

void cprof__thread_end(void *unused)
{
    (void)unused;
    if (getpid() != G.pid)
        return;
    pthread_mutex_lock(&G.lock);
    struct cprof_thr *t = slot_find_live(gettid());
    /* Its samples stay in the ring until the writer drains the DEAD slot. */
    if (t) {
        cprof__cpu_blocked_thread_end_locked(t);
        disarm(t);
    }
    pthread_mutex_unlock(&G.lock);
}

/* ---- fork ---- */

void cprof__fork_prepare(void)
{
    pthread_mutex_lock(&G.lock);
}

void cprof__fork_parent(void)
{
    pthread_mutex_unlock(&G.lock);
}

/*
 * The child's timers were not inherited, its writer thread does not
 * exist, and the samples so far are the parent's to write.  A session
 * started from the environment (CPROF_CPU) follows the child: it starts
 * over, empty, on the child's one thread, with a writer of its own, and
 * is written to FILE.<pid> when the child exits (the .pid rule of
 * state.c).  A session started through the API (a file descriptor the
 * parent owns) stops in the child.  Timers are armed only once the child
 * has lived CHILD_DEFER_MS (see g_child_defer): a child that execs or
 * exits sooner costs one thread creation and writes nothing.
 */
void cprof__fork_child(void)
{
    bool follow = G.cpu.running && G.cpu.out_fd < 0 && !G.cpu.writer_stop && G.cfg.cpu_file[0];
    int hz = G.cpu.hz;

    atomic_store(&S.active, 0);
    G.pid = getpid();
    if (G.cpu.running) {
        uint32_t n = atomic_load(&S.nused);
        for (uint32_t i = 0; i < n; i++) {
            struct cprof_thr *t = &S.slots[i];
            if (t->perf_fd >= 0) {
                atomic_store(&S.fd2slot[t->perf_fd], -1);
                close(t->perf_fd); /* the parent's event; closing our copy only */
                t->perf_fd = -1;
            }
            /* Its ring was not inherited (the kernel maps it VM_DONTCOPY). */
            atomic_store(&t->perf_page, NULL);
            t->has_timer = false; /* POSIX timers are not inherited */
            atomic_store(&t->tid, 0);
            atomic_store(&t->state, CPROF_THR_FREE);
        }
        atomic_store(&S.nused, 0);
        if (S.mode == CPROF_CPU_ITIMER) {
            struct itimerval off = {{0, 0}, {0, 0}};
            setitimer(ITIMER_PROF, &off, NULL);
        }
        cprof_profile_free(G.cpu.fold);
        G.cpu.fold = NULL;
        stacks_clear();
        G.cpu.running = false;
        G.cpu.writer_started = false;
        G.cpu.writer_stop = false;
    }
    pthread_mutex_init(&G.lock, NULL);
    pthread_cond_init(&G.wake, NULL);
    if (follow) {
        char path[sizeof(G.cpu.out_path)];
        int err;

        snprintf(path, sizeof(path), "%s.%ld", G.cfg.cpu_file, (long)G.pid);
        cprof__heap_enter(); /* the fold profile and the writer are the runtime's own */
        pthread_mutex_lock(&G.lock);
        g_child_defer = true;
        err = cprof__cpu_start_locked(-1, path, hz);
        if (err || !G.cpu.writer_started)
            g_child_defer = false; /* no writer to arm later: arm now */
        if (!err && !G.cpu.writer_started)
            arm_all();
        pthread_mutex_unlock(&G.lock);
        cprof__heap_leave();
        if (err)
            cprof__warn("forked child %ld: cannot profile CPU: %s", (long)G.pid,
                        cprof_strerror(err));
    }
}

/* ---- public API ---- */

CPROF_EXPORT int cprof_cpu_start(int fd, int hz)
{
    int err;

    if (fd < 0)
        return CPROF_EUSAGE;
    cprof__rt_ensure_init();
    pthread_mutex_lock(&G.lock);
    err = cprof__cpu_start_locked(fd, NULL, hz);
    pthread_mutex_unlock(&G.lock);
    return err;
}

CPROF_EXPORT int cprof_cpu_stop(void)
{
    int err;

    cprof__rt_ensure_init();
    cprof__heap_enter(); /* writing the profile allocates: not the program's memory */
    pthread_mutex_lock(&G.lock);
    err = cprof__cpu_stop_locked();
    pthread_mutex_unlock(&G.lock);
    cprof__heap_leave();
    return err;
}
