/*
 * The runtime's internal interface: the singleton state (src/rt/state.c),
 * the CPU profiler (src/rt/cpu.c), the interposed functions
 * (src/rt/interpose.c) and small helpers shared between them.
 *
 * Threading contract: see the comment on g_rt in state.c.  In short, every
 * field is guarded by `lock` except `sig`, whose handler-side fields follow
 * the rules in rt/sig/cpu_sig.h, `heap`, which has its own locks
 * (rt/heap.h), and `pid`/`inited`, written once by the constructor (and by
 * the fork child handler).
 */
#ifndef CPROF_RT_RT_H
#define CPROF_RT_RT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt/heap.h"
#include "rt/sig/cpu_sig.h"

#define CPROF_EXPORT __attribute__((visibility("default")))

struct cprof_profile;

/* Configuration read from the environment once, by the constructor. */
struct cprof_rt_cfg {
    char cpu_file[4096]; /* CPROF_CPU: output path ("" = no profile at start) */
    int hz;              /* CPROF_HZ: samples per CPU second, default 100 */
    int depth;           /* CPROF_DEPTH: max frames per sample, default 128 */
    int timer;           /* CPROF_CPU_TIMER: forced mechanism, 0 = best available */
    int signo;           /* CPROF_SIGNAL: forced signal number, 0 = pick a free one */
};

/* One CPU profiling session, from start to stop. */
struct cprof_cpu_session {
    bool running;               /* between a successful start and stop */
    int out_fd;                 /* API start: profile written here at stop; else -1 */
    char out_path[4200];        /* env start: profile written atomically here at stop */
    int hz;                     /* asked rate */
    int64_t start_ns;           /* CLOCK_REALTIME at start, ns since the epoch */
    int64_t start_mono_ns;      /* CLOCK_MONOTONIC at start */
    struct cprof_profile *fold; /* samples folded so far (unsymbolized) */
    pthread_t writer;           /* background folding thread */
    bool writer_started;        /* writer is joinable */
    bool writer_stop;           /* asks the writer to exit */
    pid_t writer_tid;           /* never sampled */
    uint32_t scan_gen;          /* generation of the last /proc/self/task scan */
    uint64_t records;           /* records folded */
    uint64_t truncated;         /* ... of which with a truncated stack */
    uint64_t threads;           /* threads ever sampled */
    uint64_t arm_failures;      /* threads whose timer could not be set up */
    uint64_t unw_refreshes;     /* unwind-table rebuilds during the session (writer only) */
    int fold_err;               /* first folding error (ENOMEM); later samples lost */
    int hz_asked;               /* the rate asked, when above what the mechanism sustains */
};

struct cprof_rt {
    pthread_mutex_t lock;  /* guards everything below except sig (see above) */
    pthread_cond_t wake;   /* wakes the writer early (stop) */
    bool inited;           /* constructor ran */
    pid_t pid;             /* process these fields belong to */
    pthread_key_t thr_key; /* its destructor unregisters exiting threads */
    bool thr_key_ok;       /* thr_key was created */
    struct cprof_rt_cfg cfg;
    struct cprof_cpu_session cpu;
    struct cprof_cpu_sig sig;      /* the signal handler's view */
    uint32_t warned;               /* bit per once-only warning already printed */
    struct cprof__heap_state heap; /* the heap profiler; its own locks (rt/heap.h) */
};

/* The singleton (src/rt/state.c). */
extern struct cprof_rt *const cprof__rt;

