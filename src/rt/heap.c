/*
 * The heap profiler: Go-style sampling of the malloc family (the wrappers
 * are in heap_interpose.c), the tables of sampled blocks and buckets, heap
 * and allocs profiles (at exit, on demand, periodically), the leak report
 * and the heap trace.
 *
 * Sampling: each thread counts down bytes; when an allocation does not fit
 * in what is left, it is sampled and a new countdown is drawn from an
 * exponential distribution of mean `rate` bytes, so an allocation of s
 * bytes is sampled with probability 1 - exp(-s/rate).  A sampled block
 * gets a stack, a bucket and an entry in the address table; its address
 * also sets a bit of the free filter, so a free of an unsampled block
 * reads one bit and returns.
 *
 * Estimates and buckets.  Go keeps one bucket per (stack, size) and scales
 * each bucket at write time by 1 / (1 - exp(-avg/rate)) of its average
 * size (scaleHeapSample); that is only unbiased when every object of the
 * bucket has the same size, hence one bucket per exact size.  But with
 * sizes that vary (buffers, strings, realloc growth) nearly every sample
 * then opens a new bucket: on bench/heap.sh's workload 24,000 buckets for
 * 26,000 samples, a table and a profile that grow with the run, and most of
 * the per-sample cost.  So each sample carries its own unsampling weight
 * w = 1 / (1 - exp(-s/rate)), the inverse of its probability of being
 * sampled: the sums of w and w*s over a bucket's samples are unbiased
 * (Horvitz-Thompson) estimates of its objects and bytes whatever sizes it
 * mixes, and the address table keeps each live sample's size so its free
 * subtracts exactly the weight its allocation added.  Buckets are then per
 * (stack, size class): sizes below 16 exact, above them 8 classes per power
 * of two (within 12.5%), so a site's profile is bounded by ~8 buckets per
 * doubling of size, and the `bytes` label keeps its meaning: it is the
 * objects' average size, as Go's is (Go's blockSize = AllocBytes /
 * AllocObjects), here estimated bytes over estimated objects, exact for a
 * site that always allocates one size.  With CPROF_MEMRATE=1 every weight
 * is 1 and every value exact.
 *
 * Cost (bench/heap.sh, default rate): what remains per sample is the stack
 * walk (~550 cycles), the lock, and the cache lines a sample shares with
 * the other cores (lock, bucket, address-table slot, filter word).  Hence
 * one-line buckets, plain stores to the filter under the lock, nothing
 * computed under the lock that can be computed before it, no getpid() per
 * sample, and no process-wide counter written per sample.
 *
 * Memory: every table lives in mmap'd memory of its own, never in the
 * program's heap; bucket and frame storage is reserved once
 * (MAP_NORESERVE) and never moves, so a profile can be built from it
 * without holding the lock.  The runtime's own allocations (writers,
 * symbolizer) run under the thread's guard and are never recorded.
 *
 * Environment (read by the constructor):
 *   CPROF_HEAP=FILE           heap profile written to FILE at exit
 *   CPROF_MEMRATE=N           mean bytes between samples (524288; 1 = every allocation)
 *   CPROF_MEMSEED=N           seed of the sampling draws (reproducible runs)
 *   CPROF_HEAP_INTERVAL=S     also write FILE.0001, FILE.0002, ... every S seconds
 *   CPROF_HEAP_EVERY=BYTES    ... or every BYTES allocated
 *   CPROF_LEAKS=1|FILE        leak report on stderr at exit (and a profile in FILE)
 *   CPROF_DEBUG=heaptrace=MS  one heap trace line on stderr every MS milliseconds
 */
#include "rt/heap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "cprof.h"
#include "model/codec.h"
#include "model/profile.h"
#include "rt/rt.h"
#include "rt/sig/unwind.h"

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define DEFAULT_RATE        524288
#define MAX_DEPTH           128
#define MAX_BUCKETS         (1u << 20) /* reserved bucket slots */
#define MAX_FRAMES          (1u << 24) /* reserved frame words */
#define MAX_TRACKED_THREADS 4096       /* heap-trace registry */
#define LEAK_REPORT_STACKS  10         /* stacks printed by the leak report */
#define LEAK_REPORT_FRAMES  8          /* frames printed per stack */

__thread struct cprof__heap_tls cprof__heap_tls CPROF_HEAP_TLS;
_Atomic int cprof__heap_on;
_Atomic uint64_t cprof__heap_filter[1u << (CPROF_HEAP_FILTER_BITS - 6)];

/* The heap profiler's part of the singleton (see the contract in rt.h). */
#define H (cprof__rt->heap)

