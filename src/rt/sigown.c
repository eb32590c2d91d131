/*
 * The runtime owns its signals: the program's view of them stays the
 * program's, and the runtime's handlers stay installed.
 *
 * Dispositions.  Once the runtime installs a handler on a signal
 * (cprof__sig_install: the CPU sampler's, the thread dump's), the
 * program's sigaction(), signal(), bsd_signal(), ssignal(), sysv_signal(),
 * sigset(), siginterrupt() and sigignore() on that signal are recorded as
 * the program's action (rt/sig/sigown_sig.h) instead of reaching the
 * kernel, and sigaction(sig, NULL, &old) returns what the program set, in
 * the form the kernel would have returned it.  A delivery that is not the
 * runtime's own event is passed to the program's handler by the runtime's
 * handler (cprof_sig_chain_sigsafe).  Programs that reset every signal to
 * SIG_DFL (Python and other runtimes) therefore keep running, and a
 * program with its own handler on the signal keeps getting its own
 * deliveries.  A change made behind libc's back (a raw rt_sigaction system
 * call) is found by cprof__sig_verify on the writer's next tick, taken as
 * the program's action, and undone.
 *
 * Masks.  The signals the runtime generates (CPROF_SIG_INTERNAL) are kept
 * out of the masks the program installs with sigprocmask() and
 * pthread_sigmask() (and sighold(), sigset(SIG_HOLD)), so a thread that
 * "blocks every signal" is still sampled; each thread remembers which of
 * them the program believes blocked (initial-exec TLS) and the old masks
 * returned to the program say so.  A new thread inherits its creator's
 * belief (cprof__sig_thread_start, from the pthread_create trampoline).
 * sigwait(), sigwaitinfo(), sigtimedwait() and signalfd() never consume
 * them; sigsuspend() keeps them blocked while it waits unless the program
 * handles them itself, so a sample never ends a wait.  What escapes (a raw
 * rt_sigprocmask, a thread that blocked before the runtime owned the
 * signal) is measured by the CPU profiler (src/rt/cpu_blocked.c).
 *
 * Limits: a program's own instance of an internal signal (raise, kill,
 * sigqueue) is delivered at once even while the program believes it
 * blocked, and with SA_RESTART whatever the program asked; a signal the
 * runtime cannot tell from its own event while the program's action is
 * SIG_DFL is discarded, not allowed to kill the program.
 *
 * exec: the new image inherits what the program believes (SIG_IGN stays
 * ignored; src/rt/exec.c also gives it the mask the program believes):
 * cprof__sig_exec_prepare / cprof__sig_exec_undo.
 */
#include "rt/rt.h"

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rt/sig/sigown_sig.h"

#define OWN      (*cprof__sig_own)
#define KILLSTOP (CPROF_SIG_BIT(SIGKILL) | CPROF_SIG_BIT(SIGSTOP))

enum {
    WARN_RAW = 1 << 12, /* a raw rt_sigaction replaced a handler of ours */
};

/* What the program believes blocked, of the internal signals (bit sig-1). */
static __thread uint64_t tls_blocked __attribute__((tls_model("initial-exec")));

/*
 * Our own action per owned signal (what cprof__sig_verify expects to find
 * installed), and what libc adds to every action on its way to the kernel
 * (SA_RESTORER and its trampoline), learnt from the first install.
 * Written under the signal's sequence lock.
 */
static struct sigaction g_ours[CPROF_SIG_MAX + 1];
static int g_extra_flags;
static uintptr_t g_restorer;
static _Atomic uint64_t g_intr; /* siginterrupt(sig, 1) on an owned signal */

/* ---- the real functions ---- */

static void *real_fn(void *_Atomic *slot, const char *name)
{
    void *f = atomic_load_explicit(slot, memory_order_acquire);

    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        atomic_store_explicit(slot, f, memory_order_release);
    }
    return f;
}