/* Prints "cprof: <message>" on stderr.  Context: not a signal handler. */
void cprof__warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Same, at most once per bit in g_rt.warned.  Context: lock not required. */
void cprof__warn_once(uint32_t bit, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs the constructor work if it has not run yet (API calls before it). */
void cprof__rt_ensure_init(void);

/*
 * CPU profiler (src/rt/cpu.c).  _locked functions need g_rt.lock held.
 * Start: out_fd >= 0 writes there at stop, else path.  0, CPROF_EBUSY,
 * CPROF_EUSAGE or -errno.
 */
int cprof__cpu_start_locked(int out_fd, const char *path, int hz);
int cprof__cpu_stop_locked(void);

/*
 * CPU time of threads that block the sampling signal (src/rt/cpu_blocked.c).
 * Lock held.  Reset at start; a tick per writer tick (final: at stop,
 * counts everything still pending); finish adds the unsampled time to the
 * profile (a sample, a comment) and says it once on stderr.
 */
void cprof__cpu_blocked_reset_locked(void);
void cprof__cpu_blocked_tick_locked(bool final);
int cprof__cpu_blocked_finish_locked(struct cprof_profile *p);
/* The calling thread t is exiting: its last CPU is checked now.  Lock held. */
struct cprof_thr;
void cprof__cpu_blocked_thread_end_locked(struct cprof_thr *t);

/*
 * Adds one sample of count samples and ns nanoseconds on a frame named
 * name, for CPU time the profile stands for without a stack ("(dropped
 * samples)", unsampled blocked threads).  0 or a negative code.
 */
int cprof__cpu_add_pseudo_sample(struct cprof_profile *p, const char *name, int64_t count,
                                 int64_t ns);

/* A thread created through our pthread_create starts and ends here. */
void cprof__thread_begin(void);
void cprof__thread_end(void *unused);

/* Fork handlers (pthread_atfork). */
void cprof__fork_prepare(void);
void cprof__fork_parent(void);
void cprof__fork_child(void);

/*
 * Loaded objects changed (dlopen, dlclose): wakes the writer, which
 * rebuilds the unwind tables when the loader's counters moved.  Cheap when
 * not profiling.  Context: any thread, not a signal handler; takes no lock.
 */
void cprof__dl_changed(void);

/*
 * An object may be unloaded (dlclose, before the real one runs): notes the
 * mappings for the profile.  Context: any thread, not a signal handler,
 * never with g_rt.lock held.
 */
void cprof__dl_unloading(void);

/*
 * Builds the unwind tables for the objects loaded now and notes the
 * loader's generation, so the writer rebuilds them only after a change.
 * 0 or a negative code.  Context: constructor (init_once), not a signal handler.
 */
int cprof__unwind_setup(void);

/* The real pthread_create, resolved lazily (src/rt/interpose.c). */
int cprof__real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *),
                               void *arg);

/*
 * Starts one of the runtime's own threads (fn(NULL)), never sampled.  In a
 * TSan build it goes through TSan's interceptor, so TSan knows the thread.
 * 0 or a positive errno, as pthread_create.  Context: not a signal handler.
 */
int cprof__spawn_internal(pthread_t *t, void *(*fn)(void *));

/* The writer thread's body (src/rt/cpu.c). */
void *cprof__writer_main(void *arg);

/*
 * Adds the executable mappings of /proc/self/maps to p, points every
 * location without a mapping at the mapping that holds its address, and
 * symbolizes the locations (src/rt/maps.c).  0 or -errno/-ENOMEM.
 * Context: not a signal handler; uses malloc and opens files.
 */
int cprof__add_self_mappings(struct cprof_profile *p);

/*
 * Notes the executable mappings now, before a dlclose may unmap some, so
 * samples in an unloaded object keep their mapping and symbols (only while
 * a session runs).  Context: not a signal handler; takes g_rt.lock, so
 * never call it with the lock held.
 */
void cprof__maps_note_unload(void);

/* Forgets the noted mappings (session start and end).  Lock held. */
void cprof__maps_forget_locked(void);

/*
 * Same, with a symbolizer the caller keeps between calls (files stay
 * open: the /debug/pprof server's requests); NULL = a fresh one.
 */
struct cprof_symbolizer;
int cprof__add_self_mappings_sym(struct cprof_profile *p, struct cprof_symbolizer *s);

/*
 * Finishes a profile built by a sampler and writes it: adds the process's
 * mappings, symbolizes (cprof__add_self_mappings), encodes gzipped pprof,
 * and writes it to fd when fd >= 0, else atomically to path.  The CPU and
 * heap profilers share it (src/rt/write.c).  0 or a negative code.
 * Context: not a signal handler; allocates (hold the heap guard).
 */
int cprof__profile_write(struct cprof_profile *p, int fd, const char *path);

/*
 * Signals the runtime owns (src/rt/sigown.c; the handler side is
 * rt/sig/sigown_sig.h).  Once the runtime installs a handler on a signal
 * with cprof__sig_install, the program's sigaction()/signal()/... on it are
 * recorded as the program's action (what the program reads back) and the
 * runtime's handler stays installed; the runtime's handler passes
 * deliveries that are not its own to the program's handler with
 * cprof_sig_chain_sigsafe().
 */

