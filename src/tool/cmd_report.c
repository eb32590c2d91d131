/*
 * The report command: `cprof [flags] [BINARY] PROFILE...`, pprof's command
 * line (Go 1.19's vendored google/pprof driver: cli.go, config.go,
 * driver.go).
 *
 * This file owns the flags, their checks and the exit statuses; the work
 * (load, merge, base, symbolize, report) is a session (tool/session.h),
 * and the formats are the report-kinds table (tool/report/kinds.h).
 * Files are written atomically, so a failure leaves nothing half-written.
 */
#include "tool/cmd.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "model/profile.h"
#include "tool/flags.h"
#include "tool/report/kinds.h"
#include "tool/report/report.h"
#include "tool/session.h"
#include "tool/shell.h"
#include "tool/version.h"
extern char **environ;

/* Every option of the command line; the flag table points into it. */
struct cprof_cli_opts {
    /* Report formats (at most one), by position in the kinds table. */
    bool format_set[CPROF_REPORT_NFORMATS];
    const char *format_arg[CPROF_REPORT_NFORMATS]; /* formats that take a regexp */

    /* Options, pprof's config. */
    const char *output, *sample_index, *unit, *source_path, *trim_path, *symbolize;
    const char *focus, *ignore, *hide, *show, *show_from, *prune_from;
    const char *tagfocus, *tagignore, *tagshow, *taghide, *granularity;
    const char *tagroot, *tagleaf; /* pseudo frames from label values */
    bool mean, trim, call_tree, relative_percentages, compact_labels, intel_syntax, normalize,
        drop_negative, noinlines;
    bool cum, flat;                                         /* the sort group */
    bool functions, filefunctions, files, lines, addresses; /* the granularity group */
    long long nodecount;
    double nodefraction, edgefraction, divide_by;
    const char *base, *diff_base; /* go tool pprof's StringList: the last one counts */
    long long seconds;            /* -seconds: duration of a profile fetched by URL */
    long long timeout;            /* -timeout: seconds to wait for a URL, 0 = pprof's default */

    /* Legacy sample selections. */
    bool inuse_space, inuse_objects, alloc_space, alloc_objects, total_delay, contentions,
        mean_delay;

    bool version;
};

static struct cprof_cli_opts opts;

#define B CPROF_FLAG_BOOL
#define S CPROF_FLAG_STRING
/*
 * Output formats first (NKINDS of them, filled in from the kinds table by
 * fill_format_flags), then options, then legacy flags.
 */