#define REAL(type, name)                                                                           \
    static void *_Atomic real_##name##_p;                                                          \
    static type real_##name(void)                                                                  \
    {                                                                                              \
        return (type)real_fn(&real_##name##_p, #name);                                             \
    }

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef int (*sigmask_fn)(int, const sigset_t *, sigset_t *);
typedef sighandler_t (*signal_fn)(int, sighandler_t);
typedef int (*sigint_fn)(int, int);
typedef int (*sig1_fn)(int);
typedef int (*sigsuspend_fn)(const sigset_t *);
typedef int (*sigwait_fn)(const sigset_t *, int *);
typedef int (*sigwaitinfo_fn)(const sigset_t *, siginfo_t *);
typedef int (*sigtimedwait_fn)(const sigset_t *, siginfo_t *, const struct timespec *);
typedef int (*signalfd_fn)(int, const sigset_t *, int);

REAL(sigaction_fn, sigaction)
REAL(sigmask_fn, pthread_sigmask)
REAL(sigmask_fn, sigprocmask)
REAL(signal_fn, signal)
REAL(signal_fn, bsd_signal)
REAL(signal_fn, ssignal)
REAL(signal_fn, sysv_signal)
REAL(signal_fn, sigset)
REAL(sigint_fn, siginterrupt)
REAL(sig1_fn, sigignore)
REAL(sig1_fn, sighold)
REAL(sig1_fn, sigrelse)
REAL(sigsuspend_fn, sigsuspend)
REAL(sigwait_fn, sigwait)
REAL(sigwaitinfo_fn, sigwaitinfo)
REAL(sigtimedwait_fn, sigtimedwait)
REAL(signalfd_fn, signalfd)

#if defined(__SANITIZE_THREAD__)
/*
 * TSan wraps every handler it is told about and must see ours: the
 * runtime's own installs go through its interceptor (the first definition
 * of sigaction), which then calls ours (the next one); `bypass` sends that
 * call straight on.
 */
static __thread int bypass __attribute__((tls_model("initial-exec")));
#endif

int cprof__real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
#if defined(__SANITIZE_THREAD__)
    static void *_Atomic first;
    sigaction_fn f = (sigaction_fn)atomic_load(&first);
    int r;

    if (!f) {
        f = (sigaction_fn)dlsym(RTLD_DEFAULT, "sigaction");
        atomic_store(&first, (void *)f);
    }
    bypass++;
    r = f(sig, act, old);
    bypass--;
    return r;
#else
    sigaction_fn f = real_sigaction();

    if (!f) {
        errno = ENOSYS;
        return -1;
    }
    return f(sig, act, old);
#endif
}

int cprof__real_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    sigmask_fn f = real_pthread_sigmask();

    return f ? f(how, set, old) : ENOSYS;
}

void cprof__sig_resolve(void)
{
    (void)real_sigaction();
    (void)real_pthread_sigmask();
    (void)real_sigprocmask();
    (void)real_signal();
    (void)real_bsd_signal();
    (void)real_ssignal();
    (void)real_sysv_signal();
    (void)real_sigset();
    (void)real_siginterrupt();
    (void)real_sigignore();
    (void)real_sighold();
    (void)real_sigrelse();
    (void)real_sigsuspend();
    (void)real_sigwait();
    (void)real_sigwaitinfo();
    (void)real_sigtimedwait();
    (void)real_signalfd();
}

/* ---- sets ---- */

static uint64_t set_bits(const sigset_t *s)
{
    uint64_t b = 0;

    memcpy(&b, s, sizeof(b)); /* glibc keeps signal n in bit n-1 of the first word */
    return b;
}

static void set_del_bits(sigset_t *s, uint64_t bits)
{
    uint64_t b = set_bits(s) & ~bits;

    memcpy(s, &b, sizeof(b));
}

static void set_add_bits(sigset_t *s, uint64_t bits)
{
    uint64_t b = set_bits(s) | bits;

    memcpy(s, &b, sizeof(b));
}

static bool owned(int sig)
{
#if defined(__SANITIZE_THREAD__)
    if (bypass)
        return false;
#endif
    return sig >= 1 && sig <= CPROF_SIG_MAX &&
           (atomic_load_explicit(&OWN.owned, memory_order_acquire) & CPROF_SIG_BIT(sig));
}

static uint64_t internal_set(void)
{
    return atomic_load_explicit(&OWN.internal, memory_order_acquire);
}

/* The calling thread's kernel mask (first 64 signals), by system call. */
static uint64_t kernel_mask(void)
{
    uint64_t cur = 0;

    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, sizeof(cur));
    return cur;
}

static void kernel_mask_op(int how, uint64_t bits)
{
    syscall(SYS_rt_sigprocmask, how, &bits, NULL, sizeof(bits));
}

