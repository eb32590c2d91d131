/*
 * A forking server under stress: busy threads, one thread that keeps
 * loading and unloading a library (so the profiler rebuilds its unwind
 * tables all the time), and a fork loop whose children look a user up
 * (NSS may dlopen), dlopen LIB, throw and catch a C++ exception, then
 * leave with _exit.  A child that does not finish within its deadline is
 * a deadlock: it is killed and the program fails.  The program itself is
 * fork-safe: its own dlopen/dlclose never runs during a fork (glibc's
 * loader lock would be inherited held), so only a profiler that holds the
 * loader's lock across a fork can hang a child.
 *
 * Usage: fork_dlopen LIB FORKS [CHILD_DEADLINE_MS]
 * (LIB: a shared library the program does not load otherwise)
 */
#include <dlfcn.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdexcept>

static volatile int stop;
static const char *lib;
static pthread_mutex_t dl_mu = PTHREAD_MUTEX_INITIALIZER; /* no dlopen across fork */
static volatile unsigned long sink;

static void *burner(void *)
{
    unsigned long x = 1;

    while (!stop)
        for (int i = 0; i < 100000; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
    return nullptr;
}

static void *loader(void *)
{
    while (!stop) {
        pthread_mutex_lock(&dl_mu);
        void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        if (h)
            dlclose(h);
        pthread_mutex_unlock(&dl_mu);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, nullptr);
    }
    return nullptr;
}

__attribute__((noinline)) static int child_work(int k)
{
    int r = 0;

    if (getpwnam("root") == nullptr)
        r |= 1;
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        r |= 2;
    try {
        throw std::runtime_error("child");
    } catch (const std::exception &) {
        r |= 0;
    }
    if (h)
        dlclose(h);
    return r + (k < 0);
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fork_dlopen LIB FORKS [CHILD_DEADLINE_MS]\n");
        return 2;
    }
    lib = argv[1];
    int forks = atoi(argv[2]);
    long deadline = argc > 3 ? atol(argv[3]) : 10000;
    pthread_t th[3];
    int hung = 0, failed = 0;

    pthread_create(&th[0], nullptr, burner, nullptr);
    pthread_create(&th[1], nullptr, burner, nullptr);
    pthread_create(&th[2], nullptr, loader, nullptr);
    for (int k = 0; k < forks; k++) {
        pthread_mutex_lock(&dl_mu);
        pid_t pid = fork();
        if (pid != 0)
            pthread_mutex_unlock(&dl_mu);
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0)
            _exit(child_work(k));
        struct timespec t0;
        int st = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            pid_t w = waitpid(pid, &st, WNOHANG);
            if (w == pid)
                break;
            if (ms_since(&t0) > deadline) {
                fprintf(stderr, "child %d (fork %d) hung\n", (int)pid, k);
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                hung++;
                break;
            }
            struct timespec ts = {0, 1000 * 1000};
            nanosleep(&ts, nullptr);
        }
        if (!hung && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
            fprintf(stderr, "child %d (fork %d) failed: status %#x\n", (int)pid, k, st);
            failed++;
        }
        if (hung)
            break;
    }
    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], nullptr);
    if (hung || failed)
        return 1;
    printf("fork_dlopen ok\n");
    return 0;
}
