/*
 * Threads blocked in system calls that a signal would end early (signal(7):
 * never restarted, even with SA_RESTART), for the thread-dump test: while
 * they block, the test requests thread dumps, which must not disturb them.
 *
 *   "nano"   blk_nanosleep: nanosleep, 2 s          (0, not early)
 *   "poll"   blk_poll: poll(NULL, 0, 3000)          (0, not early)
 *   "epoll"  blk_epoll: epoll_wait(empty set, 3000) (0, not early)
 *   "sem"    blk_sem: sem_timedwait, now + 3 s      (ETIMEDOUT, not early)
 *   "pipe"   blk_read: read() of a pipe written by main after 3 s (1 byte)
 *   "busy"   busy_loop: spins for 2 s (a running thread)
 *
 * Each thread checks its own result and duration.  Prints "ready" on
 * stdout once every thread has started (plus 100 ms, so they block), then
 * "result ok" and exits 0, or a "BAD ..." line per failure and exits 1.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static _Atomic int bad;
static _Atomic int stop;
static pthread_barrier_t started;
static int pipefd[2];
static sem_t sem;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reports a failed check. */
static void check(const char *who, int ok, long ret, int err, double took, double want)
{
    if (ok)
        return;
    printf("BAD %s: ret %ld errno %d (%s) after %.3f s, want %.3f s\n", who, ret, err,
           strerror(err), took, want);
    fflush(stdout);
    atomic_store(&bad, 1);
}

__attribute__((noinline)) static void blk_nanosleep(void)
{
    struct timespec ts = {2, 0};
    double t0 = now();
    int r = nanosleep(&ts, NULL);
    int e = errno;
    double took = now() - t0;

    check("nanosleep", r == 0 && took >= 2.0, r, r ? e : 0, took, 2.0);
}

__attribute__((noinline)) static void blk_poll(void)
{
    double t0 = now();
    int r = poll(NULL, 0, 3000);
    int e = errno;
    double took = now() - t0;

    check("poll", r == 0 && took >= 2.999, r, r ? e : 0, took, 3.0);
}

__attribute__((noinline)) static void blk_epoll(void)
{
    struct epoll_event ev;
    int fd = epoll_create1(EPOLL_CLOEXEC);
    double t0 = now();
    int r = epoll_wait(fd, &ev, 1, 3000);
    int e = errno;
    double took = now() - t0;

    check("epoll_wait", fd >= 0 && r == 0 && took >= 2.999, r, r ? e : 0, took, 3.0);
    close(fd);
}

__attribute__((noinline)) static void blk_sem(void)
{
    struct timespec abs;
    double t0 = now();

    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_sec += 3;
    int r = sem_timedwait(&sem, &abs);
    int e = errno;
    double took = now() - t0;

    check("sem_timedwait", r == -1 && e == ETIMEDOUT && took >= 2.99, r, r ? e : 0, took, 3.0);
}

__attribute__((noinline)) static void blk_read(void)
{
    char c = 0;
    ssize_t r = read(pipefd[0], &c, 1);
    int e = errno;

    check("read", r == 1 && c == 'x', (long)r, r < 0 ? e : 0, 0, 0);
}

__attribute__((noinline)) static unsigned long busy_loop(void)
{
    unsigned long x = 1;

    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        for (int i = 0; i < 1000; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
    return x;
}

static void *nano_main(void *p)
{
    (void)p;
    pthread_setname_np(pthread_self(), "nano");
    pthread_barrier_wait(&started);
    blk_nanosleep();
    return NULL;
}

static void *poll_main(void *p)
{
    (void)p;
    pthread_setname_np(pthread_self(), "poll");
    pthread_barrier_wait(&started);
    blk_poll();
    return NULL;
}

static void *epoll_main(void *p)
{
    (void)p;
    pthread_setname_np(pthread_self(), "epoll");
    pthread_barrier_wait(&started);
    blk_epoll();
    return NULL;
}

static void *sem_main(void *p)
{
    (void)p;
    pthread_setname_np(pthread_self(), "sem");
    pthread_barrier_wait(&started);
    blk_sem();
    return NULL;
}

static void *read_main(void *p)
{
    (void)p;
    pthread_setname_np(pthread_self(), "pipe");
    pthread_barrier_wait(&started);
    blk_read();
    return NULL;
}

static void *busy_main(void *p)
{
    static volatile unsigned long sink;

    (void)p;
    pthread_setname_np(pthread_self(), "busy");
    pthread_barrier_wait(&started);
    sink = busy_loop();
    return NULL;
}

int main(void)
{
    void *(*mains[])(void *) = {nano_main, poll_main, epoll_main, sem_main, read_main, busy_main};
    enum { N = sizeof(mains) / sizeof(mains[0]) };
    pthread_t th[N];
    double t0;

    if (pipe(pipefd) < 0 || sem_init(&sem, 0, 0) < 0)
        return 2;
    pthread_barrier_init(&started, NULL, N + 1);
    for (int i = 0; i < N; i++)
        if (pthread_create(&th[i], NULL, mains[i], NULL) != 0)
            return 2;
    pthread_barrier_wait(&started);
    t0 = now();
    usleep(100000);
    printf("ready\n");
    fflush(stdout);
    /* The busy thread stops after 2 s, the pipe reader gets its byte after 3 s. */
    while (now() - t0 < 2.0)
        usleep(10000);
    atomic_store(&stop, 1);
    while (now() - t0 < 3.0)
        usleep(10000);
    if (write(pipefd[1], "x", 1) != 1)
        return 2;
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    if (atomic_load(&bad))
        return 1;
    printf("result ok\n");
    return 0;
}
