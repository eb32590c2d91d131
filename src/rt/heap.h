/*
 * The heap profiler's internal interface, between the malloc-family
 * wrappers (src/rt/heap_interpose.c: the hot path) and the sampler's
 * tables, profiles and reports (src/rt/heap.c: the slow path).
 *
 * The hot path reads only the calling thread's initial-exec TLS block and
 * two globals (the on flag and the free filter); everything that locks or
 * walks the stack happens in the functions declared here, which the
 * wrappers call for sampled allocations and for frees that hit the filter.
 */
#ifndef CPROF_RT_HEAP_H
#define CPROF_RT_HEAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CPROF_HEAP_TLS __attribute__((tls_model("initial-exec")))

/* Per-thread sampler state.  Written only by its thread; read by the heap trace. */
struct cprof__heap_tls {
    int64_t countdown; /* bytes still to allocate before the next sample; 0 = draw first */
    int64_t drawn;     /* the countdown's value when it was drawn */
    uint64_t rng;      /* xorshift64* state, 0 = not seeded yet */
    uint64_t objs;     /* allocations made by this thread (heap on) */
    uint64_t frees;    /* non-NULL frees made by this thread (heap on) */
    uint64_t bytes;    /* bytes allocated, up to the last sample (see cprof__heap_thread_bytes) */
    int64_t stash;     /* countdown saved while the guard is held */
    uint64_t stash_frees; /* frees when the guard was taken: restored when it is left */
    int guard;            /* > 0: inside the runtime; allocations pass straight through */
    int state;            /* 0 new, 1 registered for the heap trace, 2 exited */
};

extern __thread struct cprof__heap_tls cprof__heap_tls CPROF_HEAP_TLS;

/*
 * Set by the vfork wrapper (x86-64, heap_interpose.c) in the calling
 * thread's TLS, which a vfork child shares: the next slow path of the
 * thread compares getpid() with the profiled pid once, and either passes
 * through (the child: it must not touch the parent's tables) or clears the
 * flag (the parent, back from vfork).  So no slow path pays a getpid
 * system call otherwise (0.5-0.9 us each on a loaded VM, more than the
 * stack walk).
 */
extern __thread int cprof__heap_vforked CPROF_HEAP_TLS;

/* Nonzero while allocations are sampled.  Read with one relaxed load per call. */
extern _Atomic int cprof__heap_on;

/*
 * Filter of sampled addresses: a free whose bit is clear was not sampled
 * and needs no lock.  One bit per slot (2^CPROF_HEAP_FILTER_BITS slots,
 * 8 KiB): every free reads it, so it must stay in cache under a program
 * that sweeps its own working set; the earlier 64 KiB of 16-bit counters
 * missed the cache on most frees of bench/heap.sh (69% of the free
 * wrapper's time in perf annotate).  heap.c keeps the per-slot counts,
 * under the lock, and sets or clears a bit when its count leaves or
 * reaches 0.  Static: one load less on every free than a pointer to it.
 */
#define CPROF_HEAP_FILTER_BITS 16
extern _Atomic uint64_t cprof__heap_filter[1u << (CPROF_HEAP_FILTER_BITS - 6)];

static inline uint32_t cprof__heap_filter_slot(const void *p)
{
    return (uint32_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull >> (64 - CPROF_HEAP_FILTER_BITS));
}

/* True when p may have been sampled. */
static inline bool cprof__heap_filter_hit(const void *p)
{
    uint32_t s = cprof__heap_filter_slot(p);

    return atomic_load_explicit(&cprof__heap_filter[s >> 6], memory_order_relaxed) >> (s & 63) & 1;
}

/* The real allocator, resolved with dlsym(RTLD_NEXT) (heap_interpose.c). */
struct cprof__heap_real {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
    pid_t (*vfork)(void);
};
extern struct cprof__heap_real cprof__heap_real;

