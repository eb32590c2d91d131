/*
 * EINTR test program: THREADS threads (default 2) each run ITERS rounds of
 * a CPU burst (~BURST_US of CPU) followed by one sleeping call, taking in
 * turn nanosleep, clock_nanosleep, epoll_wait, poll, select, sem_timedwait,
 * sigtimedwait and usleep, each with a ~SLEEP_US timeout and nothing to
 * wake it early.  The program installs no signal handler, so any EINTR is
 * someone else's signal.
 *   sleep_calls [THREADS [ITERS [BURST_US [SLEEP_US]]]]
 * Prints "calls N eintr N" and one "eintr CALL N" line per call that
 * failed; exits 1 when some call failed with EINTR (or otherwise).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

enum {
    NANOSLEEP,
    CLOCK_NANOSLEEP,
    EPOLL_WAIT,
    POLL,
    SELECT,
    SEM_TIMEDWAIT,
    SIGTIMEDWAIT,
    USLEEP,
    NCALLS
};

static const char *names[NCALLS] = {"nanosleep", "clock_nanosleep", "epoll_wait",   "poll",
                                    "select",    "sem_timedwait",   "sigtimedwait", "usleep"};
static _Atomic long eintr[NCALLS], other[NCALLS], calls;
static int iters = 400, burst_us = 1000, sleep_us = 300;
static volatile unsigned long sink;

static long cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void burn(void)
{
    long end = cpu_ns() + burst_us * 1000L;
    unsigned long x = sink;

    while (cpu_ns() < end)
        for (int i = 0; i < 2000; i++)
            x = x * 6364136223846793005ul + 1442695040888963407ul;
    sink = x;
}

/* One sleeping call; returns 0, or the errno it failed with. */
static int sleep_call(int which, int ep, sem_t *sem)
{
    struct timespec ts = {0, sleep_us * 1000L};
    int ms = sleep_us / 1000 ? sleep_us / 1000 : 1;

    switch (which) {
    case NANOSLEEP: return nanosleep(&ts, NULL) ? errno : 0;
    case CLOCK_NANOSLEEP: return clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
    case EPOLL_WAIT: {
        struct epoll_event ev;
        return epoll_wait(ep, &ev, 1, ms) < 0 ? errno : 0;
    }
    case POLL: return poll(NULL, 0, ms) < 0 ? errno : 0;
    case SELECT: {
        struct timeval tv = {0, sleep_us};
        return select(0, NULL, NULL, NULL, &tv) < 0 ? errno : 0;
    }
    case SEM_TIMEDWAIT: {
        struct timespec abs;
        clock_gettime(CLOCK_REALTIME, &abs);
        abs.tv_nsec += sleep_us * 1000L;
        if (abs.tv_nsec >= 1000000000L) {
            abs.tv_sec++;
            abs.tv_nsec -= 1000000000L;
        }
        return sem_timedwait(sem, &abs) < 0 && errno != ETIMEDOUT ? errno : 0;
    }
    case SIGTIMEDWAIT: {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR2); /* blocked in every thread, never sent */
        return sigtimedwait(&s, NULL, &ts) < 0 && errno != EAGAIN ? errno : 0;
    }
    case USLEEP: return usleep((useconds_t)sleep_us) ? errno : 0;
    }
    return 0;
}

static void *worker(void *arg)
{
    int ep = epoll_create1(0);
    sem_t sem;

    (void)arg;
    sem_init(&sem, 0, 0);
    for (int i = 0; i < iters; i++) {
        int which = i % NCALLS;
        burn();
        int err = sleep_call(which, ep, &sem);
        atomic_fetch_add(&calls, 1);
        if (err == EINTR)
            atomic_fetch_add(&eintr[which], 1);
        else if (err)
            atomic_fetch_add(&other[which], 1);
    }
    sem_destroy(&sem);
    close(ep);
    return NULL;
}

int main(int argc, char **argv)
{
    int nth = argc > 1 ? atoi(argv[1]) : 2;
    pthread_t t[64];
    sigset_t s;
    long total = 0, bad = 0;

    if (argc > 2)
        iters = atoi(argv[2]);
    if (argc > 3)
        burst_us = atoi(argv[3]);
    if (argc > 4)
        sleep_us = atoi(argv[4]);
    if (nth < 1 || nth > 64 || iters < 0 || burst_us < 0 || sleep_us < 1 || sleep_us > 999999)
        return 2;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    for (int i = 0; i < nth; i++)
        if (pthread_create(&t[i], NULL, worker, NULL))
            return 2;
    for (int i = 0; i < nth; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NCALLS; i++)
        total += eintr[i], bad += other[i];
    printf("calls %ld eintr %ld\n", (long)calls, total);
    for (int i = 0; i < NCALLS; i++) {
        if (eintr[i])
            printf("eintr %s %ld\n", names[i], (long)eintr[i]);
        if (other[i])
            printf("error %s %ld\n", names[i], (long)other[i]);
    }
    return total || bad;
}
