/*
 * The handler side of owned signals (protocol in sigown_sig.h): reading
 * the program's recorded action, and calling the program's handler for a
 * delivery that is not the runtime's.  Nothing here allocates, locks or
 * touches dynamic TLS.
 */
#include "rt/sig/sigown_sig.h"

#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct cprof_sig_own g_own;
struct cprof_sig_own *const cprof__sig_own = &g_own;

#define READ_TRIES 1000 /* a writer holds the lock for a few stores */

bool cprof_sig_prog_read_sigsafe(int sig, struct cprof_sig_act *out)
{
    struct cprof_sig_prog *p;

    if (sig < 1 || sig > CPROF_SIG_MAX)
        return false;
    p = &g_own.prog[sig];
    for (int i = 0; i < READ_TRIES; i++) {
        uint32_t s1 = atomic_load_explicit(&p->seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        out->handler = atomic_load_explicit(&p->handler, memory_order_relaxed);
        out->flags = atomic_load_explicit(&p->flags, memory_order_relaxed);
        out->mask = atomic_load_explicit(&p->mask, memory_order_relaxed);
        out->restorer = atomic_load_explicit(&p->restorer, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&p->seq, memory_order_relaxed) == s1)
            return true;
    }
    /* A writer stuck on another CPU: its fields are still one action or the other. */
    out->handler = atomic_load_explicit(&p->handler, memory_order_relaxed);
    out->flags = atomic_load_explicit(&p->flags, memory_order_relaxed);
    out->mask = atomic_load_explicit(&p->mask, memory_order_relaxed);
    out->restorer = atomic_load_explicit(&p->restorer, memory_order_relaxed);
    return true;
}

static bool is_handler(uintptr_t h)
{
    return h != (uintptr_t)SIG_DFL && h != (uintptr_t)SIG_IGN;
}

bool cprof_sig_prog_has_handler_sigsafe(int sig)
{
    struct cprof_sig_act a;

    return cprof_sig_prog_read_sigsafe(sig, &a) && is_handler(a.handler);
}

/* SA_RESETHAND: the action becomes SIG_DFL before the handler runs. */
static void reset_hand_sigsafe(int sig, uintptr_t was)
{
    struct cprof_sig_prog *p = &g_own.prog[sig];
    uint32_t s = atomic_load(&p->seq);

    /* A writer at work (another thread) wins; never wait for it here. */
    if ((s & 1) || !atomic_compare_exchange_strong(&p->seq, &s, s + 1))
        return;
    if (atomic_load_explicit(&p->handler, memory_order_relaxed) == was) {
        atomic_store_explicit(&p->handler, (uintptr_t)SIG_DFL, memory_order_relaxed);
        atomic_store_explicit(&p->flags,
                              atomic_load_explicit(&p->flags, memory_order_relaxed) &
                                  ~(SA_SIGINFO | SA_RESETHAND),
                              memory_order_relaxed);
    }
    atomic_store_explicit(&p->seq, s + 2, memory_order_release);
}

static long sigmask_sigsafe(int how, const uint64_t *set, uint64_t *old)
{
    return syscall(SYS_rt_sigprocmask, how, set, old, sizeof(uint64_t));
}

bool cprof_sig_chain_sigsafe(int sig, siginfo_t *si, void *uc)
{
    struct cprof_sig_act a;
    uint64_t block, old = 0;

    if (!cprof_sig_prog_read_sigsafe(sig, &a) || !is_handler(a.handler))
        return false;
    if (a.flags & SA_RESETHAND)
        reset_hand_sigsafe(sig, a.handler);
    block = a.mask & ~atomic_load_explicit(&g_own.internal, memory_order_relaxed);
    if (!(a.flags & SA_NODEFER))
        block |= CPROF_SIG_BIT(sig);
    sigmask_sigsafe(SIG_BLOCK, &block, &old);
    if (a.flags & SA_NODEFER) {
        uint64_t self = CPROF_SIG_BIT(sig); /* the kernel blocked it for our handler */
        sigmask_sigsafe(SIG_UNBLOCK, &self, NULL);
    }
    if (a.flags & SA_SIGINFO)
        ((void (*)(int, siginfo_t *, void *))a.handler)(sig, si, uc);
    else
        ((void (*)(int))a.handler)(sig);
    sigmask_sigsafe(SIG_SETMASK, &old, NULL);
    return true;
}
