/*
 * The exit signals' handler (see exit_sig.h).  Nothing here allocates,
 * locks or touches dynamic TLS.
 */
#include "rt/sig/exit_sig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The default action, then the signal again: delivered when the handler returns. */
static void default_action(int sig)
{
    struct sigaction dfl;
    cprof_sigaction_fn f = cprof__exit_sig->real_sigaction;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    if (f)
        f(sig, &dfl, NULL);
    syscall(SYS_tgkill, getpid(), gettid(), sig);
}

static int64_t mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* Waits for the exit thread to end the process; false after the time limit. */
static bool wait_for_exit(const struct cprof_exit_sig *e)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    int64_t end = mono_s() + CPROF_EXIT_WAIT_S;

    while (!atomic_load(&e->released)) {
        if (mono_s() > end)
            return false;
        syscall(SYS_nanosleep, &tick, NULL);
    }
    return true;
}

void cprof_exit_handler_sigsafe(int sig, siginfo_t *si, void *uc)
{
    struct cprof_exit_sig *e = cprof__exit_sig;
    int saved_errno = errno, none = 0;
    unsigned char b = (unsigned char)sig;

    (void)si;
    (void)uc;
    if (atomic_load(&e->pid) != getpid()) {
        default_action(sig);
    } else if (atomic_compare_exchange_strong(&e->signo, &none, sig)) {
        /* An empty pipe takes the byte; should it not, the default action. */
        if (write(e->wake_fd, &b, 1) != 1 || !wait_for_exit(e))
            default_action(sig);
    } else if (!wait_for_exit(e)) {
        default_action(sig); /* a second signal while the profiles are written */
    }
    errno = saved_errno;
}
