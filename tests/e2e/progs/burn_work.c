/*
 * A fixed amount of work, not of CPU time: a sampler that slows the
 * program down makes it take longer, as it would a real program.
 *   burn_work calibrate SECS      prints the rounds one thread does in SECS of CPU
 *   burn_work run ROUNDS THREADS  each of THREADS threads does ROUNDS rounds
 * run prints "cpu_ns N": the process's CPU time (getrusage) at the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long rounds;
static volatile unsigned long sink;

__attribute__((noinline)) static void work(long n)
{
    unsigned long x = sink;

    for (long r = 0; r < n; r++)
        for (int i = 0; i < 10000; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
}

static void *worker(void *arg)
{
    (void)arg;
    work(rounds);
    return NULL;
}

static double thread_cpu(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "calibrate")) {
        double secs = atof(argv[2]), t0 = thread_cpu(), t;
        long n = 0;
        while ((t = thread_cpu() - t0) < 0.2) {
            work(100);
            n += 100;
        }
        printf("%ld\n", (long)((double)n * secs / t));
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "run"))
        return 2;
    rounds = atol(argv[2]);
    int nth = atoi(argv[3]);
    pthread_t t[64];
    if (nth < 1 || nth > 64 || rounds < 0)
        return 2;
    for (int i = 0; i < nth; i++)
        if (pthread_create(&t[i], NULL, worker, NULL))
            return 1;
    for (int i = 0; i < nth; i++)
        pthread_join(t[i], NULL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("cpu_ns %lld\n",
           (long long)ru.ru_utime.tv_sec * 1000000000LL + ru.ru_utime.tv_usec * 1000LL +
               (long long)ru.ru_stime.tv_sec * 1000000000LL + ru.ru_stime.tv_usec * 1000LL);
    return 0;
}