enum {
    WARN_TABLE = 1 << 16,
    WARN_BG = 1 << 17,
    WARN_WRITE = 1 << 18,
};

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;

    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *map_region(size_t bytes)
{
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

/* ---- the guard ---- */

void cprof__heap_enter(void)
{
    struct cprof__heap_tls *t = &cprof__heap_tls;

    if (t->guard++ == 0) {
        /* Countdown 0 sends every allocation to the slow path, which sees the guard. */
        t->stash = t->countdown;
        t->countdown = 0;
        /* The free wrappers count without looking at the guard: undone at leave. */
        t->stash_frees = t->frees;
    }
}

void cprof__heap_leave(void)
{
    struct cprof__heap_tls *t = &cprof__heap_tls;

    if (--t->guard == 0) {
        t->countdown = t->stash;
        t->frees = t->stash_frees;
    }
}

void cprof__heap_ignore_thread(void)
{
    cprof__heap_enter(); /* for the thread's lifetime */
}

/* ---- sampling draws ---- */

static uint64_t rng_next(struct cprof__heap_tls *t)
{
    uint64_t x = t->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    t->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Bytes to the next sample: exponential with mean H.rate; 0 samples everything. */
static int64_t draw(struct cprof__heap_tls *t)
{
    if (H.rate <= 1)
        return 0;
    double u = (double)((rng_next(t) >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
    double x = -log(u) * (double)H.rate;
    if (x > 0x1.0p40)
        x = 0x1.0p40;
    return (int64_t)x + 1;
}

/*
 * Unsampling weight of one sampled object of size bytes: 1 / P(sampled),
 * rounded to a float, which the address table keeps so the free subtracts
 * exactly what the allocation added (and computes no exp under the lock).
 * The rounding (relative 6e-8) is far below the sampling error.
 */
static float weight_of(uint64_t size)
{
    if (H.rate <= 1 || size == 0)
        return 1.0f;
    return (float)(1.0 / -expm1(-(double)size / (double)H.rate));
}

/* ---- thread registry (heap trace) ---- */

static void thread_exit(void *arg)
{
    struct cprof__heap_tls *t = arg;

    cprof__heap_enter();
    pthread_mutex_lock(&H.lock);
    for (uint32_t i = 0; i < H.nthreads; i++) {
        if (H.threads[i] != t)
            continue;
        H.exited_objs += t->objs;
        H.exited_frees += t->stash_frees; /* guard held: t->frees counts our own frees */
        /* Under the guard the countdown is 0 and its value in the stash. */
        H.exited_bytes += t->bytes + (uint64_t)(t->drawn - t->stash);
        H.threads[i] = H.threads[--H.nthreads];
        break;
    }
    t->state = 2;
    pthread_mutex_unlock(&H.lock);
    cprof__heap_leave();
}

/* First slow path of a thread: seed its draws, register it.  Guard held (taken from 0). */
static void thread_start(struct cprof__heap_tls *t)
{
    uint64_t ordinal = atomic_fetch_add(&H.thread_seq, 1) + 1;
    uint64_t z = H.seed_set ? H.seed : (uint64_t)now_ns(CLOCK_MONOTONIC) ^ (uintptr_t)t;

    /* splitmix64 of (seed, thread ordinal): distinct seeds give unrelated streams. */
    z += ordinal * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    t->rng = z ? z : 1;
    /*
     * The caller holds the guard, and leaving it restores the countdown
     * from the stash: the first draw goes there, or the guard's 0 would
     * come back and sample every thread's first allocation (a 3-byte leak
     * then weighed as 512 KiB).
     */
    t->drawn = draw(t);
    t->stash = t->drawn;
    if (t->state != 0)
        return;
    t->state = 2; /* unless registered below */
    pthread_mutex_lock(&H.lock);
    if (H.key_ok && H.nthreads < MAX_TRACKED_THREADS && H.threads &&
        pthread_setspecific(H.key, t) == 0) {
        H.threads[H.nthreads++] = t;
        t->state = 1;
    }
    pthread_mutex_unlock(&H.lock);
}

/* ---- tables (H.lock held) ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static int grow_index(uint32_t **idx, uint32_t *cap, uint32_t used, uint64_t (*hash_of)(uint32_t))
{
    /*
     * Small to start: every sample probes it, and a large sparse index
     * misses the cache on each probe.  Doubling keeps rehashes (munmap:
     * TLB shootdowns) to a handful over a run.
     */
    uint32_t ncap = *cap ? *cap * 2 : 1u << 10;
    uint32_t *n;

    if ((uint64_t)(used + 1) * 2 <= *cap)
        return 0;
    n = map_region((size_t)ncap * sizeof(*n));
    if (!n)
        return -ENOMEM;
    for (uint32_t i = 0; i < *cap; i++) {
        uint32_t v = (*idx)[i];
        if (!v)
            continue;
        uint32_t j = (uint32_t)hash_of(v - 1) & (ncap - 1);
        while (n[j])
            j = (j + 1) & (ncap - 1);
        n[j] = v;
    }
    if (*idx)
        munmap(*idx, (size_t)*cap * sizeof(**idx));
    *idx = n;
    *cap = ncap;
    return 0;
}

static uint64_t bucket_hash_of(uint32_t b)
{
    return H.buckets[b].hash;
}

/* Size class of an allocation: exact below 16, then 8 classes per power of two. */
static uint64_t size_class(uint64_t s)
{
    if (s < 16)
        return s;
    unsigned e = 63u - (unsigned)__builtin_clzll(s); /* s in [2^e, 2^(e+1)), e >= 4 */
    return (uint64_t)(e - 2) << 3 | ((s >> (e - 3)) & 7);
}

/* Hash of a bucket's key: computed before the lock is taken. */
static uint64_t bucket_hash(const uintptr_t *pcs, uint32_t n, uint64_t cls)
{
    uint64_t h = mix(0x12345, cls);

    for (uint32_t i = 0; i < n; i++)
        h = mix(h, pcs[i]);
    return h;
}

/* The bucket of (stack, size class) of hash h, created if new; -1 when the tables are full. */
static int64_t bucket_get(const uintptr_t *pcs, uint32_t n, uint64_t cls, uint64_t h)
{
    if (H.bidx_cap) {
        for (uint32_t j = (uint32_t)h & (H.bidx_cap - 1);; j = (j + 1) & (H.bidx_cap - 1)) {
            uint32_t v = H.bidx[j];
            if (!v)
                break;
            struct cprof__heap_bucket *b = &H.buckets[v - 1];
            if (b->hash == h && b->cls == cls && b->nframes == n &&
                !memcmp(H.frames + b->frames, pcs, n * sizeof(*pcs)))
                return v - 1;
        }
    }
    if (H.nbuckets >= MAX_BUCKETS || H.nframes + n > MAX_FRAMES ||
        grow_index(&H.bidx, &H.bidx_cap, H.nbuckets, bucket_hash_of))
        return -1;
    uint32_t id = H.nbuckets;
    struct cprof__heap_bucket *b = &H.buckets[id];
    b->hash = h;
    b->cls = (uint16_t)cls;
    b->nframes = (uint16_t)n;
    b->frames = H.nframes;
    memcpy(H.frames + H.nframes, pcs, n * sizeof(*pcs));
    H.nframes += n;
    uint32_t j = (uint32_t)h & (H.bidx_cap - 1);
    while (H.bidx[j])
        j = (j + 1) & (H.bidx_cap - 1);
    H.bidx[j] = id + 1;
    atomic_store_explicit(&H.nbuckets_pub, id + 1, memory_order_release);
    H.nbuckets = id + 1;
    return id;
}

/*
 * Home slot of address a in an address table of cap slots: the top bits
 * of the same hash as the free filter's slot (cprof__heap_filter_slot), so
 * the records of one filter slot have neighbouring homes (see
 * filter_slot_used).
 */
static uint32_t addr_home(uintptr_t a, uint32_t cap)
{
    return (uint32_t)(((a >> 4) * 0x9e3779b97f4a7c15ull) >> (64 - __builtin_ctz(cap)));
}

static int addr_grow(void)
{
    uint32_t ncap = H.addr_cap ? H.addr_cap * 2 : 1u << 10; /* small to start: see grow_index */
    struct cprof__heap_rec *n;

    if ((uint64_t)(H.naddr + 1) * 2 <= H.addr_cap)
        return 0;
    n = map_region((size_t)ncap * sizeof(*n));
    if (!n)
        return -ENOMEM;
    for (uint32_t i = 0; i < H.addr_cap; i++) {
        if (!H.addrs[i].addr)
            continue;
        uint32_t j = addr_home(H.addrs[i].addr, ncap);
        while (n[j].addr)
            j = (j + 1) & (ncap - 1);
        n[j] = H.addrs[i];
    }
    if (H.addrs)
        munmap(H.addrs, (size_t)H.addr_cap * sizeof(*H.addrs));
    H.addrs = n;
    H.addr_cap = ncap;
    return 0;
}

/* The slot of a's record, or -1. */
static int64_t addr_find(uintptr_t a)
{
    if (!H.addr_cap)
        return -1;
    for (uint32_t j = addr_home(a, H.addr_cap);; j = (j + 1) & (H.addr_cap - 1)) {
        if (!H.addrs[j].addr)
            return -1;
        if (H.addrs[j].addr == a)
            return j;
    }
}

/* Linear probing deletion: shift later entries of the cluster back. */
static void addr_delete(uint32_t i)
{
    uint32_t mask = H.addr_cap - 1, j = i;

    for (;;) {
        H.addrs[i].addr = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (!H.addrs[j].addr)
                return;
            uint32_t home = addr_home(H.addrs[j].addr, H.addr_cap);
            /* Move j back to i unless its home lies cyclically in (i, j]. */
            if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
                continue;
            break;
        }
        H.addrs[i] = H.addrs[j];
        i = j;
    }
}

/* Counts the free of sampled block r (sign 1), or takes it back (sign -1, realloc failed). */
static void account_free_locked(const struct cprof__heap_rec *r, int sign)
{
    struct cprof__heap_bucket *k = &H.buckets[r->bucket];
    double w = sign * (double)r->weight;

    k->frees += (uint64_t)(int64_t)sign;
    k->est_frees += w;
    k->est_free_bytes += w * (double)r->size;
}

/* Sets a sampled block's filter bit.  Lock held. */
static void filter_add(uintptr_t a)
{
    uint32_t s = cprof__heap_filter_slot((void *)a);
    uint64_t bit = UINT64_C(1) << (s & 63);
    uint64_t v = atomic_load_explicit(&cprof__heap_filter[s >> 6], memory_order_relaxed);

    /*
     * Only lock holders write the filter, so a load and a store do, with no
     * locked instruction: a locked read-modify-write of a line the other
     * cores keep reading cost ~150 cycles per sample and per sampled free
     * (rdtsc medians of the insert: 318 cycles with it, 160 without).
     */
    if (!(v & bit))
        atomic_store_explicit(&cprof__heap_filter[s >> 6], v | bit, memory_order_relaxed);
}

/*
 * True when a live record's address falls in filter slot s.  Such records
 * have their homes in one run of the address table (addr_home uses the
 * top bits of the filter's hash): the home s >> (16 - b) when the table
 * has 2^b <= 2^16 slots, else the 2^(b-16) homes from s << (b - 16).
 * Linear probing leaves no empty slot between a record and its home, so
 * the scan ends at the first empty slot past the last home: a few slots,
 * in lines the caller just touched.  This replaces a table of per-slot
 * counts (256 KiB of random accesses, a cache miss per sample and per
 * sampled free).  Lock held.
 */
static bool filter_slot_used(uint32_t s)
{
    uint32_t bits = (uint32_t)__builtin_ctz(H.addr_cap), mask = H.addr_cap - 1;
    uint32_t lo, n;

    if (bits <= CPROF_HEAP_FILTER_BITS) {
        lo = s >> (CPROF_HEAP_FILTER_BITS - bits);
        n = 1;
    } else {
        lo = s << (bits - CPROF_HEAP_FILTER_BITS);
        n = 1u << (bits - CPROF_HEAP_FILTER_BITS);
    }
    for (uint32_t i = 0; i < H.addr_cap; i++) {
        uintptr_t a = H.addrs[(lo + i) & mask].addr;
        if (!a) {
            if (i + 1 >= n)
                return false;
            continue;
        }
        if (cprof__heap_filter_slot((void *)a) == s)
            return true;
    }
    return true; /* a full table cannot happen (load <= 1/2); keep the bit */
}

/* Clears the filter bit of a retired block unless another live record shares it.  Lock held. */
static void filter_remove(uintptr_t a)
{
    uint32_t s = cprof__heap_filter_slot((void *)a);

    /* Only lock holders write the filter: a plain store, no locked instruction. */
    if (!filter_slot_used(s))
        atomic_store_explicit(
            &cprof__heap_filter[s >> 6],
            atomic_load_explicit(&cprof__heap_filter[s >> 6], memory_order_relaxed) &
                ~(UINT64_C(1) << (s & 63)),
            memory_order_relaxed);
}

/* Records a sampled block: address entry, filter count.  Lock held. */
static void insert_locked(const struct cprof__heap_rec *r)
{
    uintptr_t a = r->addr;
    int64_t slot = addr_find(a);

    if (slot >= 0) {
        /* A stale entry: its free went past us (a guarded or foreign free). */
        account_free_locked(&H.addrs[slot], 1);
        H.addrs[slot] = *r;
        return;
    }
    if (addr_grow()) {
        H.dropped++;
        cprof__warn_once(WARN_TABLE, "heap sample table full: some samples dropped");
        return;
    }
    uint32_t j = addr_home(a, H.addr_cap);
    while (H.addrs[j].addr)
        j = (j + 1) & (H.addr_cap - 1);
    H.addrs[j] = *r;
    H.naddr++;
    filter_add(a);
}

/* ---- the slow paths ---- */

static bool in_self(uintptr_t pc)
{
    return pc >= H.self_lo && pc < H.self_hi;
}

/*
 * True in a vfork child, whose allocations pass through unrecorded: the
 * parent's tables are not its own (see cprof__heap_vforked).  Fork
 * children get their own H.pid from the fork handler.  A raw
 * clone(CLONE_VM) child is not detected on x86-64 (documented limit).
 */
static inline bool in_vfork_child(void)
{
#if defined(__x86_64__)
    if (LIKELY(!cprof__heap_vforked))
        return false;
    if ((pid_t)syscall(SYS_getpid) != H.pid)
        return true;
    cprof__heap_vforked = 0; /* the parent, back from vfork */
    return false;
#else
    return (pid_t)syscall(SYS_getpid) != H.pid;
#endif
}

/* Inlined into its one caller: each frame of ours on the stack is a step of the walk. */
__attribute__((always_inline)) static inline void record(void *p, uint64_t size)
{
    uintptr_t pcs[MAX_DEPTH];
    bool trunc;
    int n, skip = 0;
    float w = weight_of(size);
    uint64_t cls = size_class(size), h;

    if (UNLIKELY(in_vfork_child()))
        return;
    n = cprof_unwind_here_sigsafe(pcs, H.depth, &trunc);
    while (skip < n && in_self(pcs[skip]))
        skip++;
    h = bucket_hash(pcs + skip, (uint32_t)(n - skip), cls);
    cprof__heap_enter();
    pthread_mutex_lock(&H.lock);
    int64_t b = bucket_get(pcs + skip, (uint32_t)(n - skip), cls, h);
    if (b < 0) {
        H.dropped++;
        cprof__warn_once(WARN_TABLE, "heap bucket table full: some samples dropped");
    } else {
        struct cprof__heap_bucket *k = &H.buckets[b];
        struct cprof__heap_rec r = {
            .addr = (uintptr_t)p, .size = size, .bucket = (uint32_t)b, .weight = w};
        k->allocs++;
        k->est_allocs += w;
        k->est_alloc_bytes += w * (double)size;
        insert_locked(&r);
    }
    pthread_mutex_unlock(&H.lock);
    cprof__heap_leave();
}

void *cprof__heap_alloc_slow(void *p, size_t size)
{
    struct cprof__heap_tls *t = &cprof__heap_tls;
    int saved_errno = errno;

    if (t->guard)
        return p;
    t->objs++;
    if (!t->rng) {
        cprof__heap_enter();
        thread_start(t);
        cprof__heap_leave();
        if (size < (uint64_t)t->countdown) {
            t->countdown -= (int64_t)size;
            errno = saved_errno;
            return p;
        }
    }
    uint64_t since = (uint64_t)(t->drawn - t->countdown) + size;
    t->bytes += since;
    if (H.every) /* a shared line bouncing between cores: only when it is read */
        atomic_fetch_add_explicit(&H.alloc_bytes, since, memory_order_relaxed);
    t->countdown = t->drawn = draw(t);
    record(p, size);
    errno = saved_errno;
    return p;
}

bool cprof__heap_free_slow(void *p, struct cprof__heap_rec *out)
{
    int saved_errno = errno;
    int64_t slot;

    if (cprof__heap_tls.guard || UNLIKELY(in_vfork_child()))
        return false;
    cprof__heap_enter();
    pthread_mutex_lock(&H.lock);
    slot = addr_find((uintptr_t)p);
    if (slot >= 0) {
        *out = H.addrs[slot];
        addr_delete((uint32_t)slot);
        H.naddr--;
        filter_remove((uintptr_t)p);
        account_free_locked(out, 1);
    }
    pthread_mutex_unlock(&H.lock);
    cprof__heap_leave();
    errno = saved_errno;
    return slot >= 0;
}

void cprof__heap_unretire(const struct cprof__heap_rec *r)
{
    cprof__heap_enter();
    pthread_mutex_lock(&H.lock);
    account_free_locked(r, -1);
    insert_locked(r);
    pthread_mutex_unlock(&H.lock);
    cprof__heap_leave();
    cprof__heap_tls.frees--;
}

/* ---- profiles ---- */

struct snap {
    uint32_t n;                   /* buckets */
    struct cprof__heap_bucket *b; /* copies of their counters */
};

static int snapshot(struct snap *s)
{
    pthread_mutex_lock(&H.lock);
    s->n = H.nbuckets;
    s->b = aligned_alloc(_Alignof(struct cprof__heap_bucket), (s->n ? s->n : 1) * sizeof(*s->b));
    if (s->b)
        memcpy(s->b, H.buckets, s->n * sizeof(*s->b));
    pthread_mutex_unlock(&H.lock);
    return s->b ? 0 : -ENOMEM;
}

/* An estimate as a profile value: rounded, never negative (rounding residue). */
static int64_t value_of(double x)
{
    return x > 0.5 ? (int64_t)llround(x) : 0;
}

static int add_bucket(struct cprof_profile *p, const struct cprof__heap_bucket *k,
                      uint32_t bytes_key, bool leaks)
{
    uint32_t locs[MAX_DEPTH];
    int64_t v[4];
    /*
     * The average object size, as Go's blockSize (AllocBytes/AllocObjects)
     * is, here of the estimated objects (a sampled object's weight counts
     * the unsampled ones it stands for): exact for a class of one size.
     */
    int64_t size = k->est_allocs > 0 ? (int64_t)llround(k->est_alloc_bytes / k->est_allocs) : 0;
    struct cprof_label lab = {.key = bytes_key, .num = size};
    int err = 0;

    if (leaks ? k->allocs == k->frees : k->allocs == 0)
        return 0;
    v[0] = value_of(k->est_allocs);
    v[1] = value_of(k->est_alloc_bytes);
    if (k->allocs == k->frees) {
        v[2] = v[3] = 0; /* every sample freed: nothing in use, exactly */
    } else {
        v[2] = value_of(k->est_allocs - k->est_frees);
        v[3] = value_of(k->est_alloc_bytes - k->est_free_bytes);
    }
    for (uint32_t i = 0; i < k->nframes && !err; i++)
        err = cprof_profile_add_location(p, CPROF_NONE, H.frames[k->frames + i] - 1, NULL, 0, false,
                                         &locs[i]);
    if (!err)
        err = cprof_profile_add_sample(p, locs, k->nframes, v, size ? &lab : NULL, size ? 1 : 0,
                                       CPROF_ADD_MERGE);
    return err;
}

/* Builds a symbolized heap profile.  Caller owns *out.  Guard held. */
static int build_profile(unsigned kind, struct cprof_profile **out)
{
    struct snap s;
    struct cprof_profile *p;
    uint32_t bytes_key;
    char text[256];
    uint64_t samples = 0;
    int err;

    err = snapshot(&s);
    if (err)
        return err;
    p = cprof_profile_new();
    if (!p) {
        free(s.b);
        return -ENOMEM;
    }
    err = cprof_profile_add_sample_type(p, "alloc_objects", "count");
    if (!err)
        err = cprof_profile_add_sample_type(p, "alloc_space", "bytes");
    if (!err)
        err = cprof_profile_add_sample_type(p, "inuse_objects", "count");
    if (!err)
        err = cprof_profile_add_sample_type(p, "inuse_space", "bytes");
    if (!err)
        err = cprof_profile_intern_cstr(p, "space", &p->period_type.type);
    if (!err)
        err = cprof_profile_intern_cstr(p, "bytes", &p->period_type.unit);
    if (!err)
        err = cprof_profile_intern_cstr(
            p, (kind & CPROF_HEAP_ALLOCS) ? "alloc_space" : "inuse_space", &p->default_sample_type);
    if (!err)
        err = cprof_profile_intern_cstr(p, "bytes", &bytes_key);
    for (uint32_t i = 0; i < s.n; i++)
        samples += s.b[i].allocs;
    for (uint32_t i = 0; i < s.n && !err; i++)
        err = add_bucket(p, &s.b[i], bytes_key, kind & HEAP_LEAKS);
    free(s.b);
    p->period = H.rate;
    p->time_nanos = H.start_ns;
    p->duration_nanos = now_ns(CLOCK_MONOTONIC) - H.start_mono_ns;
    snprintf(text, sizeof(text),
             "cprof: heap rate=%" PRId64 " samples=%" PRIu64 " dropped=%" PRIu64 " buckets=%u%s",
             H.rate, samples, H.dropped, s.n, (kind & HEAP_LEAKS) ? " leaks-at-exit" : "");
    if (!err)
        err = cprof_profile_add_comment(p, text);
    if (err) {
        cprof_profile_free(p);
        return err;
    }
    *out = p;
    return 0;
}

static int write_kind(unsigned kind, int fd, const char *path)
{
    struct cprof_profile *p = NULL;
    int err;

    cprof__heap_enter();
    err = build_profile(kind, &p);
    if (!err)
        err = cprof__profile_write(p, fd, path);
    cprof_profile_free(p);
    cprof__heap_leave();
    return err;
}

int cprof__heap_profile(int flags, struct cprof_profile **out)
{
    int err;

    if (!atomic_load(&cprof__heap_on))
        return CPROF_EUSAGE;
    cprof__heap_enter();
    err = build_profile((unsigned)flags & CPROF_HEAP_ALLOCS, out);
    cprof__heap_leave();
    return err;
}

/* ---- leak report ---- */

static int cmp_inuse_desc(const void *a, const void *b)
{
    int64_t x = (*(const struct cprof_sample *const *)a)->values[3];
    int64_t y = (*(const struct cprof_sample *const *)b)->values[3];

    return x < y ? 1 : x > y ? -1 : 0;
}

static void print_frame(const char *who, const struct cprof_profile *p,
                        const struct cprof_location *l)
{
    if (!l->nlines) {
        cprof__warn("%s       0x%" PRIx64, who, l->address);
        return;
    }
    for (uint32_t i = 0; i < l->nlines; i++) {
        const struct cprof_function *f = &p->functions[l->lines[i].func];
        const char *file = cprof_profile_str(p, f->filename);
        const char *base = strrchr(file, '/');
        if (*file)
            cprof__warn("%s       %s %s:%" PRId64, who, cprof_profile_str(p, f->name),
                        base ? base + 1 : file, l->lines[i].line);
        else
            cprof__warn("%s       %s", who, cprof_profile_str(p, f->name));
    }
}

static int exit_signo; /* the signal the process is dying of, 0 = a normal exit */

void cprof__heap_exit_signal(int signo)
{
    exit_signo = signo;
}

/*
 * The leak report, each line prefixed with "[pid program]": the processes
 * of one run (a compiler driver and its children) share one stderr.
 */
static void leak_report(const struct cprof_profile *p)
{
    const struct cprof_sample **v = malloc((p->nsamples ? p->nsamples : 1) * sizeof(*v));
    int64_t objs = 0, bytes = 0;
    char who[96], when[48];

    if (!v)
        return;
    snprintf(who, sizeof(who), "[%ld %s]", (long)getpid(), program_invocation_short_name);
    if (exit_signo)
        snprintf(when, sizeof(when), "at SIG%s (live when killed)",
                 sigabbrev_np(exit_signo) ? sigabbrev_np(exit_signo) : "?");
    else
        snprintf(when, sizeof(when), "at exit");
    for (uint32_t i = 0; i < p->nsamples; i++) {
        v[i] = &p->samples[i];
        objs += p->samples[i].values[2];
        bytes += p->samples[i].values[3];
    }
    qsort(v, p->nsamples, sizeof(*v), cmp_inuse_desc);
    cprof__warn("%s leaks %s: %s%" PRId64 " bytes in %s%" PRId64 " objects from %zu stacks "
                "(sampling rate %" PRId64 ")",
                who, when, H.rate > 1 ? "~" : "", bytes, H.rate > 1 ? "~" : "", objs, p->nsamples,
                H.rate);
    for (uint32_t i = 0; i < p->nsamples && i < LEAK_REPORT_STACKS; i++) {
        const struct cprof_sample *s = v[i];
        int64_t size = s->nlabels ? s->labels[0].num : 0;
        cprof__warn("%s   %" PRId64 " bytes in %" PRId64 " objects of %" PRId64
                    " bytes, allocated at:",
                    who, s->values[3], s->values[2], size);
        for (uint32_t j = 0; j < s->nlocs && j < LEAK_REPORT_FRAMES; j++)
            print_frame(who, p, &p->locations[s->locs[j]]);
    }
    if (p->nsamples > LEAK_REPORT_STACKS)
        cprof__warn("%s   ... %zu more stacks", who, p->nsamples - LEAK_REPORT_STACKS);
    free(v);
}

static void leaks_at_exit(void)
{
    struct cprof_profile *p = NULL;
    int err;

    cprof__heap_enter();
    err = build_profile(HEAP_LEAKS, &p);
    if (!err)
        err = cprof__add_self_mappings(p);
    if (!err) {
        leak_report(p);
        if (H.leaks_file[0])
            err = cprof__profile_write(p, -1, H.leaks_file);
    }
    if (err)
        cprof__warn("cannot write the leak report: %s", cprof_strerror(err));
    cprof_profile_free(p);
    cprof__heap_leave();
}

/* ---- heap trace and periodic profiles (the heap's background thread) ---- */

static long rss_bytes(void)
{
    char buf[128];
    long pages = 0, rss = 0;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    if (sscanf(buf, "%ld %ld", &pages, &rss) != 2)
        return 0;
    return rss * sysconf(_SC_PAGESIZE);
}

static void totals(struct cprof__heap_totals *t)
{
    pthread_mutex_lock(&H.lock);
    t->objs = H.exited_objs;
    t->frees = H.exited_frees;
    t->bytes = H.exited_bytes;
    for (uint32_t i = 0; i < H.nthreads; i++) {
        const struct cprof__heap_tls *x = H.threads[i];
        int64_t drawn = __atomic_load_n(&x->drawn, __ATOMIC_RELAXED);
        /* A thread inside the guard keeps its countdown in stash. */
        int64_t left = __atomic_load_n(&x->guard, __ATOMIC_RELAXED)
                           ? __atomic_load_n(&x->stash, __ATOMIC_RELAXED)
                           : __atomic_load_n(&x->countdown, __ATOMIC_RELAXED);
        t->objs += __atomic_load_n(&x->objs, __ATOMIC_RELAXED);
        t->frees += __atomic_load_n(&x->guard, __ATOMIC_RELAXED)
                        ? __atomic_load_n(&x->stash_frees, __ATOMIC_RELAXED)
                        : __atomic_load_n(&x->frees, __ATOMIC_RELAXED);
        t->bytes += __atomic_load_n(&x->bytes, __ATOMIC_RELAXED);
        if (left > 0 && drawn >= left)
            t->bytes += (uint64_t)(drawn - left);
    }
    /* Summed here rather than kept per sample: one shared line less on every sample. */
    t->free_bytes = t->inuse_bytes = 0;
    for (uint32_t i = 0; i < H.nbuckets; i++) {
        t->free_bytes += H.buckets[i].est_free_bytes;
        t->inuse_bytes += H.buckets[i].est_alloc_bytes - H.buckets[i].est_free_bytes;
    }
    pthread_mutex_unlock(&H.lock);
}

#define MB(x) ((double)(x) / 1048576.0)

static void heap_trace_line(void)
{
    struct cprof__heap_totals t;
    int64_t now = now_ns(CLOCK_MONOTONIC);
    double dt = (double)(now - H.trace_last_ns) / 1e9;

    totals(&t);
    cprof__warn("heaptrace: %.3fs: +%.1f MB %" PRIu64 " obj, -%.1f MB %" PRIu64
                " obj, inuse %.1f MB %" PRId64 " obj, %.1f MB/s, rss %.1f MB",
                (double)(now - H.start_mono_ns) / 1e9, MB(t.bytes - H.trace_last.bytes),
                t.objs - H.trace_last.objs, MB(t.free_bytes - H.trace_last.free_bytes),
                t.frees - H.trace_last.frees, MB(t.inuse_bytes), (int64_t)(t.objs - t.frees),
                dt > 0 ? MB(t.bytes - H.trace_last.bytes) / dt : 0.0, MB(rss_bytes()));
    H.trace_last = t;
    H.trace_last_ns = now;
}

static void write_numbered(void)
{
    char path[sizeof(H.file) + 16];
    int err;

    snprintf(path, sizeof(path), "%s.%04u", H.file, ++H.seq);
    err = write_kind(0, -1, path);
    if (err)
        cprof__warn_once(WARN_WRITE, "cannot write heap profile '%s': %s", path,
                         cprof_strerror(err));
}

static void *bg_main(void *arg)
{
    int64_t next_trace, next_interval;
    uint64_t next_every = H.every;

    (void)arg;
    cprof__heap_ignore_thread();
    pthread_setname_np(pthread_self(), "cprof-heap"); /* cpu_blocked.c: not the program's */
    next_trace = H.start_mono_ns + H.trace_ms * 1000000;
    next_interval = H.start_mono_ns + H.interval_s * 1000000000;
    pthread_mutex_lock(&H.bg_lock);
    while (!H.bg_stop) {
        int64_t tick = H.every ? 10 : 1000;
        if (H.trace_ms && H.trace_ms < tick)
            tick = H.trace_ms;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t at = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + tick * 1000000;
        ts.tv_sec = (time_t)(at / 1000000000);
        ts.tv_nsec = (long)(at % 1000000000);
        pthread_cond_timedwait(&H.bg_wake, &H.bg_lock, &ts);
        if (H.bg_stop)
            break;
        int64_t now = now_ns(CLOCK_MONOTONIC);
        if (H.trace_ms && now >= next_trace) {
            heap_trace_line();
            next_trace += H.trace_ms * 1000000;
            if (next_trace < now)
                next_trace = now + H.trace_ms * 1000000;
        }
        if (H.interval_s && H.file[0] && now >= next_interval) {
            write_numbered();
            next_interval = now + H.interval_s * 1000000000;
        }
        uint64_t allocated = atomic_load_explicit(&H.alloc_bytes, memory_order_relaxed);
        if (H.every && H.file[0] && allocated >= next_every) {
            write_numbered();
            next_every = allocated + H.every;
        }
    }
    pthread_mutex_unlock(&H.bg_lock);
    return NULL;
}

static void start_bg(void)
{
    sigset_t all, old;
    int err;

    if (!H.trace_ms && !H.interval_s && !H.every)
        return;
    sigfillset(&all);
    cprof__real_sigmask(SIG_SETMASK, &all, &old); /* past sigown.c's filter: really all */
    err = cprof__real_pthread_create(&H.bg, NULL, bg_main, NULL);
    cprof__real_sigmask(SIG_SETMASK, &old, NULL);
    H.bg_started = err == 0;
    if (err)
        cprof__warn_once(WARN_BG, "cannot start the heap writer thread: %s", strerror(err));
}

static void stop_bg(void)
{
    if (!H.bg_started)
        return;
    pthread_mutex_lock(&H.bg_lock);
    H.bg_stop = true;
    pthread_cond_broadcast(&H.bg_wake);
    pthread_mutex_unlock(&H.bg_lock);
    pthread_join(H.bg, NULL);
    H.bg_started = false;
}

/* ---- start, configuration, exit ---- */

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t here = (uintptr_t)arg;

    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && here >= lo && here < hi) {
            H.self_lo = lo;
            H.self_hi = hi;
            return 1;
        }
    }
    return 0;
}

