/*
 * The malloc family, interposed over whatever allocator comes next in
 * symbol lookup order (glibc, or a jemalloc/tcmalloc the program links):
 * malloc, calloc, realloc, reallocarray, free, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc, and malloc_usable_size passed
 * through.  C++ operator new/delete need no wrapper: libstdc++'s call
 * malloc and free through the PLT (tests/e2e/t_heap_cxx.sh checks it).
 *
 * This file is the hot path.  With heap profiling off a wrapper costs one
 * relaxed load and a predictable branch beyond the real call.  With it on,
 * an allocation decrements the thread's byte countdown (initial-exec TLS)
 * and a free reads one bit of the sampled-address filter; only sampled
 * allocations and filter hits call into src/rt/heap.c.
 *
 * vfork (x86-64): a child of vfork shares the parent's memory and its
 * thread's TLS, and must not record into the parent's tables (pitfall 7).
 * The wrapper marks the thread (cprof__heap_vforked) and jumps to the real
 * vfork with the caller's stack untouched (a C wrapper cannot: the child
 * would return through, and clobber, the wrapper's frame).  glibc's
 * posix_spawn, system and popen clone the child internally and never
 * allocate in it.  Elsewhere the slow paths check getpid() every time.
 *
 * Bootstrap: dlsym() may allocate before the real functions are known.
 * Those requests are served from a static arena; its blocks are never
 * freed (free() recognises and ignores them).
 */
#include "rt/heap.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "rt/rt.h"

#define ARENA_BYTES (64 * 1024)
#define ARENA_HDR   16 /* each arena block starts with its size */

struct cprof__heap_real cprof__heap_real;
__thread int cprof__heap_vforked CPROF_HEAP_TLS;

static _Alignas(64) unsigned char arena[ARENA_BYTES];
static _Atomic size_t arena_used;
/* Atomic, not a plain flag: dlsym is declared leaf, so a plain store could be moved (pitfall 1). */
static _Atomic int resolving;
static _Atomic int resolved;

/*
 * The loader calls malloc before any constructor, the sanitizer runtime's
 * included: in a sanitizer build (make asan) this file must not be
 * instrumented, or its first call touches shadow memory that is not there.
 */
#define NOSAN __attribute__((no_sanitize("address", "undefined")))

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

NOSAN static bool in_arena(const void *p)
{
    return (uintptr_t)p - (uintptr_t)arena < ARENA_BYTES;
}

NOSAN static void *arena_alloc(size_t n, size_t align)
{
    size_t off, start;

    if (align < ARENA_HDR)
        align = ARENA_HDR;
    if (n > ARENA_BYTES || (align & (align - 1)))
        return NULL;
    off = atomic_load(&arena_used);
    do {
        start = (off + ARENA_HDR + align - 1) & ~(align - 1);
        if (start + n > ARENA_BYTES)
            return NULL;
    } while (!atomic_compare_exchange_weak(&arena_used, &off, start + n));
    *(size_t *)(void *)(arena + start - sizeof(size_t)) = n;
    return arena + start; /* static storage: already zero */
}

NOSAN static size_t arena_size(const void *p)
{
    return *(const size_t *)(const void *)((const unsigned char *)p - sizeof(size_t));
}

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

NOSAN static void *next(const char *name, void *fallback)
{
    void *f = dlsym(RTLD_NEXT, name);

    return f ? f : fallback;
}

