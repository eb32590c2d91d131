/*
 * Workload of bench/cpu_mechanism.sh: what one perf task-clock sample costs
 * the kernel, without any profiler.  A fixed loop of register arithmetic
 * runs with one perf task-clock event on the thread, set up one of these
 * ways (MODE):
 *   none     no event: the baseline
 *   timer    the event counts and samples into its mmap'd ring, no signal:
 *            the hrtimer interrupt per period alone
 *   ring     + a signal per overflow (F_SETSIG), the handler takes the
 *            count from the ring and re-arms every 16 overflows (cprof's
 *            sampler now)
 *   refresh  + a signal per overflow, the handler read()s the count and
 *            re-arms with PERF_EVENT_IOC_REFRESH 1 (cprof's sampler before)
 * Prints "cpu_ns N signals N": the thread's CPU time for the loop and the
 * signals handled.  The cost of one sample is (cpu - cpu of none) / number
 * of overflows (cpu / period).
 *
 *   cpu_mechanism MODE PERIOD_NS ITERATIONS
 */
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { NONE, TIMER, RING, REFRESH };

static int mode, fd = -1;
static volatile long signals;
static uint64_t last, weighed;
static struct perf_event_mmap_page *page;
static uint64_t data_size;
static volatile uint64_t sink;

static void handler(int sig, siginfo_t *si, void *uc)
{
    uint64_t count = 0;

    (void)sig;
    (void)uc;
    signals++;
    if (mode == REFRESH) {
        if (read(fd, &count, sizeof(count)) != (ssize_t)sizeof(count))
            return;
        ioctl(fd, PERF_EVENT_IOC_REFRESH, 1);
    } else {
        const unsigned char *data = (const unsigned char *)page + page->data_offset;
        uint64_t head = __atomic_load_n(&page->data_head, __ATOMIC_ACQUIRE);
        uint64_t tail = page->data_tail;
        while (tail < head) {
            struct perf_event_header h;
            memcpy(&h, data + (tail & (data_size - 1)), sizeof(h));
            if (h.size < sizeof(h))
                break;
            if (h.type == PERF_RECORD_SAMPLE)
                memcpy(&count, data + ((tail + 8) & (data_size - 1)), sizeof(count));
            tail += h.size;
        }
        __atomic_store_n(&page->data_tail, head, __ATOMIC_RELEASE);
        if (si->si_code == POLL_HUP)
            ioctl(fd, PERF_EVENT_IOC_REFRESH, 16);
    }
    if (count > last) {
        weighed += count - last;
        last = count;
    }
}

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static const char *names[] = {"none", "timer", "ring", "refresh"};
    struct perf_event_attr a;
    long iters;

    if (argc != 4)
        return 2;
    for (mode = 0; mode < 4 && strcmp(argv[1], names[mode]); mode++)
        ;
    if (mode == 4)
        return 2;
    iters = atol(argv[3]);
    if (mode != NONE) {
        memset(&a, 0, sizeof(a));
        a.type = PERF_TYPE_SOFTWARE;
        a.size = sizeof(a);
        a.config = PERF_COUNT_SW_TASK_CLOCK;
        a.sample_period = strtoull(argv[2], NULL, 10);
        a.sample_type = mode == REFRESH ? 0 : PERF_SAMPLE_READ;
        a.disabled = 1;
        a.exclude_hv = 1;
        fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            perror("perf_event_open");
            return 1;
        }
        if (mode != REFRESH) {
            long pg = sysconf(_SC_PAGESIZE);
            void *m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (m == MAP_FAILED) {
                perror("mmap");
                return 1;
            }
            page = m;
            data_size = (uint64_t)pg;
        }
        if (mode != TIMER) {
            struct sigaction sa;
            struct f_owner_ex owner = {.type = F_OWNER_TID, .pid = gettid()};
            memset(&sa, 0, sizeof(sa));
            sa.sa_sigaction = handler;
            sa.sa_flags = SA_SIGINFO | SA_RESTART;
            sigaction(SIGRTMIN + 6, &sa, NULL);
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
            fcntl(fd, F_SETOWN_EX, &owner);
            fcntl(fd, F_SETSIG, SIGRTMIN + 6);
        }
        if (mode == TIMER)
            ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
        else
            ioctl(fd, PERF_EVENT_IOC_REFRESH, mode == REFRESH ? 1 : 16);
    }
    int64_t t0 = thread_cpu_ns();
    uint64_t x = 1;
    for (long i = 0; i < iters; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sink = x;
    int64_t t1 = thread_cpu_ns();
    printf("cpu_ns %lld signals %ld\n", (long long)(t1 - t0), signals);
    return 0;
}
