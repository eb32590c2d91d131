/*
 * The report engine's entry point (report.h): a report is its options
 * settled from the kinds table (report/kinds.c), the sample value chosen
 * (select.c), the working copy of the stacks filtered (focus.c), the
 * graph's nodes made (graph.c), and the kind's writer, which builds and
 * trims the graph or call tree it needs (trim.c) and prints it.
 */
#include "tool/report/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/par.h"
#include "model/filter.h"
#include "model/profile.h"

/* ---- entry point ---------------------------------------------------------------- */

static void rep_release(struct rep *r)
{
    free(r->lfunc);
    free(r->lline);
    free(r->locnode);
    free(r->loc_first);
    free(r->loc_n);
    free(r->stk);
    free(r->s_first);
    free(r->s_n);
    free(r->samples);
    free(r->key_hidden);
    free(r->fname_id);
    free(r->ffile_id);
    free(r->map_id);
    free(r->nodes);
    free(r->node_slots);
    free(r->edges);
    free(r->edge_slots);
    free(r->adj_in);
    free(r->adj_out);
    free(r->order);
    free(r->tags);
    free(r->tag_slots);
    free(r->tree_slots);
    free(r->path);
    cprof__rep_strs_release(&r->strs);
    cprof_arena_release(&r->arena);
}

int cprof_report_run(const struct cprof_profile *p, enum cprof_report_kind kind,
                     const struct cprof_report_opts *o, FILE *out, struct cprof_diag *diag)
{
    const struct rep_kind *k = cprof__rep_kind(kind);
    struct rep r;
    int err;

    memset(&r, 0, sizeof(r));
    r.p = p;
    r.o = o;
    r.kind = kind;
    r.out = out;
    r.diag = diag;
    cprof_arena_init(&r.arena);
    cprof_arena_init(&r.strs.arena);
    if (!k) {
        err = cprof_diag_set(diag, CPROF_EUSAGE, "unexpected output format");
        goto out;
    }
    cprof__rep_apply_kind(&r, k);
    if (k->regexp && !(o->symbol && *o->symbol)) {
        err = cprof_diag_set(diag, CPROF_EUSAGE, "this report needs a regexp argument");
        goto out;
    }
    /* The caller pruned the profile by its drop_frames (RemoveUninteresting) already. */
    if ((err = cprof__rep_select_sample(&r)) || (err = cprof__rep_working_copy(&r)))
        goto out;
    if (!o->relative_percentages)
        cprof__rep_compute_total(&r);
    if ((err = cprof__rep_apply_focus(&r)))
        goto out;
    if (o->relative_percentages)
        cprof__rep_compute_total(&r);
    if ((err = cprof__rep_create_nodes(&r)))
        goto out;
    r.order = malloc((r.nnodes + 1) * sizeof(*r.order));
    if (!r.order) {
        err = cprof_diag_set(diag, -ENOMEM, "out of memory");
        goto out;
    }
    err = k->write(&r);
    if (!err && (fflush(out) || ferror(out)))
        err = cprof_diag_set(diag, -EIO, "write error");
out:
    rep_release(&r);
    return err;
}