NOSAN static int fallback_posix_memalign(void **out, size_t align, size_t n)
{
    void *p;

    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

NOSAN static size_t fallback_usable_size(void *p)
{
    (void)p;
    return 0;
}

NOSAN void cprof__heap_resolve(void)
{
    struct cprof__heap_real r;

    if (atomic_load_explicit(&resolved, memory_order_acquire))
        return;
    atomic_store(&resolving, 1);
    r.malloc = (void *(*)(size_t))next("malloc", (void *)__libc_malloc);
    r.free = (void (*)(void *))next("free", (void *)__libc_free);
    r.calloc = (void *(*)(size_t, size_t))next("calloc", (void *)__libc_calloc);
    r.realloc = (void *(*)(void *, size_t))next("realloc", (void *)__libc_realloc);
    r.posix_memalign =
        (int (*)(void **, size_t, size_t))next("posix_memalign", (void *)fallback_posix_memalign);
    r.aligned_alloc = (void *(*)(size_t, size_t))next("aligned_alloc", (void *)__libc_memalign);
    r.memalign = (void *(*)(size_t, size_t))next("memalign", (void *)__libc_memalign);
    r.valloc = (void *(*)(size_t))next("valloc", (void *)__libc_valloc);
    r.pvalloc = (void *(*)(size_t))next("pvalloc", (void *)__libc_pvalloc);
    r.malloc_usable_size =
        (size_t(*)(void *))next("malloc_usable_size", (void *)fallback_usable_size);
    r.vfork = (pid_t(*)(void))next("vfork", NULL);
    /* malloc last: a wrapper that sees it set may use every other pointer. */
    __atomic_store_n(&cprof__heap_real.free, r.free, __ATOMIC_RELEASE);
    __atomic_store_n(&cprof__heap_real.calloc, r.calloc, __ATOMIC_RELEASE);
    __atomic_store_n(&cprof__heap_real.realloc, r.realloc, __ATOMIC_RELEASE);
    __atomic_store_n(&cprof__heap_real.posix_memalign, r.posix_memalign, __ATOMIC_RELEASE);
    __atomic_store_n(&cprof__heap_real.aligned_alloc, r.aligned_alloc, __ATOMIC_RELEASE);
    __atomic_store_n(&cprof__heap_real.memalign, r.memalign, __ATOMIC_RELEASE);
    __atomic_store_n(&cprof__heap_real.valloc, r.valloc, __ATOMIC_RELEASE);
    __atomic_store_n(&cprof__heap_real.pvalloc, r.pvalloc, __ATOMIC_RELEASE);
    __atomic_store_n(&cprof__heap_real.malloc_usable_size, r.malloc_usable_size, __ATOMIC_RELEASE);
    __atomic_store_n(&cprof__heap_real.vfork, r.vfork, __ATOMIC_RELEASE);
    __atomic_store_n(&cprof__heap_real.malloc, r.malloc, __ATOMIC_RELEASE);
    atomic_store_explicit(&resolved, 1, memory_order_release);
    atomic_store(&resolving, 0);
}

/* True when the real functions can be used; false while dlsym runs (use the arena). */
NOSAN static inline bool ready(void)
{
    if (LIKELY(__atomic_load_n(&cprof__heap_real.malloc, __ATOMIC_ACQUIRE) != NULL))
        return true;
    if (atomic_load(&resolving))
        return false;
    cprof__heap_resolve();
    return __atomic_load_n(&cprof__heap_real.malloc, __ATOMIC_ACQUIRE) != NULL;
}

NOSAN static inline void on_alloc(void *p, size_t n)
{
    if (LIKELY(!atomic_load_explicit(&cprof__heap_on, memory_order_relaxed)) || UNLIKELY(!p))
        return;
    struct cprof__heap_tls *t = &cprof__heap_tls;
    if (LIKELY(n < (uint64_t)t->countdown)) {
        t->countdown -= (int64_t)n;
        t->objs++;
        return;
    }
    cprof__heap_alloc_slow(p, n);
}

/*
 * Before p goes back to the allocator.  True when p was sampled (its record
 * in *r).  The guard is checked in cprof__heap_free_slow, not here: frees
 * the runtime makes under its guard are counted in t->frees and the count
 * is restored when the guard is left (cprof__heap_leave).
 */
NOSAN static inline bool on_free(void *p, struct cprof__heap_rec *r)
{
    if (LIKELY(!atomic_load_explicit(&cprof__heap_on, memory_order_relaxed)) || UNLIKELY(!p))
        return false;
    cprof__heap_tls.frees++;
    if (LIKELY(!cprof__heap_filter_hit(p)))
        return false;
    return cprof__heap_free_slow(p, r);
}

/*
 * True when an allocation of n bytes is not sampled: the countdown is
 * charged before the real call, so the wrapper can tail-call it with no
 * frame of its own.  (A request that then fails has still been counted:
 * it moves the next sample by n bytes and adds one to the heap trace's
 * allocation count; both only when memory runs out.)  The guard's zero
 * countdown sends its allocations to the slow path, which lets them pass.
 */
NOSAN static inline bool unsampled(size_t n)
{
    struct cprof__heap_tls *t = &cprof__heap_tls;

    if (LIKELY(n < (uint64_t)t->countdown)) {
        t->countdown -= (int64_t)n;
        t->objs++;
        return true;
    }
    return false;
}

NOSAN __attribute__((noinline)) static void *malloc_sampled(size_t n)
{
    void *p = cprof__heap_real.malloc(n);

    if (!p)
        return p;
    /* A tail call (as malloc's call here is): the stack walk starts one frame from the program. */
    return cprof__heap_alloc_slow(p, n);
}

NOSAN CPROF_EXPORT void *malloc(size_t n)
{
    /* cprof__heap_on implies the real functions are resolved (heap_start resolves first). */
    if (LIKELY(atomic_load_explicit(&cprof__heap_on, memory_order_relaxed))) {
        if (LIKELY(unsampled(n)))
            return cprof__heap_real.malloc(n);
        return malloc_sampled(n);
    }
    if (UNLIKELY(!ready()))
        return arena_alloc(n, 16);
    return cprof__heap_real.malloc(n);
}

/* free of a block that may have been sampled: off the fast path, so free needs no frame. */
NOSAN __attribute__((noinline)) static void free_filtered(void *p)
{
    struct cprof__heap_rec r;

    cprof__heap_free_slow(p, &r);
    cprof__heap_real.free(p);
}

NOSAN CPROF_EXPORT void free(void *p)
{
    if (UNLIKELY(in_arena(p)))
        return;
    if (LIKELY(atomic_load_explicit(&cprof__heap_on, memory_order_relaxed))) {
        if (UNLIKELY(!p))
            return;
        cprof__heap_tls.frees++;
        if (UNLIKELY(cprof__heap_filter_hit(p))) {
            free_filtered(p);
            return;
        }
    } else if (UNLIKELY(!ready())) {
        return; /* only arena blocks can exist before the real free is known */
    }
    cprof__heap_real.free(p);
}

NOSAN CPROF_EXPORT void *calloc(size_t n, size_t m)
{
    size_t total;

    if (UNLIKELY(!ready()))
        return __builtin_mul_overflow(n, m, &total) ? NULL : arena_alloc(total, 16);
    if (atomic_load_explicit(&cprof__heap_on, memory_order_relaxed) &&
        !__builtin_mul_overflow(n, m, &total) && unsampled(total))
        return cprof__heap_real.calloc(n, m);
    void *p = cprof__heap_real.calloc(n, m);
    on_alloc(p, n * m);
    return p;
}

NOSAN CPROF_EXPORT void *realloc(void *old, size_t n)
{
    if (UNLIKELY(in_arena(old))) {
        void *p = malloc(n);
        size_t have = arena_size(old);
        for (size_t i = 0; p && i < (have < n ? have : n); i++)
            ((unsigned char *)p)[i] = ((const unsigned char *)old)[i];
        return p;
    }
    if (UNLIKELY(!ready()))
        return old ? NULL : arena_alloc(n, 16);
    struct cprof__heap_rec r;
    bool sampled = on_free(old, &r);
    void *p = cprof__heap_real.realloc(old, n);
    if (p) {
        on_alloc(p, n);
    } else if (old && n) {
        /* Failed: the old block lives on. */
        if (sampled)
            cprof__heap_unretire(&r);
        else if (atomic_load_explicit(&cprof__heap_on, memory_order_relaxed))
            cprof__heap_tls.frees--;
    }
    return p;
}

NOSAN CPROF_EXPORT void *reallocarray(void *old, size_t n, size_t m)
{
    size_t total;

    if (__builtin_mul_overflow(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, total);
}

NOSAN CPROF_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (UNLIKELY(!ready())) {
        void *p = arena_alloc(n, align);
        if (!p)
            return ENOMEM;
        *out = p;
        return 0;
    }
    int err = cprof__heap_real.posix_memalign(out, align, n);
    if (!err)
        on_alloc(*out, n);
    return err;
}

NOSAN CPROF_EXPORT void *aligned_alloc(size_t align, size_t n)
{
    if (UNLIKELY(!ready()))
        return arena_alloc(n, align);
    void *p = cprof__heap_real.aligned_alloc(align, n);
    on_alloc(p, n);
    return p;
}

NOSAN CPROF_EXPORT void *memalign(size_t align, size_t n)
{
    if (UNLIKELY(!ready()))
        return arena_alloc(n, align);
    void *p = cprof__heap_real.memalign(align, n);
    on_alloc(p, n);
    return p;
}

NOSAN CPROF_EXPORT void *valloc(size_t n)
{
    if (UNLIKELY(!ready()))
        return arena_alloc(n, 4096);
    void *p = cprof__heap_real.valloc(n);
    on_alloc(p, n);
    return p;
}

NOSAN CPROF_EXPORT void *pvalloc(size_t n)
{
    size_t page = 4096, rounded = (n + page - 1) & ~(page - 1);

    if (UNLIKELY(!ready()))
        return arena_alloc(rounded ? rounded : page, page);
    void *p = cprof__heap_real.pvalloc(n);
    on_alloc(p, rounded ? rounded : page);
    return p;
}

NOSAN CPROF_EXPORT size_t malloc_usable_size(void *p)
{
    if (UNLIKELY(in_arena(p)))
        return arena_size(p);
    if (UNLIKELY(!ready()))
        return 0;
    return cprof__heap_real.malloc_usable_size(p);
}

#if defined(__x86_64__)
/*
 * pid_t vfork(void): cprof__heap_vforked = 1, then a tail jump to the real
 * vfork (cprof__heap_real.vfork once resolved, glibc's __vfork before).
 * The flag is set in the caller's thread before the child exists, so the
 * child sees it; the parent clears it at its next slow path.
 */
__asm__(".text\n"
        ".globl vfork\n"
        ".type vfork, @function\n"
        "vfork:\n"
        "    movq cprof__heap_vforked@gottpoff(%rip), %rax\n"
        "    movl $1, %fs:(%rax)\n"
        "    movq cprof__heap_real+80(%rip), %rax\n"
        "    testq %rax, %rax\n"
        "    jz 1f\n"
        "    jmp *%rax\n"
        "1:  jmp __vfork@PLT\n"
        ".size vfork, .-vfork\n");
_Static_assert(__builtin_offsetof(struct cprof__heap_real, vfork) == 80,
               "the vfork wrapper's offset of cprof__heap_real.vfork");
#endif
