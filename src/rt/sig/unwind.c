/*
 * The signal-safe stack walk.  Per frame: look the PC up in the published
 * CFI table (binary search over objects, then rows); if a row covers it,
 * compute the CFA and read the return address and the saved frame pointer;
 * otherwise follow the frame-pointer chain.  Every read is validated first:
 * against the thread's stack bounds when the walk starts on the thread's
 * stack, else (unknown thread, alternate signal stack) by asking the kernel
 * (process_vm_readv) whether the page is readable, so a bad frame ends the
 * walk instead of faulting.  A copy walk (another thread's stack, copied
 * by the thread dump) reads only the copy, bounded by it, and looks for
 * frame records where the unknown frame pointer is needed.  Tables are
 * built outside signal context by rt/unwind_tables.c.
 */
#include "rt/sig/unwind.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rt/sig/unwind_arch.h"
#include "rt/sig/unwind_int.h"

_Atomic(struct cprof__unw_table *) cprof__unw_current;
atomic_uint cprof__unw_readers;
__thread struct cprof__unw_stack cprof__unw_stack __attribute__((tls_model("initial-exec")));

#define PAGE_MASK_  (~(uintptr_t)4095)
#define PROBE_CACHE 8

/* The memory a walk may read. */
struct mem {
    uintptr_t lo, hi;             /* strict mode: reads must lie in [lo, hi) */
    uintptr_t span;               /* strict mode: hi - lo - 8, the largest valid addr - lo */
    uintptr_t delta;              /* strict mode: a slot at addr is read at addr + delta */
    uintptr_t stack_lo, stack_hi; /* the stack a walk starts on: [lo, hi); 0, 0 if unknown */
    bool copy;                    /* the stack is a copy (another thread's): fp unknown */
    bool regs_known;              /* copy walks: fp and bx were sampled, never guess them */
    pid_t code_pid;               /* process whose code call_before reads; 0 = ours */
    bool probe;                   /* probe mode: validate pages with a syscall */
    pid_t pid;                    /* probe mode: our pid, 0 until needed */
    uintptr_t pages[PROBE_CACHE]; /* probe mode: pages known readable */
    unsigned npages;              /* entries used in pages (round robin past the end) */
};

static void mem_init(struct mem *m, uintptr_t sp)
{
    uintptr_t lo = m->stack_lo, hi = m->stack_hi;

    /* Nothing a walk needs lies below the interrupted sp. */
    m->probe = !(lo < hi && sp >= lo && sp < hi);
    m->lo = sp;
    m->hi = hi;
    if (!m->probe && hi - sp < sizeof(uintptr_t))
        m->probe = true;
    m->span = m->probe ? 0 : hi - sp - sizeof(uintptr_t);
    m->pid = 0;
    m->npages = 0;
}

/*
 * The walk reads other functions' frames by design; ASan's redzones there
 * are not our bugs, and every read is validated first.
 */
#define NO_ASAN __attribute__((no_sanitize("address")))

NO_ASAN static bool probe_read(struct mem *m, uintptr_t addr, uintptr_t *out)
{
    uintptr_t page = addr & PAGE_MASK_;
    struct iovec local = {out, sizeof(*out)}, remote = {(void *)addr, sizeof(*out)};

    for (unsigned i = 0; i < m->npages && i < PROBE_CACHE; i++)
        if (m->pages[i] == page) {
            *out = *(const volatile uintptr_t *)addr;
            return true;
        }
    if (m->copy)
        return false; /* outside the copy of another thread's stack */
    if (!m->pid)
        m->pid = (pid_t)syscall(SYS_getpid);
    /* Reads through the kernel: an unmapped or PROT_NONE page gives EFAULT. */
    if (syscall(SYS_process_vm_readv, m->pid, &local, 1UL, &remote, 1UL, 0UL) != (long)sizeof(*out))
        return false;
    m->pages[m->npages++ % PROBE_CACHE] = page;
    return true;
}

/* Reads the stack slot at addr into *out; false when addr is not valid. */
NO_ASAN static inline bool mem_read(struct mem *m, uintptr_t addr, uintptr_t *out)
{
    if (addr & (sizeof(uintptr_t) - 1))
        return false;
    if (m->probe)
        return addr != 0 && probe_read(m, addr, out);
    if (addr - m->lo > m->span) /* one compare: below lo wraps around */
        return false;
    *out = *(const uintptr_t *)(addr + m->delta);
    return true;
}

