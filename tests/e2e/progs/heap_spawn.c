/*
 * Starts and joins 100 threads from spawn_site, allocating nothing itself:
 * under the heap profiler, spawn_site must show no allocation of its own
 * (the runtime's pthread_create wrapper allocates its start record under
 * the runtime's guard).  Prints "ok".
 */
#include <pthread.h>
#include <stdio.h>

static void *idle(void *arg)
{
    return arg;
}

__attribute__((noinline)) static void spawn_site(void)
{
    for (int i = 0; i < 100; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, idle, NULL) == 0)
            pthread_join(t, NULL);
    }
}

int main(void)
{
    spawn_site();
    puts("ok");
    return 0;
}
