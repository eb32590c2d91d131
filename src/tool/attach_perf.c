/*
 * cprof attach: the target's CPU samples from perf events.  One software
 * task-clock event per (thread, CPU), user mode only, sampling the
 * registers a walk needs (ip, sp, bp, bx) and a copy of the user stack;
 * the events of one CPU share that CPU's ring buffer
 * (PERF_EVENT_IOC_SET_OUTPUT: only events on the same CPU may share one,
 * hence one event per CPU and thread).  No signal is ever sent to the
 * target: nothing is interrupted, so no system call of its sees EINTR.
 *
 * New threads are found by listing /proc/PID/task again (the session
 * does it every 20 ms or so), not by inherit=1: with inherited events the
 * kernel swaps whole event contexts between a thread and its creator at
 * context switches (perf_event_context_sched_out's "equivalent context"
 * shortcut), so no event identifies its thread, and a thread that got
 * both inherited events and events of its own (it appeared in a listing
 * after inheriting) would be sampled twice with no way to tell; measured
 * here: 17% too much CPU.  A new thread's first ~20 ms go unsampled.
 * Events of threads that exit stay open until the end (a program that
 * starts threads by the thousand runs out of descriptors first: the
 * message says so).
 */
#include "tool/attach.h"

#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/err.h"

/* perf_regs.h for x86-64: the bits of sample_regs_user. */
#define REG_BX    1
#define REG_BP    6
#define REG_SP    7
#define REG_IP    8
#define REGS_MASK ((1ull << REG_BX) | (1ull << REG_BP) | (1ull << REG_SP) | (1ull << REG_IP))

#define SAMPLE_TYPE                                                                                \
    (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |                \
     PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_PERIOD | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER)

struct ring {
    int cpu;
    int fd;                            /* the event whose buffer this is */
    struct perf_event_mmap_page *meta; /* the mapping: meta page, then data */
    size_t map_len;
    uint8_t *data;
    uint64_t size; /* data bytes, a power of two */
};

struct cprof_attach_perf {
    int pid;
    int hz;
    struct ring *rings; /* one per online CPU */
    int nrings;
    int *fds; /* every event fd */
    size_t nfds, fds_cap;
    int *tids; /* threads with events of our own */
    size_t ntids, tids_cap;
    uint8_t *rec; /* one record, reassembled across the ring's end */
    struct cprof_attach_perf_stats st;
};

static long perf_event_open(struct perf_event_attr *a, int tid, int cpu, int group,
                            unsigned long flags)
{
    return syscall(SYS_perf_event_open, a, tid, cpu, group, flags);
}

int cprof_attach_sample_parse(const uint8_t *rec, size_t len, struct cprof_attach_sample *s)
{
    const uint8_t *p = rec + sizeof(struct perf_event_header), *end = rec + len;
    uint64_t abi;

#define TAKE(dst)                                                                                  \
    do {                                                                                           \
        if ((size_t)(end - p) < sizeof(dst))                                                       \
            return CPROF_ECORRUPT;                                                                 \
        memcpy(&(dst), p, sizeof(dst));                                                            \
        p += sizeof(dst);                                                                          \
    } while (0)
    memset(s, 0, sizeof(*s));
    if (len < sizeof(struct perf_event_header))
        return CPROF_ECORRUPT;
    TAKE(s->id);
    TAKE(s->ip);
    TAKE(s->pid);
    TAKE(s->tid);
    TAKE(s->time);
    TAKE(s->stream_id);
    TAKE(s->period);
    TAKE(abi);
    if (abi != PERF_SAMPLE_REGS_ABI_NONE) {
        /* In bit order: bx, bp, sp, ip. */
        TAKE(s->bx);
        TAKE(s->bp);
        TAKE(s->sp);
        TAKE(s->ip);
        s->has_regs = true;
    }
    TAKE(s->stack_len);
    if (s->stack_len) {
        uint64_t dyn;
        if ((size_t)(end - p) < s->stack_len)
            return CPROF_ECORRUPT;
        s->stack = p;
        p += s->stack_len;
        TAKE(dyn);
        if (dyn > s->stack_len)
            return CPROF_ECORRUPT;
        s->stack_len = dyn; /* bytes really copied */
    }
#undef TAKE
    return 0;
}

static void init_attr(struct perf_event_attr *a, int hz)
{
    memset(a, 0, sizeof(*a));
    a->size = sizeof(*a);
    a->type = PERF_TYPE_SOFTWARE;
    a->config = PERF_COUNT_SW_TASK_CLOCK;
    a->sample_period = 1000000000ull / (uint64_t)hz; /* task-clock counts nanoseconds */
    a->sample_type = SAMPLE_TYPE;
    a->sample_regs_user = REGS_MASK;
    a->sample_stack_user = CPROF_ATTACH_STACK_BYTES;
    a->exclude_kernel = 1; /* what perf_event_paranoid 2 allows; the target's user code */
    a->exclude_hv = 1;
}

static int push_int(int **v, size_t *n, size_t *cap, int x)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        int *nv = realloc(*v, c * sizeof(int));
        if (!nv)
            return -ENOMEM;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = x;
    return 0;
}

