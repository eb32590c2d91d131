/*
 * The CPU sampler's signal handler.  It only records: find the thread's
 * slot, weigh the sample, unwind into the slot's ring, re-arm.  Nothing here
 * allocates, locks or touches dynamic TLS; see cpu_sig.h for the ring.
 */
#include "rt/sig/cpu_sig.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rt/sig/sigown_sig.h"
#include "rt/sig/unwind.h"

static struct cprof_thr *slot_by_fd(struct cprof_cpu_sig *s, int fd)
{
    if (fd < 0 || fd >= s->nfd2slot || !s->fd2slot)
        return NULL;
    int32_t i = atomic_load_explicit(&s->fd2slot[fd], memory_order_acquire);
    if (i < 0 || (uint32_t)i >= s->nslots)
        return NULL;
    return &s->slots[i];
}

static struct cprof_thr *slot_by_index(struct cprof_cpu_sig *s, int i)
{
    if (i < 0 || (uint32_t)i >= s->nslots)
        return NULL;
    return &s->slots[i];
}

/* Process-wide timers land on any thread: look the thread up by its id. */
static struct cprof_thr *slot_by_tid(struct cprof_cpu_sig *s)
{
    pid_t tid = gettid();
    uint32_t n = atomic_load_explicit(&s->nused, memory_order_acquire);

    for (uint32_t i = 0; i < n && i < s->nslots; i++) {
        struct cprof_thr *t = &s->slots[i];
        if (atomic_load_explicit(&t->tid, memory_order_relaxed) == tid &&
            atomic_load_explicit(&t->state, memory_order_acquire) == CPROF_THR_LIVE)
            return t;
    }
    return NULL;
}

/*
 * Consumes the records of t's perf ring; *count gets the event's count in
 * the newest sample record (PERF_SAMPLE_READ: the thread's task-clock ns
 * at that overflow), *first the one in the oldest.  False when there was
 * no sample record.
 */