/*
 * (Re)initialises H.lock as an adaptive mutex: it is held for a few
 * hundred nanoseconds at a time, and two threads sampling at the default
 * rate collide on it thousands of times a second; spinning briefly
 * instead of sleeping at once avoids a futex system call per collision.
 */
static void init_lock(void)
{
    pthread_mutexattr_t a;

    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&H.lock, &a);
    pthread_mutexattr_destroy(&a);
}

/* Allocates the tables and turns sampling on.  Idempotent; not on the hot path. */
static int heap_start(int64_t rate)
{
    int err = 0;

    pthread_mutex_lock(&H.start_lock);
    if (atomic_load(&cprof__heap_on))
        goto out;
    cprof__heap_resolve();
    init_lock(); /* nobody takes it before sampling is on (fork handlers take start_lock first) */
    H.rate = rate > 0 ? rate : DEFAULT_RATE;
    H.pid = getpid();
    H.depth = cprof__rt->cfg.depth > 0 && cprof__rt->cfg.depth < MAX_DEPTH ? cprof__rt->cfg.depth
                                                                           : MAX_DEPTH;
    cprof__dl_iterate(find_self, (void *)(uintptr_t)find_self);
    H.buckets = map_region(sizeof(*H.buckets) * MAX_BUCKETS);
    H.frames = map_region(sizeof(*H.frames) * MAX_FRAMES);
    H.threads = map_region(sizeof(*H.threads) * MAX_TRACKED_THREADS);
    if (!H.buckets || !H.frames || !H.threads) {
        err = -ENOMEM;
        goto out;
    }
    H.key_ok = pthread_key_create(&H.key, thread_exit) == 0;
    H.start_ns = now_ns(CLOCK_REALTIME);
    H.start_mono_ns = H.trace_last_ns = now_ns(CLOCK_MONOTONIC);
    atomic_store_explicit(&cprof__heap_on, 1, memory_order_release);
    start_bg();
out:
    pthread_mutex_unlock(&H.start_lock);
    return err;
}

