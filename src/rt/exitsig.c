/*
 * Profiles of a program killed by SIGINT, SIGTERM or SIGHUP.  Such a death
 * runs no destructor, so without this the whole run's profile is lost
 * (Ctrl-C, `timeout`, a service manager stopping a server).
 *
 * When the runtime has profiles to write at exit and the program leaves
 * one of these signals at its default action (SIG_DFL: the process would
 * die), the constructor installs cprof_exit_handler_sigsafe for it
 * (src/rt/sig/exit_sig.c) and starts one thread of ours, blocked in read()
 * on a pipe with every signal masked.  The handler only writes the signal
 * number into the pipe.  The thread then does the destructor's work
 * (cprof__exit_run: stop the samplers, write the profiles and the leak
 * report), restores SIG_DFL if our handler is still the one installed,
 * unmasks the signal in itself and raises it: the process dies of the
 * same signal, so its parent sees the same wait status as without cprof.
 * Meanwhile the thread that took the signal waits in the handler (see
 * exit_sig.h), as it would never have run on under the default action.
 *
 * The program stays in charge: a handler it installs later replaces ours
 * (and then its own exit path runs the destructor as usual); a signal it
 * ignores or handles at start-up is never touched; threads that block the
 * signal and read it with sigwait or signalfd still get it (our thread
 * blocks everything, so the kernel never picks it).  A program that asks
 * sigaction() for the current action must see SIG_DFL, not ours: Python,
 * for one, installs its KeyboardInterrupt handler only over SIG_DFL.  The
 * program's sigaction on a signal the runtime does not own (sigown.c)
 * comes to cprof__exitsig_sigaction below, which shows SIG_DFL, and
 * installs ours when the program asks for
 * SIG_DFL (Python does, then raises SIGINT itself after a
 * KeyboardInterrupt): ours acts as the default action, profiles added.
 * A forked child has no exit thread: there the handler restores the
 * default action and re-raises at once.
 *
 * Known cost: while the profiles are written (milliseconds to a few
 * seconds), the program's other threads keep running.
 */
#include "rt/rt.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cprof.h"
#include "rt/sig/exit_sig.h"

static struct cprof_exit_sig g_exit = {.wake_fd = -1};
struct cprof_exit_sig *const cprof__exit_sig = &g_exit;

static const int exit_signals[] = {SIGINT, SIGTERM, SIGHUP};

static int read_fd = -1;        /* the exit thread's end of the pipe */
static struct sigaction g_ours; /* the exit handler's action (set before g_exit.pid) */
static _Atomic int exit_state;  /* 0: profiles not written, 1: being written, 2: written */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/*
 * libc's sigaction, past any interposer of ours (the program's view of
 * signals is kept elsewhere).  This is the one point of contact with the
 * sigaction interposition: the lead may point it at that module's "real"
 * function.  Context: any thread; the pointer is resolved before the
 * handler is installed, so the handler may call through it.
 */
static int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    cprof_sigaction_fn f = g_exit.real_sigaction;

    if (!f) {
        f = (cprof_sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
        if (!f) {
            errno = ENOSYS;
            return -1;
        }
        g_exit.real_sigaction = f;
    }
    return f(sig, act, old);
}

static bool is_ours(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == cprof_exit_handler_sigsafe;
}

bool cprof__exitsig_program_view(struct sigaction *act)
{
    if (!act || !is_ours(act))
        return false;
    memset(act, 0, sizeof(*act));
    act->sa_handler = SIG_DFL;
    return true;
}

static bool is_exit_signal(int sig)
{
    for (size_t i = 0; i < sizeof(exit_signals) / sizeof(exit_signals[0]); i++)
        if (exit_signals[i] == sig)
            return true;
    return false;
}

static bool is_default(const struct sigaction *sa)
{
    return !(sa->sa_flags & SA_SIGINFO) && sa->sa_handler == SIG_DFL;
}

/*
 * The program's sigaction: the exit handler looks like SIG_DFL, and a
 * request for SIG_DFL leaves it in place (it acts as the default, plus
 * the profiles).  Context: any thread; async-signal-safe as libc's.
 */
int cprof__exitsig_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    struct sigaction cur;
    int saved_errno = errno;

    if (act && is_default(act) && is_exit_signal(sig) && atomic_load(&g_exit.pid) == getpid() &&
        real_sigaction(sig, NULL, &cur) == 0) {
        if (!is_ours(&cur) && real_sigaction(sig, &g_ours, NULL) < 0)
            return -1;
        if (old) {
            *old = cur;
            cprof__exitsig_program_view(old);
        }
        errno = saved_errno;
        return 0;
    }
    if (real_sigaction(sig, act, old) < 0)
        return -1;
    if (old)
        cprof__exitsig_program_view(old);
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

