/*
 * Heap profiler stress: 8 threads do OPS malloc/free operations in total
 * (sizes 64..1024, a live set of 256 blocks per thread, and blocks handed
 * between threads through a shared mailbox so frees often run on another
 * thread than the allocation).  Meanwhile a SIGALRM handler allocates and
 * frees on whatever thread it lands, the main thread forks a child that
 * allocates and exits through exit(), and vforks a child that allocates.
 * At the end every churn block is freed, and keep_site leaves KEEP blocks
 * of 1000 bytes live.  Prints "ok" when done.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define NTHREADS 8
#define LIVE     256
#define MAILBOX  64
#define KEEP     40

static long ops_per_thread;
static _Atomic(void *) mailbox[MAILBOX];
void *kept[KEEP]; /* global: the allocations must not be optimized away */
static volatile sig_atomic_t handler_runs;
static _Atomic long churn_allocs;

static void on_alarm(int sig)
{
    (void)sig;
    /* Not async-signal-safe by POSIX, but programs do it; cprof must not deadlock. */
    void *p = malloc(24);
    free(p);
    handler_runs++;
}

__attribute__((noinline)) static void *churn_alloc(size_t n)
{
    char *p = malloc(n);
    p[0] = 1;
    return p;
}

static void *worker(void *arg)
{
    uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    void *live[LIVE] = {0};
    long allocs = 0;
    sigset_t alrm;

    free(malloc(24)); /* fill the handler's tcache bin, then take signals */
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);

    for (long i = 0; i < ops_per_thread; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned slot = (unsigned)(x % LIVE);
        if (live[slot]) {
            if ((x >> 20) % 8 == 0) /* hand it to another thread */
                live[slot] = atomic_exchange(&mailbox[(x >> 24) % MAILBOX], live[slot]);
            else {
                free(live[slot]);
                live[slot] = NULL;
            }
        } else {
            live[slot] = churn_alloc(64 + (x >> 32) % 961);
            allocs++;
        }
    }
    for (int i = 0; i < LIVE; i++)
        free(live[i]);
    atomic_fetch_add(&churn_allocs, allocs);
    return NULL;
}

__attribute__((noinline)) static void keep_site(void)
{
    for (int i = 0; i < KEEP; i++)
        kept[i] = malloc(1000);
}

int main(int argc, char **argv)
{
    long ops = argc > 1 ? atol(argv[1]) : 10000000;
    pthread_t t[NTHREADS];
    struct itimerval it = {{0, 2000}, {0, 2000}};
    pid_t pid;
    int st;

    sigset_t alrm;

    ops_per_thread = ops / (2 * NTHREADS) * 2; /* each op is a malloc or a free */
    free(malloc(24));
    signal(SIGALRM, on_alarm);
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alrm, NULL); /* threads start with it blocked */
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(i + 1));
    pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
    setitimer(ITIMER_REAL, &it, NULL);
    usleep(20000);
    pid = fork();
    if (pid == 0) {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
        for (int i = 0; i < 1000; i++)
            free(churn_alloc(100));
        exit(0); /* runs the exit path: the child writes its own profile */
    }
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        printf("fork child failed\n");
        return 1;
    }
    pthread_sigmask(SIG_BLOCK, &alrm, NULL); /* not in the vfork child */
    pid = vfork();
    if (pid == 0) {
        free(malloc(100));
        _exit(0);
    }
    waitpid(pid, &st, 0);
    pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
    for (int i = 0; i < MAILBOX; i++)
        free(atomic_exchange(&mailbox[i], NULL));
    keep_site();
    printf("ok handler_runs=%d allocs=%ld\n", handler_runs > 0, atomic_load(&churn_allocs));
    return 0;
}
