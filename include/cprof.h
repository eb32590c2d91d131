/*
 * cprof runtime API.
 *
 * libcprof.so profiles a program it is preloaded into (LD_PRELOAD, driven by
 * CPROF_* environment variables, which `cprof run` sets) or linked with.
 * This header is the programmatic side, in the spirit of Go's runtime/pprof.
 *
 * Every function returns 0 on success or a negative code: -errno for
 * system failures, CPROF_E* below for cprof's own.  The runtime never
 * exits or aborts the host program.
 */
#ifndef CPROF_H
#define CPROF_H

#ifdef __cplusplus
extern "C" {
#endif

/* cprof's own error codes, below -4096 so they never collide with -errno. */
enum cprof_err {
    CPROF_ECORRUPT = -4097,  /* input is malformed */
    CPROF_ETOOBIG = -4098,   /* input exceeds a configured limit */
    CPROF_EVERSION = -4099,  /* unsupported format or version */
    CPROF_EMISMATCH = -4100, /* profiles cannot be combined */
    CPROF_EBUSY = -4101,     /* a profile of that kind is already running */
    CPROF_EUSAGE = -4102,    /* invalid argument or option */
    CPROF_ENOTFOUND = -4103, /* no such item */
};

/* Text for any code returned by this API.  Never NULL. */
const char *cprof_strerror(int err);

/* The runtime's version, "MAJOR.MINOR.PATCH". */
const char *cprof_version(void);

/*
 * Starts profiling the CPU time of every thread of the process, hz samples
 * per CPU second of each thread (100 is a good default; up to 100000 is
 * accepted, and rates well above the kernel tick are honoured where perf
 * events are allowed).  Like Go's pprof.StartCPUProfile: the profile
 * (gzipped pprof protobuf) is written to fd by cprof_cpu_stop(); fd is not
 * closed.  Returns 0, CPROF_EBUSY when a CPU profile is already running
 * (including one started by CPROF_CPU), CPROF_EUSAGE for a bad fd or hz,
 * or -errno.
 * Context: any thread, not a signal handler.
 */
int cprof_cpu_start(int fd, int hz);

/*
 * Stops the CPU profile and writes it.  Returns 0, CPROF_EUSAGE when no
 * profile is running, or the error of writing it (-errno).
 * Context: any thread, not a signal handler.
 */
int cprof_cpu_stop(void);

/* Flags of cprof_heap_write. */
enum cprof_heap_flags {
    CPROF_HEAP_ALLOCS = 1 << 0, /* an "allocs" profile: default sample type alloc_space */
};

/*
 * Starts sampling heap allocations, one sample every `rate` allocated
 * bytes on average (0: CPROF_MEMRATE or 524288; 1: every allocation),
 * like setting Go's runtime.MemProfileRate.  Only allocations made after
 * this call are seen.  Sampling stays on until exit; it is also on from
 * the start when CPROF_HEAP, CPROF_LEAKS or CPROF_DEBUG=heaptrace=N is
 * set, and then the rate of the environment holds.  Returns 0 (also when
 * already on), CPROF_EUSAGE for a negative rate, or -ENOMEM.
 * Context: any thread, not a signal handler.
 */
int cprof_heap_start(long rate);

/*
 * Writes a heap profile (gzipped pprof protobuf, symbolized) to fd, like
 * Go's pprof.WriteHeapProfile: sample types alloc_objects, alloc_space,
 * inuse_objects, inuse_space (estimates unbiased from the samples, as Go
 * does), one sample per (stack, allocation size) with a numeric "bytes"
 * label.  The default sample type is inuse_space, or alloc_space with
 * CPROF_HEAP_ALLOCS.  fd is not closed.  Returns 0, CPROF_EUSAGE when
 * heap sampling is off or for a bad fd or flags, or the error of writing
 * (-errno).  The profile's own allocations are not recorded.
 * Context: any thread, not a signal handler.
 */
int cprof_heap_write(int fd, int flags);

/* Exact allocation counters of the whole process, all threads (cprof_heap_counts). */
struct cprof_heap_counts {
    unsigned long long allocs; /* allocations (malloc family, C++ new) since heap sampling began */
    unsigned long long bytes;  /* bytes requested by those allocations (not rounded to classes) */
    unsigned long long frees;  /* non-NULL frees */
};

/*
 * Reads the exact allocation counters that heap sampling keeps beside its
 * samples: every allocation of every thread since cprof_heap_start (or
 * CPROF_HEAP), whatever the sampling rate.  Deltas of two reads give what
 * a region of code allocated, the way Go's testing package reads
 * runtime.MemStats for -benchmem.  A huge rate (1L << 40) turns sampling
 * practically off and keeps the counting (a few ns per allocation).
 * Returns 0, or CPROF_EUSAGE when heap sampling is off or out is NULL.
 * Context: any thread, not a signal handler.
 */
int cprof_heap_counts(struct cprof_heap_counts *out);

/*
 * Serves Go's /debug/pprof/ endpoints (index, profile, goroutine,
 * threadcreate, cmdline, symbol, and heap/allocs when heap profiling is
 * on) on addr, "host:port" ("127.0.0.1:6060", "[::1]:6060"; port 0 picks a
 * free port, announced on stderr), from a thread of the runtime, as
 * CPROF_HTTP=addr does at start.  Returns at once; binding happens on that
 * thread, which warns on stderr when it fails.  A non-loopback address is
 * refused unless CPROF_HTTP_ALLOW_REMOTE=1.  Returns 0, CPROF_EBUSY when
 * already serving, CPROF_EUSAGE, or -errno.
 * Context: any thread, not a signal handler.
 */
int cprof_http_start(const char *addr);

#ifdef __cplusplus
}
#endif

#endif /* CPROF_H */
