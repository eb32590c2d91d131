/*
 * Worker threads that block every signal and burn CPU, the main thread
 * waiting (xz -T2, servers with one sigwait thread).  argv[1]: "pthread"
 * (main blocks all with pthread_sigmask before creating the workers, which
 * inherit the mask) or "raw" (each worker blocks all with a raw
 * rt_sigprocmask system call, which no library sees).  argv[2]: CPU
 * seconds per worker (default 0.4).  Prints the process's CPU time
 * (getrusage) in ms.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spin.h"

static int raw;
static double secs = 0.4;

__attribute__((noinline)) static void worker_burn(void)
{
    burn(secs);
}

static void *worker(void *arg)
{
    (void)arg;
    if (raw) {
        unsigned long long all = ~0ull;
        syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(all));
    }
    worker_burn();
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t[2];
    sigset_t all, was;
    struct rusage ru;

    raw = argc > 1 && !strcmp(argv[1], "raw");
    if (argc > 2)
        secs = atof(argv[2]);
    sigfillset(&all);
    if (!raw)
        pthread_sigmask(SIG_SETMASK, &all, &was);
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, worker, NULL))
            return 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    if (!raw) {
        sigset_t now;
        pthread_sigmask(SIG_SETMASK, &was, &now);
        /* The program sees the mask it set. */
        for (int s = 1; s < SIGRTMAX; s++)
            if (s != SIGKILL && s != SIGSTOP && s != 32 && s != 33 && !sigismember(&now, s)) {
                printf("block_workers: signal %d not blocked in the mask read back\n", s);
                return 1;
            }
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("block_workers ok cpu_ms=%ld\n",
           (long)(ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 +
                  ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000));
    return 0;
}
