/*
 * Stack unwinding for the runtime's samplers.
 *
 * The _sigsafe functions run inside signal handlers (and malloc hooks): no
 * malloc, no locks, no stdio, no dynamic-loader calls, errno preserved.
 * Everything they need (unwind tables for every loaded object, each
 * thread's stack bounds) is prepared beforehand, outside signal context, by
 * the other functions here.  Frame pointers are the fast path where they
 * are valid; DWARF CFI tables built from .eh_frame cover code without them
 * (Debian's libc).
 */
#ifndef CPROF_RT_SIG_UNWIND_H
#define CPROF_RT_SIG_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Walks the stack of the interrupted context ucontext (a ucontext_t * as
 * passed to an SA_SIGINFO handler).  pcs[0] is the interrupted PC; pcs[i]
 * for i > 0 are return addresses as found on the stack (not minus one).
 * Returns the number of frames stored (at most max); *truncated is set when
 * the walk stopped because max was reached.
 * Context: signal handler.  Async-signal-safe; preserves errno.
 */
int cprof_unwind_sigsafe(const void *ucontext, uintptr_t *pcs, int max, bool *truncated);

/*
 * Same, for the calling thread at the point of the call (its caller is
 * pcs[0]).  Context: any, including malloc hooks.  Async-signal-safe.
 */
int cprof_unwind_here_sigsafe(uintptr_t *pcs, int max, bool *truncated);

/*
 * Walks another thread's stack from a copy of it: copy holds the bytes the
 * thread's stack had at [lo, hi) (lo <= sp), read while the thread was
 * stopped at pc with stack pointer sp (a thread blocked in a system call:
 * /proc/self/task/TID/syscall).  Every read is of the copy, bounded by
 * [lo, hi); nothing of the live stack is touched.  Registers other than pc
 * and sp are unknown: where a frame's rule needs the frame pointer, a frame
 * record is looked for on the stack above sp.  pcs as above (pcs[0] = pc).
 * Context: any; async-signal-safe (used by the dumping thread).
 */
int cprof_unwind_copy_sigsafe(uintptr_t pc, uintptr_t sp, const void *copy, uintptr_t lo,
                              uintptr_t hi, uintptr_t *pcs, int max, bool *truncated);

/*
 * True when the published tables have a CFI row for pc (an address in a
 * loaded object's code).  A sampler may count PCs that are not covered and
 * ask for cprof_unwind_refresh() from outside signal context.
 * Context: any, including signal handlers.  Async-signal-safe.
 */
bool cprof_unwind_covers_sigsafe(uintptr_t pc);

/*
 * Builds unwind tables for every object loaded now.  Call once, outside
 * signal context, before any sampler is armed.  0 or -errno/CPROF_E*.
 * Context: any thread, not a signal handler; takes the loader lock only
 * to copy the program headers (cprof__dl_iterate).
 */
int cprof_unwind_init(void);

/*
 * Rebuilds the tables after objects were loaded or unloaded (dlopen,
 * dlclose).  Readers in signal handlers keep a consistent view: the new
 * table is published atomically, and a replaced one is unmapped only after
 * a moment with no walk in progress (up to ~50 ms of polling; otherwise it
 * is kept until a later refresh).  Building costs ~2 ms for a small
 * program (libc: ~30k rows, 600 KiB).
 * Returns 0, -EAGAIN when an object was unloaded during the build (the
 * old table stays: try again later), or -ENOMEM.
 * Context: not a signal handler; serialised by an internal mutex.
 */
int cprof_unwind_refresh(void);

/*
 * Records the calling thread's stack bounds, used to validate every read.
 * Call at thread start (the pthread_create wrapper) and for the main
 * thread at init.  Context: the thread itself, not a signal handler.
 */
void cprof_unwind_thread_init(void);

/*
 * Another process's stacks (cprof attach): tables for its objects, and a
 * walk of a copy of one of its thread's stacks.  The tool links these
 * (and only these) from the runtime's unwinder, so both sides share one
 * CFI parser and one walker.
 */
struct cprof__unw_table;

/* An object of another process, readable here. */
struct cprof_unwind_image {
    const void *phdr; /* its ElfW(Phdr)[phnum] program headers */
    int phnum;
    uintptr_t local_bias; /* its PT_LOAD segments are readable here at local_bias + p_vaddr */
    uintptr_t bias;       /* and are loaded in the other process at bias + p_vaddr */
};

/*
 * Builds unwind tables for the n images, at their addresses in the other
 * process.  The images' memory is read only during the call.  Caller owns
 * *out; free with cprof_unwind_table_free().  0 or -ENOMEM.
 * Context: any thread, not a signal handler.
 */
int cprof_unwind_table_build(const struct cprof_unwind_image *v, size_t n,
                             struct cprof__unw_table **out /* OUT */);

/* Frees a table from cprof_unwind_table_build().  NULL is a no-op. */
void cprof_unwind_table_free(struct cprof__unw_table *t);

/* A sampled thread of another process: its registers and a copy of its stack. */
struct cprof_unwind_remote {
    uintptr_t pc, sp; /* the interrupted pc and stack pointer */
    uintptr_t fp, bx; /* frame pointer and rbx; meaningful only when regs_known */
    bool regs_known;  /* fp and bx were sampled: else guessed, as copy walks do */
    const void *copy; /* the bytes its stack had at [lo, hi), lo <= sp */
    uintptr_t lo, hi;
    int pid; /* the process: its code is read (process_vm_readv) when guessing */
};

/*
 * Walks a copied stack of another process with table t (from
 * cprof_unwind_table_build).  Reads only the copy and, when guessing frame
 * records, the process's code.  pcs as for cprof_unwind_sigsafe.
 * Context: any; async-signal-safe.
 */
int cprof_unwind_remote_sigsafe(const struct cprof__unw_table *t,
                                const struct cprof_unwind_remote *r, uintptr_t *pcs, int max,
                                bool *truncated);

/*
 * dl_iterate_phdr for the runtime: every call of ours goes through it, so
 * the fork handlers below can keep the loader's lock free across a fork.
 * cb runs inside the loader's lock: it must only copy (no malloc, no
 * locks, no parsing).  Context: not a signal handler.
 */
struct dl_phdr_info;
int cprof__dl_iterate(int (*cb)(struct dl_phdr_info *, size_t, void *), void *ctx);

/*
 * Around a dlopen the runtime itself makes (interpose.c): the same lock,
 * so a fork never copies a loader lock held by a thread of ours.
 */
void cprof__dl_own_begin(void);
void cprof__dl_own_end(void);

/*
 * Around a call that may unmap an object (the real dlclose, dlopen): no
 * table build parses loaded objects meanwhile.  Nests.  Context: not a
 * signal handler; never with a lock of the runtime held.
 */
void cprof__unwind_unload_begin(void);
void cprof__unwind_unload_end(void);

/* Fork handlers of the table builder (registered by state.c). */
void cprof__unwind_fork_prepare(void);
void cprof__unwind_fork_parent(void);
void cprof__unwind_fork_child(void);

#endif /* CPROF_RT_SIG_UNWIND_H */
