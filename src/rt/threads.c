/*
 * Thread dumps and the goroutine/threadcreate profiles (see threads.h).
 *
 * How a thread's stack is taken depends on what it is doing, per
 * /proc/self/task/TID/syscall.  Blocked in a system call ("NR args SP PC"):
 * it is not signalled, because a signal ends nanosleep, poll, epoll_wait,
 * select, sem_timedwait, futex waits with a timeout... early (EINTR, even
 * with SA_RESTART: signal(7)), and a profiler must not change what the
 * program sees.  The dumping thread copies the thread's stack from SP up
 * (within the mapping holding SP, through process_vm_readv), reads the
 * syscall file again, and unwinds the copy from (SP, PC) when nothing
 * moved (cprof_unwind_copy_sigsafe: every read is of the copy; the unknown
 * frame pointer is recovered from frame records where a rule needs it).  A
 * thread that moved is copied again; one that is running now takes the
 * signal path (the signal harms no system call then; the thread can still
 * enter one in the microseconds between the check and the signal); after
 * COPY_TRIES the last copy is kept, marked stale.  Running threads ("running"),
 * and those blocked outside a system call ("-1 SP PC"), are signalled and
 * unwind themselves in the handler (src/rt/sig/dump_sig.c).  Where
 * process_vm_readv is refused (seccomp), every thread takes the signal path.
 *
 * The dump signal is a real-time signal of its own, picked from the top of
 * the range: the CPU sampler picks from SIGRTMIN+6 upward and stops below
 * SIGRTMAX-2, and never takes a signal that has a handler, so the two
 * cannot collide.  The handler runs with every signal blocked: the CPU
 * sampler's handler cannot nest inside it.  Dumps are serialised by
 * dump_lock, which no signal handler takes.
 */
#include "rt/threads.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "cprof.h"
#include "model/profile.h"
#include "rt/rt.h"
#include "rt/sig/unwind.h"
#include "sym/symbolize.h"

#define TC_DEPTH 32   /* frames kept per creating stack (Go 1.19: 32) */
#define TC_MAX   1024 /* distinct creating stacks kept */

static struct cprof_dump_sig g_dump;
struct cprof_dump_sig *const cprof__dump_sig = &g_dump;

static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static int dump_signo; /* dump_lock; 0 = not picked yet */

/* ---- threadcreate ---- */

struct tc_stack {
    uint64_t count;          /* threads created from this stack */
    uint32_t hash;           /* of pcs[0..depth) */
    int depth;               /* valid pcs */
    uintptr_t pcs[TC_DEPTH]; /* pcs[0] in the wrapper; return addresses */
};

static pthread_mutex_t tc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tc_stack *tc_tab; /* TC_MAX entries, mmap'd on first use */
static uint32_t tc_n;           /* entries used */
static uint64_t tc_total;       /* threads recorded */
static uint64_t tc_overflow;    /* threads whose stack found no free entry */

static uint32_t hash_pcs(const uintptr_t *pcs, int n)
{
    uint64_t h = 1469598103934665603ull;

    for (int i = 0; i < n; i++)
        h = (h ^ pcs[i]) * 1099511628211ull;
    return (uint32_t)(h ^ (h >> 32));
}