/* ---- the recorded actions: writers (normal context) ---- */

/* Takes sig's sequence lock with every signal blocked; *saved gets the mask. */
static void wlock(int sig, uint64_t *saved)
{
    struct cprof_sig_prog *p = &OWN.prog[sig];
    uint64_t all = ~0ull;

    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, saved, sizeof(all));
    for (;;) {
        uint32_t s = atomic_load(&p->seq);
        if (!(s & 1) && atomic_compare_exchange_weak(&p->seq, &s, s + 1))
            return;
        sched_yield(); /* another thread's writer: a few stores */
    }
}

static void wunlock(int sig, uint64_t saved)
{
    atomic_fetch_add_explicit(&OWN.prog[sig].seq, 1, memory_order_release);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved, NULL, sizeof(saved));
}

/* Stores a (the kernel's form already).  Lock held. */
static void prog_store(int sig, const struct cprof_sig_act *a)
{
    struct cprof_sig_prog *p = &OWN.prog[sig];

    atomic_store_explicit(&p->handler, a->handler, memory_order_relaxed);
    atomic_store_explicit(&p->flags, a->flags, memory_order_relaxed);
    atomic_store_explicit(&p->mask, a->mask, memory_order_relaxed);
    atomic_store_explicit(&p->restorer, a->restorer, memory_order_relaxed);
}

/* A program's struct sigaction, as the kernel would keep it. */
static void act_from_sigaction(const struct sigaction *sa, struct cprof_sig_act *a)
{
    a->handler = (uintptr_t)sa->sa_sigaction; /* same storage as sa_handler */
    a->flags = sa->sa_flags | g_extra_flags;
    a->mask = set_bits(&sa->sa_mask) & ~KILLSTOP;
    a->restorer = 0;
#ifdef SA_RESTORER
    if (a->flags & SA_RESTORER) /* libc puts its own trampoline in */
        a->restorer = g_restorer ? g_restorer : (uintptr_t)sa->sa_restorer;
#endif
}

/* What sigaction() returns for a: the fields libc fills from the kernel's answer. */
static void act_to_sigaction(const struct cprof_sig_act *a, struct sigaction *sa)
{
    sa->sa_sigaction = (void (*)(int, siginfo_t *, void *))a->handler;
    memcpy(&sa->sa_mask, &a->mask, sizeof(a->mask));
    sa->sa_flags = a->flags;
#ifdef SA_RESTORER
    sa->sa_restorer = (void (*)(void))a->restorer;
#endif
}

/* The kernel's current action for sig, in the recorded form. */
static int kernel_action(int sig, struct cprof_sig_act *a)
{
    struct sigaction cur;

    memset(&cur, 0, sizeof(cur));
    if (cprof__real_sigaction(sig, NULL, &cur) < 0)
        return -errno;
    a->handler = (uintptr_t)cur.sa_sigaction;
    a->flags = cur.sa_flags;
    a->mask = set_bits(&cur.sa_mask);
#ifdef SA_RESTORER
    a->restorer = (uintptr_t)cur.sa_restorer;
#else
    a->restorer = 0;
#endif
    return 0;
}

/* ---- the runtime's interface (rt.h) ---- */

int cprof__sig_install(int sig, const struct sigaction *ours, int flags)
{
    struct cprof_sig_act a;
    uint64_t saved;
    int err = 0;

    if (sig < 1 || sig > CPROF_SIG_MAX || sig == SIGKILL || sig == SIGSTOP)
        return -EINVAL;
    wlock(sig, &saved);
    if (!(atomic_load(&OWN.owned) & CPROF_SIG_BIT(sig))) {
        err = kernel_action(sig, &a);
        if (err)
            goto out;
        prog_store(sig, &a);
    }
    if (cprof__real_sigaction(sig, ours, NULL) < 0) {
        err = -errno;
        goto out;
    }
    g_ours[sig] = *ours;
    if (kernel_action(sig, &a) == 0 && !g_extra_flags) {
        g_extra_flags = a.flags & ~ours->sa_flags;
        g_restorer = a.restorer;
    }
    atomic_fetch_or(&OWN.owned, CPROF_SIG_BIT(sig));
    if (flags & CPROF_SIG_INTERNAL) {
        atomic_fetch_or(&OWN.internal, CPROF_SIG_BIT(sig));
        /* This thread may have blocked it before it was ours: keep the belief, unblock. */
        if (saved & CPROF_SIG_BIT(sig)) {
            tls_blocked |= CPROF_SIG_BIT(sig);
            saved &= ~CPROF_SIG_BIT(sig);
        }
    }
out:
    wunlock(sig, saved);
    return err;
}

