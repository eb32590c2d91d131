/*
 * Functions libcprof.so interposes (style.md §3).  Each wrapper forwards to
 * the real function, resolved with dlsym(RTLD_NEXT) on first use; the logic
 * lives elsewhere in src/rt.
 *
 * pthread_create: the new thread starts in a trampoline that registers it
 * with the runtime (unwinder stack bounds, CPU timer, exit hook) before it
 * runs the program's start routine.  The creating stack is recorded for
 * the threadcreate profile (src/rt/threads.c).
 *
 * dlopen, dlclose: after the loaded objects changed, the unwind tables are
 * rebuilt by the writer thread (cprof__dl_changed), so code loaded later is
 * walked with its CFI, not frame pointers only.  glibc's dlopen reads its
 * own return address: the calling object decides the namespace, the
 * RPATH/RUNPATH searched for a bare name, and what $ORIGIN means.  Such
 * calls must keep the caller's address, so the wrapper tail-calls the real
 * dlopen and the writer finds the new object on its next tick (it compares
 * the loader's load/unload counters every tick, which also catches objects
 * loaded by other routes, such as libc's own NSS modules).
 */
#include "rt/rt.h"
#include "rt/heap.h"
#include "rt/threads.h"
#include "rt/sig/unwind.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static pthread_create_fn real_pthread_create;

struct start {
    void *(*fn)(void *);
    void *arg;
    uint64_t sigbits; /* internal signals the creator believes blocked (sigown.c) */
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

int cprof__spawn_internal(pthread_t *t, void *(*fn)(void *))
{
#if defined(__SANITIZE_THREAD__)
    /*
     * RTLD_NEXT from here skips TSan's interceptor (it precedes us in the
     * preload list) and TSan crashes in a thread it did not see start.
     * The interceptor calls our wrapper, which passes internal threads on.
     */
    static pthread_create_fn tsan_create;
    pthread_create_fn f = __atomic_load_n(&tsan_create, __ATOMIC_ACQUIRE);

    if (!f) {
        f = (pthread_create_fn)dlsym(RTLD_DEFAULT, "pthread_create");
        if (!f)
            return EAGAIN;
        __atomic_store_n(&tsan_create, f, __ATOMIC_RELEASE);
    }
    return f(t, NULL, fn, NULL);
#else
    return cprof__real_pthread_create(t, NULL, fn, NULL);
#endif
}

static void *trampoline(void *p)
{
    struct start s = *(struct start *)p;

    cprof__heap_enter();
    free(p);
    cprof__heap_leave();
    /* The sampling signal is deliverable here, whatever mask the creator's code set. */
    cprof__sig_thread_start(s.sigbits);
    cprof__thread_begin();
    return s.fn(s.arg);
}

CPROF_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *),
                                void *arg)
{
    struct start *s;
    int err;

    if (fn == cprof__writer_main) /* ours, through TSan's interceptor: never sampled */
        return cprof__real_pthread_create(t, a, fn, arg);
    cprof__threadcreate_record(); /* the threadcreate profile */
#if defined(__SANITIZE_THREAD__)
    /*
     * Under TSan we are called by TSan's interceptor with its own start
     * routine: a trampoline of ours would run instrumented code before TSan
     * set the thread up.  The writer's /proc/self/task scan samples the
     * thread instead (within 100 ms; its stack reads are probed).
     */
    return cprof__real_pthread_create(t, a, fn, arg);
#endif
    cprof__heap_enter(); /* the runtime's own block: not in the program's heap profile */
    s = malloc(sizeof(*s));
    cprof__heap_leave();
    if (!s) /* still create the thread; the next /proc scan will sample it */
        return cprof__real_pthread_create(t, a, fn, arg);
    s->fn = fn;
    s->arg = arg;
    s->sigbits = cprof__sig_thread_bits();
    /*
     * libc's own bookkeeping for the new thread (its TLS vector, 320 bytes
     * here) is allocated only when no cached stack is reused: counting it
     * made -benchmem's B/op depend on glibc's stack cache.
     */
    cprof__heap_enter();
    err = cprof__real_pthread_create(t, a, trampoline, s);
    cprof__heap_leave();
    if (err) {
        cprof__heap_enter();
        free(s);
        cprof__heap_leave();
    }
    return err;
}

