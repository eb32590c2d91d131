/*
 * Sixteen threads, each burning argv[1] seconds of its own CPU time
 * (CLOCK_THREAD_CPUTIME_ID) in a function of its own, worker_0 ..
 * worker_15: every one of them must show up in the profile.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double secs = 0.05;
static volatile unsigned long sink;

static double thread_cpu(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The loop is expanded in each worker, so the samples' leaf is the worker. */
#define WORKER(n)                                                                                  \
    __attribute__((noinline)) static void *worker_##n(void *arg)                                   \
    {                                                                                              \
        unsigned long x = (unsigned long)arg;                                                      \
        double t0 = thread_cpu();                                                                  \
        while (thread_cpu() - t0 < secs)                                                           \
            for (int i = 0; i < 20000; i++)                                                        \
                x = x * 6364136223846793005UL + 1442695040888963407UL + n;                         \
        sink += x;                                                                                 \
        return NULL;                                                                               \
    }
WORKER(0)
WORKER(1)
WORKER(2)
WORKER(3)
WORKER(4)
WORKER(5)
WORKER(6)
WORKER(7)
WORKER(8)
WORKER(9)
WORKER(10)
WORKER(11)
WORKER(12)
WORKER(13)
WORKER(14)
WORKER(15)

int main(int argc, char **argv)
{
    void *(*fns[16])(void *) = {worker_0,  worker_1,  worker_2,  worker_3, worker_4,  worker_5,
                                worker_6,  worker_7,  worker_8,  worker_9, worker_10, worker_11,
                                worker_12, worker_13, worker_14, worker_15};
    pthread_t t[16];

    if (argc > 1)
        secs = atof(argv[1]);
    for (int i = 0; i < 16; i++)
        if (pthread_create(&t[i], NULL, fns[i], (void *)(long)i))
            return 1;
    for (int i = 0; i < 16; i++)
        pthread_join(t[i], NULL);
    printf("threads16 ok\n");
    return 0;
}
