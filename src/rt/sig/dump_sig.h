/*
 * The thread dump's signal side: every thread unwinds itself, in the
 * handler of a real-time signal of its own (never the CPU sampler's), into
 * a slot of a table allocated once and never freed.
 *
 * Protocol per slot: the requester (src/rt/threads.c, one dump at a time)
 * sets tid, then state PENDING, then signals the thread.  The handler
 * moves PENDING -> BUSY with a compare-and-swap, unwinds, stores the
 * frames and moves BUSY -> DONE.  On timeout the requester moves PENDING
 * -> MISSED; a handler arriving late (the thread had the signal blocked)
 * then finds nothing to do.  A slot is reused only when it is not BUSY.
 */
#ifndef CPROF_RT_SIG_DUMP_SIG_H
#define CPROF_RT_SIG_DUMP_SIG_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#define CPROF_DUMP_MAX_THREADS 2048 /* threads listed per dump */
#define CPROF_DUMP_MAX_DEPTH   100  /* frames per thread (Go prints 100) */

/* Slot states. */
enum cprof_dump_state {
    CPROF_DUMP_IDLE = 0,    /* not part of the current dump */
    CPROF_DUMP_PENDING = 1, /* signalled, waiting for the thread's handler */
    CPROF_DUMP_BUSY = 2,    /* the handler is unwinding into it */
    CPROF_DUMP_DONE = 3,    /* frames are valid */
    CPROF_DUMP_MISSED = 4,  /* the thread did not answer in time */
};

/* One thread of a dump. */
struct cprof_dump_slot {
    _Atomic int state;                   /* enum cprof_dump_state */
    _Atomic pid_t tid;                   /* kernel thread id */
    int depth;                           /* valid entries of pcs */
    int truncated;                       /* the stack was deeper than pcs */
    uintptr_t pcs[CPROF_DUMP_MAX_DEPTH]; /* pcs[0] interrupted pc, then return addresses */
};

/* What the handler reads; lives in src/rt/threads.c. */
struct cprof_dump_sig {
    struct cprof_dump_slot *slots; /* CPROF_DUMP_MAX_THREADS entries; never freed */
    _Atomic uint32_t nslots;       /* slots [0, nslots) belong to the current dump */
    _Atomic uint64_t answered;     /* handlers that filled a slot (statistics) */
    _Atomic uint64_t late;         /* handlers that found no pending slot */
};

extern struct cprof_dump_sig *const cprof__dump_sig;

/*
 * The dump signal's handler: fills the calling thread's pending slot with
 * its interrupted stack.  Runs with every signal blocked (sa_mask), so the
 * CPU sampler's handler cannot nest inside it; it may itself interrupt the
 * CPU handler, which is fine: the unwinder keeps no per-thread walk state.
 * Context: signal handler (SA_SIGINFO).  Async-signal-safe; preserves errno.
 */
void cprof_dump_handler_sigsafe(int sig, siginfo_t *si, void *uc);

#endif /* CPROF_RT_SIG_DUMP_SIG_H */
