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
