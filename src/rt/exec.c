/*
 * The exec family, interposed so that a program that execs while being
 * profiled does not take a sampling signal into its new image.
 *
 * execve keeps the calling thread's pending signals (and interval
 * timers), but resets handled signals to SIG_DFL: a sample queued just
 * before exec then kills the new program (status 128 + signal).  Shims and
 * launchers (pyenv, rbenv, `env`, `nice`, `sh -c '...; exec prog'`) do
 * exactly that.  Before every exec the wrappers:
 *   1. block the runtime's internal signals in the calling thread, so no
 *      handler of ours runs (and re-arms a timer) during the next steps;
 *   2. stop the sampling timers: every thread's (under the runtime lock)
 *      and ITIMER_PROF, which exec would keep;
 *   3. discard every pending instance of the internal signals (SIG_IGN,
 *      then our handler again: cprof__sig_exec_prepare), and give the new
 *      image the program's view (its SIG_IGN, its blocked signals);
 *   4. restore the calling thread's mask, and exec.
 * When exec fails, everything is undone (timers re-armed) and the error
 * returned with errno intact.
 *
 * The runtime lock is held from step 2 until exec returns (never, when it
 * works): no thread of ours can arm a timer meanwhile.  When the lock is
 * not free within a second (a signal handler that execs on a thread that
 * holds it, or a long profile write), only the calling thread's timer is
 * stopped: the others' signals go to threads that exec ends anyway.
 *
 * In a vfork child (its pid is not the runtime's) the timers are the
 * parent's: only the signal dispositions and mask, which are the child's
 * own, are prepared.  posix_spawn and posix_spawnp get the same view of
 * dispositions and mask (without the flush: the child of a spawn starts
 * with no pending signal and no timer).
 */
#include "rt/rt.h"

#include <dlfcn.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <spawn.h>
#include <stdarg.h>
#include <alloca.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rt/sig/sigown_sig.h"

#define G (*cprof__rt)
#define S (cprof__rt->sig)

#define LOCK_WAIT_S 1 /* longest wait for the runtime lock before exec */

/* What exec_quiesce did, for exec_resume. */
struct quiesce {
    bool ours;              /* this process's runtime: timers were touched */
    bool locked;            /* holds G.lock; every live timer was paused */
    struct cprof_thr *self; /* unlocked: the calling thread's slot, or NULL */
    bool itimer;            /* ITIMER_PROF was stopped */
    struct itimerval it;    /* ... its value */
    uint64_t mask;          /* the calling thread's kernel mask before step 1 */
    struct cprof__sig_exec sig;
};

static struct cprof_thr *self_slot(void)
{
    pid_t tid = gettid();
    uint32_t n = atomic_load(&S.nused);

    for (uint32_t i = 0; S.slots && i < n; i++)
        if (atomic_load(&S.slots[i].state) == CPROF_THR_LIVE && atomic_load(&S.slots[i].tid) == tid)
            return &S.slots[i];
    return NULL;
}

static void timer_pause(struct cprof_thr *t)
{
    static const struct itimerspec off;

    if (t->perf_fd >= 0)
        ioctl(t->perf_fd, PERF_EVENT_IOC_DISABLE, 0);
    if (t->has_timer)
        timer_settime(t->timer, 0, &off, NULL);
}

static void timer_resume(struct cprof_thr *t)
{
    struct itimerspec its;

    if (t->perf_fd >= 0)
        ioctl(t->perf_fd, PERF_EVENT_IOC_REFRESH, CPROF_PERF_REFRESH);
    if (t->has_timer) {
        its.it_interval.tv_sec = (time_t)(S.period_ns / 1000000000);
        its.it_interval.tv_nsec = (long)(S.period_ns % 1000000000);
        its.it_value = its.it_interval;
        timer_settime(t->timer, 0, &its, NULL);
    }
}

/* Calls fn on every live slot (lock held), or on the calling thread's only. */
static void each_timer(struct quiesce *q, void (*fn)(struct cprof_thr *))
{
    if (!q->locked) {
        if (q->self)
            fn(q->self);
        return;
    }
    uint32_t n = atomic_load(&S.nused);
    for (uint32_t i = 0; S.slots && i < n; i++)
        if (atomic_load(&S.slots[i].state) == CPROF_THR_LIVE)
            fn(&S.slots[i]);
}

static bool lock_runtime(void)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += LOCK_WAIT_S;
    return pthread_mutex_timedlock(&G.lock, &until) == 0;
}

/* ---- the wrappers ---- */

static void *real(void *_Atomic *slot, const char *name)
{
    void *f = atomic_load_explicit(slot, memory_order_acquire);

    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        atomic_store_explicit(slot, f, memory_order_release);
    }
    return f;
}

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                        const posix_spawnattr_t *, char *const[], char *const[]);

static void *_Atomic p_execve, *_Atomic p_execvpe, *_Atomic p_fexecve, *_Atomic p_execveat,
    *_Atomic p_spawn, *_Atomic p_spawnp;

static void exec_quiesce(struct quiesce *q, bool flush)
{
    uint64_t in = atomic_load(&cprof__sig_own->internal);
    uint64_t believed = cprof__sig_thread_bits(), back;
    int saved_errno = errno;

    memset(q, 0, sizeof(*q));
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &in, &q->mask, sizeof(in));
    q->ours = flush && G.inited && getpid() == G.pid;
    if (q->ours) {
        q->locked = lock_runtime();
        if (!q->locked)
            q->self = self_slot();
        if (G.cpu.running || !q->locked) {
            each_timer(q, timer_pause);
            if (S.mode == CPROF_CPU_ITIMER) {
                static const struct itimerval off;
                q->itimer = setitimer(ITIMER_PROF, &off, &q->it) == 0;
            }
        }
    }
    cprof__sig_exec_prepare(&q->sig, flush);
    /* The new image inherits the mask the program believes this thread has. */
    back = in & ~believed;
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &back, NULL, sizeof(back));
    errno = saved_errno;
}