/* The loaded object whose FDEs cover pc, or NULL. */
static const struct cprof__unw_object *object_of(const struct cprof__unw_table *t, uintptr_t pc)
{
    size_t lo = 0, hi = t->nobjs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->objs[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo && pc < t->objs[lo - 1].hi ? &t->objs[lo - 1] : NULL;
}

/* The row covering pc, or NULL when no FDE covers it: the search proper. */
static const struct cprof__unw_row *search(const struct cprof__unw_table *t, uintptr_t pc)
{
    const struct cprof__unw_object *o = object_of(t, pc);
    size_t lo, hi;

    if (!o || o->first >= t->nrows || o->n > t->nrows - o->first)
        return NULL;
    const struct cprof__unw_row *rows = t->rows + o->first;
    uint32_t off = (uint32_t)(pc - o->lo);
    size_t page = o->page0 + (off >> CPROF_UNW_PAGE_SHIFT);
    if (page + 1 >= t->npages)
        return NULL;
    lo = t->pages[page];
    hi = (size_t)t->pages[page + 1] + 1;
    if (hi > o->n || lo >= hi)
        return NULL;
    /* The answer is in [lo, hi): find the first row past off, then step back. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rows[mid].pc <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || rows[lo - 1].cfa_rule == CPROF_UNW_CFA_NONE)
        return NULL;
    return &rows[lo - 1];
}

/* The row covering pc, or NULL, through the table's lookup cache. */
static inline const struct cprof__unw_row *lookup(const struct cprof__unw_table *t, uintptr_t pc)
{
    _Atomic uint64_t *slot = &t->cache[pc & (CPROF_UNW_CACHE_SIZE - 1)];
    uint64_t tag = (uint64_t)(pc >> 12), e;
    const struct cprof__unw_row *row;

    /* User-space PCs are below 2^47: the tag fits its 35 bits. */
    if (pc >> 47 || !t->cache)
        return search(t, pc);
    e = atomic_load_explicit(slot, memory_order_relaxed);
    if (e && e >> CPROF_UNW_CACHE_ROWBITS == tag) {
        uint32_t idx = (uint32_t)(e & CPROF_UNW_CACHE_NOROW);
        return idx < t->nrows ? &t->rows[idx] : NULL;
    }
    row = search(t, pc);
    e = tag << CPROF_UNW_CACHE_ROWBITS | (row ? (uint64_t)(row - t->rows) : CPROF_UNW_CACHE_NOROW);
    atomic_store_explicit(slot, e, memory_order_relaxed);
    return row;
}

enum step_result { STEP_OK, STEP_SIGFRAME, STEP_STOP };

/* The frame-pointer rule, for code no table covers. */
static enum step_result step_fp(struct mem *m, const struct cprof__unw_regs *r,
                                struct cprof__unw_regs *next)
{
    if (r->fp < r->sp)
        return STEP_STOP;
    if (!mem_read(m, r->fp + CPROF_UNW_FP_RA_OFF, &next->pc) ||
        !mem_read(m, r->fp + CPROF_UNW_FP_NEXT_OFF, &next->fp))
        return STEP_STOP;
    next->bx = r->bx; /* callee-saved: right unless this frame saved it, then unused */
    next->sp = r->fp + CPROF_UNW_FP_SP_OFF;
    return STEP_OK;
}

static bool row_cfa(struct mem *m, const struct cprof__unw_row *row,
                    const struct cprof__unw_regs *r, uintptr_t *cfa)
{
    switch (row->cfa_rule) {
    case CPROF_UNW_CFA_SP: *cfa = r->sp + (uintptr_t)(intptr_t)row->cfa_off; return true;
    case CPROF_UNW_CFA_FP: *cfa = r->fp + (uintptr_t)(intptr_t)row->cfa_off; return true;
    case CPROF_UNW_CFA_DEREF_SP: return mem_read(m, r->sp + (uintptr_t)(intptr_t)row->cfa_off, cfa);
    case CPROF_UNW_CFA_DEREF_FP: return mem_read(m, r->fp + (uintptr_t)(intptr_t)row->cfa_off, cfa);
    case CPROF_UNW_CFA_BX: *cfa = r->bx + (uintptr_t)(intptr_t)row->cfa_off; return r->bx != 0;
    case CPROF_UNW_CFA_PLT:
        *cfa = r->sp + (uintptr_t)(intptr_t)row->cfa_off + ((r->pc & 15) >= row->aux ? 8 : 0);
        return true;
    default: return false;
    }
}

/* The caller's value of a tracked callee-saved register; 0 when unknown. */
static inline __attribute__((always_inline)) uintptr_t
restore_reg(struct mem *m, uint8_t rule, int16_t off, uintptr_t cfa, uintptr_t sp, uintptr_t cur)
{
    uintptr_t slot, v;

    switch (rule) {
    case CPROF_UNW_FP_SAME: return cur;
    case CPROF_UNW_FP_CFA:
        slot = cfa + (uintptr_t)(intptr_t)off;
        /*
         * Epilogues pop registers before the CFI says so (glibc emits no
         * DW_CFA_restore): a slot below sp was popped already, and may be
         * overwritten by the signal frame, so the register holds the value.
         */
        if (slot < sp)
            return cur;
        return mem_read(m, slot, &v) ? v : 0;
    case CPROF_UNW_FP_SP: return mem_read(m, sp + (uintptr_t)(intptr_t)off, &v) ? v : 0;
    default: return 0;
    }
}

/*
 * Reads n bytes of code at addr of process pid (0: ours) through the
 * kernel: unmapped code (dlclose) gives false.
 */
static bool read_code(pid_t pid, uintptr_t addr, void *out, size_t n)
{
    struct iovec local = {out, n}, remote = {(void *)addr, n};

    if (!pid)
        pid = (pid_t)syscall(SYS_getpid);
    return syscall(SYS_process_vm_readv, pid, &local, 1UL, &remote, 1UL, 0UL) == (long)n;
}

static int32_t rel32(const uint8_t *b)
{
    return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                     (uint32_t)b[3] << 24);
}

/* Follows a PLT entry (jmp *GOT(%rip), with endbr64 / bnd prefixes) to its target. */
static uintptr_t through_plt(pid_t pid, uintptr_t target)
{
    uint8_t b[11];
    uintptr_t at = target, got, dest;
    size_t o = 0;

    if (!read_code(pid, target, b, sizeof(b)))
        return target;
    if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa) /* endbr64 */
        o = 4;
    if (b[o] == 0xf2) /* bnd */
        o++;
    if (o + 6 > sizeof(b) || b[o] != 0xff || b[o + 1] != 0x25)
        return target;
    at = target + o + 6;
    got = at + (uintptr_t)(intptr_t)rel32(&b[o + 2]);
    return read_code(pid, got, &dest, sizeof(dest)) ? dest : target;
}

