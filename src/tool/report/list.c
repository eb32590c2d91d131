/*
 * The list report: annotated source (pprof's report/source.go).
 */
#include "tool/report/report_int.h"

#include "base/err.h"

int cprof__rep_list(struct rep *r)
{
    return cprof_diag_set(r->diag, CPROF_EUSAGE, "list: not implemented yet");
}