int cprof__sig_program_action(int sig, struct sigaction *out)
{
    struct cprof_sig_act a;

    if (!owned(sig))
        return cprof__real_sigaction(sig, NULL, out) < 0 ? -errno : 0;
    cprof_sig_prog_read_sigsafe(sig, &a);
    act_to_sigaction(&a, out);
    return 0;
}

int cprof__sig_release(int sig)
{
    struct cprof_sig_act a;
    struct sigaction sa;
    uint64_t saved;
    int err = 0;

    if (!owned(sig))
        return 0;
    wlock(sig, &saved);
    cprof_sig_prog_read_sigsafe(sig, &a); /* our own lock: the fields are stable */
    memset(&sa, 0, sizeof(sa));
    act_to_sigaction(&a, &sa);
    sa.sa_flags &= ~g_extra_flags; /* libc adds them again */
    if (cprof__real_sigaction(sig, &sa, NULL) < 0)
        err = -errno;
    else {
        atomic_fetch_and(&OWN.owned, ~CPROF_SIG_BIT(sig));
        atomic_fetch_and(&OWN.internal, ~CPROF_SIG_BIT(sig));
    }
    wunlock(sig, saved);
    return err;
}

uint64_t cprof__sig_thread_bits(void)
{
    uint64_t in = internal_set();

    return in ? (tls_blocked | kernel_mask()) & in : 0;
}

void cprof__sig_thread_start(uint64_t bits)
{
    uint64_t in = internal_set();
    uint64_t cur;

    tls_blocked = bits & in;
    if (!in)
        return;
    cur = kernel_mask() & in; /* inherited from a creator that escaped us */
    if (cur) {
        tls_blocked |= cur;
        kernel_mask_op(SIG_UNBLOCK, cur);
    }
}

void cprof__sig_verify(void)
{
#if !defined(__SANITIZE_THREAD__) /* TSan installs its own wrapper in the kernel */
    uint64_t own = atomic_load(&OWN.owned);

    for (int sig = 1; sig <= CPROF_SIG_MAX; sig++) {
        struct cprof_sig_act a;
        uint64_t saved;

        if (!(own & CPROF_SIG_BIT(sig)))
            continue;
        wlock(sig, &saved);
        if (kernel_action(sig, &a) == 0 && a.handler != (uintptr_t)g_ours[sig].sa_sigaction) {
            prog_store(sig, &a);
            cprof__real_sigaction(sig, &g_ours[sig], NULL);
            wunlock(sig, saved);
            cprof__warn_once(WARN_RAW,
                             "the program set signal %d's handler with a raw system call; "
                             "kept as its own, and cprof's put back",
                             sig);
            continue;
        }
        wunlock(sig, saved);
    }
#endif
}

/* ---- exec and posix_spawn: the new image inherits the program's view ---- */

void cprof__sig_exec_prepare(struct cprof__sig_exec *st, bool flush)
{
    uint64_t own = atomic_load(&OWN.owned), in = internal_set();
    struct sigaction ign;

    memset(st, 0, sizeof(*st));
    if (!own)
        return;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    for (int sig = 1; sig <= CPROF_SIG_MAX; sig++) {
        uint64_t bit = CPROF_SIG_BIT(sig);
        struct cprof_sig_act a;
        if (!(own & bit))
            continue;
        cprof_sig_prog_read_sigsafe(sig, &a);
        bool prog_ign = a.handler == (uintptr_t)SIG_IGN;
        /* SIG_IGN discards every pending instance, in every thread. */
        if (!prog_ign && !(flush && (in & bit)))
            continue;
        cprof__real_sigaction(sig, &ign, NULL);
        st->changed |= bit;
        if (prog_ign)
            continue; /* stays ignored in the new image, as the program asked */
        /* Ours again: stray deliveries before exec are harmless; exec resets it to SIG_DFL. */
        cprof__real_sigaction(sig, &g_ours[sig], NULL);
        st->changed &= ~bit;
    }
}

