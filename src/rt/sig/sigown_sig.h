/*
 * The signals the runtime owns, seen from a signal handler.
 *
 * The runtime installs handlers on a few signals (the CPU sampler's, the
 * thread dump's).  Once it owns a signal, the program's sigaction() calls
 * on it (src/rt/sigown.c) no longer reach the kernel: they are recorded
 * here as "the program's action", which is what the program reads back,
 * while the runtime's handler stays installed.  When a delivery is not the
 * runtime's own event, the runtime's handler passes it on with
 * cprof_sig_chain_sigsafe(), which calls the program's handler the way the
 * kernel would have (its sa_mask blocked, SA_NODEFER, SA_RESETHAND,
 * SA_SIGINFO).
 *
 * Concurrency: each recorded action is a sequence lock.  Writers run in
 * normal context with every signal blocked (so a handler never interrupts
 * a writer on its own thread) and take the lock with a compare-and-swap
 * from even to odd; readers, in handlers too, retry while the sequence is
 * odd or moved.  Every field is an atomic word: no torn reads.
 */
#ifndef CPROF_RT_SIG_SIGOWN_SIG_H
#define CPROF_RT_SIG_SIGOWN_SIG_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define CPROF_SIG_MAX 64 /* signals 1..64: the kernel's sigset on Linux */

/* Bit of signal sig (1..64) in a 64-bit set. */
#define CPROF_SIG_BIT(sig) (1ull << ((sig)-1))

/* The program's action for one owned signal, in the kernel's form. */
struct cprof_sig_prog {
    _Atomic uint32_t seq;       /* odd while a writer updates the fields below */
    _Atomic uintptr_t handler;  /* sa_handler or sa_sigaction (SA_SIGINFO) */
    _Atomic int flags;          /* sa_flags as the kernel keeps them */
    _Atomic uint64_t mask;      /* sa_mask, signals 1..64 */
    _Atomic uintptr_t restorer; /* sa_restorer as the kernel keeps it */
};

struct cprof_sig_own {
    /* Signals whose sigaction() the runtime virtualizes (bit sig-1). */
    _Atomic uint64_t owned;
    /*
     * Of those, the signals the runtime itself generates (sampling, dump):
     * kept out of the program's signal masks and waits, and discarded
     * before exec.
     */
    _Atomic uint64_t internal;
    struct cprof_sig_prog prog[CPROF_SIG_MAX + 1]; /* indexed by signal number */
};

/* The table; lives in src/rt/sig/sigown_sig.c. */
extern struct cprof_sig_own *const cprof__sig_own;

/* A snapshot of a program's action. */
struct cprof_sig_act {
    uintptr_t handler;
    int flags;
    uint64_t mask;
    uintptr_t restorer;
};

/*
 * Reads the program's recorded action for sig into *out.  False when sig
 * is out of range.  Context: any, signal handlers included.
 * Async-signal-safe.
 */
bool cprof_sig_prog_read_sigsafe(int sig, struct cprof_sig_act *out);

/*
 * True when the program's recorded action for sig is a handler (neither
 * SIG_DFL nor SIG_IGN).  Context: any.  Async-signal-safe.
 */
bool cprof_sig_prog_has_handler_sigsafe(int sig);

/*
 * Passes a delivery of an owned signal that is not the runtime's own event
 * to the program's handler, with the program's sa_mask blocked for the
 * call (the runtime's internal signals excepted) and sig blocked unless
 * SA_NODEFER; SA_RESETHAND resets the recorded action first.  Returns
 * false, doing nothing, when the program's action is SIG_DFL or SIG_IGN:
 * the caller decides (the runtime never takes a default action that could
 * kill the program on a signal that may be a late sample of its own).
 * Call it last in the runtime's handler, after the runtime's own
 * bookkeeping is finished: the program's handler may not return
 * (siglongjmp).  errno is the interrupted code's when the handler runs.
 * Context: signal handler.  Async-signal-safe.
 */
bool cprof_sig_chain_sigsafe(int sig, siginfo_t *si, void *uc);

#endif /* CPROF_RT_SIG_SIGOWN_SIG_H */
