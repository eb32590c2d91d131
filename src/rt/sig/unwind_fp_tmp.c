/*
 * TEMPORARY frame-pointer-only unwinder, so the CPU sampler can be tested
 * before the real unwinder (branch `unw`) lands.  Delete at merge.
 * Walks rbp chains, bounded by the thread's stack range recorded by
 * cprof_unwind_thread_init(); threads without a range get only their pc.
 */
#include "rt/sig/unwind.h"

#include <errno.h>
#include <ucontext.h>

struct stack_range {
    uintptr_t lo, hi;
};

static __thread struct stack_range tls_stack __attribute__((tls_model("initial-exec")));

static int walk(uintptr_t pc, uintptr_t fp, uintptr_t sp, uintptr_t *pcs, int max, bool *truncated)
{
    int n = 0;
    uintptr_t lo = tls_stack.lo, hi = tls_stack.hi;

    *truncated = false;
    if (max <= 0)
        return 0;
    pcs[n++] = pc;
    if (lo == 0 || sp < lo || sp >= hi)
        return n;
    while (fp >= sp && fp + 16 <= hi && (fp & 7) == 0) {
        const uintptr_t *f = (const uintptr_t *)fp;
        if (n >= max) {
            *truncated = true;
            break;
        }
        if (f[1] == 0)
            break;
        pcs[n++] = f[1];
        if (f[0] <= fp)
            break;
        sp = fp;
        fp = f[0];
    }
    return n;
}

int cprof_unwind_sigsafe(const void *ucontext, uintptr_t *pcs, int max, bool *truncated)
{
    int saved = errno;
    const ucontext_t *uc = ucontext;
    int n = walk((uintptr_t)uc->uc_mcontext.gregs[REG_RIP], (uintptr_t)uc->uc_mcontext.gregs[REG_RBP],
                 (uintptr_t)uc->uc_mcontext.gregs[REG_RSP], pcs, max, truncated);
    errno = saved;
    return n;
}

int cprof_unwind_here_sigsafe(uintptr_t *pcs, int max, bool *truncated)
{
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    return walk((uintptr_t)__builtin_return_address(0), fp, fp, pcs, max, truncated);
}

int cprof_unwind_init(void)
{
    return 0;
}

void cprof_unwind_refresh(void)
{
}

void cprof__unwind_tmp_set_range(uintptr_t lo, uintptr_t hi);

void cprof__unwind_tmp_set_range(uintptr_t lo, uintptr_t hi)
{
    tls_stack.lo = lo;
    tls_stack.hi = hi;
}
