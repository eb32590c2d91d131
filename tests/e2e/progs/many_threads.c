/*
 * Creates 400 short-lived threads in waves of 8 (some exit through
 * pthread_exit), each burning a little CPU, plus one long thread: thread
 * creation and exit races with the sampler must not crash or hang.
 */
#include <pthread.h>
#include <stdio.h>

#include "spin.h"

static void *short_job(void *arg)
{
    burn(0.001);
    if ((long)arg & 1)
        pthread_exit(NULL);
    return NULL;
}

static void *long_job(void *arg)
{
    (void)arg;
    burn(0.2);
    return NULL;
}

int main(void)
{
    pthread_t l, t[8];

    if (pthread_create(&l, NULL, long_job, NULL))
        return 1;
    for (long w = 0; w < 50; w++) {
        for (long i = 0; i < 8; i++)
            if (pthread_create(&t[i], NULL, short_job, (void *)i))
                return 1;
        for (int i = 0; i < 8; i++)
            pthread_join(t[i], NULL);
    }
    pthread_join(l, NULL);
    printf("many_threads ok\n");
    return 0;
}