void cprof__sig_exec_undo(const struct cprof__sig_exec *st)
{
    for (int sig = 1; sig <= CPROF_SIG_MAX; sig++)
        if (st->changed & CPROF_SIG_BIT(sig))
            cprof__real_sigaction(sig, &g_ours[sig], NULL);
}

/* ---- dispositions: the interposed functions ---- */

CPROF_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    struct cprof_sig_act a, n;
    uint64_t saved;

    if (!owned(sig)) /* SIGINT, SIGTERM, SIGHUP: the exit handler looks like SIG_DFL */
        return cprof__exitsig_sigaction(sig, act, old);
    if (act)
        act_from_sigaction(act, &n);
    wlock(sig, &saved);
    cprof_sig_prog_read_sigsafe(sig, &a);
    if (act)
        prog_store(sig, &n);
    wunlock(sig, saved);
    if (old)
        act_to_sigaction(&a, old);
    return 0;
}

/* signal() and its relatives on an owned signal: the action libc would build. */
static sighandler_t set_simple(int sig, sighandler_t h, int flags, bool mask_self)
{
    struct sigaction sa, old;

    if (h == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = h;
    sigemptyset(&sa.sa_mask);
    if (mask_self)
        sigaddset(&sa.sa_mask, sig);
    sa.sa_flags = flags;
    sigaction(sig, &sa, &old);
    return old.sa_handler;
}

static int bsd_flags(int sig)
{
    return (atomic_load(&g_intr) & CPROF_SIG_BIT(sig)) ? 0 : SA_RESTART;
}

CPROF_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    if (owned(sig))
        return set_simple(sig, h, bsd_flags(sig), true);
    signal_fn f = real_signal();
    return f ? f(sig, h) : SIG_ERR;
}

sighandler_t bsd_signal(int sig, sighandler_t h); /* not declared under _GNU_SOURCE */

CPROF_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h)
{
    if (owned(sig))
        return set_simple(sig, h, bsd_flags(sig), true);
    signal_fn f = real_bsd_signal();
    return f ? f(sig, h) : SIG_ERR;
}

CPROF_EXPORT sighandler_t ssignal(int sig, sighandler_t h)
{
    if (owned(sig))
        return set_simple(sig, h, bsd_flags(sig), true);
    signal_fn f = real_ssignal();
    return f ? f(sig, h) : SIG_ERR;
}

CPROF_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h)
{
    if (owned(sig))
        return set_simple(sig, h, SA_RESETHAND | SA_NODEFER, false);
    signal_fn f = real_sysv_signal();
    return f ? f(sig, h) : SIG_ERR;
}

CPROF_EXPORT int siginterrupt(int sig, int flag)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    if (!owned(sig)) {
        sigint_fn f = real_siginterrupt();
        return f ? f(sig, flag) : -1;
    }
    if (flag)
        atomic_fetch_or(&g_intr, CPROF_SIG_BIT(sig));
    else
        atomic_fetch_and(&g_intr, ~CPROF_SIG_BIT(sig));
    sigaction(sig, NULL, &sa);
    if (flag)
        sa.sa_flags &= ~SA_RESTART;
    else
        sa.sa_flags |= SA_RESTART;
    sa.sa_flags &= ~g_extra_flags;
    return sigaction(sig, &sa, NULL);
}

CPROF_EXPORT int sigignore(int sig)
{
    if (!owned(sig)) {
        sig1_fn f = real_sigignore();
        return f ? f(sig) : -1;
    }
    return set_simple(sig, SIG_IGN, 0, false) == SIG_ERR ? -1 : 0;
}

/* ---- masks ---- */

/*
 * pthread_sigmask with the internal signals filtered out of what reaches
 * the kernel and put back, as the program believes them, into old.
 */
static int mask_op(sigmask_fn f, int how, const sigset_t *set, sigset_t *old)
{
    uint64_t in = internal_set();
    uint64_t was = tls_blocked, now = was;
    sigset_t copy;
    const sigset_t *pass = set;
    int r;

    if (!f)
        return ENOSYS;
    if (!in)
        return f(how, set, old);
    if (set) {
        uint64_t want = set_bits(set) & in;
        switch (how) {
        case SIG_BLOCK: now |= want; break;
        case SIG_UNBLOCK: now &= ~want; break;
        case SIG_SETMASK: now = want; break;
        default: return f(how, set, old); /* EINVAL, as the program would get */
        }
        if (how != SIG_UNBLOCK && want) {
            copy = *set;
            set_del_bits(&copy, in);
            pass = &copy;
        }
    }
    r = f(how, pass, old);
    if (r == 0) {
        if (old)
            set_add_bits(old, was & in);
        if (set)
            tls_blocked = now;
    }
    return r;
}

