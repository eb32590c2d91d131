/*
 * DOT output (pprof's graph/dotgraph.go) and the node label tags it shows
 * as nodelets.
 */
#include "tool/report/report_int.h"

#include "base/err.h"

int cprof__rep_tags_add(struct rep *r, uint32_t node, const struct cprof_sample *s, int64_t w,
                        int64_t dw, bool flat);
int cprof__rep_tags_trim(struct rep *r, int64_t cutoff);
uint32_t cprof__rep_count_tags(const struct rep *r, uint32_t node);

int cprof__rep_tags_add(struct rep *r, uint32_t node, const struct cprof_sample *s, int64_t w,
                        int64_t dw, bool flat)
{
    (void)r, (void)node, (void)s, (void)w, (void)dw, (void)flat;
    return 0;
}

int cprof__rep_tags_trim(struct rep *r, int64_t cutoff)
{
    (void)r, (void)cutoff;
    return 0;
}

uint32_t cprof__rep_count_tags(const struct rep *r, uint32_t node)
{
    (void)r, (void)node;
    return 0;
}

int cprof__rep_dot(struct rep *r)
{
    return cprof_diag_set(r->diag, CPROF_EUSAGE, "dot: not implemented yet");
}
