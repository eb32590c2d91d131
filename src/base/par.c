/*
 * Fork-join over a few threads (see par.h).
 */
#include "base/par.h"

#include <pthread.h>
#include <stdbool.h>

struct par_job {
    void (*fn)(void *ctx, int part);
    void *ctx;
    int part;
};

static void *par_thread(void *arg)
{
    struct par_job *j = arg;

    j->fn(j->ctx, j->part);
    return NULL;
}

void cprof_par_run(int nparts, void (*fn)(void *ctx, int part), void *ctx)
{
    struct par_job jobs[CPROF_PAR_MAX];
    pthread_t tid[CPROF_PAR_MAX];
    bool started[CPROF_PAR_MAX] = {false};

    if (nparts < 1)
        nparts = 1;
    if (nparts > CPROF_PAR_MAX)
        nparts = CPROF_PAR_MAX;
    for (int i = 1; i < nparts; i++) {
        jobs[i] = (struct par_job){fn, ctx, i};
        started[i] = pthread_create(&tid[i], NULL, par_thread, &jobs[i]) == 0;
    }
    fn(ctx, 0);
    for (int i = 1; i < nparts; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            fn(ctx, i);
    }
}

void cprof_par_range(size_t n, int nparts, int part, size_t *lo, size_t *hi)
{
    size_t k = nparts < 1 ? 1 : (size_t)nparts;

    *lo = n / k * (size_t)part + (n % k < (size_t)part ? n % k : (size_t)part);
    *hi = *lo + n / k + ((size_t)part < n % k);
}

int cprof_par_parts(size_t n, int nthreads, size_t min_items)
{
    size_t parts = nthreads < 1 ? 1 : (size_t)nthreads;

    if (parts > CPROF_PAR_MAX)
        parts = CPROF_PAR_MAX;
    if (min_items && n / min_items < parts)
        parts = n / min_items;
    return parts < 1 ? 1 : (int)parts;
}
