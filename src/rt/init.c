/*
 * Runtime entry points: the library constructor and destructor, and the
 * version API.  Loading libcprof.so must never change what the host program
 * does or prints; with no CPROF_* variable set the runtime stays idle.
 */
#include "cprof.h"

#define CPROF_EXPORT __attribute__((visibility("default")))

CPROF_EXPORT const char *cprof_version(void)
{
    return CPROF_VERSION;
}
