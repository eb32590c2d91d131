/* Blocks every signal in every thread, burns CPU in two threads, exits normally. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "spin.h"

static void *worker(void *arg)
{
    (void)arg;
    burn(0.2);
    return NULL;
}

int main(void)
{
    sigset_t all;
    pthread_t t;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    if (pthread_create(&t, NULL, worker, NULL))
        return 1;
    burn(0.2);
    pthread_join(t, NULL);
    printf("block_signals ok\n");
    return 0;
}