__attribute__((noinline)) void cprof__threadcreate_record(void)
{
    uintptr_t pcs[TC_DEPTH];
    bool trunc = false;
    int n = cprof_unwind_here_sigsafe(pcs, TC_DEPTH, &trunc);
    uint32_t h = hash_pcs(pcs, n);

    pthread_mutex_lock(&tc_lock);
    tc_total++;
    if (!tc_tab) {
        void *m = mmap(NULL, sizeof(struct tc_stack) * TC_MAX, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        tc_tab = m == MAP_FAILED ? NULL : m;
    }
    for (uint32_t i = 0; tc_tab && i < tc_n; i++) {
        struct tc_stack *s = &tc_tab[i];
        if (s->hash == h && s->depth == n && !memcmp(s->pcs, pcs, sizeof(pcs[0]) * (size_t)n)) {
            s->count++;
            goto out;
        }
    }
    if (tc_tab && tc_n < TC_MAX) {
        struct tc_stack *s = &tc_tab[tc_n++];
        s->count = 1;
        s->hash = h;
        s->depth = n;
        memcpy(s->pcs, pcs, sizeof(pcs[0]) * (size_t)n);
    } else {
        tc_overflow++;
    }
out:
    pthread_mutex_unlock(&tc_lock);
}

uint64_t cprof__threadcreate_count(void)
{
    uint64_t n;

    pthread_mutex_lock(&tc_lock);
    n = tc_total;
    pthread_mutex_unlock(&tc_lock);
    return n;
}

/* ---- the dump ---- */

static bool handler_is_ours(int s)
{
    struct sigaction old;

    return cprof__real_sigaction(s, NULL, &old) == 0 && (old.sa_flags & SA_SIGINFO) &&
           old.sa_sigaction == cprof_dump_handler_sigsafe;
}

static bool signal_free(int s)
{
    struct sigaction old;

    /* Not one the CPU sampler is set to use (its handler may not be installed yet). */
    if (s == cprof__rt->cfg.signo || s == cprof__rt->sig.signo)
        return false;
    return cprof__real_sigaction(s, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
           old.sa_handler == SIG_DFL;
}

/* Picks and installs the dump signal (again if the program took it).  dump_lock held. */
static int ensure_signal(void)
{
    struct sigaction sa;
    int s;

    if (dump_signo && handler_is_ours(dump_signo))
        return 0;
    for (s = SIGRTMAX - 1; s >= SIGRTMIN + 3; s--)
        if (handler_is_ours(s) || signal_free(s))
            break;
    if (s < SIGRTMIN + 3)
        return CPROF_EBUSY;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = cprof_dump_handler_sigsafe;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigfillset(&sa.sa_mask);
    /* Owned from now on: the program's changes are recorded, ours stays (sigown.c). */
    int err = cprof__sig_install(s, &sa, CPROF_SIG_INTERNAL);
    if (err)
        return err;
    dump_signo = s;
    return 0;
}

static int tables_init(void)
{
    if (g_dump.slots)
        return 0;
    void *m = mmap(NULL, sizeof(struct cprof_dump_slot) * CPROF_DUMP_MAX_THREADS,
                   PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -errno;
    g_dump.slots = m;
    return 0;
}

/* Reads a small /proc/self/task/TID file into buf (NUL-terminated); length or -1. */
static ssize_t read_task_file(pid_t tid, const char *what, char *buf, size_t n)
{
    char path[64];
    ssize_t r;
    int fd;

    snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int)tid, what);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    r = read(fd, buf, n - 1);
    close(fd);
    if (r < 0)
        return -1;
    buf[r] = 0;
    return r;
}

/* Name, state and whether the dump signal is blocked, from /proc. */
static bool task_info(struct cprof_thread_info *t, int signo)
{
    char buf[2048];
    const char *p;

    if (read_task_file(t->tid, "comm", buf, sizeof(buf)) < 0)
        return false;
    buf[strcspn(buf, "\n")] = 0;
    buf[sizeof(t->name) - 1] = 0; /* comm is at most 15 bytes */
    memcpy(t->name, buf, strlen(buf) + 1);
    t->state = '?';
    if (read_task_file(t->tid, "stat", buf, sizeof(buf)) > 0 && (p = strrchr(buf, ')')) &&
        p[1] == ' ')
        t->state = p[2];
    if (read_task_file(t->tid, "status", buf, sizeof(buf)) > 0 && (p = strstr(buf, "SigBlk:"))) {
        unsigned long long blk = strtoull(p + 7, NULL, 16);
        if (blk & (1ull << (signo - 1)))
            return true;
    }
    return false;
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Lists the threads into info[] (self first); the number listed. */
static size_t list_threads(struct cprof_thread_info *info, size_t max)
{
    pid_t self = gettid(), skip = -1;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    size_t n = 1;

    if (!d)
        return 0;
    pthread_mutex_lock(&cprof__rt->lock);
    if (cprof__rt->cpu.running)
        skip = cprof__rt->cpu.writer_tid; /* ours, all signals blocked */
    pthread_mutex_unlock(&cprof__rt->lock);
    info[0].tid = self;
    while ((e = readdir(d)) != NULL && n < max) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid > 0 && tid != self && tid != skip)
            info[n++].tid = tid;
    }
    closedir(d);
    return n;
}