CPROF_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    return mask_op(real_pthread_sigmask(), how, set, old);
}

CPROF_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    int r = mask_op(real_sigprocmask(), how, set, old);

    /* The real sigprocmask returned -1 with errno set; ours only ENOSYS. */
    if (r > 0) {
        errno = r;
        return -1;
    }
    return r;
}

static int hold(int sig, int how)
{
    sigset_t s;

    sigemptyset(&s);
    if (sigaddset(&s, sig) < 0)
        return -1;
    return sigprocmask(how, &s, NULL);
}

CPROF_EXPORT int sighold(int sig)
{
    if (owned(sig))
        return hold(sig, SIG_BLOCK);
    sig1_fn f = real_sighold();
    return f ? f(sig) : -1;
}

CPROF_EXPORT int sigrelse(int sig)
{
    if (owned(sig))
        return hold(sig, SIG_UNBLOCK);
    sig1_fn f = real_sigrelse();
    return f ? f(sig) : -1;
}

CPROF_EXPORT sighandler_t sigset(int sig, sighandler_t disp)
{
    sigset_t s, o;
    struct sigaction sa, old;

    if (!owned(sig)) {
        signal_fn f = real_sigset();
        return f ? f(sig, disp) : SIG_ERR;
    }
    sigemptyset(&s);
    sigaddset(&s, sig);
    if (disp == SIG_HOLD) {
        if (sigprocmask(SIG_BLOCK, &s, &o) < 0)
            return SIG_ERR;
        if (sigismember(&o, sig))
            return SIG_HOLD;
        sigaction(sig, NULL, &old);
        return old.sa_handler;
    }
    if (disp == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = disp;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, &old);
    if (sigprocmask(SIG_UNBLOCK, &s, &o) < 0)
        return SIG_ERR;
    return sigismember(&o, sig) ? SIG_HOLD : old.sa_handler;
}

/* ---- waits ---- */

CPROF_EXPORT int sigsuspend(const sigset_t *mask)
{
    sigsuspend_fn f = real_sigsuspend();
    uint64_t in = internal_set(), keep = 0;
    sigset_t copy;

    if (!f) {
        errno = ENOSYS;
        return -1;
    }
    /* A sample must not end the wait: keep ours blocked, unless the program handles them. */
    for (int sig = 1; in && sig <= CPROF_SIG_MAX; sig++)
        if ((in & CPROF_SIG_BIT(sig)) && !cprof_sig_prog_has_handler_sigsafe(sig))
            keep |= CPROF_SIG_BIT(sig);
    /* NULL: libc's EFAULT (glibc declares mask nonnull; do not let the check go). */
    const sigset_t *volatile m = mask;
    if (!m || !keep)
        return f(mask);
    copy = *mask;
    set_add_bits(&copy, keep);
    return f(&copy);
}

/* The program's wait set without the internal signals (never consume a sample). */
static const sigset_t *wait_set(const sigset_t *set, sigset_t *copy)
{
    uint64_t in = internal_set();

    if (!set || !in || !(set_bits(set) & in))
        return set;
    *copy = *set;
    set_del_bits(copy, in);
    return copy;
}

CPROF_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    sigwait_fn f = real_sigwait();
    sigset_t copy;

    return f ? f(wait_set(set, &copy), sig) : ENOSYS;
}

CPROF_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    sigwaitinfo_fn f = real_sigwaitinfo();
    sigset_t copy;

    if (!f) {
        errno = ENOSYS;
        return -1;
    }
    return f(wait_set(set, &copy), info);
}

CPROF_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *t)
{
    sigtimedwait_fn f = real_sigtimedwait();
    sigset_t copy;

    if (!f) {
        errno = ENOSYS;
        return -1;
    }
    return f(wait_set(set, &copy), info, t);
}

CPROF_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
    signalfd_fn f = real_signalfd();
    sigset_t copy;

    if (!f) {
        errno = ENOSYS;
        return -1;
    }
    return f(fd, wait_set(mask, &copy), flags);
}
