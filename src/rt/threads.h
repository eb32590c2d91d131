/*
 * Threads of the process as profiles: the thread dump (every thread's
 * stack, captured on demand: a running thread unwinds itself in a signal
 * handler, src/rt/sig/dump_sig.c; a thread blocked in a system call is
 * not signalled but unwound by the dumping thread from a copy of its
 * stack), the "goroutine" profile built from it
 * (threads stand for goroutines), and the "threadcreate" profile (stacks
 * that created threads, recorded by the pthread_create wrapper).  Text
 * renderings follow Go's debug=1 and debug=2 layouts.
 */
#ifndef CPROF_RT_THREADS_H
#define CPROF_RT_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt/sig/dump_sig.h"

struct cprof_buf;
struct cprof_profile;

/* One thread of a dump. */
struct cprof_thread_info {
    pid_t tid;                           /* kernel thread id */
    char name[20];                       /* /proc/self/task/TID/comm */
    char state;                          /* state letter of /proc/self/task/TID/stat */
    bool has_stack;                      /* pcs are valid */
    const char *why;                     /* !has_stack: why the stack is unavailable */
    int depth;                           /* valid entries in pcs */
    bool truncated;                      /* the stack was deeper than pcs */
    bool in_syscall;                     /* blocked in a system call: unwound by the dumper */
    bool stale;                          /* in_syscall, but it kept moving while copied */
    uintptr_t pcs[CPROF_DUMP_MAX_DEPTH]; /* pcs[0] the pc, then return addresses */
};

/* Profile kinds built here. */
enum cprof_threads_kind {
    CPROF_THREADS_GOROUTINE = 0,    /* every live thread's stack (goroutine/count) */
    CPROF_THREADS_THREADCREATE = 1, /* creators' stacks (threadcreate/count) */
};

/* Longest a dump waits for threads to answer its signal, milliseconds. */
#define CPROF_DUMP_TIMEOUT_MS 250

/*
 * Captures every thread's stack: the threads the runtime keeps for itself
 * (the CPU profile writer) are left out; the caller's own stack is taken
 * directly.  Threads blocked in a system call are unwound from here,
 * never signalled (their system calls are not interrupted).  Other
 * threads that have the dump signal blocked (per /proc/self/task/TID/status),
 * or that do not answer within CPROF_DUMP_TIMEOUT_MS, are listed without a
 * stack.  One dump runs at a
 * time (callers wait).  *out is malloc'd (free() it), *n its entries.
 * 0, -ENOMEM, -errno (no /proc), CPROF_EBUSY (no free real-time signal).
 * Context: any thread but a signal handler; may block up to the timeout.
 */
int cprof__threads_dump(struct cprof_thread_info **out /* OUT */, size_t *n /* OUT */);

/*
 * Records the calling thread's stack as the creator of a new thread.
 * Context: the pthread_create wrapper; not a signal handler.
 */
void cprof__threadcreate_record(void);

/* Threads recorded by cprof__threadcreate_record(). */
uint64_t cprof__threadcreate_count(void);

/* Threads of the process now (entries of /proc/self/task). */
size_t cprof__threads_count(void);

/*
 * Builds the goroutine or threadcreate profile: one sample per distinct
 * stack, value = threads, symbolized, with the process's mappings.
 * Caller owns *out (cprof_profile_free()).  0 or a negative code.
 * Context: not a signal handler.
 */
int cprof__threads_profile(int kind, struct cprof_profile **out /* OUT */);

/*
 * cprof__add_self_mappings() with a symbolizer kept between calls (its
 * files stay open: requests after the first are fast).  Serialised.
 * Context: not a signal handler.
 */
int cprof__threads_symbolize(struct cprof_profile *p);

/* Frees that symbolizer (it is made again when needed). */
void cprof__threads_release(void);

/*
 * Go's debug=1 text of a count profile built above ("<name> profile: total
 * N", groups by count then text, "#" frame lines).  0 or -ENOMEM.
 */
int cprof__count_profile_text(const struct cprof_profile *p, const char *name,
                              struct cprof_buf *out);

/*
 * Go's debug=2 goroutine dump, one entry per thread: header with thread
 * id, state and name, then the symbolized frames.  0 or a negative code.
 * Context: not a signal handler; may block up to the dump timeout.
 */
int cprof__threads_text(struct cprof_buf *out);

/* Fork handlers (registered by state.c). */
void cprof__threads_fork_prepare(void);
void cprof__threads_fork_parent(void);
void cprof__threads_fork_child(void);

#endif /* CPROF_RT_THREADS_H */