/* ---- threads blocked in a system call: unwound from here ---- */

#define COPY_MAX   (1u << 20) /* bytes of a blocked thread's stack copied, from sp up */
#define COPY_TRIES 3          /* copies of a stack that keeps moving before it is kept as stale */

/* The process's mappings, for the bounds of a blocked thread's stack. */
struct maps {
    uintptr_t (*r)[2]; /* [start, end) per mapping, sorted */
    size_t n;          /* entries of r */
    bool loaded;       /* read during this dump */
};

/* Reads /proc/self/maps into m (again).  0 or -errno. */
static int maps_load(struct maps *m)
{
    FILE *f = fopen("/proc/self/maps", "re");
    char *line = NULL;
    size_t cap = 0, room = 0;
    int err = 0;

    if (!f)
        return -errno;
    m->n = 0;
    while (getline(&line, &cap, f) > 0) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
            continue;
        if (m->n == room) {
            room = room ? room * 2 : 256;
            void *r = realloc(m->r, room * sizeof(m->r[0]));
            if (!r) {
                err = -ENOMEM;
                break;
            }
            m->r = r;
        }
        m->r[m->n][0] = lo;
        m->r[m->n][1] = hi;
        m->n++;
    }
    free(line);
    fclose(f);
    m->loaded = err == 0;
    return err;
}

/* The mapping holding addr: true and its bounds, or false. */
static bool maps_find(const struct maps *m, uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
    size_t a = 0, b = m->n;

    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (m->r[mid][0] <= addr)
            a = mid + 1;
        else
            b = mid;
    }
    if (a == 0 || addr >= m->r[a - 1][1])
        return false;
    *lo = m->r[a - 1][0];
    *hi = m->r[a - 1][1];
    return true;
}

/* The bounds of the mapping holding sp, reading the maps (again) when needed. */
static bool stack_bounds(struct maps *m, uintptr_t sp, uintptr_t *lo, uintptr_t *hi)
{
    if (m->loaded && maps_find(m, sp, lo, hi))
        return true;
    return maps_load(m) == 0 && maps_find(m, sp, lo, hi); /* a mapping made since */
}

/*
 * Reads /proc/self/task/TID/syscall into line: true when the thread is
 * blocked in a system call ("NR args... SP PC"), with *sp and *pc; false
 * when it is running ("running"), blocked outside a system call ("-1 SP
 * PC"), or the file cannot be read.
 */
static bool task_syscall(pid_t tid, char *line, size_t n, uintptr_t *sp, uintptr_t *pc)
{
    unsigned long long v[9];
    long nr;

    if (read_task_file(tid, "syscall", line, n) <= 0)
        return false;
    if (sscanf(line, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]) != 9 ||
        nr < 0)
        return false;
    *sp = (uintptr_t)v[6];
    *pc = (uintptr_t)v[7];
    return *sp != 0 && *pc != 0;
}

static char *copy_buf; /* dump_lock; COPY_MAX bytes, allocated once, never freed */

/*
 * Takes the stack of a thread blocked in a system call without signalling
 * it (a signal would end nanosleep, poll, epoll_wait... with EINTR even
 * under SA_RESTART): copies its stack from the SP the kernel reports up to
 * the end of the mapping holding it (at most COPY_MAX bytes, through
 * process_vm_readv, so a stack unmapped meanwhile gives an error, not a
 * fault), reads the syscall file again, and unwinds the copy when the
 * thread has not moved (same system call, SP and PC); else tries again,
 * and after COPY_TRIES copies keeps the last one, marked stale.
 * 1: t has its stack (or t->why says why not; do not signal it);
 * 0: the thread is not in a system call: signal it.  dump_lock held.
 */
