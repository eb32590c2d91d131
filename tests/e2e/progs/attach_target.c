/*
 * A program started without cprof, for `cprof attach`: two busy threads
 * with known hot functions (hot_alpha spins in qsort's callback, so its
 * stacks cross libc code without frame pointers; hot_beta spins on its
 * own, about half as much: it sleeps between bursts), one thread in a
 * nanosleep loop that reports any EINTR, one in poll on a pipe, and main
 * in pthread_join; threads are named alpha, beta, sleeper, poller.  Runs argv[1] seconds (wall),
 * writes "ready" to stdout once every thread runs, and at the end "eintr=N" and exits 0 (3 when a
 * system call saw EINTR).  With argv[2], a FIFO: the poller polls it;
 * "g" starts one more busy thread, "late" (hot_late), so a profiler
 * attached before must follow a thread created after; "q" ends the run
 * early (every thread returns, the program exits as usual).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define N 2048

static volatile double stop_at;
static volatile int eintr_seen;
static volatile unsigned long sink;
static int pipefd[2];

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static int compare_alpha(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    volatile int spin = 0;

    for (int i = 0; i < 40; i++)
        spin += i;
    return (x > y) - (x < y);
}

__attribute__((noinline)) static void hot_alpha(void)
{
    static int keys[N];
    unsigned s = 7;

    while (now() < stop_at) {
        for (int i = 0; i < N; i++)
            keys[i] = (int)(s = s * 1103515245u + 12345u);
        qsort(keys, N, sizeof(keys[0]), compare_alpha);
    }
}

__attribute__((noinline)) static void burn_beta(double secs)
{
    double t0 = now();
    unsigned long x = sink;

    while (now() - t0 < secs)
        for (int i = 0; i < 10000; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
}

__attribute__((noinline)) static void hot_beta(void)
{
    struct timespec ts = {0, 10 * 1000 * 1000};

    while (now() < stop_at) {
        burn_beta(0.01);
        while (nanosleep(&ts, &ts) != 0)
            if (errno == EINTR)
                eintr_seen++;
        ts.tv_nsec = 10 * 1000 * 1000;
    }
}

__attribute__((noinline)) static void sleeper_wait(void)
{
    struct timespec ts = {0, 50 * 1000 * 1000};

    while (now() < stop_at) {
        struct timespec left = ts;
        while (nanosleep(&left, &left) != 0) {
            if (errno != EINTR)
                break;
            eintr_seen++;
        }
    }
}

__attribute__((noinline)) static void hot_late(void)
{
    while (now() < stop_at)
        burn_beta(0.05);
}

static void *run_late(void *arg)
{
    (void)arg;
    hot_late();
    return NULL;
}

static pthread_t late;
static int late_started;

__attribute__((noinline)) static void poller_wait(void)
{
    struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
    char buf[64];

    while (now() < stop_at) {
        int r = poll(&p, 1, 100);
        if (r < 0 && errno == EINTR)
            eintr_seen++;
        ssize_t n = r > 0 && (p.revents & POLLIN) ? read(p.fd, buf, sizeof(buf)) : 0;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == 'q')
                stop_at = 0;
            if (buf[i] == 'g' && !late_started &&
                pthread_create(&late, NULL, run_late, NULL) == 0) {
                pthread_setname_np(late, "late");
                late_started = 1;
            }
        }
    }
}

static void *run_alpha(void *arg)
{
    (void)arg;
    hot_alpha();
    return NULL;
}

static void *run_beta(void *arg)
{
    (void)arg;
    hot_beta();
    return NULL;
}

static void *run_sleeper(void *arg)
{
    (void)arg;
    sleeper_wait();
    return NULL;
}

static void *run_poller(void *arg)
{
    (void)arg;
    poller_wait();
    return NULL;
}

int main(int argc, char **argv)
{
    void *(*fns[])(void *) = {run_alpha, run_beta, run_sleeper, run_poller};
    const char *names[] = {"alpha", "beta", "sleeper", "poller"};
    pthread_t t[4];

    stop_at = now() + (argc > 1 ? atof(argv[1]) : 5);
    if (argc > 2) {
        /* Read-write: a FIFO whose writers all closed would poll as POLLHUP forever. */
        pipefd[0] = open(argv[2], O_RDWR | O_NONBLOCK);
        if (pipefd[0] < 0)
            return 1;
    } else if (pipe(pipefd) != 0) {
        return 1;
    }
    for (int i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, fns[i], NULL) != 0)
            return 1;
    for (int i = 0; i < 4; i++)
        pthread_setname_np(t[i], names[i]);
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    if (late_started)
        pthread_join(late, NULL);
    printf("eintr=%d\n", eintr_seen);
    return eintr_seen ? 3 : 0;
}
