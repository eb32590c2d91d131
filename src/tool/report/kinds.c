/*
 * The report formats and the report kinds, in one place (report/kinds.h):
 * what each format is called, who writes it and what it needs.  Adding a
 * report is a row here and its writer.
 */
#include "tool/report/kinds.h"

#include <string.h>

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