static int remote_stack(struct cprof_thread_info *t, struct maps *m)
{
    char line[256], again[256];
    uintptr_t sp, pc, lo, hi, sp2, pc2;
    ssize_t got = 0;
    bool stale = true;

    if (!task_syscall(t->tid, line, sizeof(line), &sp, &pc))
        return 0;
    if (!copy_buf) {
        void *b = mmap(NULL, COPY_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (b == MAP_FAILED)
            return 0; /* the signal path still works */
        copy_buf = b;
    }
    for (int k = 0; k < COPY_TRIES; k++) {
        if (!stack_bounds(m, sp, &lo, &hi)) {
            t->why = "stack not found";
            return 1;
        }
        struct iovec local = {copy_buf, hi - sp < COPY_MAX ? hi - sp : COPY_MAX};
        struct iovec remote = {(void *)sp, local.iov_len};
        got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        if (got < 0 && errno != EFAULT)
            return 0; /* not allowed here (seccomp): the signal path, as before */
        if (!task_syscall(t->tid, again, sizeof(again), &sp2, &pc2))
            return 0; /* running now: the signal does no harm */
        if (got > 0 && !strcmp(line, again)) {
            stale = false;
            break;
        }
        memcpy(line, again, sizeof(line));
        if (k + 1 < COPY_TRIES) {
            sp = sp2;
            pc = pc2;
        }
    }
    if (got <= 0) {
        t->why = "stack not readable";
        return 1;
    }
    bool trunc = false;
    t->depth = cprof_unwind_copy_sigsafe(pc, sp, copy_buf, sp, sp + (uintptr_t)got, t->pcs,
                                         CPROF_DUMP_MAX_DEPTH, &trunc);
    t->truncated = trunc;
    t->stale = stale;
    t->in_syscall = true;
    t->has_stack = t->depth > 0;
    t->why = t->has_stack ? NULL : "stack not unwound";
    return 1;
}

/*
 * Takes the stacks of info[1..n): threads blocked in a system call from
 * here (remote_stack), the others by signalling them; collects the
 * answers.  dump_lock held.
 */
static void collect(struct cprof_thread_info *info, size_t n)
{
    pid_t pid = getpid();
    struct maps maps = {0};
    uint32_t used = 0;

    atomic_store(&g_dump.nslots, 0);
    for (size_t i = 1; i < n && used < CPROF_DUMP_MAX_THREADS; i++) {
        struct cprof_dump_slot *s = &g_dump.slots[used];
        bool blocked = task_info(&info[i], dump_signo);
        if (remote_stack(&info[i], &maps))
            continue;
        if (blocked) {
            info[i].why = "signal blocked";
            continue;
        }
        while (atomic_load(&s->state) == CPROF_DUMP_BUSY)
            sched_yield(); /* a late handler of an earlier dump; bounded by one unwind */
        atomic_store(&s->tid, info[i].tid);
        atomic_store(&s->state, CPROF_DUMP_PENDING);
        atomic_store(&g_dump.nslots, used + 1);
        info[i].why = "no answer";
        info[i].depth = (int)used++; /* slot index until collected */
        if (syscall(SYS_tgkill, pid, info[i].tid, dump_signo) < 0) {
            int want = CPROF_DUMP_PENDING;
            atomic_compare_exchange_strong(&s->state, &want, CPROF_DUMP_MISSED);
            info[i].why = "exited";
        }
    }
    int64_t deadline = mono_ms() + CPROF_DUMP_TIMEOUT_MS;
    for (;;) {
        bool waiting = false;
        for (uint32_t j = 0; j < used && !waiting; j++) {
            int st = atomic_load(&g_dump.slots[j].state);
            waiting = st == CPROF_DUMP_PENDING || st == CPROF_DUMP_BUSY;
        }
        if (!waiting || mono_ms() >= deadline)
            break;
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 1; i < n; i++) {
        if (strcmp(info[i].why ? info[i].why : "", "no answer") != 0)
            continue;
        struct cprof_dump_slot *s = &g_dump.slots[info[i].depth];
        int want = CPROF_DUMP_PENDING;
        info[i].depth = 0;
        if (atomic_compare_exchange_strong(&s->state, &want, CPROF_DUMP_MISSED))
            continue;
        while (atomic_load(&s->state) == CPROF_DUMP_BUSY)
            sched_yield();
        if (atomic_load_explicit(&s->state, memory_order_acquire) == CPROF_DUMP_DONE) {
            info[i].depth = s->depth;
            info[i].truncated = s->truncated;
            memcpy(info[i].pcs, s->pcs, sizeof(s->pcs[0]) * (size_t)s->depth);
            info[i].has_stack = true;
            info[i].why = NULL;
            atomic_store(&s->state, CPROF_DUMP_IDLE);
        }
    }
    free(maps.r);
}

int cprof__threads_dump(struct cprof_thread_info **out, size_t *nout)
{
    struct cprof_thread_info *info;
    bool trunc = false;
    size_t n;
    int err;

    info = calloc(CPROF_DUMP_MAX_THREADS, sizeof(*info));
    if (!info)
        return -ENOMEM;
    pthread_mutex_lock(&dump_lock);
    err = tables_init();
    if (!err)
        err = ensure_signal();
    if (err)
        goto out_unlock;
    n = list_threads(info, CPROF_DUMP_MAX_THREADS);
    if (n == 0) {
        err = -ENOENT;
        goto out_unlock;
    }
    task_info(&info[0], dump_signo);
    info[0].state = 'R';
    info[0].depth = cprof_unwind_here_sigsafe(info[0].pcs, CPROF_DUMP_MAX_DEPTH, &trunc);
    info[0].truncated = trunc;
    info[0].has_stack = true;
    collect(info, n);
    pthread_mutex_unlock(&dump_lock);
    *out = info;
    *nout = n;
    return 0;
out_unlock:
    pthread_mutex_unlock(&dump_lock);
    free(info);
    return err;
}

size_t cprof__threads_count(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    size_t n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* ---- symbolization with files kept open between requests ---- */

static pthread_mutex_t sym_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cprof_symbolizer *g_sym; /* sym_lock; created on first use */

int cprof__threads_symbolize(struct cprof_profile *p)
{
    int err;

    pthread_mutex_lock(&sym_lock);
    if (!g_sym)
        g_sym = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD | CPROF_SYM_FDE_NAMES);
    err = g_sym ? cprof__add_self_mappings_sym(p, g_sym) : -ENOMEM;
    pthread_mutex_unlock(&sym_lock);
    return err;
}

void cprof__threads_release(void)
{
    pthread_mutex_lock(&sym_lock);
    cprof_symbolizer_free(g_sym);
    g_sym = NULL;
    pthread_mutex_unlock(&sym_lock);
}

/* ---- fork ---- */

/*
 * tc_lock is held for a few instructions by any thread that creates one:
 * prepare takes it, so the child finds it free and the table whole.
 * dump_lock and sym_lock are held for whole requests by the endpoint's
 * thread, which the child does not have: the child takes them over, and
 * drops a symbolizer that was in use (leaked; its state may be half
 * updated).
 */
void cprof__threads_fork_prepare(void)
{
    pthread_mutex_lock(&tc_lock);
}

void cprof__threads_fork_parent(void)
{
    pthread_mutex_unlock(&tc_lock);
}

void cprof__threads_fork_child(void)
{
    /* The threads created so far are the parent's: the child's count starts over. */
    tc_n = 0;
    tc_total = 0;
    tc_overflow = 0;
    pthread_mutex_unlock(&tc_lock);
    if (pthread_mutex_trylock(&sym_lock) != 0) {
        pthread_mutex_init(&sym_lock, NULL);
        g_sym = NULL;
    } else {
        pthread_mutex_unlock(&sym_lock);
    }
    if (pthread_mutex_trylock(&dump_lock) != 0)
        pthread_mutex_init(&dump_lock, NULL);
    else
        pthread_mutex_unlock(&dump_lock);
}

/* ---- profiles ---- */

/* The load address range of libcprof.so itself: its frames lead creating stacks. */
static bool in_runtime(uintptr_t pc)
{
    static uintptr_t base;
    Dl_info here, at;

    if (!base) {
        if (!dladdr((void *)in_runtime, &here))
            return false;
        base = (uintptr_t)here.dli_fbase;
    }
    return dladdr((void *)pc, &at) && (uintptr_t)at.dli_fbase == base;
}

/* A one-frame location for a synthetic function (a thread without a stack). */
static int synthetic_loc(struct cprof_profile *p, const char *name, uint32_t *loc)
{
    struct cprof_function f = {0};
    struct cprof_line line = {0};
    int err = cprof_profile_intern_cstr(p, name, &f.name);

    if (!err) {
        f.system_name = f.name;
        err = cprof_profile_add_function(p, &f, &line.func);
    }
    if (!err)
        err = cprof_profile_add_location(p, CPROF_NONE, 0, &line, 1, false, loc);
    return err;
}

/* Adds one stack (pcs[0] exact, then return addresses) as a sample of count. */
static int add_stack(struct cprof_profile *p, const uintptr_t *pcs, int n, int64_t count,
                     const char *why, unsigned flags)
{
    uint32_t locs[CPROF_DUMP_MAX_DEPTH + 1];
    uint32_t nl = 0;
    int err = 0;

    if (n > CPROF_DUMP_MAX_DEPTH)
        n = CPROF_DUMP_MAX_DEPTH;
    for (int i = 0; i < n && !err; i++)
        err = cprof_profile_add_location(p, CPROF_NONE, i == 0 ? pcs[i] : pcs[i] - 1, NULL, 0,
                                         false, &locs[nl++]);
    if (!err && n == 0 && why)
        err = synthetic_loc(p, why, &locs[nl++]);
    if (!err)
        err = cprof_profile_add_sample(p, locs, nl, &count, NULL, 0, flags);
    return err;
}

static int new_count_profile(const char *name, struct cprof_profile **out)
{
    struct cprof_profile *p = cprof_profile_new();
    struct timespec ts;
    int err;

    if (!p)
        return -ENOMEM;
    err = cprof_profile_add_sample_type(p, name, "count");
    if (!err)
        err = cprof_profile_intern_cstr(p, name, &p->period_type.type);
    if (!err)
        err = cprof_profile_intern_cstr(p, "count", &p->period_type.unit);
    p->period = 1;
    clock_gettime(CLOCK_REALTIME, &ts);
    p->time_nanos = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (err) {
        cprof_profile_free(p);
        return err;
    }
    *out = p;
    return 0;
}

static int add_threads(struct cprof_profile *p, unsigned flags)
{
    struct cprof_thread_info *info = NULL;
    size_t n = 0;
    int err = cprof__threads_dump(&info, &n);

    for (size_t i = 0; i < n && !err; i++)
        err = add_stack(p, info[i].pcs, info[i].has_stack ? info[i].depth : 0, 1,
                        "(thread stack unavailable)", flags);
    free(info);
    return err;
}

static int add_creators(struct cprof_profile *p)
{
    struct tc_stack s;
    uint64_t overflow;
    int err = 0;

    for (uint32_t i = 0;; i++) {
        pthread_mutex_lock(&tc_lock);
        bool more = tc_tab && i < tc_n;
        if (more)
            s = tc_tab[i];
        overflow = tc_overflow;
        pthread_mutex_unlock(&tc_lock);
        if (!more || err)
            break;
        int skip = 0;
        while (skip < s.depth - 1 && in_runtime(s.pcs[skip]))
            skip++;
        /* pcs[skip] is a return address into the creator: not the leaf pc. */
        uintptr_t pcs[TC_DEPTH];
        int n = s.depth - skip;
        for (int j = 0; j < n; j++)
            pcs[j] = s.pcs[skip + j] - (j == 0);
        err = add_stack(p, pcs, n, (int64_t)s.count, NULL, CPROF_ADD_MERGE);
    }
    if (!err && overflow)
        err = add_stack(p, NULL, 0, (int64_t)overflow, "(more thread creation stacks)", 0);
    return err;
}

int cprof__threads_profile(int kind, struct cprof_profile **out)
{
    struct cprof_profile *p;
    int err;

    err = new_count_profile(kind == CPROF_THREADS_GOROUTINE ? "goroutine" : "threadcreate", &p);
    if (err)
        return err;
    err = kind == CPROF_THREADS_GOROUTINE ? add_threads(p, CPROF_ADD_MERGE) : add_creators(p);
    if (!err)
        err = cprof__threads_symbolize(p);
    if (err) {
        cprof_profile_free(p);
        return err;
    }
    *out = p;
    return 0;
}

/* ---- text ---- */

/* Appends "0x<pc>" addresses of sample s as Go's "@" line lists them. */
static int at_line(const struct cprof_profile *p, const struct cprof_sample *s, struct cprof_buf *b)
{
    int err = cprof_buf_printf(b, "%lld @", (long long)s->values[0]);

    for (uint32_t i = 0; i < s->nlocs && !err; i++) {
        const struct cprof_location *l = &p->locations[s->locs[i]];
        if (l->address)
            err = cprof_buf_printf(b, " %#llx",
                                   (unsigned long long)(i == 0 ? l->address : l->address + 1));
    }
    return err ? err : cprof_buf_printf(b, "\n");
}

/* The entry of the symbol holding pc when the dynamic linker knows it (else 0). */
static uintptr_t sym_entry(uintptr_t pc, const char *system_name)
{
    Dl_info di;

    if (pc && dladdr((void *)pc, &di) && di.dli_saddr && di.dli_sname &&
        !strcmp(di.dli_sname, system_name))
        return (uintptr_t)di.dli_saddr;
    return 0;
}

/* "#\t0x<pc>\t<func>+0x<off>\t<file>:<line>" per frame, inlined ones included. */
static int frame_lines(const struct cprof_profile *p, const struct cprof_location *l,
                       struct cprof_buf *b)
{
    int err = 0;

    if (l->nlines == 0)
        return cprof_buf_printf(b, "#\t%#llx\n", (unsigned long long)l->address);
    for (uint32_t j = 0; j < l->nlines && !err; j++) {
        const struct cprof_function *f = &p->functions[l->lines[j].func];
        const char *name = cprof_profile_str(p, f->name);
        uintptr_t entry = sym_entry(l->address, cprof_profile_str(p, f->system_name));
        err = cprof_buf_printf(b, "#\t%#llx\t%s", (unsigned long long)l->address, name);
        if (!err && entry && j == l->nlines - 1)
            err = cprof_buf_printf(b, "+%#llx", (unsigned long long)(l->address - entry));
        if (!err)
            err = cprof_buf_printf(b, "\t%s:%lld\n", cprof_profile_str(p, f->filename),
                                   (long long)l->lines[j].line);
    }
    return err;
}

static int sample_text(const struct cprof_profile *p, const struct cprof_sample *s,
                       struct cprof_buf *b)
{
    int err = at_line(p, s, b);

    for (uint32_t i = 0; i < s->nlocs && !err; i++)
        err = frame_lines(p, &p->locations[s->locs[i]], b);
    return err ? err : cprof_buf_printf(b, "\n");
}

struct group {
    const struct cprof_sample *s; /* the sample */
    char *text;                   /* its "@" line and frames, the sort key */
    size_t len;                   /* bytes of text */
};

static int cmp_group(const void *a, const void *b)
{
    const struct group *x = a, *y = b;

    if (x->s->values[0] != y->s->values[0])
        return x->s->values[0] > y->s->values[0] ? -1 : 1;
    return strcmp(x->text, y->text);
}

int cprof__count_profile_text(const struct cprof_profile *p, const char *name,
                              struct cprof_buf *out)
{
    struct group *g = calloc(p->nsamples ? p->nsamples : 1, sizeof(*g));
    int64_t total = 0;
    int err = 0;

    if (!g)
        return -ENOMEM;
    for (uint32_t i = 0; i < p->nsamples && !err; i++) {
        struct cprof_buf b;
        cprof_buf_init(&b, 0);
        g[i].s = &p->samples[i];
        total += p->samples[i].values[0];
        err = sample_text(p, &p->samples[i], &b);
        if (!err)
            err = cprof_buf_append(&b, "", 1);
        g[i].text = (char *)cprof_buf_detach(&b, &g[i].len);
        if (!err && !g[i].text)
            err = -ENOMEM;
        cprof_buf_release(&b);
    }
    if (!err) {
        qsort(g, p->nsamples, sizeof(*g), cmp_group);
        err = cprof_buf_printf(out, "%s profile: total %lld\n", name, (long long)total);
    }
    for (uint32_t i = 0; i < p->nsamples && !err; i++)
        err = cprof_buf_append(out, g[i].text, g[i].len - 1);
    for (uint32_t i = 0; i < p->nsamples; i++)
        free(g[i].text);
    free(g);
    return err;
}

static const char *state_name(char c)
{
    switch (c) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk sleep";
    case 'T': return "stopped";
    case 't': return "tracing stop";
    case 'Z': return "zombie";
    case 'X': return "dead";
    case 'I': return "idle";
    default: return "unknown";
    }
}

