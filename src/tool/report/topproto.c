/*
 * The topproto report (pprof's printTopProto): the nodes of the top table
 * as a profile with sample types cum and flat in the output unit, one
 * location and one sample per node, written gzipped.
 */
#include "tool/report/report_int.h"

#include <errno.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/codec.h"
#include "model/profile.h"

/* Copies the header fields pprof keeps: period, time, duration. */
static int header(struct rep *r, struct cprof_profile *out)
{
    const struct cprof_profile *p = r->p;
    int rc;

    if ((rc = cprof_profile_add_sample_type(out, "cum", r->out_unit)) ||
        (rc = cprof_profile_add_sample_type(out, "flat", r->out_unit)) ||
        (rc = cprof_profile_intern_cstr(out, cprof__rep_str(r, p->period_type.type),
                                        &out->period_type.type)) ||
        (rc = cprof_profile_intern_cstr(out, cprof__rep_str(r, p->period_type.unit),
                                        &out->period_type.unit)))
        return rc;
    out->time_nanos = p->time_nanos;
    out->duration_nanos = p->duration_nanos;
    out->period = p->period;
    return 0;
}

static int node(struct rep *r, struct cprof_profile *out, const struct rep_node *n)
{
    struct cprof_function f = {0};
    struct cprof_line line = {0};
    const char *unit;
    int64_t v[2];
    uint32_t loc;
    int rc;

    /* pprof fills SystemName from OrigName, which its reports leave empty. */
    if ((rc = cprof_profile_intern_cstr(out, r->strs.s[n->name], &f.name)) ||
        (rc = cprof_profile_intern_cstr(out, r->strs.s[n->file], &f.filename)))
        return rc;
    f.system_name = 0;
    f.start_line = n->start_line;
    if ((rc = cprof_profile_add_function(out, &f, &line.func)))
        return rc;
    line.line = n->lineno;
    if ((rc = cprof_profile_add_location(out, CPROF_NONE, n->addr, &line, 1, false, &loc)))
        return rc;
    v[0] = (int64_t)cprof__rep_scale(cprof__rep_cum(n), r->sample_unit, r->out_unit, &unit);
    v[1] = (int64_t)cprof__rep_scale(cprof__rep_flat(n), r->sample_unit, r->out_unit, &unit);
    return cprof_profile_add_sample(out, &loc, 1, v, NULL, 0, 0);
}

int cprof__rep_topproto(struct rep *r)
{
    struct cprof_profile *out;
    struct cprof_buf buf;
    uint32_t orig, dn, de;
    int err = cprof__rep_trimmed_graph(r, &orig, &dn, &de);

    if (err)
        return err;
    cprof__rep_select_unit(r);
    out = cprof_profile_new();
    if (!out)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    cprof_buf_init(&buf, 0);
    err = header(r, out);
    for (uint32_t i = 0; !err && i < r->norder; i++)
        err = node(r, out, &r->nodes[r->order[i]]);
    if (!err)
        err = cprof_profile_encode(out, true, &buf);
    if (!err && buf.len && fwrite(buf.data, 1, buf.len, r->out) != buf.len)
        err = -EIO;
    cprof_buf_release(&buf);
    cprof_profile_free(out);
    if (err)
        return cprof_diag_set(r->diag, err, "topproto: %s", cprof_strerror(err));
    return 0;
}
