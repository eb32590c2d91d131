/*
 * The CPU sampler's signal side: per-thread sample rings and the signal
 * handler that fills them.
 *
 * Each profiled thread owns one slot (struct cprof_thr) in a table that is
 * allocated once and never freed, so a late signal always finds valid
 * memory.  The handler is the only producer of a slot's ring; the writer
 * thread (under the runtime lock) is its only consumer.  Records are
 * fixed-size: a weight in CPU nanoseconds, a depth, flags, then the pcs.
 */
#ifndef CPROF_RT_SIG_CPU_SIG_H
#define CPROF_RT_SIG_CPU_SIG_H

#include <signal.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Sampling mechanisms, best first. */
enum cprof_cpu_mode {
    CPROF_CPU_PERF = 1,   /* perf_event_open task-clock per thread, F_SETSIG */
    CPROF_CPU_POSIX = 2,  /* timer_create on each thread's CPU clock, SIGEV_THREAD_ID */
    CPROF_CPU_ITIMER = 3, /* setitimer(ITIMER_PROF): process-wide, SIGPROF */
};

/* Slot states.  Only the runtime lock's holder changes them. */
enum cprof_thr_state {
    CPROF_THR_FREE = 0, /* unused; ring empty */
    CPROF_THR_LIVE = 1, /* a thread is sampled through this slot */
    CPROF_THR_DEAD = 2, /* its thread exited: drain the ring, then free */
};

/*
 * CPROF_CPU_PERF: overflows a perf event may signal before it disables
 * itself (PERF_EVENT_IOC_REFRESH).  The kernel signals every overflow
 * (si_code POLL_IN) and the last one of a refresh with POLL_HUP, after
 * which the event is off until the handler refreshes it: one ioctl every
 * this many samples instead of one per sample, and at most this many
 * signals queued for a thread that blocks the signal.
 */
#define CPROF_PERF_REFRESH 16

/* Record flags. */
enum cprof_rec_flags {
    CPROF_REC_TRUNCATED = 1 << 0, /* the stack was deeper than the depth limit */
};

/*
 * A record is rec_words uint64 words: [0] weight in CPU nanoseconds,
 * [1] depth | flags << 16, then depth pcs (leaf first, return addresses
 * as found on the stack).
 */
#define CPROF_REC_HDR_WORDS 2

/* Single-producer (the thread's handler), single-consumer ring. */
struct cprof_ring {
    _Atomic uint64_t head;       /* records written; producer only */
    _Atomic uint64_t tail;       /* records consumed; consumer only */
    uint64_t *mem;               /* cap * rec_words words; never freed */
    uint32_t cap;                /* records, a power of two */
    uint32_t rec_words;          /* words per record */
    _Atomic uint64_t dropped;    /* samples lost because the ring was full */
    _Atomic uint64_t dropped_ns; /* CPU time those samples stood for, ns */
};

/* One sampled thread. */
struct cprof_thr {
    _Atomic int state; /* enum cprof_thr_state */
    _Atomic pid_t tid; /* kernel thread id; 0 when free */
    int perf_fd;       /* CPROF_CPU_PERF: the task-clock event, else -1 */
    /*
     * CPROF_CPU_PERF: the event's mmap'd ring (a control page, then
     * perf_data_size bytes) whose sample records carry the event's count
     * (PERF_SAMPLE_READ), so the handler needs no read(); NULL when the
     * mapping was refused (locked-memory limits): the handler reads the fd.
     */
    void *_Atomic perf_page;
    uint64_t perf_data_size; /* bytes of ring data, a power of two */
    size_t perf_map_len;     /* bytes mapped at perf_page */
    timer_t timer;           /* CPROF_CPU_POSIX: the thread's timer */
    bool has_timer;          /* timer is valid */
    uint32_t seen;           /* scan generation in which the thread was last seen */
    int64_t cpu_at_arm;      /* the thread's CPU clock when it was armed, ns; lock holder only */
    uint64_t last_count;     /* perf: task-clock ns at the previous sample; handler only */
    /* perf, handler only (see throttle_sigsafe): */
    uint64_t period_ns;  /* the event's period when slowed down, 0 = the session's */
    uint64_t cost_ns;    /* CPU time of the previous measured sample, 0 = none */
    uint64_t meas_count; /* the count at the previous measurement, 0 = none */
    uint32_t meas_calls; /* calls at the previous measurement */
    uint32_t calls;      /* signals handled */
    uint32_t nsig;       /* ... of which found a sample in the ring */
    struct cprof_ring ring;
};

/*
 * What the handler reads.  Lives inside the runtime singleton (g_rt.sig);
 * set up before the first timer is armed and changed only while `active`
 * is zero.
 */
struct cprof_cpu_sig {
    _Atomic int active;          /* nonzero while samples are wanted */
    _Atomic int inflight;        /* handlers running now (stop waits for 0) */
    int mode;                    /* enum cprof_cpu_mode */
    int signo;                   /* signal delivered by the mechanism */
    int depth;                   /* max pcs per record */
    uint64_t period_ns;          /* sampling period, CPU nanoseconds */
    struct cprof_thr *slots;     /* nslots entries; never freed */
    uint32_t nslots;             /* table size */
    _Atomic uint32_t nused;      /* slots [0, nused) have ever been used */
    _Atomic int32_t *fd2slot;    /* perf fd -> slot index, -1 = none; never freed */
    int nfd2slot;                /* entries in fd2slot */
    _Atomic uint64_t unknown;    /* signals that matched no slot */
    _Atomic uint64_t signals;    /* signals handled while active */
    _Atomic uint64_t uncovered;  /* samples whose PC no unwind table covers */
    uint32_t budget_pct;         /* perf: share of a thread's CPU sampling may take */
    _Atomic uint64_t slowest_ns; /* perf: longest period a thread was slowed to, 0 = none */
};

/*
 * The signal handler for every mechanism.  Finds the thread's slot (by
 * si_fd, the timer's value, or the thread id), weighs the sample by the
 * CPU time it stands for, unwinds into the ring (or counts a drop), and
 * re-arms a perf event.
 * Context: signal handler (SA_SIGINFO).  Async-signal-safe; preserves errno.
 */
void cprof_cpu_handler_sigsafe(int sig, siginfo_t *si, void *uc);

/* The handler's view of the runtime; points into g_rt (src/rt/state.c). */
extern struct cprof_cpu_sig *const cprof__cpu_sig;

#endif /* CPROF_RT_SIG_CPU_SIG_H */