/* Go's traceback frame: "func(...)" then "\tfile:line +0xoff"; inlined frames first. */
static int traceback_frames(const struct cprof_profile *p, const struct cprof_sample *s,
                            struct cprof_buf *b)
{
    int err = 0;

    for (uint32_t i = 0; i < s->nlocs && !err; i++) {
        const struct cprof_location *l = &p->locations[s->locs[i]];
        if (l->nlines == 0) {
            err = cprof_buf_printf(b, "?()\n\t?:0 pc=%#llx\n", (unsigned long long)l->address);
            continue;
        }
        for (uint32_t j = 0; j < l->nlines && !err; j++) {
            const struct cprof_function *f = &p->functions[l->lines[j].func];
            bool inl = j + 1 < l->nlines;
            uintptr_t entry = sym_entry(l->address, cprof_profile_str(p, f->system_name));
            err = cprof_buf_printf(b, "%s(%s)\n\t%s:%lld", cprof_profile_str(p, f->name),
                                   inl ? "..." : "", cprof_profile_str(p, f->filename),
                                   (long long)l->lines[j].line);
            if (!err && !inl && entry)
                err = cprof_buf_printf(b, " +%#llx", (unsigned long long)(l->address - entry));
            if (!err && !inl && !entry)
                err = cprof_buf_printf(b, " pc=%#llx", (unsigned long long)l->address);
            if (!err)
                err = cprof_buf_printf(b, "\n");
        }
    }
    return err;
}