/*
 * One bucket per (stack, size class); see heap.c's header for why a class
 * and not the exact size.  The raw counters count sampled objects; the
 * est_* sums add each sample's unsampling weight (1 / (1 - exp(-s/rate))
 * for a sampled object of s bytes), so they are unbiased estimates of what
 * the program allocated and freed, whatever the mix of sizes in the class.
 */
struct cprof__heap_bucket {
    _Alignas(64) uint64_t hash; /* of the stack and size class */
    uint32_t frames;            /* first pc in the frame store */
    uint16_t cls;               /* size class (size_class() in heap.c, < 512) */
    uint16_t nframes;           /* pcs (return addresses), leaf first */
    uint64_t allocs;            /* sampled allocations */
    uint64_t frees;             /* sampled allocations freed */
    double est_allocs;          /* sum of weights of the sampled allocations */
    double est_alloc_bytes;     /* sum of weight * size */
    double est_frees;           /* ... of the sampled allocations freed */
    double est_free_bytes;
};
/* One cache line each: a sample or a sampled free touches one line of its bucket. */
_Static_assert(sizeof(struct cprof__heap_bucket) == 64, "a heap bucket is one cache line");

/* A live sampled block: what its free must take back out of its bucket. */
struct cprof__heap_rec {
    uintptr_t addr;  /* 0 = empty slot */
    uint64_t size;   /* bytes asked for */
    uint32_t bucket; /* index into buckets */
    float weight;    /* unsampling weight its allocation added (a float, and exactly that) */
};

/* Heap trace counters at one moment. */
struct cprof__heap_totals {
    uint64_t objs;      /* allocations, exact */
    uint64_t frees;     /* frees, exact */
    uint64_t bytes;     /* bytes allocated, exact up to each thread's last countdown */
    double free_bytes;  /* bytes freed, estimated from sampled blocks */
    double inuse_bytes; /* bytes in use, estimated from sampled blocks */
};

/*
 * The heap profiler's state, g_rt.heap.  `lock` guards the tables and
 * counters; it is held only for short, non-allocating sections, and never
 * while g_rt.lock is taken (fork handlers take g_rt.lock first).  The
 * configuration fields are written before cprof__heap_on is set and are
 * constant afterwards.  bg_* belong to the background thread's handshake.
 */
struct cprof__heap_state {
    /*
     * Hot while sampling: the lock and what every sample or sampled free
     * writes share one cache line (it moves between cores with the lock
     * anyway); the next line holds what samples only read in steady state.
     */
    _Alignas(64) pthread_mutex_t lock; /* tables, counters, registry */
    struct cprof__heap_rec *addrs;     /* live sampled blocks, linear probing */
    uint32_t addr_cap, naddr;
    uint32_t *bidx;                                  /* bucket hash index: bucket + 1, 0 = empty */
    _Alignas(64) struct cprof__heap_bucket *buckets; /* nbuckets used, never moved */
    uint32_t nbuckets;
    _Atomic uint32_t nbuckets_pub; /* nbuckets, for lock-free readers */
    uintptr_t *frames;             /* frame store, nframes used, never moved */
    uint32_t nframes;
    uint32_t bidx_cap;
    int64_t rate;               /* mean bytes between samples; 1 = all (configuration) */
    uint64_t dropped;           /* samples lost to full tables */
    uintptr_t self_lo, self_hi; /* libcprof.so's code: frames trimmed from stacks */
    int depth;                  /* max frames per sample */
    pid_t pid;                  /* process the tables belong to */
    _Alignas(64) pthread_mutex_t start_lock; /* serialises starting */
    /* configuration */
    uint64_t seed;                /* CPROF_MEMSEED */
    bool seed_set;                /* ... was given */
    char base[4096];              /* CPROF_HEAP as given */
    char file[4200];              /* where this process writes its exit profile ("" = none) */
    char leaks_file[4096];        /* leak profile path ("" = stderr report only) */
    bool leaks;                   /* leak report at exit */
    int64_t interval_s;           /* periodic profiles every this many seconds, 0 = off */
    uint64_t every;               /* ... or every this many bytes allocated, 0 = off */
    int64_t trace_ms;             /* heap trace period, ms, 0 = off */
    int64_t start_ns;             /* CLOCK_REALTIME at start */
    int64_t start_mono_ns;        /* CLOCK_MONOTONIC at start */
    _Atomic uint64_t alloc_bytes; /* bytes allocated, updated at each sample if `every` */
    /* heap-trace registry */
    pthread_key_t key; /* unregisters exiting threads */
    bool key_ok;
    struct cprof__heap_tls **threads; /* registered threads' TLS blocks */
    uint32_t nthreads;
    _Atomic uint64_t thread_seq;                      /* threads seen, for seeding */
    uint64_t exited_objs, exited_frees, exited_bytes; /* totals of exited threads */
    struct cprof__heap_totals trace_last;             /* at the previous trace line */
    int64_t trace_last_ns;
    /* the background thread (heap trace, periodic profiles) */
    pthread_t bg;
    bool bg_started, bg_stop;
    pthread_mutex_t bg_lock;
    pthread_cond_t bg_wake;
    unsigned seq; /* numbered profiles written */
};

