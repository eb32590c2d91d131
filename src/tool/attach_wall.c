/*
 * cprof attach -wall: where the target's threads wait.  A thread on CPU is
 * seen by the perf samples; every tick, each thread that is not running
 * gets a sample weighted by the time since its previous tick, with the
 * stack it is blocked in: /proc/PID/task/TID/syscall gives its system
 * call, stack pointer and pc (the kernel reads them while the thread is
 * off CPU, without stopping it), process_vm_readv copies its stack, and
 * the runtime's walker unwinds the copy.  The stack is read again only
 * when the thread's CPU time (schedstat) moved since the last read: a
 * thread asleep since then is still where it was.  A tick's weight is
 * the time the thread was off CPU since its previous tick (elapsed time
 * minus the growth of its schedstat run time: the time on CPU is the perf
 * samples'), so a thread's samples add up to the wall time whatever mix
 * of running and waiting it did.  A thread that is runnable but waits for
 * a CPU is charged as "runnable" at its last CPU sample's stack.  Measured costs
 * (reference: wave2.md §7): syscall file ~21 us, a 16 KiB copy ~47 us.
 * Both need ptrace "attach" access, which Yama's ptrace_scope restricts.
 */
#include "tool/attach.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/err.h"

struct wthread {
    int tid;
    bool seen;             /* listed in this tick's scan */
    uint64_t last_tick_ns; /* when it was last accounted */
    uint64_t run_ns;       /* schedstat run time at the last stack read */
    uint64_t tick_run_ns;  /* schedstat run time at the last tick */
    int npcs;              /* cached stack, 0 = none */
    uintptr_t pcs[CPROF_ATTACH_MAX_DEPTH];
    char state[40]; /* cached state label */
    int ncpu;       /* its last CPU sample's stack (cprof_attach_wall_note_cpu) */
    uintptr_t cpu_pcs[CPROF_ATTACH_MAX_DEPTH];
};

struct cprof_attach_wall {
    int pid;
    struct wthread *t;
    size_t n, cap;
    uint8_t *stack; /* CPROF_ATTACH_STACK_BYTES scratch */
    struct cprof_attach_wall_stats st;
};

static const struct {
    long nr;
    const char *name;
} syscalls[] = {
    {0, "read"},
    {1, "write"},
    {7, "poll"},
    {17, "pread64"},
    {18, "pwrite64"},
    {19, "readv"},
    {20, "writev"},
    {23, "select"},
    {24, "sched_yield"},
    {34, "pause"},
    {35, "nanosleep"},
    {43, "accept"},
    {44, "sendto"},
    {45, "recvfrom"},
    {46, "sendmsg"},
    {47, "recvmsg"},
    {42, "connect"},
    {61, "wait4"},
    {72, "fcntl"},
    {74, "fsync"},
    {75, "fdatasync"},
    {128, "rt_sigtimedwait"},
    {130, "rt_sigsuspend"},
    {202, "futex"},
    {230, "clock_nanosleep"},
    {232, "epoll_wait"},
    {247, "waitid"},
    {257, "openat"},
    {270, "pselect6"},
    {271, "ppoll"},
    {281, "epoll_pwait"},
    {288, "accept4"},
    {299, "recvmmsg"},
    {307, "sendmmsg"},
    {441, "epoll_pwait2"},
    {9, "mmap"},
    {11, "munmap"},
    {3, "close"},
    {62, "kill"},
    {56, "clone"},
    {435, "clone3"},
    {59, "execve"},
    {425, "io_uring_setup"},
    {426, "io_uring_enter"},
    {16, "ioctl"},
};

const char *cprof_attach_syscall_name(long nr)
{
    for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
        if (syscalls[i].nr == nr)
            return syscalls[i].name;
    return NULL;
}

int cprof_attach_wall_new(int pid, struct cprof_attach_wall **out)
{
    struct cprof_attach_wall *w = calloc(1, sizeof(*w));

    if (!w)
        return -ENOMEM;
    w->pid = pid;
    w->stack = malloc(CPROF_ATTACH_STACK_BYTES);
    if (!w->stack) {
        free(w);
        return -ENOMEM;
    }
    *out = w;
    return 0;
}

void cprof_attach_wall_free(struct cprof_attach_wall *w)
{
    if (!w)
        return;
    free(w->t);
    free(w->stack);
    free(w);
}