int cprof__threads_text(struct cprof_buf *out)
{
    struct cprof_thread_info *info = NULL;
    struct cprof_profile *p = NULL;
    size_t n = 0;
    int err;

    err = new_count_profile("goroutine", &p);
    if (!err)
        err = cprof__threads_dump(&info, &n);
    /* One sample per thread, in dump order: sample i is thread i. */
    for (size_t i = 0; i < n && !err; i++)
        err = add_stack(p, info[i].pcs, info[i].has_stack ? info[i].depth : 0, 1, NULL, 0);
    if (!err)
        err = cprof__threads_symbolize(p);
    for (size_t i = 0; i < n && !err; i++) {
        const struct cprof_thread_info *t = &info[i];
        err = cprof_buf_printf(out, "%sgoroutine %d [%s, thread \"%s\"]:\n", i ? "\n" : "",
                               (int)t->tid, state_name(t->state), t->name);
        if (!err && !t->has_stack)
            err = cprof_buf_printf(out, "thread stack unavailable (%s)\n", t->why);
        if (!err && t->has_stack)
            err = traceback_frames(p, &p->samples[i], out);
        if (!err && t->truncated)
            err = cprof_buf_printf(out, "...additional frames elided...\n");
        if (!err && t->stale)
            err = cprof_buf_printf(out, "...stack may be stale (the thread kept moving)...\n");
    }
    free(info);
    cprof_profile_free(p);
    return err;
}