static bool has_tid(const struct cprof_attach_perf *p, int tid)
{
    for (size_t i = 0; i < p->ntids; i++)
        if (p->tids[i] == tid)
            return true;
    return false;
}

/* Maps the ring of the first event on a CPU; halves the size while the lock limit refuses. */
static int map_ring(struct ring *r, int fd)
{
    long page = sysconf(_SC_PAGESIZE);

    for (size_t pages = 128; pages >= 4; pages /= 2) {
        size_t len = (pages + 1) * (size_t)page;
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m != MAP_FAILED) {
            r->fd = fd;
            r->meta = m;
            r->map_len = len;
            r->data = (uint8_t *)m + (r->meta->data_offset ? r->meta->data_offset : (size_t)page);
            r->size = r->meta->data_size ? r->meta->data_size : pages * (size_t)page;
            return 0;
        }
        if (errno != EPERM && errno != ENOMEM)
            return -errno;
    }
    return -EPERM;
}

/* Opens the events of one thread on every CPU.  0, or -errno of the first failure. */
static int open_thread(struct cprof_attach_perf *p, int tid)
{
    struct perf_event_attr a;
    int opened = 0, err = 0;

    init_attr(&a, p->hz);
    for (int i = 0; i < p->nrings; i++) {
        struct ring *r = &p->rings[i];
        int fd = (int)perf_event_open(&a, tid, r->cpu, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            if (errno == ENODEV) /* CPU went offline */
                continue;
            err = -errno;
            break;
        }
        if (push_int(&p->fds, &p->nfds, &p->fds_cap, fd) != 0) {
            close(fd);
            return -ENOMEM;
        }
        p->st.events++;
        if (r->fd < 0)
            err = map_ring(r, fd);
        else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) != 0)
            err = -errno;
        if (err)
            break;
        opened++;
    }
    if (opened && !err) {
        p->st.threads++;
        return push_int(&p->tids, &p->ntids, &p->tids_cap, tid);
    }
    return err ? err : -ENODEV;
}

static int online_cpus(int *cpus, int max)
{
    FILE *f = fopen("/sys/devices/system/cpu/online", "re");
    int n = 0, a, b;
    char sep;

    if (f) {
        while (n < max && fscanf(f, "%d", &a) == 1) {
            b = a;
            if (fscanf(f, "%c", &sep) == 1 && sep == '-' && fscanf(f, "%d", &b) == 1)
                (void)(fscanf(f, "%c", &sep) == 1);
            for (int c = a; c <= b && n < max; c++)
                cpus[n++] = c;
        }
        fclose(f);
    }
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        for (n = 0; n < c && n < max; n++)
            cpus[n] = n;
    }
    return n;
}

static int read_int_file(const char *path, int fallback)
{
    FILE *f = fopen(path, "re");
    int v = fallback;

    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = fallback;
        fclose(f);
    }
    return v;
}

static bool seccomp_filtered(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    bool on = false;

    if (!f)
        return false;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "Seccomp:", 8))
            on = atoi(line + 8) == 2;
    fclose(f);
    return on;
}

/* The reason perf_event_open failed with err, and what would allow it. */
static void explain(int err, int pid, char *why, size_t n)
{
    int paranoid = read_int_file("/proc/sys/kernel/perf_event_paranoid", 2);

    if (err == -ENOSYS || ((err == -EPERM || err == -EACCES) && seccomp_filtered())) {
        snprintf(why, n,
                 "perf_event_open is refused by a seccomp filter on cprof (Seccomp: 2 in "
                 "/proc/self/status): run cprof outside the container, or allow the system call "
                 "(docker: --security-opt seccomp=unconfined, or --cap-add PERFMON)");
    } else if ((err == -EACCES || err == -EPERM) && paranoid > 2) {
        snprintf(why, n,
                 "perf events are disabled for unprivileged users "
                 "(/proc/sys/kernel/perf_event_paranoid is %d): set it to 2 "
                 "(sysctl kernel.perf_event_paranoid=2), or run cprof with CAP_PERFMON",
                 paranoid);
    } else if (err == -EACCES || err == -EPERM) {
        snprintf(why, n,
                 "not allowed to monitor process %d: it belongs to another user or is not "
                 "dumpable (perf needs ptrace read access; perf_event_paranoid is %d): run cprof "
                 "as the process's user, or with CAP_PERFMON or CAP_SYS_PTRACE (root)",
                 pid, paranoid);
    } else if (err == -EMFILE || err == -ENFILE) {
        snprintf(why, n,
                 "out of file descriptors (one event per thread and CPU): raise the limit "
                 "(ulimit -n)");
    } else if (err == -ESRCH) {
        snprintf(why, n, "process %d is gone", pid);
    } else {
        snprintf(why, n, "perf_event_open: %s", cprof_strerror(err));
    }
}

