/*
 * Functions libcprof.so interposes (style.md §3).  Each wrapper forwards to
 * the real function, resolved with dlsym(RTLD_NEXT) on first use; the logic
 * lives elsewhere in src/rt.
 *
 * pthread_create: the new thread starts in a trampoline that registers it
 * with the runtime (unwinder stack bounds, CPU timer, exit hook) before it
 * runs the program's start routine.  The creating stack is recorded for
 * the threadcreate profile (src/rt/threads.c).
 */
#include "rt/rt.h"
#include "rt/heap.h"
#include "rt/threads.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static pthread_create_fn real_pthread_create;

struct start {
    void *(*fn)(void *);
    void *arg;
};

int cprof__real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *),
                               void *arg)
{
    pthread_create_fn f = __atomic_load_n(&real_pthread_create, __ATOMIC_ACQUIRE);

    if (!f) {
        f = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
        if (!f)
            return EAGAIN;
        __atomic_store_n(&real_pthread_create, f, __ATOMIC_RELEASE);
    }
    return f(t, a, fn, arg);
}

static void *trampoline(void *p)
{
    struct start s = *(struct start *)p;

    cprof__heap_enter();
    free(p);
    cprof__heap_leave();
    cprof__thread_begin();
    return s.fn(s.arg);
}

CPROF_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *),
                                void *arg)
{
    struct start *s;
    int err;

    cprof__threadcreate_record(); /* the threadcreate profile */
    cprof__heap_enter();          /* the runtime's own block: not in the program's heap profile */
    s = malloc(sizeof(*s));
    cprof__heap_leave();
    if (!s) /* still create the thread; the next /proc scan will sample it */
        return cprof__real_pthread_create(t, a, fn, arg);
    s->fn = fn;
    s->arg = arg;
    err = cprof__real_pthread_create(t, a, trampoline, s);
    if (err) {
        cprof__heap_enter();
        free(s);
        cprof__heap_leave();
    }
    return err;
}
