/*
 * Test driver for the report engine: decodes one profile file and prints
 * one report.  Usage: report_driver KIND [name=value...] FILE
 * (KIND: top traces tree peek list dot tags callgrind collapsed comments flamegraph;
 * options use pprof's names, e.g. nodecount=5 cum=1 focus=main).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/codec.h"
#include "model/profile.h"
#include "tool/report/report.h"

static int set_opt(struct cprof_report_opts *o, const char *name, const char *v)
{
    const char **s = NULL;

    if (!strcmp(name, "sample_index")) s = &o->sample_index;
    else if (!strcmp(name, "unit")) s = &o->unit;
    else if (!strcmp(name, "focus")) s = &o->focus;
    else if (!strcmp(name, "ignore")) s = &o->ignore;
    else if (!strcmp(name, "hide")) s = &o->hide;
    else if (!strcmp(name, "show")) s = &o->show;
    else if (!strcmp(name, "show_from")) s = &o->show_from;
    else if (!strcmp(name, "prune_from")) s = &o->prune_from;
    else if (!strcmp(name, "tagfocus")) s = &o->tagfocus;
    else if (!strcmp(name, "tagignore")) s = &o->tagignore;
    else if (!strcmp(name, "tagshow")) s = &o->tagshow;
    else if (!strcmp(name, "taghide")) s = &o->taghide;
    else if (!strcmp(name, "symbol")) s = &o->symbol;
    else if (!strcmp(name, "source_path")) s = &o->source_path;
    else if (!strcmp(name, "trim_path")) s = &o->trim_path;
    if (s) {
        *s = v;
        return 0;
    }
    if (!strcmp(name, "mean")) o->mean = atoi(v);
    else if (!strcmp(name, "divide_by")) o->divide_by = atof(v);
    else if (!strcmp(name, "nodecount")) o->nodecount = atoi(v);
    else if (!strcmp(name, "nodefraction")) o->nodefraction = atof(v);
    else if (!strcmp(name, "edgefraction")) o->edgefraction = atof(v);
    else if (!strcmp(name, "trim")) o->trim = atoi(v);
    else if (!strcmp(name, "cum")) o->cum = atoi(v);
    else if (!strcmp(name, "noinlines")) o->noinlines = atoi(v);
    else if (!strcmp(name, "relative_percentages")) o->relative_percentages = atoi(v);
    else if (!strcmp(name, "drop_negative")) o->drop_negative = atoi(v);
    else if (!strcmp(name, "compact_labels")) o->compact_labels = atoi(v);
    else if (!strcmp(name, "granularity")) return cprof_report_granularity_parse(v, &o->granularity);
    else return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const kinds[] = {"top", "traces", "tree", "peek", "list",
                                        "dot", "tags", "callgrind", "collapsed", "comments",
                                        "flamegraph"};
    struct cprof_report_opts o;
    struct cprof_diag diag = {0};
    struct cprof_profile *p = NULL;
    int kind = -1, err;
    FILE *f;
    unsigned char *buf;
    long len;

    if (argc < 3)
        return 2;
    for (int i = 0; i < (int)(sizeof(kinds) / sizeof(kinds[0])); i++)
        if (!strcmp(argv[1], kinds[i]))
            kind = i;
    if (kind < 0)
        return 2;
    cprof_report_opts_init(&o);
    o.warn = stderr;
    for (int i = 2; i < argc - 1; i++) {
        char *eq = strchr(argv[i], '=');

        if (!eq)
            return 2;
        *eq = 0;
        if (set_opt(&o, argv[i], eq + 1)) {
            fprintf(stderr, "bad option %s\n", argv[i]);
            return 2;
        }
    }
    f = fopen(argv[argc - 1], "rb");
    if (!f)
        return 1;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
        return 1;
    fclose(f);
    err = cprof_profile_decode(buf, (size_t)len, NULL, &p, &diag);
    free(buf);
    if (err) {
        fprintf(stderr, "decode: %s\n", diag.msg);
        return 1;
    }
    err = cprof_report_run(p, (enum cprof_report_kind)kind, &o, stdout, &diag);
    cprof_profile_free(p);
    if (err) {
        fprintf(stderr, "%s\n", diag.msg);
        return 1;
    }
    return 0;
}