/* Lists /proc/PID/task and opens events for threads without ours. */
static int scan(struct cprof_attach_perf *p, int *added, int *first_err)
{
    char path[64];
    DIR *d;
    struct dirent *e;

    *added = 0;
    snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
    d = opendir(path);
    if (!d)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        int tid = atoi(e->d_name), err;
        if (tid <= 0 || has_tid(p, tid))
            continue;
        err = open_thread(p, tid);
        if (err == -ENOMEM) {
            closedir(d);
            return err;
        }
        if (err && err != -ESRCH && !*first_err)
            *first_err = err;
        if (!err)
            ++*added;
    }
    closedir(d);
    return 0;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int cprof_attach_perf_open(int pid, int hz, struct cprof_attach_perf **out, char *why, size_t whysz)
{
    struct cprof_attach_perf *p = calloc(1, sizeof(*p));
    int cpus[1024], n, added, first_err = 0, err;

    why[0] = 0;
    if (!p)
        return -ENOMEM;
    raise_fd_limit();
    p->pid = pid;
    p->hz = hz;
    p->rec = malloc(65536);
    n = online_cpus(cpus, 1024);
    p->rings = calloc((size_t)n, sizeof(*p->rings));
    if (!p->rings || !p->rec) {
        cprof_attach_perf_close(p);
        return -ENOMEM;
    }
    p->nrings = n;
    for (int i = 0; i < n; i++) {
        p->rings[i].cpu = cpus[i];
        p->rings[i].fd = -1;
    }
    /* Threads started while we open events: scan until a pass finds none new. */
    for (int pass = 0; pass < 8; pass++) {
        err = scan(p, &added, &first_err);
        if (err || added == 0)
            break;
    }
    if (!err && p->st.threads == 0)
        err = first_err ? first_err : -ESRCH;
    if (err) {
        explain(err, pid, why, whysz);
        cprof_attach_perf_close(p);
        return err;
    }
    if (first_err) /* some threads refused: say so, go on with the others */
        explain(first_err, pid, why, whysz);
    p->st.ring_bytes = (size_t)p->rings[0].size;
    *out = p;
    return 0;
}

int cprof_attach_perf_rescan(struct cprof_attach_perf *p)
{
    int added = 0, first_err = 0;

    scan(p, &added, &first_err);
    p->st.late += (uint64_t)added;
    return added;
}

/* Copies n bytes at ring offset off (wrapping) into dst. */
static void ring_copy(const struct ring *r, uint64_t off, void *dst, size_t n)
{
    uint64_t at = off & (r->size - 1);
    size_t first = n < r->size - at ? n : (size_t)(r->size - at);

    memcpy(dst, r->data + at, first);
    memcpy((uint8_t *)dst + first, r->data, n - first);
}

static void handle(struct cprof_attach_perf *p, const uint8_t *rec, size_t len,
                   const struct cprof_attach_sink *sink)
{
    const struct perf_event_header *h = (const void *)rec;
    struct cprof_attach_sample s;

    if (h->type == PERF_RECORD_LOST && len >= sizeof(*h) + 16) {
        uint64_t lost;
        memcpy(&lost, rec + sizeof(*h) + 8, sizeof(lost));
        p->st.lost += lost;
        return;
    }
    if (h->type != PERF_RECORD_SAMPLE || cprof_attach_sample_parse(rec, len, &s) != 0)
        return;
    if ((int)s.pid != p->pid) {
        p->st.other_pid++;
        return;
    }
    sink->sample(sink->ctx, &s);
}

size_t cprof_attach_perf_drain(struct cprof_attach_perf *p, const struct cprof_attach_sink *sink)
{
    size_t seen = 0;

    for (int i = 0; i < p->nrings; i++) {
        struct ring *r = &p->rings[i];
        uint64_t head, tail;

        if (r->fd < 0)
            continue;
        head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
        tail = r->meta->data_tail;
        while (tail < head) {
            struct perf_event_header h;
            if (head - tail < sizeof(h))
                break;
            ring_copy(r, tail, &h, sizeof(h));
            if (h.size < sizeof(h) || h.size > head - tail)
                break;
            ring_copy(r, tail, p->rec, h.size);
            handle(p, p->rec, h.size, sink);
            seen++;
            tail += h.size;
        }
        __atomic_store_n(&r->meta->data_tail, head, __ATOMIC_RELEASE);
    }
    return seen;
}

void cprof_attach_perf_disable(struct cprof_attach_perf *p)
{
    for (size_t i = 0; i < p->nfds; i++)
        ioctl(p->fds[i], PERF_EVENT_IOC_DISABLE, 0);
}

void cprof_attach_perf_stats(const struct cprof_attach_perf *p, struct cprof_attach_perf_stats *out)
{
    *out = p->st;
}

void cprof_attach_perf_close(struct cprof_attach_perf *p)
{
    if (!p)
        return;
    for (int i = 0; p->rings && i < p->nrings; i++)
        if (p->rings[i].meta)
            munmap(p->rings[i].meta, p->rings[i].map_len);
    for (size_t i = 0; i < p->nfds; i++)
        close(p->fds[i]);
    free(p->rings);
    free(p->fds);
    free(p->tids);
    free(p->rec);
    free(p);
}
