/*
 * Burns CPU in burn_until_signal() until a signal ends it.  Prints
 * "ready PID" once running.  Modes (argv[1]):
 *   (none)  the default action of every signal: killed by it
 *   handle  handles SIGTERM itself: the main loop sees it and exit(3)s
 *   segv    burns ~0.2 s, then dereferences a null pointer
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spin.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

__attribute__((noinline)) static void burn_until_signal(void)
{
    while (!stop)
        burn(0.01);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";

    if (!strcmp(mode, "handle"))
        signal(SIGTERM, on_term);
    printf("ready %ld\n", (long)getpid());
    fflush(stdout);
    if (!strcmp(mode, "segv")) {
        volatile int *volatile null = NULL;
        burn(0.2);
        *null = 1;
    }
    burn_until_signal();
    return 3;
}
