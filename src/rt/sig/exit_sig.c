/*
 * The exit signals' handler (see exit_sig.h).  Nothing here allocates,
 * locks or touches dynamic TLS.
 */
#include "rt/sig/exit_sig.h"

#include <errno.h>
#include <string.h>
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
        if (write(e->wake_fd, &b, 1) != 1)
            default_action(sig); /* cannot happen: an empty pipe; never lose the signal */
    }
    errno = saved_errno;
}
