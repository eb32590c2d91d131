/*
 * Owns SIGPROF: its own handler and ITIMER_PROF, then resets SIGPROF to
 * SIG_DFL and keeps running (which kills a program under a profiler that
 * uses SIGPROF itself).
 */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>

#include "spin.h"

static volatile sig_atomic_t ticks;

static void on_prof(int sig)
{
    (void)sig;
    ticks++;
}

int main(void)
{
    struct itimerval it = {{0, 10000}, {0, 10000}}, off = {{0, 0}, {0, 0}};

    signal(SIGPROF, on_prof);
    setitimer(ITIMER_PROF, &it, NULL);
    burn(0.3);
    setitimer(ITIMER_PROF, &off, NULL);
    signal(SIGPROF, SIG_DFL);
    burn(0.2);
    if (ticks == 0) {
        printf("own_sigprof: handler never ran\n");
        return 1;
    }
    printf("own_sigprof ok\n");
    return 0;
}