void cprof__exit_run(int signo)
{
    int expect = 0;

    if (!atomic_compare_exchange_strong(&exit_state, &expect, 1)) {
        /* Another thread is writing them (a signal during exit, or exit during a signal). */
        while (atomic_load(&exit_state) != 2)
            sleep_ms(1);
        /* The exit thread is about to end the process with its signal: let it. */
        for (int i = 0; i < 1000 && atomic_load(&g_exit.signo) && !atomic_load(&g_exit.released);
             i++)
            sleep_ms(1);
        return;
    }
    cprof__rt_exit_work(signo);
    atomic_store(&exit_state, 2);
}

/* Dies of sig as the program would have: default action, unmasked, raised. */
static void reraise(int sig)
{
    struct sigaction cur, dfl;
    sigset_t one;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    if (real_sigaction(sig, NULL, &cur) == 0 && !is_ours(&cur)) {
        /* The program took the signal over meanwhile: it is its to handle. */
        atomic_store(&g_exit.released, 1);
        kill(getpid(), sig);
        return;
    }
    real_sigaction(sig, &dfl, NULL);
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    syscall(SYS_tgkill, getpid(), gettid(), sig);
    atomic_store(&g_exit.released, 1); /* not reached: the signal ends the process */
}

static void *exit_main(void *arg)
{
    unsigned char b;
    ssize_t n;

    (void)arg;
    cprof__heap_ignore_thread();
    do
        n = read(read_fd, &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        return NULL;
    cprof__exit_run(b);
    reraise(b);
    return NULL;
}

/* A forked child has no exit thread: the handler acts as the default there. */
static void exitsig_fork_child(void)
{
    atomic_store(&exit_state, 0);
    atomic_store(&g_exit.signo, 0);
    atomic_store(&g_exit.released, 0);
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, exitsig_fork_child);
}

/* Starts the exit thread with every signal blocked; 0 or a negative code. */
static int start_thread(void)
{
    sigset_t all, old;
    pthread_t t;
    int fds[2], err;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    /* The handler must never block: an empty pipe takes its one byte, and a full one drops it. */
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    read_fd = fds[0];
    g_exit.wake_fd = fds[1];
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = -cprof__spawn_internal(&t, exit_main);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        close(fds[0]);
        close(fds[1]);
        read_fd = g_exit.wake_fd = -1;
        return err;
    }
    pthread_detach(t);
    atomic_store(&g_exit.pid, getpid());
    return 0;
}

void cprof__exitsig_start(void)
{
    struct sigaction old;
    bool any = false;
    int err;

    if (atomic_load(&g_exit.pid) == getpid())
        return;
    /* A forked child that keeps profiling: the parent's pipe and handler are inherited. */
    if (read_fd >= 0) {
        close(read_fd);
        close(g_exit.wake_fd);
        read_fd = g_exit.wake_fd = -1;
    }
    for (size_t i = 0; i < sizeof(exit_signals) / sizeof(exit_signals[0]); i++)
        if (real_sigaction(exit_signals[i], NULL, &old) == 0 && (is_default(&old) || is_ours(&old)))
            any = true;
    if (!any)
        return; /* the program (or its parent) decided for every one of them */
    memset(&g_ours, 0, sizeof(g_ours));
    g_ours.sa_sigaction = cprof_exit_handler_sigsafe;
    g_ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&g_ours.sa_mask);
    for (size_t i = 0; i < sizeof(exit_signals) / sizeof(exit_signals[0]); i++)
        sigaddset(&g_ours.sa_mask, exit_signals[i]);
    pthread_once(&atfork_once, register_atfork);
    err = start_thread();
    if (err) {
        cprof__warn("cannot start the exit thread: %s; a killed program writes no profile",
                    cprof_strerror(err));
        return;
    }
    for (size_t i = 0; i < sizeof(exit_signals) / sizeof(exit_signals[0]); i++) {
        int s = exit_signals[i];
        /*
         * Query and install are two calls: a program thread that sets its
         * own action in between is overwritten.  The constructor runs
         * before main, so only a library constructor's thread could.
         */
        if (real_sigaction(s, NULL, &old) == 0 && is_default(&old))
            real_sigaction(s, &g_ours, NULL);
        /* (One inherited from the parent stays: it now wakes this process's thread.) */
    }
}
