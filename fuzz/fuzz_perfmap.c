/*
 * Fuzz target for the perf map parser (cprof_perfmap_parse,
 * sym/funcstarts.h): entries are sorted, non-empty, named, and lookups
 * return a covering entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sym/funcstarts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cprof_perfmap m;

    if (cprof_perfmap_parse(&m, (const char *)data, size) != 0)
        return 0;
    for (size_t i = 0; i < m.n; i++) {
        const struct cprof_perfmap_ent *e = &m.v[i], *f;

        if (e->size == 0 || !e->name[0] || (i > 0 && e->start < m.v[i - 1].start))
            abort();
        f = cprof_perfmap_find(&m, e->start + e->size / 2);
        if (!f || e->start + e->size / 2 - f->start >= f->size)
            abort();
    }
    cprof_perfmap_release(&m);
    return 0;
}
