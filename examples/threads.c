/*
 * Two threads that spend known CPU time in two known functions: work_a
 * runs about twice as long as work_b.  Each thread measures its own CPU
 * time with CLOCK_THREAD_CPUTIME_ID and prints it, so a profile's shares
 * can be checked against the program's own numbers.
 *
 *   cprof run -- build/examples/threads [seconds_a seconds_b]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double thread_cpu(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct job {
    const char *name;
    double secs; /* CPU seconds to burn */
    double used; /* CPU seconds measured */
    unsigned long sink;
};

__attribute__((noinline)) static void *work_a(void *p)
{
    struct job *j = p;
    double t0 = thread_cpu();

    while (thread_cpu() - t0 < j->secs)
        for (int k = 0; k < 100000; k++) /* the work itself, no callee: flat time here */
            j->sink = j->sink * 6364136223846793005UL + 1442695040888963407UL;
    j->used = thread_cpu() - t0;
    return NULL;
}

__attribute__((noinline)) static void *work_b(void *p)
{
    struct job *j = p;
    double t0 = thread_cpu();

    while (thread_cpu() - t0 < j->secs)
        for (int k = 0; k < 100000; k++)
            j->sink ^= (j->sink << 13) + (j->sink >> 7) + 1;
    j->used = thread_cpu() - t0;
    return NULL;
}

int main(int argc, char **argv)
{
    struct job a = {"work_a", argc > 1 ? atof(argv[1]) : 0.6, 0, 1};
    struct job b = {"work_b", argc > 2 ? atof(argv[2]) : 0.3, 0, 2};
    pthread_t ta, tb;

    if (pthread_create(&ta, NULL, work_a, &a) || pthread_create(&tb, NULL, work_b, &b)) {
        fprintf(stderr, "threads: cannot create threads\n");
        return 1;
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    printf("work_a %.6f\nwork_b %.6f\n", a.used, b.used);
    return (int)((a.sink ^ b.sink) & 0); /* keep the results alive */
}