#define NKINDS CPROF_REPORT_NFORMATS
static struct cprof_flag flag_table[] = {
    [NKINDS] = {"addresses", B, &opts.addresses, "Aggregate at the address level"},
    {"base", S, &opts.base, "Source of base profile for profile subtraction"},
    {"call_tree", B, &opts.call_tree,
     "Create a context-sensitive call tree (dot, svg, png, pdf, callgrind)"},
    {"compact_labels", B, &opts.compact_labels, "Show minimal headers"},
    {"cum", B, &opts.cum, "Sort entries based on cumulative weight"},
    {"diff_base", S, &opts.diff_base, "Source of base profile for comparison"},
    {"divide_by", CPROF_FLAG_FLOAT, &opts.divide_by,
     "Ratio to divide all samples before visualization"},
    {"drop_negative", B, &opts.drop_negative, "Ignore negative differences"},
    {"edgefraction", CPROF_FLAG_FLOAT, &opts.edgefraction, "Hide edges below <f>*total"},
    {"filefunctions", B, &opts.filefunctions, "Aggregate at the function level (with file)"},
    {"files", B, &opts.files, "Aggregate at the file level"},
    {"flat", B, &opts.flat, "Sort entries based on own weight"},
    {"focus", S, &opts.focus, "Restricts to samples going through a node matching regexp"},
    {"functions", B, &opts.functions, "Aggregate at the function level"},
    {"granularity", S, &opts.granularity, "functions, filefunctions, files, lines or addresses"},
    {"hide", S, &opts.hide, "Skips nodes matching regexp"},
    {"ignore", S, &opts.ignore, "Skips paths going through any nodes matching regexp"},
    {"intel_syntax", B, &opts.intel_syntax, "Show assembly in Intel syntax"},
    {"lines", B, &opts.lines, "Aggregate at the source code line level"},
    {"mean", B, &opts.mean, "Average sample value over first value (count)"},
    {"nodecount", CPROF_FLAG_INT, &opts.nodecount, "Max number of nodes to show"},
    {"nodefraction", CPROF_FLAG_FLOAT, &opts.nodefraction, "Hide nodes below <f>*total"},
    {"noinlines", B, &opts.noinlines, "Ignore inlines."},
    {"normalize", B, &opts.normalize, "Scales profile based on the base profile."},
    {"output", S, &opts.output, "Output filename for file-based outputs"},
    {"prune_from", S, &opts.prune_from, "Drops any functions below the matched frame."},
    {"relative_percentages", B, &opts.relative_percentages,
     "Show percentages relative to focused subgraph"},
    {"sample_index", S, &opts.sample_index, "Sample value to report (0-based index or name)"},
    {"seconds", CPROF_FLAG_INT, &opts.seconds, "Length of time for dynamic profiles"},
    {"show", S, &opts.show, "Only show nodes matching regexp"},
    {"show_from", S, &opts.show_from, "Drops functions above the highest matched frame."},
    {"source_path", S, &opts.source_path, "Search path for source files"},
    {"symbolize", S, &opts.symbolize, "none: do not symbolize; local: from local binaries"},
    {"tagfocus", S, &opts.tagfocus, "Restricts to samples with tags in range or matched by regexp"},
    {"taghide", S, &opts.taghide, "Skip tags matching this regexp"},
    {"tagignore", S, &opts.tagignore, "Discard samples with tags in range or matched by regexp"},
    {"tagleaf", S, &opts.tagleaf,
     "Adds pseudo stack frames for labels key/value pairs at the callstack leaf"},
    {"tagroot", S, &opts.tagroot,
     "Adds pseudo stack frames for labels key/value pairs at the callstack root"},
    {"tagshow", S, &opts.tagshow, "Only consider tags matching this regexp"},
    {"timeout", CPROF_FLAG_INT, &opts.timeout, "Timeout in seconds for fetching a profile"},
    {"trim", B, &opts.trim, "Honor nodefraction/edgefraction/nodecount defaults"},
    {"trim_path", S, &opts.trim_path, "Path to trim from source paths before search"},
    {"unit", S, &opts.unit, "Measurement units to display"},
    {"version", B, &opts.version, "Print the version and exit"},
#define NOPTIONS 44
    {"alloc_objects", B, &opts.alloc_objects, "Same as -sample_index=alloc_objects"},
    {"alloc_space", B, &opts.alloc_space, "Same as -sample_index=alloc_space"},
    {"contentions", B, &opts.contentions, "Same as -sample_index=contentions"},
    {"inuse_objects", B, &opts.inuse_objects, "Same as -sample_index=inuse_objects"},
    {"inuse_space", B, &opts.inuse_space, "Same as -sample_index=inuse_space"},
    {"mean_delay", B, &opts.mean_delay, "Same as -mean -sample_index=delay"},
    {"total_delay", B, &opts.total_delay, "Same as -sample_index=delay"},
};
#undef B
#undef S

#define NFLAGS (sizeof(flag_table) / sizeof(flag_table[0]))

_Static_assert(NKINDS + NOPTIONS + 7 == NFLAGS, "flag table sections");

static void usage(FILE *f)
{
    fprintf(f, "usage: cprof <format> [options] [binary] <source> ...\n"
               "       cprof run [options] -- PROGRAM ARGS...\n"
               "\n"
               "Reads pprof profiles (merging several into one) and reports on them\n"
               "with go tool pprof's formats and options.\n"
               "\n"
               "  Output formats (select at most one):\n");
    cprof_flags_usage(f, flag_table, NKINDS);
    fprintf(f, "\n  Options:\n");
    cprof_flags_usage(f, flag_table + NKINDS, NOPTIONS);
    fprintf(f, "\n  Legacy convenience options:\n");
    cprof_flags_usage(f, flag_table + NKINDS + NOPTIONS, NFLAGS - NKINDS - NOPTIONS);
}

/* True while the interactive shell runs: its errors are printed bare. */
static bool shell_active;

