/*
 * The thread dump's signal handler (protocol in dump_sig.h).  Nothing here
 * allocates, locks or touches dynamic TLS.
 */
#include "rt/sig/dump_sig.h"

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "rt/sig/sigown_sig.h"
#include "rt/sig/unwind.h"

void cprof_dump_handler_sigsafe(int sig, siginfo_t *si, void *uc)
{
    struct cprof_dump_sig *d = cprof__dump_sig;
    int saved_errno = errno;
    pid_t tid = gettid();
    uint32_t n = atomic_load_explicit(&d->nslots, memory_order_acquire);

    if (!d->slots)
        goto program;
    for (uint32_t i = 0; i < n && i < CPROF_DUMP_MAX_THREADS; i++) {
        struct cprof_dump_slot *s = &d->slots[i];
        int want = CPROF_DUMP_PENDING;
        bool trunc = false;

        if (atomic_load_explicit(&s->tid, memory_order_relaxed) != tid)
            continue;
        if (!atomic_compare_exchange_strong(&s->state, &want, CPROF_DUMP_BUSY))
            break;
        s->depth = cprof_unwind_sigsafe(uc, s->pcs, CPROF_DUMP_MAX_DEPTH, &trunc);
        s->truncated = trunc;
        atomic_store_explicit(&s->state, CPROF_DUMP_DONE, memory_order_release);
        atomic_fetch_add_explicit(&d->answered, 1, memory_order_relaxed);
        goto out;
    }
program:
    /* No dump asked this thread: a late answer, or the program's own signal. */
    errno = saved_errno;
    if (!cprof_sig_chain_sigsafe(sig, si, uc))
        atomic_fetch_add_explicit(&d->late, 1, memory_order_relaxed);
    return;
out:
    errno = saved_errno;
}
