/*
 * Resets every signal 1..SIGRTMAX to SIG_DFL (as Python and other
 * runtimes do), burns CPU, then installs its own handler on every
 * real-time signal, burns again, raises each one once and checks that its
 * handler saw exactly that one delivery, with the program's si_code, and
 * that sigaction reads back what it set.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "spin.h"

static volatile sig_atomic_t hits[_NSIG];
static volatile sig_atomic_t bad_code;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (si->si_code != SI_TKILL)
        bad_code = sig;
    hits[sig]++;
}

int main(void)
{
    struct sigaction sa, old;
    int s, bad = 0;

    for (s = 1; s <= SIGRTMAX; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    for (s = SIGRTMIN; s <= SIGRTMAX; s++) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigaction(s, &sa, NULL);
        if (sigaction(s, NULL, &old) != 0 || old.sa_handler != SIG_DFL) {
            printf("reset_signals: signal %d does not read back SIG_DFL\n", s);
            bad = 1;
        }
    }
    burn(0.3);
    for (s = SIGRTMIN; s <= SIGRTMAX; s++) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_sig;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaddset(&sa.sa_mask, SIGUSR1);
        sigaction(s, &sa, NULL);
        if (sigaction(s, NULL, &old) != 0 || old.sa_sigaction != on_sig ||
            !(old.sa_flags & SA_SIGINFO) || !sigismember(&old.sa_mask, SIGUSR1) ||
            sigismember(&old.sa_mask, SIGUSR2)) {
            printf("reset_signals: signal %d does not read back its handler\n", s);
            bad = 1;
        }
    }
    burn(0.3);
    for (s = SIGRTMIN; s <= SIGRTMAX; s++)
        raise(s);
    for (s = SIGRTMIN; s <= SIGRTMAX; s++)
        if (hits[s] != 1) {
            printf("reset_signals: signal %d delivered %d times to the program\n", s, (int)hits[s]);
            bad = 1;
        }
    if (bad_code) {
        printf("reset_signals: signal %d delivered with a foreign si_code\n", (int)bad_code);
        bad = 1;
    }
    if (!bad)
        printf("reset_signals ok\n");
    return bad;
}