/* Prints "cprof: <message>" as one line on stderr; returns exit status 1. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
    va_list ap;

    if (!shell_active) /* the shell's errors are bare, as pprof's */
        fputs("cprof: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* True when path starts with the ELF magic: pprof takes it for the binary. */
static bool is_elf(const char *path)
{
    unsigned char m[4];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool elf;

    if (fd < 0)
        return false;
    elf = read(fd, m, 4) == 4 && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
    close(fd);
    return elf;
}

/* ---- output ---------------------------------------------------------------------- */

/* The format flags of the table, from the kinds table. */
static void fill_format_flags(void)
{
    size_t n;
    const struct cprof_report_format *f = cprof_report_formats(&n);

    for (size_t i = 0; i < n; i++) {
        flag_table[i].name = f[i].name;
        flag_table[i].help = f[i].help;
        flag_table[i].type = f[i].regexp ? CPROF_FLAG_STRING : CPROF_FLAG_BOOL;
        flag_table[i].ptr = f[i].regexp ? (void *)&opts.format_arg[i] : (void *)&opts.format_set[i];
    }
}

/*
 * Writes data to output atomically, or to stdout (output NULL or "-");
 * binary data (what names it: "profile", "image") is refused on a terminal.
 */
static int emit(const void *data, size_t len, const char *output, const char *binary)
{
    int rc;

    if (output && strcmp(output, "-") != 0) {
        rc = cprof_file_write_atomic(output, data, len);
        if (rc)
            return fail("%s: %s", output, cprof_strerror(rc));
        return 0;
    }
    if (binary && isatty(STDOUT_FILENO))
        return fail("refusing to write binary %s to a terminal; use -output", binary);
    rc = cprof_fd_write_all(STDOUT_FILENO, data, len);
    if (rc)
        return fail("writing output: %s", cprof_strerror(rc));
    return 0;
}

/* The report options of the command line (pprof's config), into o. */
static void session_opts(struct cprof_session_opts *o)
{
    struct cprof_report_opts *r = &o->report;

    cprof_report_opts_init(r);
    r->sample_index = opts.sample_index;
    r->mean = opts.mean;
    r->divide_by = opts.divide_by;
    r->unit = opts.unit;
    r->nodecount = (int)opts.nodecount;
    r->nodefraction = opts.nodefraction;
    r->edgefraction = opts.edgefraction;
    r->trim = opts.trim;
    r->cum = opts.cum;
    r->noinlines = opts.noinlines;
    r->relative_percentages = opts.relative_percentages;
    r->drop_negative = opts.drop_negative;
    r->compact_labels = opts.compact_labels;
    r->call_tree = opts.call_tree;
    r->focus = opts.focus;
    r->ignore = opts.ignore;
    r->hide = opts.hide;
    r->show = opts.show;
    r->show_from = opts.show_from;
    r->prune_from = opts.prune_from;
    r->tagfocus = opts.tagfocus;
    r->tagignore = opts.tagignore;
    r->tagshow = opts.tagshow;
    r->taghide = opts.taghide;
    r->source_path = opts.source_path;
    r->trim_path = opts.trim_path;
    r->intel_syntax = opts.intel_syntax;
    r->warn = stderr;
    r->threads = cprof_session_cpus();
    if (opts.granularity && *opts.granularity)
        cprof_report_granularity_parse(opts.granularity, &r->granularity);
    o->tagroot = opts.tagroot;
    o->tagleaf = opts.tagleaf;
}

/*
 * Writes report f of the session to output (NULL or "-": stdout): text
 * for stdout as it is made, everything else staged and written whole.
 * The exit status.
 */
static int report(struct cprof_session *s, const struct cprof_session_opts *o,
                  const struct cprof_report_format *f, const char *symbol, const char *output)
{
    struct cprof_diag diag = {0};
    bool to_file = output && strcmp(output, "-") != 0;
    struct cprof_buf out;
    int rc;

    if (f->out == CPROF_OUT_ENGINE && !f->binary && !to_file) {
        rc = cprof_session_report(s, o, f, symbol, stdout, &diag);
        return rc ? fail("%s", diag.msg[0] ? diag.msg : cprof_strerror(rc)) : 0;
    }
    cprof_buf_init(&out, 0);
    rc = cprof_session_report_buf(s, o, f, symbol, &out, &diag);
    if (rc)
        rc = fail("%s", diag.msg[0] ? diag.msg : cprof_strerror(rc));
    if (!rc && to_file)
        fprintf(stderr, "Generating report in %s\n", output);
    if (!rc)
        rc = emit(out.data, out.len, output,
                  !f->binary                  ? NULL
                  : f->out == CPROF_OUT_IMAGE ? "image"
                                              : "profile");
    cprof_buf_release(&out);
    return rc;
}

/* ---- command line ---------------------------------------------------------------- */

/*
 * pprof's outputFormat: at most one format flag; *f gets it, *symbol the
 * regexp of -list, -peek and -disasm.  0 when none is set, 1 when one is,
 * -1 after printing the error.
 */
static int output_format(const struct cprof_report_format **f, const char **symbol)
{
    size_t nf;
    const struct cprof_report_format *all = cprof_report_formats(&nf);
    int n = 0;

    for (size_t i = 0; i < nf; i++) {
        if (all[i].regexp ? opts.format_arg[i] && *opts.format_arg[i] : opts.format_set[i]) {
            *f = &all[i];
            *symbol = all[i].regexp ? opts.format_arg[i] : NULL;
            n++;
        }
    }
    if (n > 1) {
        fail("must set at most one output format");
        return -1;
    }
    return n;
}

/*
 * A group of choice flags (pprof's installConfigFlags): at most one set.
 * Returns the position of the one set, -1 for none, -2 after printing
 * "conflicting options set: [a b]".
 */
static int choice(const char *const *names, const bool *const *flags, int n)
{
    int set = -1, count = 0;

    for (int i = 0; i < n; i++)
        if (*flags[i]) {
            set = i;
            count++;
        }
    if (count <= 1)
        return set;
    fprintf(stderr, "cprof: conflicting options set: [");
    for (int i = 0, first = 1; i < n; i++)
        if (*flags[i]) {
            fprintf(stderr, "%s%s", first ? "" : " ", names[i]);
            first = 0;
        }
    fprintf(stderr, "]\n");
    return -2;
}

/* pprof's sampleIndex for the legacy flags. */
static void legacy_index(bool flag, const char *type, const char *option)
{
    if (!flag)
        return;
    if (!opts.sample_index || !*opts.sample_index)
        opts.sample_index = type;
    else
        fail("Multiple value selections, ignoring %s", option);
}

/* Applies the option groups and legacy flags; 0, or 2 after printing the error. */
static int settle_options(void)
{
    static const char *const gnames[] = {"functions", "filefunctions", "files", "lines",
                                         "addresses"};
    const bool *const gflags[] = {&opts.functions, &opts.filefunctions, &opts.files, &opts.lines,
                                  &opts.addresses};
    static const char *const snames[] = {"cum", "flat"};
    const bool *const sflags[] = {&opts.cum, &opts.flat};
    bool gset = opts.granularity && *opts.granularity;
    int g;

    g = choice(gnames, gflags, 5);
    if (g == -2)
        return 2;
    if (g >= 0 && gset && strcmp(opts.granularity, gnames[g]) != 0) {
        fail("conflicting options set: [%s %s]", opts.granularity, gnames[g]);
        return 2;
    }
    if (g >= 0)
        opts.granularity = gnames[g];
    if (choice(snames, sflags, 2) == -2)
        return 2;
    legacy_index(opts.total_delay, "delay", "-total_delay");
    legacy_index(opts.mean_delay, "delay", "-mean_delay");
    legacy_index(opts.contentions, "contentions", "-contentions");
    legacy_index(opts.inuse_space, "inuse_space", "-inuse_space");
    legacy_index(opts.inuse_objects, "inuse_objects", "-inuse_objects");
    legacy_index(opts.alloc_space, "alloc_space", "-alloc_space");
    legacy_index(opts.alloc_objects, "alloc_objects", "-alloc_objects");
    if (opts.mean_delay)
        opts.mean = true;
    return 0;
}

/* ---- interactive shell ----------------------------------------------------------- */

/*
 * The shell's report command on the session: the options set so far,
 * with the command's one-off options for this report only.
 */
static int shell_report(void *ctx, const struct cprof_shell_cmd *c)
{
    struct cprof_session *s = ctx;
    const struct cprof_report_format *f = cprof_report_format_find(c->name);
    struct cprof_session_opts o;
    bool tags = strcmp(c->name, "tags") == 0;

    if (!f || (f->regexp && !(c->param && *c->param)))
        return 1;
    session_opts(&o);
    if (c->has_nodecount)
        o.report.nodecount = (int)c->nodecount;
    if (c->focus)
        *(tags ? &o.report.tagfocus : &o.report.focus) = c->focus;
    if (c->ignore)
        *(tags ? &o.report.tagignore : &o.report.ignore) = c->ignore;
    if (c->cum)
        o.report.cum = true;
    return report(s, &o, f, f->regexp ? c->param : NULL, c->output);
}

/* pprof's greetings: the profile's labels. */
static void shell_greet(void *ctx)
{
    struct cprof_session *s = ctx;
    struct cprof_session_opts o;
    struct cprof_diag diag = {0};

    session_opts(&o);
    o.report.warn = NULL;
    if (cprof_report_run(s->prof, CPROF_REPORT_LABELS, &o.report, stderr, &diag))
        fail("%s", diag.msg[0] ? diag.msg : "reading profile labels");
}

/* pprof's interactive mode on the session's profile; the exit status. */
static int shell(struct cprof_session *s)
{
    const struct cprof_profile *p = s->prof;
    const char **types = calloc(p->nsample_types + 1, sizeof(*types));
    struct cprof_shell_host h = {
        .ctx = s,
        .formats = flag_table,
        .nformats = NKINDS,
        .options = flag_table + NKINDS,
        .noptions = NOPTIONS,
        .sample_types = types,
        .nsample_types = p->nsample_types,
        .report = shell_report,
        .greet = shell_greet,
    };
    int rc;

    if (!types)
        return fail("out of memory");
    for (uint32_t i = 0; i < p->nsample_types; i++)
        types[i] = cprof_profile_str(p, p->sample_types[i].type);
    opts.compact_labels = true; /* pprof's shell shows short headers */
    s->keep_profile = true;     /* every command reports on the same profile */
    shell_active = true;
    rc = cprof_shell_run(&h);
    shell_active = false;
    free(types);
    return rc ? fail("%s", cprof_strerror(rc)) : 0;
}

/*
 * Loads, combines, symbolizes and reports (f NULL: runs the shell); the
 * exit status.  A single profile is compacted only for the formats that
 * show it (cprof_report_format.compact); the shell may show anything.
 */
static int run(char **paths, size_t n, const char *binary, const struct cprof_report_format *f,
               const char *symbol)
{
    struct cprof_session s;
    struct cprof_diag diag = {0};
    const char *base = *opts.diff_base ? opts.diff_base : opts.base;
    int rc, status;

    cprof_session_init(&s);
    s.seconds = opts.seconds;
    s.timeout = opts.timeout;
    s.symbolize = opts.symbolize;
    s.normalize = opts.normalize;
    session_opts(&s.opts);
    rc = cprof_session_load(&s, paths, n, binary, !f || f->compact || *base, &diag);
    if (!rc && *base)
        rc = cprof_session_apply_base(&s, base, *opts.diff_base != 0, binary, &diag);
    if (!rc)
        rc = cprof_session_symbolize(&s, &diag);
    if (rc)
        status = fail("%s", diag.msg[0] ? diag.msg : cprof_strerror(rc));
    else if (f)
        status = report(&s, &s.opts, f, symbol, opts.output);
    else
        status = shell(&s);
    cprof_session_release(&s);
    return status;
}

int cprof_cmd_report(int argc, char **argv)
{
    struct cprof_diag diag = {0};
    const struct cprof_report_format *f = NULL;
    const char *symbol = NULL, *binary = NULL;
    enum cprof_report_granularity g;
    char **args;
    int first, nargs, status, nf;

    memset(&opts, 0, sizeof(opts));
    fill_format_flags();
    opts.trim = true;
    opts.nodecount = -1;
    opts.nodefraction = 0.005;
    opts.edgefraction = 0.001;
    opts.divide_by = 1.0;
    opts.unit = "minimum";
    opts.base = opts.diff_base = "";
    first = cprof_flags_parse(flag_table, NFLAGS, argc - 1, argv + 1, &diag);
    if (first == CPROF_FLAGS_HELP) {
        usage(stdout);
        status = 0;
        goto out;
    }
    if (first < 0) {
        fprintf(stderr, "%s\n", diag.msg);
        usage(stderr);
        status = 2;
        goto out;
    }
    if (opts.version) {
        printf("cprof %s\n", cprof_tool_version());
        status = 0;
        goto out;
    }
    args = argv + 1 + first;
    nargs = argc - 1 - first;
    if (nargs == 0) {
        fail("no profile source specified");
        usage(stderr);
        status = 2;
        goto out;
    }
    /* pprof's parseFlags: a first argument that is a binary names the main binary. */
    if (nargs > 1 && is_elf(args[0])) {
        binary = args[0];
        args++;
        nargs--;
    }
    status = settle_options();
    if (status)
        goto out;
    nf = output_format(&f, &symbol);
    if (nf < 0) {
        status = 2;
        goto out;
    }
    if (*opts.base && *opts.diff_base) {
        fail("-base and -diff_base flags cannot both be specified");
        status = 2;
        goto out;
    }
    if (opts.normalize && !*opts.base && !*opts.diff_base) {
        fail("must have base profile to normalize by");
        status = 2;
        goto out;
    }
    if (opts.granularity && *opts.granularity &&
        cprof_report_granularity_parse(opts.granularity, &g)) {
        fail("invalid granularity %s (functions, filefunctions, files, lines, addresses)",
             opts.granularity);
        status = 2;
        goto out;
    }
    if (nf == 0) {
        /* The shell, also on commands piped in ("echo top | cprof p.pb.gz"), as pprof does. */
        status = run(args, (size_t)nargs, binary, NULL, NULL);
        goto out;
    }
    status = run(args, (size_t)nargs, binary, f, symbol);
out:
    return status;
}