/*
 * Whether ra follows an x86-64 call instruction: 0 no, 1 yes (target not
 * known: indirect), 2 yes, and *target is the called function (direct
 * calls, through a PLT entry, and calls through a GOT slot).
 */
static int call_before(pid_t pid, uintptr_t ra, uintptr_t *target)
{
    uint8_t b[8];

    if (!read_code(pid, ra - sizeof(b), b, sizeof(b)))
        return 0;
    if (b[3] == 0xe8) { /* call rel32 */
        *target = through_plt(pid, ra + (uintptr_t)(intptr_t)rel32(&b[4]));
        return 2;
    }
    if (b[2] == 0xff && b[3] == 0x15) { /* call *rel32(%rip): -fno-plt */
        uintptr_t slot = ra + (uintptr_t)(intptr_t)rel32(&b[4]);
        return read_code(pid, slot, target, sizeof(*target)) ? 2 : 1;
    }
    if (b[6] == 0xff && (b[7] & 0xf8) == 0xd0) /* call *%reg */
        return 1;
    if (b[5] >= 0x40 && b[5] <= 0x4f && b[6] == 0xff && (b[7] & 0xf8) == 0xd0) /* call *%r8.. */
        return 1;
    if (b[5] == 0xff && (b[6] & 0xf8) == 0x50) /* call *disp8(%reg) */
        return 1;
    if (b[2] == 0xff && (b[3] & 0xf8) == 0x90) /* call *disp32(%reg) */
        return 1;
    return 0;
}

