/*
 * Prints the program's rand() sequence after srand(7), with threads created
 * in between: a profiler inside must not move it (t_cpu_fallback).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *spin(void *arg)
{
    volatile unsigned long x = 0;

    for (unsigned long i = 0; i < 20000000; i++)
        x += i;
    return arg;
}

int main(void)
{
    srand(7);
    for (int round = 0; round < 4; round++) {
        pthread_t t;

        if (pthread_create(&t, NULL, spin, NULL) != 0)
            return 1;
        pthread_join(t, NULL);
        printf("%d\n", rand());
    }
    return 0;
}
