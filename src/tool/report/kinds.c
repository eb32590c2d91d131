/*
 * The report formats and the report kinds, in one place (report/kinds.h):
 * what each format is called, who writes it and what it needs.  Adding a
 * report is a row in each table and its writer.
 */
#include "tool/report/kinds.h"

#include <string.h>

#include "tool/report/report_int.h"

#define E CPROF_OUT_ENGINE
/* Whether a single profile must be compacted (merged with itself, as
 * pprof does) first: reports that list samples (traces, raw, tags,
 * comments) show the difference; -proto's reader merges anyway; the
 * graph, table, source and flame reports only sum values by node, which
 * compaction (identical samples summed, zero samples and unused entries
 * dropped, first-seen order kept) does not change.  Saves a pass over
 * every sample of a big profile. */
static const struct cprof_report_format formats[] = {
    {"callgrind", "Outputs a graph in callgrind format", false, E, CPROF_REPORT_CALLGRIND, NULL,
     false, false},
    {"collapsed", "Outputs folded stacks (frame;frame;frame value)", false, E,
     CPROF_REPORT_COLLAPSED, NULL, false, false},
    {"comments", "Output all profile comments", false, E, CPROF_REPORT_COMMENTS, NULL, false, true},
    {"disasm", "Output assembly listings annotated with samples", true, E, CPROF_REPORT_DISASM,
     NULL, false, false},
    {"dot", "Outputs a graph in DOT format", false, E, CPROF_REPORT_DOT, NULL, false, false},
    {"flamegraph", "Outputs an interactive flame graph (SVG)", false, E, CPROF_REPORT_FLAMEGRAPH,
     NULL, false, false},
    {"list", "Output annotated source for functions matching regexp", true, E, CPROF_REPORT_LIST,
     NULL, false, false},
    {"pdf", "Outputs a graph in PDF format", false, CPROF_OUT_IMAGE, CPROF_REPORT_DOT, "pdf", true,
     false},
    {"peek", "Output callers/callees of functions matching regexp", true, E, CPROF_REPORT_PEEK,
     NULL, false, false},
    {"png", "Outputs a graph image in PNG format", false, CPROF_OUT_IMAGE, CPROF_REPORT_DOT, "png",
     true, false},
    {"proto", "Outputs the profile in compressed protobuf format", false, CPROF_OUT_PROTO,
     CPROF_REPORT_TOP, NULL, true, false},
    {"raw", "Outputs a text representation of the raw profile", false, CPROF_OUT_RAW,
     CPROF_REPORT_TOP, NULL, false, true},
    {"svg", "Outputs a graph in SVG format", false, CPROF_OUT_IMAGE, CPROF_REPORT_DOT, "svg", false,
     false},
    {"tags", "Outputs all tags in the profile", false, E, CPROF_REPORT_TAGS, NULL, false, true},
    {"text", "Outputs top entries in text form", false, E, CPROF_REPORT_TOP, NULL, false, false},
    {"top", "Outputs top entries in text form", false, E, CPROF_REPORT_TOP, NULL, false, false},
    {"topproto", "Outputs top entries in compressed protobuf format", false, E,
     CPROF_REPORT_TOPPROTO, NULL, true, false},
    {"traces", "Outputs all profile samples in text form", false, E, CPROF_REPORT_TRACES, NULL,
     false, true},
    {"tree", "Outputs a text rendering of call graph", false, E, CPROF_REPORT_TREE, NULL, false,
     false},
};
#undef E

_Static_assert(sizeof(formats) / sizeof(formats[0]) == CPROF_REPORT_NFORMATS,
               "CPROF_REPORT_NFORMATS counts the formats");

const struct cprof_report_format *cprof_report_formats(size_t *n)
{
    *n = sizeof(formats) / sizeof(formats[0]);
    return formats;
}

const struct cprof_report_format *cprof_report_format_find(const char *name)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    return NULL;
}