static int64_t env_i64(const char *name, int64_t def, int64_t lo, int64_t hi, bool *set)
{
    const char *s = getenv(name);
    char *end;
    long long v;

    if (set)
        *set = false;
    if (!s || !*s)
        return def;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        cprof__warn("ignoring %s='%s': want an integer in [%" PRId64 ", %" PRId64 "]", name, s, lo,
                    hi);
        return def;
    }
    if (set)
        *set = true;
    return v;
}

/* heaptrace=N in CPROF_DEBUG (comma-separated key=value settings). */
static int64_t debug_heaptrace(void)
{
    const char *s = getenv("CPROF_DEBUG"), *p;

    for (p = s; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (strncmp(p, "heaptrace=", 10) != 0)
            continue;
        long v = strtol(p + 10, NULL, 10);
        if (v > 0)
            return v;
        cprof__warn("ignoring CPROF_DEBUG heaptrace: want milliseconds > 0");
    }
    return 0;
}

/* FILE for the first profiled process, FILE.<pid> for its descendants. */
static void output_path(const char *file, char *out, size_t n)
{
    const char *owner = getenv("CPROF_HEAP_PID");
    char buf[32];

    if (owner && *owner && atol(owner) != (long)getpid()) {
        snprintf(out, n, "%s.%ld", file, (long)getpid());
        return;
    }
    snprintf(out, n, "%s", file);
    snprintf(buf, sizeof(buf), "%ld", (long)getpid());
    setenv("CPROF_HEAP_PID", buf, 1);
}