/* exec failed: the runtime goes on as before.  errno is kept. */
static void exec_resume(struct quiesce *q)
{
    uint64_t in = atomic_load(&cprof__sig_own->internal);
    int saved_errno = errno;

    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &in, NULL, sizeof(in));
    cprof__sig_exec_undo(&q->sig);
    if (q->ours) {
        if (q->itimer)
            setitimer(ITIMER_PROF, &q->it, NULL);
        if (G.cpu.running || !q->locked)
            each_timer(q, timer_resume);
        if (q->locked)
            pthread_mutex_unlock(&G.lock);
    }
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &q->mask, NULL, sizeof(q->mask));
    errno = saved_errno;
}

/*
 * Resolves the real functions while it is safe (the constructor): a vfork
 * child must not be the first to call dlsym, which may allocate.
 */
void cprof__exec_resolve(void)
{
    (void)real(&p_execve, "execve");
    (void)real(&p_execvpe, "execvpe");
    (void)real(&p_fexecve, "fexecve");
    (void)real(&p_execveat, "execveat");
    (void)real(&p_spawn, "posix_spawn");
    (void)real(&p_spawnp, "posix_spawnp");
}

static int no_function(void)
{
    errno = ENOSYS;
    return -1;
}

CPROF_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    execve_fn f = (execve_fn)real(&p_execve, "execve");
    struct quiesce q;
    int r;

    if (!f)
        return no_function();
    exec_quiesce(&q, true);
    r = f(path, argv, envp);
    exec_resume(&q);
    return r;
}

/* execv and execvp are execve and execvpe with the current environ, as in libc. */
CPROF_EXPORT int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

CPROF_EXPORT int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

CPROF_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    execve_fn f = (execve_fn)real(&p_execvpe, "execvpe");
    struct quiesce q;
    int r;

    if (!f)
        return no_function();
    exec_quiesce(&q, true);
    r = f(file, argv, envp);
    exec_resume(&q);
    return r;
}

CPROF_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    fexecve_fn f = (fexecve_fn)real(&p_fexecve, "fexecve");
    struct quiesce q;
    int r;

    if (!f)
        return no_function();
    exec_quiesce(&q, true);
    r = f(fd, argv, envp);
    exec_resume(&q);
    return r;
}

CPROF_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                          int flags)
{
    execveat_fn f = (execveat_fn)real(&p_execveat, "execveat");
    struct quiesce q;
    int r;

    if (!f) /* glibc before 2.34 has no wrapper: the system call itself */
        return (int)syscall(SYS_execveat, dirfd, path, argv, envp, flags);
    exec_quiesce(&q, true);
    r = f(dirfd, path, argv, envp, flags);
    exec_resume(&q);
    return r;
}

/*
 * The execl family: argv built on the stack, as libc does, then the
 * wrapper above.  ARGV_COLLECT counts the arguments after arg (up to the
 * NULL), then copies them.
 */
#define ARGV_COLLECT(argv, arg, ap, last)                                                          \
    do {                                                                                           \
        size_t n_ = 1;                                                                             \
        va_list c_;                                                                                \
        va_copy(c_, ap);                                                                           \
        while (va_arg(c_, char *) != NULL)                                                         \
            n_++;                                                                                  \
        va_end(c_);                                                                                \
        argv = alloca((n_ + 1) * sizeof(char *));                                                  \
        argv[0] = (char *)(arg);                                                                   \
        for (size_t i_ = 1; i_ <= n_; i_++)                                                        \
            argv[i_] = va_arg(ap, char *);                                                         \
        last = argv[n_];                                                                           \
    } while (0)

CPROF_EXPORT int execl(const char *path, const char *arg, ...)
{
    char **argv, *last;
    va_list ap;

    va_start(ap, arg);
    ARGV_COLLECT(argv, arg, ap, last);
    va_end(ap);
    (void)last;
    return execv(path, argv);
}

CPROF_EXPORT int execlp(const char *file, const char *arg, ...)
{
    char **argv, *last;
    va_list ap;

    va_start(ap, arg);
    ARGV_COLLECT(argv, arg, ap, last);
    va_end(ap);
    (void)last;
    return execvp(file, argv);
}

CPROF_EXPORT int execle(const char *path, const char *arg, ...)
{
    char **argv, *last, **envp;
    va_list ap;

    va_start(ap, arg);
    ARGV_COLLECT(argv, arg, ap, last);
    (void)last;
    envp = va_arg(ap, char **);
    va_end(ap);
    return execve(path, argv, envp);
}

static int spawn(spawn_fn f, pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    struct quiesce q;
    int r;

    if (!f)
        return ENOSYS;
    exec_quiesce(&q, false);
    r = f(pid, path, fa, attr, argv, envp);
    exec_resume(&q);
    return r;
}

CPROF_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                             const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return spawn((spawn_fn)real(&p_spawn, "posix_spawn"), pid, path, fa, attr, argv, envp);
}

CPROF_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                              const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return spawn((spawn_fn)real(&p_spawnp, "posix_spawnp"), pid, file, fa, attr, argv, envp);
}
