/*
 * The signal side of writing profiles when the program is killed by
 * SIGINT, SIGTERM or SIGHUP (src/rt/exitsig.c has the rest): the handler
 * only wakes the runtime's exit thread through a pipe; that thread writes
 * the profiles, restores the default action and raises the signal again,
 * so the process ends exactly as it would have without the runtime.
 */
#ifndef CPROF_RT_SIG_EXIT_SIG_H
#define CPROF_RT_SIG_EXIT_SIG_H

#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>

#define CPROF_EXIT_WAIT_S 20 /* longest wait in a handler for the profiles to be written */

typedef int (*cprof_sigaction_fn)(int, const struct sigaction *, struct sigaction *);

/* What the handler reads; lives in src/rt/exitsig.c. */
struct cprof_exit_sig {
    _Atomic pid_t pid;    /* process whose exit thread reads wake_fd; 0 = none */
    int wake_fd;          /* write end of the exit thread's pipe (non-blocking) */
    _Atomic int signo;    /* first signal taken (0 = none yet); later ones only wait */
    _Atomic int released; /* the exit thread lets handlers return (the program took over) */
    cprof_sigaction_fn real_sigaction; /* libc's sigaction, resolved before install */
};

extern struct cprof_exit_sig *const cprof__exit_sig;

/*
 * Handler of SIGINT/SIGTERM/SIGHUP while the program leaves them at their
 * default action.  In the process that owns the exit thread, the first
 * signal is passed to that thread; then the handler waits for the process
 * to die (the thread writes the profiles and raises the signal again), so
 * the thread that took the signal goes no further, as with the default
 * action: a raise() never returns, a blocking call is not left with
 * EINTR.  Should the thread not finish within CPROF_EXIT_WAIT_S (a lock
 * it needs held by the waiting thread), the handler ends the process by
 * the default action itself.  In any other process (a forked child
 * without the thread, a vfork child) the default action is restored and
 * the signal raised again at once.
 * Context: signal handler (SA_SIGINFO).  Async-signal-safe; preserves errno.
 */
void cprof_exit_handler_sigsafe(int sig, siginfo_t *si, void *uc);

#endif /* CPROF_RT_SIG_EXIT_SIG_H */