/*
 * Copy walks only: the frame pointer of a frame at pc (its lookup pc)
 * whose rule needs it when its value is unknown (another thread's
 * registers other than sp and pc are not known).  Looks from sp upward (up
 * to 4 KiB) for the frame record, whose [X + 8] is a return address into
 * covered code just after a call instruction (function pointers and data
 * do not pass).  Stale records of earlier calls lie there too: a record
 * whose call provably targets code of pc's object within NEAR_CALL of pc
 * (a call of pc's function, or of a wrapper that tail-calls it, as ASan's
 * interceptors do) is taken at once; else the first record that merely
 * follows a call (an indirect call, as start_thread's).  The
 * caller's saved frame pointer [X] is not checked: code without frame
 * pointers keeps any value in that register.  0 when none.
 */
#define NEAR_CALL (64u << 10) /* a call to code this close to pc calls pc's function */

static uintptr_t find_frame_record(const struct cprof__unw_table *t, struct mem *m, uintptr_t sp,
                                   uintptr_t pc)
{
    uintptr_t x = (sp + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
    const struct cprof__unw_object *o = t ? object_of(t, pc) : NULL;
    uintptr_t weak = 0;

    for (int i = 0; t && i < 512; i++, x += sizeof(uintptr_t)) {
        uintptr_t ra, target = 0;
        int kind;
        if (!mem_read(m, x + CPROF_UNW_FP_RA_OFF, &ra))
            break;
        if (ra <= 8 || !lookup(t, ra - 1) || (kind = call_before(m->code_pid, ra, &target)) == 0)
            continue;
        if (kind == 2 && o && (target <= pc ? pc - target : target - pc) < NEAR_CALL &&
            object_of(t, target) == o)
            return x;
        if (!weak)
            weak = x;
    }
    return weak;
}

/*
 * Computes the caller's registers.  lookup_pc is the address whose row
 * applies (pc, or pc - 1 for a return address).
 */
static enum step_result step(const struct cprof__unw_table *t, struct mem *m,
                             const struct cprof__unw_regs *r, uintptr_t lookup_pc,
                             struct cprof__unw_regs *next)
{
    const struct cprof__unw_row *row = t ? lookup(t, lookup_pc) : NULL;
    struct cprof__unw_regs guessed;
    uintptr_t cfa;

    if (m->copy && !m->regs_known && r->fp == 0 &&
        (!row || row->cfa_rule == CPROF_UNW_CFA_UNKNOWN || row->cfa_rule == CPROF_UNW_CFA_FP ||
         row->cfa_rule == CPROF_UNW_CFA_DEREF_FP)) {
        guessed = *r;
        guessed.fp = find_frame_record(t, m, r->sp, lookup_pc);
        r = &guessed;
    }
    if (!row || row->cfa_rule == CPROF_UNW_CFA_UNKNOWN)
        return step_fp(m, r, next);
    if (!row_cfa(m, row, r, &cfa))
        return STEP_STOP;
    switch (row->ra_rule) {
    case CPROF_UNW_RA_CFA:
        if (!mem_read(m, cfa + (uintptr_t)(intptr_t)row->ra_off, &next->pc))
            return STEP_STOP;
        break;
    case CPROF_UNW_RA_SP:
        if (!mem_read(m, r->sp + (uintptr_t)(intptr_t)row->ra_off, &next->pc))
            return STEP_STOP;
        break;
    default: return STEP_STOP;
    }
    next->fp = restore_reg(m, row->fp_rule, row->fp_off, cfa, r->sp, r->fp);
    next->bx = restore_reg(m, row->bx_rule, row->bx_off, cfa, r->sp, r->bx);
    next->sp = cfa;
    return row->ra_rule == CPROF_UNW_RA_SP ? STEP_SIGFRAME : STEP_OK;
}

/*
 * The walk proper.  exact: r->pc is an interrupted PC (frame 0 of a
 * signal), not a return address.  base: the stack's bounds, and how its
 * slots are read (see struct mem).
 */
static int walk(const struct cprof__unw_table *t, struct cprof__unw_regs r, bool exact,
                const struct mem *base, uintptr_t *pcs, int max, bool *truncated)
{
    struct mem m = *base;
    int n = 0;

    *truncated = false;
    if (max <= 0 || r.pc == 0)
        return 0;
    mem_init(&m, r.sp);
    for (;;) {
        struct cprof__unw_regs next;
        enum step_result res;

        pcs[n++] = r.pc;
        res = step(t, &m, &r, exact ? r.pc : r.pc - 1, &next);
        if (res == STEP_STOP || next.pc == 0)
            break;
        if (res == STEP_SIGFRAME) {
            /* The saved context may be on another stack (sigaltstack). */
            mem_init(&m, next.sp);
            exact = true;
        } else {
            if (next.sp <= r.sp)
                break;
            exact = false;
        }
        if (n == max) {
            *truncated = true;
            break;
        }
        r = next;
    }
    return n;
}

/* Runs walk() as a counted reader of the published table. */
static int walk_published(struct cprof__unw_regs r, bool exact, const struct mem *base,
                          uintptr_t *pcs, int max, bool *truncated)
{
    int saved_errno = errno;
    int n;

    atomic_fetch_add(&cprof__unw_readers, 1);
    n = walk(atomic_load(&cprof__unw_current), r, exact, base, pcs, max, truncated);
    atomic_fetch_sub(&cprof__unw_readers, 1);
    errno = saved_errno;
    return n;
}

int cprof_unwind_sigsafe(const void *ucontext, uintptr_t *pcs, int max, bool *truncated)
{
    struct cprof__unw_regs r;

    struct mem base = {.stack_lo = cprof__unw_stack.lo, .stack_hi = cprof__unw_stack.hi};

    CPROF_UNW_REGS_FROM_UCONTEXT(&r, ucontext);
    return walk_published(r, true, &base, pcs, max, truncated);
}

__attribute__((noinline)) int cprof_unwind_here_sigsafe(uintptr_t *pcs, int max, bool *truncated)
{
    struct cprof__unw_regs r;

    struct mem base = {.stack_lo = cprof__unw_stack.lo, .stack_hi = cprof__unw_stack.hi};

    CPROF_UNW_REGS_CALLER(&r);
    return walk_published(r, false, &base, pcs, max, truncated);
}

int cprof_unwind_copy_sigsafe(uintptr_t pc, uintptr_t sp, const void *copy, uintptr_t lo,
                              uintptr_t hi, uintptr_t *pcs, int max, bool *truncated)
{
    struct cprof__unw_regs r = {.pc = pc, .sp = sp, .fp = 0, .bx = 0};
    struct mem base = {.stack_lo = lo, .stack_hi = hi, .delta = (uintptr_t)copy - lo, .copy = true};

    *truncated = false;
    if (!copy || lo >= hi)
        return 0;
    return walk_published(r, true, &base, pcs, max, truncated);
}

bool cprof_unwind_covers_sigsafe(uintptr_t pc)
{
    const struct cprof__unw_table *t;
    bool found;

    atomic_fetch_add(&cprof__unw_readers, 1);
    t = atomic_load(&cprof__unw_current);
    found = t && lookup(t, pc) != NULL;
    atomic_fetch_sub(&cprof__unw_readers, 1);
    return found;
}

int cprof_unwind_remote_sigsafe(const struct cprof__unw_table *t,
                                const struct cprof_unwind_remote *rr, uintptr_t *pcs, int max,
                                bool *truncated)
{
    struct cprof__unw_regs r = {.pc = rr->pc, .sp = rr->sp};
    struct mem base = {.stack_lo = rr->lo,
                       .stack_hi = rr->hi,
                       .delta = (uintptr_t)rr->copy - rr->lo,
                       .copy = true,
                       .regs_known = rr->regs_known,
                       .code_pid = (pid_t)rr->pid};

    *truncated = false;
    if (!rr->copy || rr->lo >= rr->hi)
        return 0;
    if (rr->regs_known) {
        r.fp = rr->fp;
        r.bx = rr->bx;
    }
    return walk(t, r, true, &base, pcs, max, truncated);
}
