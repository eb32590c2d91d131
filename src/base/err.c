/*
 * Error codes and caller-supplied diagnostics.
 */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((visibility("default"))) const char *cprof_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case CPROF_ECORRUPT: return "malformed input";
    case CPROF_ETOOBIG: return "input exceeds a limit";
    case CPROF_EVERSION: return "unsupported format";
    case CPROF_EMISMATCH: return "incompatible profiles";
    case CPROF_EBUSY: return "already in use";
    case CPROF_EUSAGE: return "invalid argument";
    case CPROF_ENOTFOUND: return "not found";
    default: break;
    }
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}

int cprof_diag_set(struct cprof_diag *diag, int err, const char *fmt, ...)
{
    va_list ap;

    if (!diag)
        return err;
    diag->err = err;
    va_start(ap, fmt);
    vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
    va_end(ap);
    return err;
}