/* The signal is one the runtime generates (sampling, dump): also kept out
 * of the program's masks and waits, and discarded before exec. */
#define CPROF_SIG_INTERNAL 1

/*
 * Installs ours on sig (sig's current action becomes the program's, the
 * first time), and owns sig from then on.  flags: CPROF_SIG_INTERNAL or 0.
 * 0 or -errno.  Context: normal, not a signal handler; may be called again
 * (a new session) without changing the program's recorded action.
 */
int cprof__sig_install(int sig, const struct sigaction *ours, int flags);

/*
 * The action the program believes sig has: its recorded action when the
 * runtime owns sig, else the kernel's.  0 or -errno.  Context: normal.
 */
int cprof__sig_program_action(int sig, struct sigaction *out);

/*
 * Gives sig back: the program's recorded action is installed in the kernel
 * and sig is no longer owned (for instance before re-raising a signal
 * whose default action should end the program).  0 or -errno.
 */
int cprof__sig_release(int sig);

/* libc's sigaction and pthread_sigmask, past the runtime's wrappers. */
int cprof__real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int cprof__real_sigmask(int how, const sigset_t *set, sigset_t *old);

/*
 * Internal signals the calling thread's program code believes blocked (for
 * a thread it creates), and the new thread's side: it believes the same
 * and really unblocks them.  Context: normal (pthread_create, trampoline).
 */
uint64_t cprof__sig_thread_bits(void);
void cprof__sig_thread_start(uint64_t bits);

/*
 * Finds owned signals whose handler was replaced behind libc's back (a raw
 * rt_sigaction): takes the new action as the program's and puts ours
 * back.  Context: the writer thread (every tick).
 */
void cprof__sig_verify(void);

/* What exec preparation changed, to undo when exec fails. */
struct cprof__sig_exec {
    uint64_t changed; /* owned signals set to SIG_IGN for the new image */
};

/*
 * Before exec (or posix_spawn): owned signals the program ignores are
 * really ignored, so the new image inherits the program's view; with
 * flush, the pending instances of the internal signals are discarded
 * (SIG_IGN, then ours again).  Undo restores the runtime's handlers.  Context: normal, the
 * exec'ing thread (also a vfork child: touches only per-process kernel
 * state and reads shared memory).
 */
void cprof__sig_exec_prepare(struct cprof__sig_exec *st, bool flush);
void cprof__sig_exec_undo(const struct cprof__sig_exec *st);

/* Resolve the real functions (exec.c, sigown.c).  Context: constructor. */
void cprof__exec_resolve(void);
void cprof__sig_resolve(void);

/*
 * The destructor's work: stops the HTTP server and the CPU profiler,
 * writes the CPU profile, then the heap's exit profiles and leak report
 * (signo != 0: the process is about to die of that signal, which the leak
 * report says).  Context: called once per process, by cprof__exit_run.
 */
void cprof__rt_exit_work(int signo);

/*
 * Runs cprof__rt_exit_work once per process, from the destructor
 * (signo 0) or the exit thread (the signal that killed the program); a
 * second caller waits until the first has written everything.
 * Context: not a signal handler (src/rt/exitsig.c).
 */
void cprof__exit_run(int signo);

/*
 * Installs the exit handler for those of SIGINT, SIGTERM and SIGHUP left at
 * SIG_DFL and starts the exit thread, so a killed program still writes
 * its profiles.  Idempotent per process.  Context: constructor, or a
 * forked child that keeps profiling; not a signal handler.
 */
void cprof__exitsig_start(void);

/*
 * What the program should see as the current action of a signal: when
 * *act is the runtime's exit handler, rewrites it to SIG_DFL (what the
 * program had) and returns true.  For the sigaction/signal interposer.
 * Context: any thread, not a signal handler.
 */
struct sigaction;
bool cprof__exitsig_program_view(struct sigaction *act);

/*
 * The program's sigaction() on a signal the runtime does not own
 * (sigown.c passes it on): libc's, but the exit handler reads back as
 * SIG_DFL and a request for SIG_DFL keeps it installed.  Context: any
 * thread; async-signal-safe as libc's.
 */
int cprof__exitsig_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

#endif /* CPROF_RT_RT_H */