void cprof_attach_wall_stats(const struct cprof_attach_wall *w, struct cprof_attach_wall_stats *out)
{
    *out = w->st;
}

/* Reads a small /proc file into buf (NUL-terminated); bytes read or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r;

    if (fd < 0)
        return -errno;
    r = read(fd, buf, n - 1);
    if (r < 0)
        r = -errno;
    close(fd);
    buf[r > 0 ? r : 0] = 0;
    return r;
}

static struct wthread *find_or_add(struct cprof_attach_wall *w, int tid, uint64_t now)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->t[i].tid == tid)
            return &w->t[i];
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        struct wthread *t = realloc(w->t, cap * sizeof(*t));
        if (!t)
            return NULL;
        w->t = t;
        w->cap = cap;
    }
    memset(&w->t[w->n], 0, sizeof(w->t[0]));
    w->t[w->n].tid = tid;
    w->t[w->n].last_tick_ns = now;
    w->t[w->n].run_ns = UINT64_MAX;
    w->t[w->n].tick_run_ns = UINT64_MAX;
    return &w->t[w->n++];
}

/* The state letter of /proc/PID/task/TID/stat (after the command's ')'), or 0. */
static char thread_state(int pid, int tid)
{
    char path[64], buf[512], *p;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
    if (read_small(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')) || p[1] != ' ')
        return 0;
    return p[2];
}

static uint64_t run_time(int pid, int tid)
{
    char path[64], buf[128];
    unsigned long long v;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
    if (read_small(path, buf, sizeof(buf)) <= 0 || sscanf(buf, "%llu", &v) != 1)
        return UINT64_MAX;
    return v;
}

static void state_label(char st, long nr, char *out, size_t n)
{
    const char *name;

    if (nr >= 0 && (name = cprof_attach_syscall_name(nr)) != NULL)
        snprintf(out, n, "syscall:%s", name);
    else if (nr >= 0)
        snprintf(out, n, "syscall:%ld", nr);
    else
        snprintf(out, n, "%s",
                 st == 'D'                ? "disk"
                 : st == 'T' || st == 't' ? "stopped"
                                          : "sleeping");
}

/* Reads the blocked thread's system call, registers and stack; 0, 1 = running, or -errno. */
static int capture(struct cprof_attach_wall *w, struct wthread *t, char st,
                   const struct cprof_attach_objs *objs)
{
    char path[64], buf[512];
    unsigned long long a[8], sp, pc;
    long nr;
    ssize_t r;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", w->pid, t->tid);
    r = read_small(path, buf, sizeof(buf));
    if (r < 0)
        return (int)r;
    if (!strncmp(buf, "running", 7))
        return 1;
    if (sscanf(buf, "%ld", &nr) != 1)
        return CPROF_ECORRUPT;
    if (nr >= 0) {
        if (sscanf(buf, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2],
                   &a[3], &a[4], &a[5], &sp, &pc) != 9)
            return CPROF_ECORRUPT;
    } else if (sscanf(buf, "%ld %llx %llx", &nr, &sp, &pc) != 3) {
        return CPROF_ECORRUPT;
    }
    struct iovec local = {w->stack, CPROF_ATTACH_STACK_BYTES};
    struct iovec remote = {(void *)(uintptr_t)sp, CPROF_ATTACH_STACK_BYTES};
    /* A short read is fine: the stack's top is nearer than 16 KiB. */
    ssize_t got = process_vm_readv(w->pid, &local, 1, &remote, 1, 0);
    if (got < 0 && errno != EFAULT)
        return -errno;
    t->npcs = cprof_attach_unwind(objs, (uintptr_t)pc, (uintptr_t)sp, NULL, w->stack,
                                  got > 0 ? (size_t)got : 0, t->pcs, CPROF_ATTACH_MAX_DEPTH);
    state_label(st, nr, t->state, sizeof(t->state));
    return 0;
}

void cprof_attach_wall_note_cpu(struct cprof_attach_wall *w, int tid, const uintptr_t *pcs, int n)
{
    struct wthread *t = NULL;

    for (size_t i = 0; i < w->n && !t; i++)
        if (w->t[i].tid == tid)
            t = &w->t[i];
    if (!t || n <= 0)
        return;
    t->ncpu = n < CPROF_ATTACH_MAX_DEPTH ? n : CPROF_ATTACH_MAX_DEPTH;
    memcpy(t->cpu_pcs, pcs, (size_t)t->ncpu * sizeof(*pcs));
}

static void account(struct cprof_attach_wall *w, struct wthread *t, uint64_t now,
                    const struct cprof_attach_objs *objs, const struct cprof_attach_wall_sink *sink,
                    int *err)
{
    uint64_t run = run_time(w->pid, t->tid);
    int64_t ns = (int64_t)(now - t->last_tick_ns);

    /*
     * Did not run since the previous tick, and its stack is known: still
     * blocked where it was.  One file read per idle thread and tick.
     */
    if (run != UINT64_MAX && run == t->tick_run_ns && run == t->run_ns && t->npcs > 0) {
        t->last_tick_ns = now;
        w->st.reused++;
        if (ns > 0)
            sink->sample(sink->ctx, t->tid, t->pcs, t->npcs, t->state, ns);
        return;
    }
    char st = thread_state(w->pid, t->tid);

    /* Off CPU since the previous tick: elapsed minus what it ran (the perf samples' part). */
    if (run != UINT64_MAX && t->tick_run_ns != UINT64_MAX && run >= t->tick_run_ns)
        ns -= (int64_t)(run - t->tick_run_ns);
    t->last_tick_ns = now;
    t->tick_run_ns = run;
    if (st == 0 || st == 'Z' || st == 'X' || ns <= 0)
        return;
    if (st == 'R') { /* waiting for a CPU, or running: the perf samples have that part */
        if (t->ncpu > 0)
            sink->sample(sink->ctx, t->tid, t->cpu_pcs, t->ncpu, "runnable", ns);
        return;
    }
    if (t->npcs == 0 || run != t->run_ns || run == UINT64_MAX) {
        int r = capture(w, t, st, objs);
        if (r == 1)
            return;
        if (r < 0) {
            w->st.failed++;
            if ((r == -EACCES || r == -EPERM) && !*err)
                *err = r;
            t->npcs = 0;
            return;
        }
        t->run_ns = run;
        w->st.captures++;
    } else {
        w->st.reused++;
    }
    if (t->npcs > 0)
        sink->sample(sink->ctx, t->tid, t->pcs, t->npcs, t->state, ns);
}

static void explain(int err, int pid, char *why, size_t n)
{
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
    int scope = 0;

    if (f) {
        if (fscanf(f, "%d", &scope) != 1)
            scope = 0;
        fclose(f);
    }
    if (scope > 0)
        snprintf(why, n,
                 "-wall: cannot read the stacks of process %d's blocked threads: Yama "
                 "(/proc/sys/kernel/yama/ptrace_scope is %d) allows it only to a parent "
                 "process or CAP_SYS_PTRACE: set it to 0 (sysctl kernel.yama.ptrace_scope=0) or "
                 "run cprof as root",
                 pid, scope);
    else
        snprintf(why, n,
                 "-wall: cannot read the stacks of process %d's blocked threads (%s): this needs "
                 "ptrace access to it (same user, or CAP_SYS_PTRACE)",
                 pid, cprof_strerror(err));
}

int cprof_attach_wall_tick(struct cprof_attach_wall *w, uint64_t now_ns,
                           const struct cprof_attach_objs *objs,
                           const struct cprof_attach_wall_sink *sink, char *why, size_t whysz)
{
    char path[64];
    DIR *d;
    struct dirent *e;
    int err = 0;

    snprintf(path, sizeof(path), "/proc/%d/task", w->pid);
    d = opendir(path);
    if (!d)
        return -errno;
    w->st.ticks++;
    for (size_t i = 0; i < w->n; i++)
        w->t[i].seen = false;
    while ((e = readdir(d)) != NULL) {
        int tid = atoi(e->d_name);
        struct wthread *t;
        if (tid <= 0 || !(t = find_or_add(w, tid, now_ns)))
            continue;
        t->seen = true;
        account(w, t, now_ns, objs, sink, &err);
    }
    closedir(d);
    /* Threads that exited: forget them. */
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->t[i].seen)
            w->t[k++] = w->t[i];
    w->n = k;
    if (err)
        explain(err, w->pid, why, whysz);
    return err;
}