void cprof__heap_init(void)
{
    const char *file = getenv("CPROF_HEAP"), *leaks = getenv("CPROF_LEAKS");
    int64_t rate;
    int err;

    rate = env_i64("CPROF_MEMRATE", DEFAULT_RATE, 1, INT64_C(1) << 40, NULL);
    H.seed = (uint64_t)env_i64("CPROF_MEMSEED", 0, 0, INT64_MAX, &H.seed_set);
    H.interval_s = env_i64("CPROF_HEAP_INTERVAL", 0, 1, 86400 * 365, NULL);
    H.every = (uint64_t)env_i64("CPROF_HEAP_EVERY", 0, 1, INT64_MAX, NULL);
    H.trace_ms = debug_heaptrace();
    if (file && *file) {
        if (strlen(file) >= sizeof(H.base))
            cprof__warn("ignoring CPROF_HEAP: path too long");
        else {
            memcpy(H.base, file, strlen(file) + 1);
            output_path(file, H.file, sizeof(H.file));
        }
    }
    if (leaks && *leaks) {
        H.leaks = true;
        if (strcmp(leaks, "1") != 0 && strlen(leaks) < sizeof(H.leaks_file))
            snprintf(H.leaks_file, sizeof(H.leaks_file), "%s", leaks);
    }
    if (!H.file[0] && !H.leaks && !H.trace_ms)
        return;
    err = heap_start(rate);
    if (err)
        cprof__warn("cannot start the heap profiler: %s", cprof_strerror(err));
}