/* Internal flag of write requests beside CPROF_HEAP_ALLOCS: only blocks still in use. */
#define HEAP_LEAKS (1u << 8)

/* Resolves cprof__heap_real once.  Context: any thread, not a signal handler. */
void cprof__heap_resolve(void);

/*
 * Slow path of an allocation of size bytes at p (non-NULL): counts it,
 * samples it when the thread's countdown ran out.  Returns p, so a
 * wrapper can tail-call it and leave no frame of its own on the stack the
 * sample walks.  The caller already checked cprof__heap_on.  Context:
 * malloc wrappers, any thread.
 */
void *cprof__heap_alloc_slow(void *p, size_t size);

/*
 * Retires the sample record of p if p was sampled; called before p is
 * given back to the allocator.  Returns true and the retired record in
 * *out (for realloc's failure path) when p was sampled.  Context: malloc
 * wrappers.
 */
bool cprof__heap_free_slow(void *p, struct cprof__heap_rec *out);

/* Puts back a record retired by cprof__heap_free_slow (realloc failed). */
void cprof__heap_unretire(const struct cprof__heap_rec *r);

/* Reads the environment and turns sampling on if asked.  Called by the constructor. */
void cprof__heap_init(void);

/* Writes the exit profiles and reports.  Called by the destructor. */
void cprof__heap_fini(void);

/*
 * The exit profiles are being written because the process is dying of
 * signal signo: the leak report says so (what is live then was not
 * necessarily leaked).  Context: the exit thread, before cprof__heap_fini.
 */
void cprof__heap_exit_signal(int signo);

/*
 * The heap or allocs profile (flags: CPROF_HEAP_ALLOCS) as cprof_heap_write
 * builds it, before mappings and symbols: the /debug/pprof endpoint
 * symbolizes it with the symbolizer it keeps (src/rt/http.c).  Caller owns
 * *out.  0, CPROF_EUSAGE (heap sampling off) or -ENOMEM.
 * Context: not a signal handler.
 */
struct cprof_profile;
int cprof__heap_profile(int flags, struct cprof_profile **out);

/*
 * The per-thread guard: between enter and leave, the thread's allocations
 * and frees pass straight through, unrecorded.  Nests.  Used around the
 * runtime's own work (profile writers, symbolizer) and the slow paths,
 * so a program's signal handler that allocates while we hold `lock` on
 * its thread does not deadlock.  Context: any thread.
 */
void cprof__heap_enter(void);
void cprof__heap_leave(void);

/*
 * Fork handlers.  Registered before the CPU profiler's: prepare handlers run
 * in reverse order, so ours takes `lock` inside g_rt.lock.
 */
void cprof__heap_fork_prepare(void);
void cprof__heap_fork_parent(void);
void cprof__heap_fork_child(void);

/* Marks the calling thread as the runtime's own: its allocations are never recorded. */
void cprof__heap_ignore_thread(void);

#endif /* CPROF_RT_HEAP_H */