/* ---- dlopen / dlclose ---- */

typedef void *(*dlopen_fn)(const char *, int);
typedef int (*dlclose_fn)(void *);

static dlopen_fn real_dlopen;
static dlclose_fn real_dlclose;

/* The next definition of name after ours; NULL if there is none. */
static void *resolve(void **slot, const char *name)
{
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    }
    return f;
}

/* The real dlopen, resolved before the first call (the tail call needs no work after it). */
static dlopen_fn dlopen_real(void)
{
    return (dlopen_fn)resolve((void **)&real_dlopen, "dlopen");
}

/*
 * True when glibc's dlopen would use its caller for file: a name without a
 * slash (searched along the caller's RPATH/RUNPATH), a dynamic string token
 * ($ORIGIN), or a caller outside the base namespace (dlmopen).
 */
__attribute__((noinline)) static bool caller_matters(const char *file, const void *caller)
{
    Dl_info di;
    struct link_map *lm = NULL;
    Lmid_t ns = LM_ID_BASE;

    if (!file)
        return false; /* the main program's handle */
    if (!strchr(file, '/') || strchr(file, '$'))
        return true;
    if (!dladdr1(caller, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
        return false; /* glibc falls back to the base namespace too */
    return dlinfo(lm, RTLD_DI_LMID, &ns) != 0 || ns != LM_ID_BASE;
}

/* Forwards to f without a frame of ours: f sees our caller's return address. */
#if defined(__clang__)
#define TAIL_RETURN __attribute__((musttail)) return
#define TAIL_FUNC
#else
#define TAIL_RETURN return
#define TAIL_FUNC   __attribute__((optimize("optimize-sibling-calls")))
#endif

static void *dlopen_after(dlopen_fn f, const char *file, int flags)
{
    void *h;

    cprof__unwind_unload_begin(); /* a failing dlopen unmaps what it mapped */
    h = f(file, flags);
    cprof__unwind_unload_end();

    cprof__dl_changed();
    return h;
}

/*
 * The runtime's own dlopen (libmicrohttpd, the demangler), on a thread
 * inside the runtime (the heap guard is held): under the loader-walk lock
 * the fork handlers take, so a fork never copies a loader lock one of our
 * threads holds.  Our caller is libcprof.so either way, so no tail call.
 */
static void *dlopen_own(dlopen_fn f, const char *file, int flags)
{
    void *h;

    cprof__unwind_unload_begin();
    cprof__dl_own_begin();
    h = f(file, flags);
    cprof__dl_own_end();
    cprof__unwind_unload_end();
    cprof__dl_changed();
    return h;
}

CPROF_EXPORT TAIL_FUNC void *dlopen(const char *file, int flags)
{
    dlopen_fn f = dlopen_real();

    if (!f)
        return NULL;
    if (cprof__heap_tls.guard > 0)
        return dlopen_own(f, file, flags);
    if (caller_matters(file, __builtin_return_address(0))) {
        cprof__dl_changed(); /* the writer notices the object within a tick */
        TAIL_RETURN f(file, flags);
    }
    return dlopen_after(f, file, flags);
}

CPROF_EXPORT int dlclose(void *handle)
{
    dlclose_fn f = (dlclose_fn)resolve((void **)&real_dlclose, "dlclose");
    int r;

    if (!f)
        return -1;
    cprof__dl_unloading();
    cprof__unwind_unload_begin(); /* no table build reads an object it may unmap */
    r = f(handle);
    cprof__unwind_unload_end();
    cprof__dl_changed();
    return r;
}
