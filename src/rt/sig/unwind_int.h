/*
 * Unwinder internals shared by the signal-safe walker (sig/unwind.c) and
 * the table builder (rt/unwind_tables.c): the compact unwind table format,
 * the published-table pointer with its reader count, and the per-thread
 * stack bounds.  Architecture-specific register access lives in
 * sig/unwind_arch.h.
 */
#ifndef CPROF_RT_SIG_UNWIND_INT_H
#define CPROF_RT_SIG_UNWIND_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* How the CFA (the caller's stack pointer) is computed for a row. */
enum cprof__unw_cfa {
    CPROF_UNW_CFA_NONE = 0, /* no FDE covers this address: frame-pointer fallback */
    CPROF_UNW_CFA_SP,       /* CFA = sp + cfa_off */
    CPROF_UNW_CFA_FP,       /* CFA = fp + cfa_off */
    CPROF_UNW_CFA_DEREF_SP, /* CFA = *(sp + cfa_off) (signal trampolines) */
    CPROF_UNW_CFA_DEREF_FP, /* CFA = *(fp + cfa_off) (stack-realigning prologues) */
    CPROF_UNW_CFA_PLT,      /* CFA = sp + cfa_off + (((pc & 15) >= aux) << 3) (lazy PLT) */
    CPROF_UNW_CFA_BX,       /* CFA = bx + cfa_off (x86-64 rbx: the dynamic linker's resolver) */
    CPROF_UNW_CFA_UNKNOWN,  /* an FDE exists but its rule is not supported: FP fallback */
};

/* Where the return address is. */
enum cprof__unw_ra {
    CPROF_UNW_RA_CFA = 0, /* at CFA + ra_off (x86-64: always -8) */
    CPROF_UNW_RA_SP,      /* at sp + ra_off (signal frame: the saved context's pc) */
    CPROF_UNW_RA_UNDEF,   /* undefined: outermost frame (_start, thread start) */
    CPROF_UNW_RA_UNKNOWN, /* unsupported rule: stop */
};

/* Where the caller's value of a tracked callee-saved register (fp, bx) is. */
enum cprof__unw_fp {
    CPROF_UNW_FP_SAME = 0, /* unchanged by this frame */
    CPROF_UNW_FP_CFA,      /* saved at CFA + off */
    CPROF_UNW_FP_SP,       /* saved at sp + off (signal frame) */
    CPROF_UNW_FP_UNKNOWN,  /* clobbered in a way we do not follow: caller's value unknown */
};

/*
 * One row: the rule from pc (inclusive) to the next row's pc.  20 bytes; a
 * row with cfa_rule NONE ends the coverage of the preceding FDE.  Two
 * callee-saved registers are tracked: the frame pointer (fp) and the one
 * the dynamic linker's resolver keeps its CFA in (bx).
 */
struct cprof__unw_row {
    uint32_t pc;      /* first covered address, as an offset from the object's lo */
    int32_t cfa_off;  /* see enum cprof__unw_cfa */
    int16_t ra_off;   /* see enum cprof__unw_ra */
    int16_t fp_off;   /* see enum cprof__unw_fp */
    int16_t bx_off;   /* see enum cprof__unw_fp */
    uint8_t cfa_rule; /* enum cprof__unw_cfa */
    uint8_t ra_rule;  /* enum cprof__unw_ra */
    uint8_t fp_rule;  /* enum cprof__unw_fp */
    uint8_t bx_rule;  /* enum cprof__unw_fp */
    uint8_t aux;      /* CFA_PLT: the threshold on (pc & 15) */
    uint8_t pad;      /* zero */
};

/* One loaded object with FDEs: its rows are rows[first, first + n). */
struct cprof__unw_object {
    uintptr_t lo; /* lowest address covered by an FDE */
    uintptr_t hi; /* one past the highest covered address */
    size_t first; /* index of its first row in the table's rows */
    size_t n;     /* number of rows, >= 1 */
    size_t page0; /* index in the table's pages of this object's entry for page 0 */
};

/*
 * Bucket index, so a lookup binary-searches a few rows, not all of an
 * object's: for bucket k (256 bytes from the object's lo) pages[page0 + k] is
 * the object-relative index of the last row starting at or before the
 * page's start; entries exist for k = 0 .. ((hi - lo) >> 12) + 1.
 */
#define CPROF_UNW_PAGE_SHIFT 8

/*
 * Lookup cache, shared by all threads, direct-mapped by the low bits of the
 * PC looked up.  One entry is one 64-bit word, (pc >> 12) << 29 | row
 * index (CPROF_UNW_CACHE_NOROW: not covered), written and read with relaxed
 * atomics, so a racing writer can never produce a torn, wrong entry; 0 is
 * empty.  It lives in the table, so a new table starts cold.
 */
#define CPROF_UNW_CACHE_SIZE    4096 /* entries; index = pc & (size - 1) */
#define CPROF_UNW_CACHE_ROWBITS 29
#define CPROF_UNW_CACHE_NOROW   ((1u << CPROF_UNW_CACHE_ROWBITS) - 1)

/*
 * An immutable, published table: objects sorted by lo, non-overlapping.
 * All memory is mmap'd; map/map_len describe each mapping to release.
 */
struct cprof__unw_table {
    const struct cprof__unw_object *objs;
    size_t nobjs;
    const struct cprof__unw_row *rows;
    size_t nrows;
    const uint32_t *pages; /* see CPROF_UNW_PAGE_SHIFT */
    size_t npages;
    _Atomic uint64_t *cache;               /* CPROF_UNW_CACHE_SIZE lookup results */
    struct cprof__unw_table *retired_next; /* builder's list of replaced tables */
    void *maps[4];                         /* objs, rows, pages and cache mappings */
    size_t map_lens[4];
};

/*
 * The published table (NULL before cprof_unwind_init) and the number of
 * walks in progress.  Readers increment cprof__unw_readers before loading
 * the pointer and decrement it when done; the builder swaps the pointer
 * first and frees a replaced table only after it has seen the count at
 * zero (both sides use sequentially consistent atomics, so a reader that
 * the builder did not count loads the new pointer).
 */
extern _Atomic(struct cprof__unw_table *) cprof__unw_current;
extern atomic_uint cprof__unw_readers;

/* The calling thread's stack bounds, [lo, hi); both 0 when unknown. */
struct cprof__unw_stack {
    uintptr_t lo;
    uintptr_t hi;
};

/*
 * Initial-exec TLS: reading it never allocates, so the handler may touch it
 * even in a thread that never called cprof_unwind_thread_init (it reads 0).
 */
extern __thread struct cprof__unw_stack cprof__unw_stack __attribute__((tls_model("initial-exec")));

#endif /* CPROF_RT_SIG_UNWIND_INT_H */
