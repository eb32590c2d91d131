/*
 * A multithreaded program for the /debug/pprof endpoint tests: two CPU
 * workers (spin_alpha, spin_beta) named "alpha" and "beta", a thread
 * parked in park_sleeper ("sleeper", allocating in churn_memory), 16 MiB
 * held by hold_memory, and a thread that keeps every signal
 * blocked ("blocked").  Runs for argv[1] seconds (default 3), then checks
 * its own work (the workers' checksums against a recomputation) and
 * prints "work ok <rounds>" or "work BAD".
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int stop;

struct job {
    unsigned long rounds; /* rounds done */
    unsigned long sum;    /* checksum of the rounds */
    unsigned long seed;
};

static unsigned long round_value(unsigned long seed, unsigned long r)
{
    unsigned long x = seed ^ r;

    for (int k = 0; k < 20000; k++)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    return x;
}

__attribute__((noinline)) static void spin_alpha(struct job *j)
{
    while (!atomic_load(&stop)) {
        j->sum += round_value(j->seed, j->rounds);
        j->rounds++;
    }
}

__attribute__((noinline)) static void spin_beta(struct job *j)
{
    while (!atomic_load(&stop)) {
        j->sum ^= round_value(j->seed, j->rounds);
        j->rounds++;
    }
}

static void *alpha_main(void *p)
{
    pthread_setname_np(pthread_self(), "alpha");
    spin_alpha(p);
    return NULL;
}

static void *beta_main(void *p)
{
    pthread_setname_np(pthread_self(), "beta");
    spin_beta(p);
    return NULL;
}

/* Allocates and frees 64 KiB each round: the allocs profile's churn_memory. */
__attribute__((noinline)) static void churn_memory(void)
{
    volatile char *p = malloc(65536);

    if (p)
        p[0] = 1;
    free((void *)p);
}

__attribute__((noinline)) static void park_sleeper(void)
{
    while (!atomic_load(&stop)) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        churn_memory();
    }
}

/* 64 blocks of 256 KiB live until the end: the heap profile's hold_memory. */
__attribute__((noinline)) static void **hold_memory(void)
{
    void **v = calloc(64, sizeof(*v));

    for (int i = 0; v && i < 64; i++) {
        v[i] = malloc(262144);
        if (v[i])
            memset(v[i], i, 262144);
    }
    return v;
}

static void *sleeper_main(void *p)
{
    (void)p;
    pthread_setname_np(pthread_self(), "sleeper");
    park_sleeper();
    return NULL;
}

static void *blocked_main(void *p)
{
    sigset_t all;

    (void)p;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_setname_np(pthread_self(), "blocked");
    park_sleeper();
    return NULL;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 3;
    struct job a = {0, 0, 11}, b = {0, 0, 22};
    pthread_t t[4];
    unsigned long sa = 0, sb = 0;
    void **held = hold_memory();

    if (pthread_create(&t[0], NULL, alpha_main, &a) || pthread_create(&t[1], NULL, beta_main, &b) ||
        pthread_create(&t[2], NULL, sleeper_main, NULL) ||
        pthread_create(&t[3], NULL, blocked_main, NULL)) {
        fprintf(stderr, "http_app: cannot create threads\n");
        return 1;
    }
    /* Sleeps are interrupted (EINTR) by signals: the thread dump's, for one. */
    struct timespec now, end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += (time_t)secs;
    end.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    do {
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (unsigned long r = 0; r < a.rounds; r++)
        sa += round_value(a.seed, r);
    for (unsigned long r = 0; r < b.rounds; r++)
        sb ^= round_value(b.seed, r);
    if (sa != a.sum || sb != b.sum || !a.rounds || !b.rounds) {
        printf("work BAD\n");
        return 1;
    }
    for (int i = 0; held && i < 64; i++)
        free(held[i]);
    free(held);
    printf("work ok %lu\n", a.rounds + b.rounds);
    return 0;
}
