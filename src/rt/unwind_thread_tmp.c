/*
 * TEMPORARY: the non-signal half of unwind_fp_tmp.c (pthread calls may not
 * live in src/rt/sig/).  Delete at merge with the real unwinder.
 */
#include <pthread.h>
#include <stdint.h>

#include "rt/sig/unwind.h"

void cprof__unwind_tmp_set_range(uintptr_t lo, uintptr_t hi);

void cprof_unwind_thread_init(void)
{
    pthread_attr_t a;
    void *addr;
    size_t size;

    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return;
    if (pthread_attr_getstack(&a, &addr, &size) == 0)
        cprof__unwind_tmp_set_range((uintptr_t)addr, (uintptr_t)addr + size);
    pthread_attr_destroy(&a);
}
