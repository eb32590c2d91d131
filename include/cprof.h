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

#ifdef __cplusplus
}
#endif

#endif /* CPROF_H */