/* ---- the engine's report kinds (pprof's applyCommandOverrides) -------------------- */

/* The shell's greeting: the profile's labels only. */
static int write_labels(struct rep *r)
{
    if (cprof__rep_profile_labels(r, r->out))
        fputc('\n', r->out);
    return 0;
}

#define OPT        (-1) /* the option decides */
#define GRAN_LINES CPROF_GRAN_LINES
#define GRAN_ADDRS CPROF_GRAN_ADDRESSES
/* clang-format off */
static const struct rep_kind kinds[] = {
    /*                          writer                 regexp trim  nodecount gran  noinl  visual tree   objs   tags */
    [CPROF_REPORT_TOP]        = {cprof__rep_top,        false, true,  0,  OPT,        OPT,  false, false, false, false},
    [CPROF_REPORT_TRACES]     = {cprof__rep_traces,     false, true,  80, OPT,        OPT,  false, false, false, false},
    [CPROF_REPORT_TREE]       = {cprof__rep_tree,       false, true,  80, OPT,        OPT,  false, false, false, false},
    [CPROF_REPORT_PEEK]       = {cprof__rep_tree,       true,  false, 80, OPT,        OPT,  false, false, false, false},
    [CPROF_REPORT_LIST]       = {cprof__rep_list,       true,  false, 80, GRAN_LINES, OPT,  false, false, true,  false},
    [CPROF_REPORT_DOT]        = {cprof__rep_dot,        false, true,  80, OPT,        OPT,  true,  true,  false, true},
    [CPROF_REPORT_TAGS]       = {cprof__rep_tags,       false, true,  80, OPT,        OPT,  false, false, false, false},
    [CPROF_REPORT_CALLGRIND]  = {cprof__rep_callgrind,  false, false, 80, GRAN_ADDRS, 0,    false, true,  true,  false},
    [CPROF_REPORT_COLLAPSED]  = {cprof__rep_collapsed,  false, false, 80, OPT,        OPT,  false, false, false, false},
    [CPROF_REPORT_COMMENTS]   = {cprof__rep_comments,   false, true,  80, OPT,        OPT,  false, false, false, false},
    [CPROF_REPORT_TOPPROTO]   = {cprof__rep_topproto,   false, true,  0,  OPT,        OPT,  false, false, false, false},
    [CPROF_REPORT_DISASM]     = {cprof__rep_disasm,     true,  false, 80, GRAN_ADDRS, 1,    false, false, true,  false},
    [CPROF_REPORT_FLAMEGRAPH] = {cprof__rep_flamegraph, false, false, 80, OPT,        OPT,  false, false, false, false},
    [CPROF_REPORT_LABELS]     = {write_labels,          false, true,  80, OPT,        OPT,  false, false, false, false},
};
/* clang-format on */

const struct rep_kind *cprof__rep_kind(enum cprof_report_kind kind)
{
    if ((unsigned)kind >= sizeof(kinds) / sizeof(kinds[0]) || !kinds[kind].write)
        return NULL;
    return &kinds[kind];
}

void cprof__rep_apply_kind(struct rep *r, const struct rep_kind *k)
{
    const struct cprof_report_opts *o = r->o;
    bool trim = o->trim && k->trim;

    r->nodecount = o->nodecount == -1 ? k->nodecount : o->nodecount;
    r->nodefraction = o->nodefraction;
    r->edgefraction = o->edgefraction;
    r->gran = k->gran == OPT ? o->granularity : (enum cprof_report_granularity)k->gran;
    r->noinlines = k->noinlines == OPT ? o->noinlines : k->noinlines == 1;
    if (!trim) {
        r->nodecount = 0;
        r->nodefraction = 0;
        r->edgefraction = 0;
    }
    r->visual = k->visual;
    r->call_tree = o->call_tree && k->call_tree;
    r->obj_names = k->obj_names;
    r->want_tags = k->tags;
}
