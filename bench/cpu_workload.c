/*
 * Workload of bench/cpu.sh: THREADS threads each burn SECONDS of CPU, then
 * the process prints its own CPU time (getrusage, user + system) in
 * nanoseconds: "rusage_ns N".
 *
 *   cpu_workload [SECONDS [THREADS]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double secs = 1.0;

static double thread_cpu(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void *burn(void *arg)
{
    unsigned long x = (unsigned long)arg;
    double t0 = thread_cpu();

    while (thread_cpu() - t0 < secs)
        for (int i = 0; i < 100000; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
    return (void *)(x & 1);
}

int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 1;
    pthread_t t[64];
    struct rusage ru;

    if (argc > 1)
        secs = atof(argv[1]);
    if (n < 1 || n > 64)
        return 2;
    for (int i = 1; i < n; i++)
        if (pthread_create(&t[i], NULL, burn, (void *)(long)i))
            return 1;
    burn(NULL);
    for (int i = 1; i < n; i++)
        pthread_join(t[i], NULL);
    getrusage(RUSAGE_SELF, &ru);
    printf("rusage_ns %lld\n",
           (long long)ru.ru_utime.tv_sec * 1000000000LL + ru.ru_utime.tv_usec * 1000LL +
               ru.ru_stime.tv_sec * 1000000000LL + ru.ru_stime.tv_usec * 1000LL);
    return 0;
}