static bool perf_ring_count_sigsafe(struct cprof_thr *t, void *page, uint64_t *count,
                                    uint64_t *first)
{
    struct perf_event_mmap_page *pg = page;
    uint64_t size = t->perf_data_size, mask = size - 1;
    /* Kernels before 4.1 leave data_offset 0: the data follows the control page. */
    uint64_t off = pg->data_offset ? pg->data_offset : t->perf_map_len - size;
    const unsigned char *data = (const unsigned char *)page + off;
    uint64_t head = __atomic_load_n(&pg->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = pg->data_tail;
    bool found = false;

    if (head - tail > size || off + size > t->perf_map_len) {
        tail = head; /* never seen; resynchronise rather than trust it */
        goto done;
    }
    /* Records are 8-byte multiples in a power-of-two area: no word wraps. */
    while (head - tail >= sizeof(struct perf_event_header)) {
        struct perf_event_header eh;
        memcpy(&eh, data + (tail & mask), sizeof(eh));
        if (eh.size < sizeof(eh) || eh.size % 8 || eh.size > head - tail) {
            tail = head;
            break;
        }
        if (eh.type == PERF_RECORD_SAMPLE && eh.size >= sizeof(eh) + sizeof(uint64_t)) {
            memcpy(count, data + ((tail + sizeof(eh)) & mask), sizeof(*count));
            if (!found)
                *first = *count;
            found = true;
        }
        tail += eh.size;
    }
done:
    __atomic_store_n(&pg->data_tail, tail, __ATOMIC_RELEASE);
    return found;
}

/* Appends one sample of weight ns to t's ring, or counts a drop. */
static void record_sigsafe(struct cprof_cpu_sig *s, struct cprof_thr *t, void *uc, uint64_t ns)
{
    struct cprof_ring *r = &t->ring;
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

    if (!r->mem || head - tail >= r->cap) {
        atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->dropped_ns, ns, memory_order_relaxed);
        return;
    }
    uint64_t *rec = r->mem + (size_t)(head & (r->cap - 1)) * r->rec_words;
    int max = (int)r->rec_words - CPROF_REC_HDR_WORDS;
    if (max > s->depth)
        max = s->depth;
    bool truncated = false;
    int n = cprof_unwind_sigsafe(uc, (uintptr_t *)(rec + CPROF_REC_HDR_WORDS), max, &truncated);
    if (n < 0)
        n = 0;
    /* Code no table covers (loaded behind our back, or JIT): counted for the profile. */
    if (n > 0 && !cprof_unwind_covers_sigsafe((uintptr_t)rec[CPROF_REC_HDR_WORDS]))
        atomic_fetch_add_explicit(&s->uncovered, 1, memory_order_relaxed);
    rec[0] = ns;
    rec[1] = (uint64_t)n | (uint64_t)(truncated ? CPROF_REC_TRUNCATED : 0) << 16;
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

/*
 * Keeps sampling within s->budget_pct of the thread's CPU time.  A sample's
 * cost (the kernel's timer interrupt and signal, this handler) is on the
 * thread's own CPU clock, so it counts towards the next overflow: where it
 * nears the period, the thread runs nothing but samples.  It varies ten
 * times between a quiet machine and a loaded VM (10-80 us here), so it is
 * measured: once every 16 samples the event's count is read at the end of
 * the handler, and the CPU time since the oldest overflow the handler
 * found in the ring is what this sample cost, but for the interrupt's
 * entry and the signal's return: on this VM under load the program's
 * slowdown said ~2x what was measured, hence the factor 2.  (The oldest:
 * when samples cost more than the period, overflows pile up during the
 * handlers, and the newest would be moments old; then the CPU time per
 * signal handled since the previous measurement bounds the cost.)  A
 * sample that costs more than the period slows the thread at once;
 * otherwise, when two measurements in a row are over budget, the period
 * grows to fit the smaller; at most 8 times per step.  Two in a row well
 * under budget bring it back down by at most half.  Weights stay exact: each
 * sample weighs the count since the previous one, whatever the period.
 * Not on the refresh's last overflow (count stopped until the re-arm).
 */
static void throttle_sigsafe(struct cprof_cpu_sig *s, struct cprof_thr *t, int fd, uint64_t at)
{
    uint64_t now, period = t->period_ns ? t->period_ns : s->period_ns;

    if (read(fd, &now, sizeof(now)) != (ssize_t)sizeof(now) || now <= at)
        return;
    uint64_t cost = now - at, prev = t->cost_ns, np;
    /*
     * Signals queued faster than handled: the oldest overflow predates
     * several handlers, so a signal costs at most the CPU time per signal
     * since the previous measurement.
     */
    if (t->meas_count && now > t->meas_count && t->calls - t->meas_calls > 1) {
        uint64_t per = (now - t->meas_count) / (t->calls - t->meas_calls);
        if (per < cost)
            cost = per;
    }
    t->meas_count = now;
    t->meas_calls = t->calls;
    cost *= 2;
    t->cost_ns = cost;
    if (!s->budget_pct)
        return;
    if (cost * 100 <= period * s->budget_pct) {
        /* Well under budget twice (a spike has passed): back towards the session's rate. */
        if (t->period_ns <= s->period_ns || cost * 200 > period * s->budget_pct || !prev ||
            prev * 200 > period * s->budget_pct)
            return;
        np = (prev > cost ? prev : cost) * 100 / s->budget_pct;
        if (np < period / 2)
            np = period / 2;
        if (np < s->period_ns)
            np = s->period_ns;
        if (syscall(SYS_ioctl, fd, PERF_EVENT_IOC_PERIOD, &np) == 0)
            t->period_ns = np;
        return;
    }
    if (cost < period && prev * 100 <= period * s->budget_pct)
        return;
    np = (cost < period && prev < cost ? prev : cost) * 100 / s->budget_pct;
    if (np > period * 8)
        np = period * 8;
    if (syscall(SYS_ioctl, fd, PERF_EVENT_IOC_PERIOD, &np) != 0)
        return;
    t->period_ns = np;
    t->cost_ns = 0;
    uint64_t old = atomic_load_explicit(&s->slowest_ns, memory_order_relaxed);
    while (old < np && !atomic_compare_exchange_weak_explicit(
                           &s->slowest_ns, &old, np, memory_order_relaxed, memory_order_relaxed))
        ;
}

/*
 * True when the delivery is the sampling mechanism's own event (the
 * kernel's code for it), whether or not a slot still matches; anything
 * else (kill, raise, sigqueue, the program's own timers or files) is the
 * program's.  With setitimer both share ITIMER_PROF: a program that has a
 * SIGPROF handler of its own set the timer itself, so it gets them too.
 */
static bool mechanism_event_sigsafe(const struct cprof_cpu_sig *s, int sig, const siginfo_t *si,
                                    bool *also_program)
{
    *also_program = false;
    switch (s->mode) {
    case CPROF_CPU_PERF: return si->si_code >= POLL_IN && si->si_code <= POLL_HUP;
    case CPROF_CPU_POSIX: return si->si_code == SI_TIMER;
    case CPROF_CPU_ITIMER:
        if (si->si_code != SI_KERNEL)
            return false;
        *also_program = cprof_sig_prog_has_handler_sigsafe(sig);
        return true;
    default: return false;
    }
}

void cprof_cpu_handler_sigsafe(int sig, siginfo_t *si, void *uc)
{
    int saved_errno = errno;
    struct cprof_cpu_sig *s = cprof__cpu_sig;
    struct cprof_thr *t = NULL;
    uint64_t ns = 0, at = 0;
    bool measure = false, program;

    /* Not ours: the program's handler, if it set one (sigown_sig.h). */
    if (!mechanism_event_sigsafe(s, sig, si, &program)) {
        cprof_sig_chain_sigsafe(sig, si, uc);
        errno = saved_errno;
        return;
    }
    /* seq_cst pairs with stop: it clears active, then waits for inflight == 0. */
    atomic_fetch_add(&s->inflight, 1);
    if (!atomic_load(&s->active))
        goto out;
    switch (s->mode) {
    case CPROF_CPU_PERF: {
        uint64_t count = 0, first = 0;
        bool have;
        t = slot_by_fd(s, si->si_fd);
        if (!t || t->perf_fd != si->si_fd)
            break;
        /*
         * The count is the thread's exact CPU time: lost or merged signals
         * cost nothing.  From the ring when mapped (no system call), else
         * from the fd.
         */
        void *page = atomic_load_explicit(&t->perf_page, memory_order_acquire);
        if (page)
            have = perf_ring_count_sigsafe(t, page, &count, &first);
        else
            have = read(si->si_fd, &count, sizeof(count)) == (ssize_t)sizeof(count);
        if (have) {
            if (count > t->last_count)
                ns = count - t->last_count;
            t->last_count = count;
        }
        /* The event turned itself off at its refresh's last overflow. */
        t->calls++;
        if (si->si_code == POLL_HUP)
            syscall(SYS_ioctl, si->si_fd, PERF_EVENT_IOC_REFRESH, CPROF_PERF_REFRESH);
        else if (have && page && ++t->nsig % 16 == 8)
            measure = true, at = first;
        break;
    }
    case CPROF_CPU_POSIX:
        if (si->si_code != SI_TIMER)
            break;
        t = slot_by_index(s, si->si_value.sival_int);
        /* Each missed expiration is one more period of CPU time. */
        ns = s->period_ns * (1 + (uint64_t)(si->si_overrun > 0 ? si->si_overrun : 0));
        break;
    case CPROF_CPU_ITIMER:
        if (si->si_code != SI_KERNEL)
            break;
        t = slot_by_tid(s);
        ns = s->period_ns;
        break;
    default: break;
    }
    if (!t) {
        atomic_fetch_add_explicit(&s->unknown, 1, memory_order_relaxed);
        goto out;
    }
    atomic_fetch_add_explicit(&s->signals, 1, memory_order_relaxed);
    if (ns > 0 && atomic_load_explicit(&t->state, memory_order_acquire) == CPROF_THR_LIVE)
        record_sigsafe(s, t, uc, ns);
    if (measure)
        throttle_sigsafe(s, t, si->si_fd, at);
out:
    atomic_fetch_sub(&s->inflight, 1);
    errno = saved_errno;
    if (program)
        cprof_sig_chain_sigsafe(sig, si, uc); /* last: it may not return */
}