void cprof__heap_fini(void)
{
    int err;

    if (!atomic_load(&cprof__heap_on))
        return;
    stop_bg();
    if (H.trace_ms) {
        cprof__heap_enter();
        heap_trace_line();
        cprof__heap_leave();
    }
    if (H.file[0]) {
        err = write_kind(0, -1, H.file);
        if (err)
            cprof__warn("cannot write heap profile '%s': %s", H.file, cprof_strerror(err));
    }
    if (H.leaks)
        leaks_at_exit();
}

/* ---- fork ---- */

/* The guard stays on through fork: a signal handler that allocates meanwhile must not lock. */
void cprof__heap_fork_prepare(void)
{
    cprof__heap_enter();
    pthread_mutex_lock(&H.start_lock);
    pthread_mutex_lock(&H.lock);
}

void cprof__heap_fork_parent(void)
{
    pthread_mutex_unlock(&H.lock);
    pthread_mutex_unlock(&H.start_lock);
    cprof__heap_leave();
}

/*
 * The child keeps sampling with a consistent copy of the tables (the
 * prepare handler held the lock).  Its background thread is gone: no heap
 * trace and no periodic profiles in a forked child.
 */
void cprof__heap_fork_child(void)
{
    init_lock();
    pthread_mutex_init(&H.start_lock, NULL);
    pthread_mutex_init(&H.bg_lock, NULL);
    pthread_cond_init(&H.bg_wake, NULL);
    H.pid = getpid();
    H.bg_started = false;
    H.trace_ms = 0;
    /* Only the owner writes FILE; a forked child writes FILE.<pid>. */
    if (H.file[0])
        snprintf(H.file, sizeof(H.file), "%s.%ld", H.base, (long)H.pid);
    cprof__heap_leave();
}

/* ---- public API ---- */

CPROF_EXPORT int cprof_heap_start(long rate)
{
    if (rate < 0)
        return CPROF_EUSAGE;
    cprof__rt_ensure_init();
    cprof__heap_enter();
    int err = heap_start(rate);
    cprof__heap_leave();
    return err;
}

CPROF_EXPORT int cprof_heap_write(int fd, int flags)
{
    if (fd < 0 || (flags & ~CPROF_HEAP_ALLOCS))
        return CPROF_EUSAGE;
    if (!atomic_load(&cprof__heap_on))
        return CPROF_EUSAGE;
    return write_kind((unsigned)flags, fd, NULL);
}

/*
 * Exact counters for the benchmark harness's -benchmem: the heap trace's
 * totals, read under the lock.  No guard: entering it would stash the
 * calling thread's countdown, and its bytes since the last sample with it.
 */
CPROF_EXPORT int cprof_heap_counts(struct cprof_heap_counts *out)
{
    struct cprof__heap_totals t;

    if (!out || !atomic_load(&cprof__heap_on))
        return CPROF_EUSAGE;
    totals(&t);
    out->allocs = t.objs;
    out->bytes = t.bytes;
    out->frees = t.frees;
    return 0;
}
