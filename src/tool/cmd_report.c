/*
 * The report command: `cprof [flags] [BINARY] PROFILE...`, pprof's command
 * line (Go 1.19's vendored google/pprof driver: cli.go, config.go,
 * driver.go, fetch.go).
 *
 * Every profile is read with a size cap, decoded with limits, and the set
 * is merged (a single profile too, as pprof does, for the outputs where
 * that compaction shows: see needs_compaction).
 * Base profiles (-base, -diff_base) are merged likewise, scaled by -1
 * (after -normalize) and merged into the sources.  The result is
 * symbolized from local binaries when it needs it, pruned by its
 * drop_frames (pprof's RemoveUninteresting), and the chosen report is
 * written by the report engine (tool/report/report.h).  Files are written
 * atomically, so a failure leaves nothing half-written.
 */
#include "tool/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/htab.h"
#include "base/par.h"
#include "model/codec.h"
#include "model/filter.h"
#include "model/legacy.h"
#include "model/merge.h"
#include "model/profile.h"
#include "sym/demangle.h"
#include "sym/symbolize.h"
#include "tool/binaries.h"
#include "tool/fetch.h"
#include "tool/flags.h"
#include "tool/prune.h"
#include "tool/raw.h"
#include "tool/report/report.h"
#include "tool/shell.h"
#include "tool/version.h"

extern char **environ;

/* Every option of the command line; the flag table points into it. */
struct cprof_cli_opts {
    /* Report formats (at most one). */
    bool top, text, traces, tree, raw, tags, dot, svg, png, pdf, callgrind, proto, topproto,
        collapsed, comments, flamegraph;
    const char *list, *peek, *disasm;

    /* Options, pprof's config. */
    const char *output, *sample_index, *unit, *source_path, *trim_path, *symbolize;
    const char *focus, *ignore, *hide, *show, *show_from, *prune_from;
    const char *tagfocus, *tagignore, *tagshow, *taghide, *granularity;
    const char *tagroot, *tagleaf; /* pseudo frames from label values */
    bool mean, trim, call_tree, relative_percentages, compact_labels, intel_syntax, normalize,
        drop_negative, noinlines;
    bool cum, flat;                                       /* the sort group */
    bool functions, filefunctions, files, lines, addresses; /* the granularity group */
    long long nodecount;
    double nodefraction, edgefraction, divide_by;
    const char *base, *diff_base; /* go tool pprof's StringList: the last one counts */
    long long seconds; /* -seconds: duration of a profile fetched by URL */
    long long timeout; /* -timeout: seconds to wait for a URL, 0 = pprof's default */

    /* Legacy sample selections. */
    bool inuse_space, inuse_objects, alloc_space, alloc_objects, total_delay, contentions,
        mean_delay;

    bool version;
};

static struct cprof_cli_opts opts;

/* True while the interactive shell runs: reports must leave its profile as it is. */
static bool shell_active;

#define B CPROF_FLAG_BOOL
#define S CPROF_FLAG_STRING
/* Output formats first (NKINDS of them), then options, then legacy flags. */
static const struct cprof_flag flag_table[] = {
    {"callgrind", B, &opts.callgrind, "Outputs a graph in callgrind format"},
    {"collapsed", B, &opts.collapsed, "Outputs folded stacks (frame;frame;frame value)"},
    {"comments", B, &opts.comments, "Output all profile comments"},
    {"disasm", S, &opts.disasm, "Output assembly listings annotated with samples"},
    {"dot", B, &opts.dot, "Outputs a graph in DOT format"},
    {"flamegraph", B, &opts.flamegraph, "Outputs an interactive flame graph (SVG)"},
    {"list", S, &opts.list, "Output annotated source for functions matching regexp"},
    {"pdf", B, &opts.pdf, "Outputs a graph in PDF format"},
    {"peek", S, &opts.peek, "Output callers/callees of functions matching regexp"},
    {"png", B, &opts.png, "Outputs a graph image in PNG format"},
    {"proto", B, &opts.proto, "Outputs the profile in compressed protobuf format"},
    {"raw", B, &opts.raw, "Outputs a text representation of the raw profile"},
    {"svg", B, &opts.svg, "Outputs a graph in SVG format"},
    {"tags", B, &opts.tags, "Outputs all tags in the profile"},
    {"text", B, &opts.text, "Outputs top entries in text form"},
    {"top", B, &opts.top, "Outputs top entries in text form"},
    {"topproto", B, &opts.topproto, "Outputs top entries in compressed protobuf format"},
    {"traces", B, &opts.traces, "Outputs all profile samples in text form"},
    {"tree", B, &opts.tree, "Outputs a text rendering of call graph"},
#define NKINDS 19
    {"addresses", B, &opts.addresses, "Aggregate at the address level"},
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
    {"granularity", S, &opts.granularity,
     "functions, filefunctions, files, lines or addresses"},
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
    {"tagfocus", S, &opts.tagfocus,
     "Restricts to samples with tags in range or matched by regexp"},
    {"taghide", S, &opts.taghide, "Skip tags matching this regexp"},
    {"tagignore", S, &opts.tagignore,
     "Discard samples with tags in range or matched by regexp"},
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

/* Threads for big decoding, encoding and compression jobs (base/par.h). */
static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > CPROF_PAR_MAX ? CPROF_PAR_MAX : (int)n;
}

/* Reads and decodes one profile; prints the error and returns 1 on failure. */
static int load(const char *path, const struct cprof_limits *lim, struct cprof_profile **out)
{
    struct cprof_diag diag = {0};
    struct cprof_buf buf;
    int rc;

    if (cprof_fetch_is_url(path)) /* src/tool/fetch.c: pprof's URL sources */
        return cprof_fetch_profile(path, opts.seconds, opts.timeout, lim, out, &diag)
                   ? fail("%s", diag.msg)
                   : 0;
    /* A gzipped profile is smaller than its decoded size: the same cap bounds the file. */
    cprof_buf_init(&buf, lim->max_bytes);
    rc = cprof_file_read(path, &buf);
    if (rc) {
        cprof_buf_release(&buf);
        if (rc == CPROF_ETOOBIG)
            return fail("%s: file exceeds %zu bytes", path, lim->max_bytes);
        return fail("%s: %s", path, cprof_strerror(rc));
    }
    rc = cprof_profile_parse_any(buf.data, buf.len, lim, out, &diag);
    cprof_buf_release(&buf);
    if (rc)
        return fail("%s: parsing profile: %s", path,
                    diag.msg[0] ? diag.msg : cprof_strerror(rc));
    return 0;
}

/*
 * Loads paths[0..n), finds their binaries (binary: the one named on the
 * command line, or NULL) and merges them into *out (pprof's chunkedGrab,
 * grabProfile and combineProfiles, units made common first).  A single
 * profile is merged too (that compacts it, as pprof does) unless compact
 * is false (see needs_compaction).  Prints the error and returns 1 on
 * failure.
 */
static int load_group(char *const *paths, size_t n, bool compact, const char *binary,
                      struct cprof_profile **out)
{
    struct cprof_profile **profs;
    struct cprof_diag diag = {0};
    struct cprof_limits lim;
    int status = 0, rc;

    *out = NULL;
    cprof_limits_default(&lim);
    lim.max_threads = online_cpus();
    profs = calloc(n, sizeof(*profs));
    if (!profs)
        return fail("out of memory");
    for (size_t i = 0; i < n && !status; i++) {
        status = load(paths[i], &lim, &profs[i]);
        if (!status && cprof_locate_binaries(profs[i], binary, stderr) < 0)
            status = fail("out of memory");
    }
    /* pprof's combineProfiles: measurement.ScaleProfiles, then Merge. */
    if (!status && cprof_profile_scale_units(profs, n) < 0)
        status = fail("out of memory");
    if (!status && n == 1 && !compact) {
        *out = profs[0];
        profs[0] = NULL;
    } else if (!status) {
        rc = cprof_profile_merge(profs, n, out, &diag);
        if (rc)
            status = fail("merging profiles: %s", diag.msg[0] ? diag.msg : cprof_strerror(rc));
    }
    for (size_t i = 0; i < n; i++)
        cprof_profile_free(profs[i]);
    free(profs);
    return status;
}

/*
 * pprof's fetchProfiles after the grab: base samples get the label
 * pprof::base=true for -diff_base, the sources are scaled to the base's
 * totals for -normalize, the base is negated and both are merged.
 */
static int combine_base(struct cprof_profile **p, struct cprof_profile *pbase, bool diff)
{
    struct cprof_diag diag = {0};
    struct cprof_profile *both[2], *merged = NULL;
    double *neg;
    int rc;

    if (diff && cprof_profile_set_label(pbase, "pprof::base", "true") < 0)
        return fail("out of memory");
    if (opts.normalize) {
        rc = cprof_profile_normalize(*p, pbase, &diag);
        if (rc)
            return fail("%s", diag.msg[0] ? diag.msg : cprof_strerror(rc));
    }
    neg = malloc(((size_t)pbase->nsample_types + 1) * sizeof(*neg));
    if (!neg)
        return fail("out of memory");
    for (uint32_t k = 0; k < pbase->nsample_types; k++)
        neg[k] = -1;
    cprof_profile_scale(pbase, neg);
    free(neg);
    both[0] = *p;
    both[1] = pbase;
    rc = cprof_profile_scale_units(both, 2);
    if (rc)
        return fail("%s", cprof_strerror(rc));
    rc = cprof_profile_merge(both, 2, &merged, &diag);
    if (rc)
        return fail("%s", diag.msg[0] ? diag.msg : cprof_strerror(rc));
    cprof_profile_free(*p);
    *p = merged;
    return 0;
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

/*
 * -symbolize, parsed as pprof's Symbolizer.Symbolize: ':'-separated,
 * case-insensitive options.  none (or no) leaves the profile alone
 * (unsymbolized frames show as pprof shows them: address and [binary]);
 * local, fastlocal and the default symbolize the mappings without
 * functions from their files on this machine, build id checked; remote
 * alone does no local symbolization (cprof has no symbolz client); force
 * and demangle=MODE redo mappings already symbolized; then C++ names are
 * demangled and simplified as pprof's Demangle does (sym/demangle.h), the
 * default mode dropping parameters and template arguments.  Anything else
 * is noted and ignored, as pprof does.  The files
 * were found (and a binary named on the command line applied) when each
 * profile was read (tool/binaries.h); pprof's notes about the mappings
 * that could not be symbolized go to stderr.
 */
static int symbolize(struct cprof_profile *p)
{
    const char *mode = opts.symbolize ? opts.symbolize : "";
    bool local = true, force = false;
    enum cprof_demangle_mode dmode = CPROF_DEMANGLE_DEFAULT;
    char *list = strdup(mode), *cur = list, *o;
    uint32_t nfunc = p->nfunctions;
    int rc;

    if (!list)
        return fail("out of memory");
    while ((o = strsep(&cur, ":")) != NULL) {
        for (char *c = o; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        if (!strcmp(o, "none") || !strcmp(o, "no")) {
            free(list);
            return 0;
        }
        if (!strcmp(o, "local") || !strcmp(o, "fastlocal"))
            local = true;
        else if (!strcmp(o, "remote"))
            local = false;
        else if (!strcmp(o, "force"))
            force = true;
        else if (!strcmp(o, "demangle=full") || !strcmp(o, "demangle=none") ||
                 !strcmp(o, "demangle=templates")) {
            force = true;
            dmode = o[9] == 'f'   ? CPROF_DEMANGLE_FULL
                    : o[9] == 'n' ? CPROF_DEMANGLE_NONE
                                  : CPROF_DEMANGLE_TEMPLATES;
        } else if (*o && strcmp(o, "demangle=default") != 0)
            fprintf(stderr,
                    "ignoring unrecognized symbolization option: %s\n"
                    "expecting -symbolize=[local|fastlocal|remote|none][:force]"
                    "[:demangle=[none|full|templates|default]\n",
                    mode);
    }
    free(list);
    if (local && (rc = cprof_symbolize_local(p, force, stderr)) != 0)
        return fail("symbolizing: %s", cprof_strerror(rc));
    /*
     * The symbolizer names C++ functions fully demangled; pprof's local
     * symbolization gives the mangled name, simplified below.
     */
    for (uint32_t i = nfunc; i < p->nfunctions; i++) {
        struct cprof_function *f = &p->functions[i];

        if (strncmp(cprof_profile_str(p, f->system_name), "_Z", 2) == 0)
            f->name = f->system_name;
    }
    if ((rc = cprof_demangle_profile(p, force, dmode)) != 0)
        return fail("demangling: %s", cprof_strerror(rc));
    return 0;
}

/* ---- output ---------------------------------------------------------------------- */

/* What the command line asked for. */
enum out_kind {
    OUT_REPORT, /* an engine report */
    OUT_RAW,
    OUT_PROTO,
    OUT_IMAGE, /* dot rendered by graphviz */
};

struct format {
    enum out_kind out;
    enum cprof_report_kind kind;
    const char *image; /* dot -T argument */
    bool binary;       /* refused on a terminal */
};

/*
 * Writes data to -output atomically, or to stdout; binary data (what names
 * it: "profile", "image") is refused on a terminal.
 */
static int emit(const void *data, size_t len, const char *binary)
{
    int rc;

    if (opts.output && strcmp(opts.output, "-") != 0) {
        rc = cprof_file_write_atomic(opts.output, data, len);
        if (rc)
            return fail("%s: %s", opts.output, cprof_strerror(rc));
        return 0;
    }
    if (binary && isatty(STDOUT_FILENO))
        return fail("refusing to write binary %s to a terminal; use -output", binary);
    rc = cprof_fd_write_all(STDOUT_FILENO, data, len);
    if (rc)
        return fail("writing output: %s", cprof_strerror(rc));
    return 0;
}

/* Reads the whole of fd (from its start) into out. */
static int slurp(int fd, struct cprof_buf *out)
{
    char chunk[65536];
    ssize_t n;

    if (lseek(fd, 0, SEEK_SET) < 0)
        return -errno;
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (cprof_buf_append(out, chunk, (size_t)n))
            return -ENOMEM;
    }
    return 0;
}

/*
 * pprof's invokeDot: runs `dot -T<fmt>` on the dot text in *data and
 * replaces it with the rendering.  Memory files carry both sides, so no
 * pipe can deadlock.
 */
static int render_dot(struct cprof_buf *data, const char *fmt)
{
    char targ[16];
    char dotname[] = "dot";
    char *argv[] = {dotname, targ, NULL};
    posix_spawn_file_actions_t fa;
    struct cprof_buf img;
    int in = memfd_create("cprof-dot", MFD_CLOEXEC), out = memfd_create("cprof-img", MFD_CLOEXEC);
    int rc = 0, status;
    pid_t pid;

    snprintf(targ, sizeof(targ), "-T%s", fmt);
    if (in < 0 || out < 0 || cprof_fd_write_all(in, data->data, data->len) ||
        lseek(in, 0, SEEK_SET) < 0) {
        rc = fail("rendering %s: %s", fmt, strerror(errno));
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        rc = fail("failed to execute dot. Is Graphviz installed? Error: %s", strerror(rc));
        goto out;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = fail("failed to execute dot. Is Graphviz installed? Error: exit status %d",
                  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        goto out;
    }
    cprof_buf_init(&img, 0);
    if (slurp(out, &img) < 0) {
        cprof_buf_release(&img);
        rc = fail("rendering %s: %s", fmt, strerror(errno));
        goto out;
    }
    cprof_buf_release(data);
    *data = img;
out:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

/*
 * Pan and zoom for the svg in a browser (pprof inserts SVGPan for this):
 * the wheel zooms around the pointer, dragging pans, by moving the
 * viewBox.  Our own few lines; the image stays plain SVG.
 */
static const char svg_script[] =
    "<script type=\"text/ecmascript\"><![CDATA[\n"
    "(function () {\n"
    "  var svg = document.documentElement, vb = svg.viewBox.baseVal, drag = null;\n"
    "  if (!vb) return;\n"
    "  function pt(e) {\n"
    "    var r = svg.getBoundingClientRect();\n"
    "    var s = Math.max(vb.width / r.width, vb.height / r.height);\n"
    "    return {x: vb.x + (e.clientX - r.left) * s, y: vb.y + (e.clientY - r.top) * s, s: s};\n"
    "  }\n"
    "  svg.addEventListener('wheel', function (e) {\n"
    "    e.preventDefault();\n"
    "    var p = pt(e), k = e.deltaY < 0 ? 0.8 : 1.25;\n"
    "    vb.x = p.x - (p.x - vb.x) * k; vb.y = p.y - (p.y - vb.y) * k;\n"
    "    vb.width *= k; vb.height *= k;\n"
    "  }, {passive: false});\n"
    "  svg.addEventListener('mousedown', function (e) { drag = pt(e); });\n"
    "  svg.addEventListener('mousemove', function (e) {\n"
    "    if (!drag) return;\n"
    "    var p = pt(e); vb.x -= p.x - drag.x; vb.y -= p.y - drag.y;\n"
    "  });\n"
    "  window.addEventListener('mouseup', function () { drag = null; });\n"
    "})();\n"
    "]]></script>\n";

/*
 * pprof's massageSVG, our way: the image fills the window (width and
 * height 100%, the viewBox keeps the proportions) and gets svg_script.
 */
static int massage_svg(struct cprof_buf *data)
{
    struct cprof_buf o;
    char *svg, *end, *close_tag;
    const char *d;

    if (cprof_buf_append(data, "", 1)) /* NUL-terminate for the searches */
        return fail("out of memory");
    d = (const char *)data->data;
    svg = strstr(d, "<svg");
    end = svg ? strchr(svg, '>') : NULL;
    close_tag = end ? strstr(end, "</svg>") : NULL;
    if (!close_tag) {
        data->len--;
        return 0;
    }
    cprof_buf_init(&o, 0);
    int rc = cprof_buf_append(&o, d, (size_t)(svg - d));
    /* The <svg ...> tag with its width and height replaced. */
    for (const char *s = svg; !rc && s < end;) {
        if ((strncmp(s, " width=\"", 8) == 0 || strncmp(s, " height=\"", 9) == 0)) {
            const char *v = strchr(s, '"') + 1, *q = strchr(v, '"');

            rc = cprof_buf_append(&o, s, (size_t)(v - s));
            if (!rc)
                rc = cprof_buf_append(&o, "100%\"", 5);
            s = q ? q + 1 : end;
            continue;
        }
        rc = cprof_buf_append(&o, s, 1);
        s++;
    }
    if (!rc)
        rc = cprof_buf_append(&o, end, (size_t)(close_tag - end));
    if (!rc)
        rc = cprof_buf_append(&o, svg_script, sizeof(svg_script) - 1);
    if (!rc)
        rc = cprof_buf_append(&o, close_tag, strlen(close_tag));
    if (rc) {
        cprof_buf_release(&o);
        return fail("out of memory");
    }
    cprof_buf_release(data);
    *data = o;
    return 0;
}

static void report_opts(struct cprof_report_opts *r, const char *symbol)
{
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
    r->symbol = symbol;
    r->source_path = opts.source_path;
    r->trim_path = opts.trim_path;
    r->intel_syntax = opts.intel_syntax;
    r->warn = stderr;
    r->threads = online_cpus();
    if (opts.granularity && *opts.granularity)
        cprof_report_granularity_parse(opts.granularity, &r->granularity);
}

/*
 * pprof's reportOptions checks, for the formats that bypass the report
 * engine: the sample type must exist and the divisor must not be zero.
 * Prints the error and returns 1 when a check fails.
 */
static int check_report_options(const struct cprof_profile *p)
{
    const char *si = opts.sample_index;
    char *end;
    long idx;

    if (p->nsample_types == 0)
        return fail("profile has no samples");
    if (si && *si) {
        errno = 0;
        idx = strtol(si, &end, 10);
        if (!*end && !errno && (*si == '-' || *si == '+' || (*si >= '0' && *si <= '9'))) {
            if (idx < 0 || idx >= (long)p->nsample_types)
                return fail("sample_index %s is outside the range [0..%u]", si,
                            p->nsample_types - 1);
        } else if (cprof_profile_sample_index(p, si) == CPROF_NONE &&
                   (strncmp(si, "inuse_", 6) != 0 ||
                    cprof_profile_sample_index(p, si + 6) == CPROF_NONE)) {
            fputs("cprof: sample_index \"", stderr);
            fputs(si, stderr);
            fputs("\" must be one of: [", stderr);
            for (uint32_t i = 0; i < p->nsample_types; i++)
                fprintf(stderr, "%s%s", i ? " " : "",
                        cprof_profile_str(p, p->sample_types[i].type));
            fputs("]\n", stderr);
            return 1;
        }
    }
    if (opts.divide_by == 0)
        return fail("zero divisor specified");
    return 0;
}

/*
 * pprof's applyFocus on the profile itself, as -raw and -proto show it
 * (model/filter.h): the filters' notes go to stderr as pprof prints them.
 * Even with no filter set, samples without a location are dropped.
 * Prints the error and returns 1 on failure.
 */
static int filter_profile(struct cprof_profile *p)
{
    struct cprof_filter_opts fo = {
        .focus = opts.focus,
        .ignore = opts.ignore,
        .hide = opts.hide,
        .show = opts.show,
        .show_from = opts.show_from,
        .prune_from = opts.prune_from,
        .tagfocus = opts.tagfocus,
        .tagignore = opts.tagignore,
        .tagshow = opts.tagshow,
        .taghide = opts.taghide,
    };
    struct cprof_filter_notes notes = {0};
    struct cprof_diag diag = {0};
    int rc;

    rc = cprof_profile_filter(p, &fo, &notes, &diag);
    if (notes.ranges & CPROF_FILTER_TAGFOCUS)
        fprintf(stderr, "tagfocus:Interpreted '%s' as range, not regexp\n",
                strchr(opts.tagfocus, '=') ? strchr(opts.tagfocus, '=') + 1 : opts.tagfocus);
    if (notes.ranges & CPROF_FILTER_TAGIGNORE)
        fprintf(stderr, "tagignore:Interpreted '%s' as range, not regexp\n",
                strchr(opts.tagignore, '=') ? strchr(opts.tagignore, '=') + 1 : opts.tagignore);
    for (unsigned i = 0; i < CPROF_FILTER_NBITS; i++)
        if (notes.unmatched & (1u << i))
            fprintf(stderr, "%s expression matched no samples\n", cprof_filter_name(1u << i));
    if (rc)
        return fail("%s", diag.msg[0] ? diag.msg : cprof_strerror(rc));
    return 0;
}

/* pprof's Profile.Copy: a serialization and a parse. */
static int copy_profile(const struct cprof_profile *p, struct cprof_profile **out)
{
    struct cprof_limits lim;
    struct cprof_diag diag = {0};
    struct cprof_buf b;
    int rc;

    cprof_limits_default(&lim);
    cprof_buf_init(&b, 0);
    rc = cprof_profile_encode(p, false, &b);
    if (!rc)
        rc = cprof_profile_decode(b.data, b.len, &lim, out, &diag);
    cprof_buf_release(&b);
    if (rc)
        return fail("copying profile: %s", diag.msg[0] ? diag.msg : cprof_strerror(rc));
    return 0;
}

/* -proto's bytes: the message, gzipped on every processor this machine has. */
static int encode_gzip(const struct cprof_profile *p, struct cprof_buf *out)
{
    return cprof_profile_encode_threads(p, true, online_cpus(), out);
}

static int report_profile(struct cprof_profile *p, const struct format *f, const char *symbol);

/*
 * -raw and -proto: pprof's generateRawReport writes the filtered profile
 * itself.  The filters edit p, or a copy of it in the shell, whose
 * profile must stay whole for its next commands.
 */
static int write_profile(struct cprof_profile *p, const struct format *f)
{
    struct cprof_profile *copy = NULL;
    struct cprof_buf out;
    int rc;

    if (shell_active && copy_profile(p, &copy))
        return 1;
    if (copy)
        p = copy;
    /* pprof filters first only with -relative_percentages (then reportOptions). */
    if (opts.relative_percentages)
        rc = filter_profile(p) || check_report_options(p);
    else
        rc = check_report_options(p) || filter_profile(p);
    cprof_buf_init(&out, 0);
    if (!rc) {
        rc = f->out == OUT_PROTO ? encode_gzip(p, &out) : cprof_raw_format(p, &out);
        if (rc)
            rc = fail("%s%s", f->out == OUT_PROTO ? "encoding profile: " : "formatting report: ",
                      cprof_strerror(rc));
        else if (opts.output && strcmp(opts.output, "-") != 0)
            fprintf(stderr, "Generating report in %s\n", opts.output);
        if (!rc)
            rc = emit(out.data, out.len, f->binary ? "profile" : NULL);
    }
    cprof_buf_release(&out);
    cprof_profile_free(copy);
    return rc;
}

/*
 * Writes the report f of p, with the options of the command line; with
 * -tagroot or -tagleaf, of a copy of p with the label frames (pprof adds
 * them to its copy of the profile for every report).
 */
static int report(struct cprof_profile *p, const struct format *f, const char *symbol)
{
    struct cprof_diag diag = {0};
    struct cprof_profile *q;
    int rc;

    if (!(opts.tagroot && *opts.tagroot) && !(opts.tagleaf && *opts.tagleaf))
        return report_profile(p, f, symbol);
    if (cprof_report_label_frames(p, opts.tagroot, opts.tagleaf, opts.unit, &q, stderr, &diag))
        return fail("%s", diag.msg[0] ? diag.msg : "adding label frames");
    rc = report_profile(q, f, symbol);
    cprof_profile_free(q);
    return rc;
}

static int report_profile(struct cprof_profile *p, const struct format *f, const char *symbol)
{
    struct cprof_report_opts ro;
    struct cprof_diag diag = {0};
    struct cprof_buf out;
    char *mem = NULL;
    size_t memlen = 0;
    FILE *m;
    int rc;

    if (f->out == OUT_RAW || f->out == OUT_PROTO)
        return write_profile(p, f);
    cprof_buf_init(&out, 0);
    report_opts(&ro, symbol);
    /* Text to the terminal or a pipe goes straight out; everything else is staged. */
    if (f->out == OUT_REPORT && !f->binary && !(opts.output && strcmp(opts.output, "-") != 0)) {
        rc = cprof_report_run(p, f->kind, &ro, stdout, &diag);
        if (rc)
            return fail("%s", diag.msg[0] ? diag.msg : cprof_strerror(rc));
        return 0;
    }
    m = open_memstream(&mem, &memlen);
    if (!m)
        return fail("out of memory");
    rc = cprof_report_run(p, f->kind, &ro, m, &diag);
    if (fclose(m) && !rc)
        rc = cprof_diag_set(&diag, -ENOMEM, "out of memory");
    if (rc) {
        free(mem);
        return fail("%s", diag.msg[0] ? diag.msg : cprof_strerror(rc));
    }
    out.data = (unsigned char *)mem;
    out.len = memlen;
    out.cap = memlen;
    if (f->out == OUT_IMAGE) {
        rc = render_dot(&out, f->image);
        if (!rc && strcmp(f->image, "svg") == 0)
            rc = massage_svg(&out);
    }
    if (!rc && opts.output && strcmp(opts.output, "-") != 0)
        fprintf(stderr, "Generating report in %s\n", opts.output);
    if (!rc)
        rc = emit(out.data, out.len, !f->binary ? NULL : f->out == OUT_IMAGE ? "image" : "profile");
    cprof_buf_release(&out);
    return rc;
}

/* ---- command line ---------------------------------------------------------------- */

/*
 * pprof's outputFormat: at most one format flag; *symbol gets the regexp
 * of -list, -peek and -disasm.  0 when none is set, 1 when one is, -1
 * after printing the error.
 */
static int output_format(struct format *f, const char **symbol)
{
    static const struct {
        const bool *flag;
        struct format f;
    } bools[] = {
        {&opts.top, {OUT_REPORT, CPROF_REPORT_TOP, NULL, false}},
        {&opts.text, {OUT_REPORT, CPROF_REPORT_TOP, NULL, false}},
        {&opts.traces, {OUT_REPORT, CPROF_REPORT_TRACES, NULL, false}},
        {&opts.tree, {OUT_REPORT, CPROF_REPORT_TREE, NULL, false}},
        {&opts.tags, {OUT_REPORT, CPROF_REPORT_TAGS, NULL, false}},
        {&opts.dot, {OUT_REPORT, CPROF_REPORT_DOT, NULL, false}},
        {&opts.callgrind, {OUT_REPORT, CPROF_REPORT_CALLGRIND, NULL, false}},
        {&opts.collapsed, {OUT_REPORT, CPROF_REPORT_COLLAPSED, NULL, false}},
        {&opts.comments, {OUT_REPORT, CPROF_REPORT_COMMENTS, NULL, false}},
        {&opts.flamegraph, {OUT_REPORT, CPROF_REPORT_FLAMEGRAPH, NULL, false}},
        {&opts.topproto, {OUT_REPORT, CPROF_REPORT_TOPPROTO, NULL, true}},
        {&opts.svg, {OUT_IMAGE, CPROF_REPORT_DOT, "svg", false}},
        {&opts.png, {OUT_IMAGE, CPROF_REPORT_DOT, "png", true}},
        {&opts.pdf, {OUT_IMAGE, CPROF_REPORT_DOT, "pdf", true}},
        {&opts.raw, {OUT_RAW, CPROF_REPORT_TOP, NULL, false}},
        {&opts.proto, {OUT_PROTO, CPROF_REPORT_TOP, NULL, true}},
    };
    const struct {
        const char *arg;
        enum cprof_report_kind kind;
    } params[] = {
        {opts.list, CPROF_REPORT_LIST},
        {opts.peek, CPROF_REPORT_PEEK},
        {opts.disasm, CPROF_REPORT_DISASM},
    };
    int n = 0;

    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
        if (*bools[i].flag) {
            *f = bools[i].f;
            n++;
        }
    }
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
        if (params[i].arg && *params[i].arg) {
            *f = (struct format){OUT_REPORT, params[i].kind, NULL, false};
            *symbol = params[i].arg;
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
    const bool *const gflags[] = {&opts.functions, &opts.filefunctions, &opts.files,
                                  &opts.lines, &opts.addresses};
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

/* The shell's report command: the one-off options last for this report only. */
static int shell_report(void *ctx, const struct cprof_shell_cmd *c)
{
    struct cprof_profile *p = ctx;
    struct cprof_cli_opts saved = opts;
    struct format f;
    const char *symbol = NULL;
    bool tags = strcmp(c->name, "tags") == 0;
    int status = 1;

    for (size_t i = 0; i < NKINDS; i++) {
        if (strcmp(flag_table[i].name, c->name) != 0)
            continue;
        if (flag_table[i].type == CPROF_FLAG_BOOL)
            *(bool *)flag_table[i].ptr = true;
        else
            *(const char **)flag_table[i].ptr = c->param;
    }
    if (c->has_nodecount)
        opts.nodecount = c->nodecount;
    if (c->focus)
        *(tags ? &opts.tagfocus : &opts.focus) = c->focus;
    if (c->ignore)
        *(tags ? &opts.tagignore : &opts.ignore) = c->ignore;
    if (c->cum)
        opts.cum = true;
    opts.output = c->output;
    if (output_format(&f, &symbol) == 1)
        status = report(p, &f, symbol);
    opts = saved;
    return status;
}

/* pprof's greetings: the profile's labels. */
static void shell_greet(void *ctx)
{
    struct cprof_report_opts ro;
    struct cprof_diag diag = {0};

    report_opts(&ro, NULL);
    ro.warn = NULL;
    if (cprof_report_run(ctx, CPROF_REPORT_LABELS, &ro, stderr, &diag))
        fail("%s", diag.msg[0] ? diag.msg : "reading profile labels");
}

/* pprof's interactive mode on p; the exit status. */
static int shell(struct cprof_profile *p)
{
    const char **types = calloc(p->nsample_types + 1, sizeof(*types));
    struct cprof_shell_host h = {
        .ctx = p,
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
    shell_active = true;
    rc = cprof_shell_run(&h);
    shell_active = false;
    free(types);
    return rc ? fail("%s", cprof_strerror(rc)) : 0;
}

/*
 * Whether a single profile must be compacted (merged with itself, as
 * pprof does) before format f: reports that list samples (-traces, -raw,
 * -tags, -comments, the shell) show the difference; -proto's reader merges
 * anyway; the graph, table, source and flame reports only sum values by
 * node, which compaction (identical samples summed, zero samples and
 * unused entries dropped, first-seen order kept) does not change.  Saves a
 * pass over every sample of a big profile.
 */
static bool needs_compaction(const struct format *f)
{
    if (!f)
        return true; /* the shell: any report may follow */
    switch (f->out) {
    case OUT_PROTO:
    case OUT_IMAGE:
        return false;
    case OUT_RAW:
        return true;
    case OUT_REPORT:
        break;
    }
    switch (f->kind) {
    case CPROF_REPORT_TOP:
    case CPROF_REPORT_DOT:
    case CPROF_REPORT_TREE:
    case CPROF_REPORT_PEEK:
    case CPROF_REPORT_LIST:
    case CPROF_REPORT_DISASM:
    case CPROF_REPORT_CALLGRIND:
    case CPROF_REPORT_COLLAPSED:
    case CPROF_REPORT_FLAMEGRAPH:
    case CPROF_REPORT_TOPPROTO:
        return false;
    default:
        return true;
    }
}

/* Loads, combines, symbolizes and reports; the exit status. */
static int run(char **paths, size_t n, const char *binary, const struct format *f,
               const char *symbol)
{
    struct cprof_profile *p = NULL, *pbase = NULL;
    char *base = (char *)(*opts.diff_base ? opts.diff_base : opts.base);
    int status;

    status = load_group(paths, n, needs_compaction(f) || *base, binary, &p);
    if (!status && *base) {
        status = load_group(&base, 1, true, binary, &pbase);
        if (!status)
            status = combine_base(&p, pbase, *opts.diff_base != 0);
    }
    cprof_profile_free(pbase);
    if (!status)
        status = symbolize(p);
    if (!status && cprof_profile_remove_uninteresting(p) < 0)
        status = fail("out of memory");
    if (!status && f)
        status = report(p, f, symbol);
    if (!status && !f)
        status = shell(p);
    cprof_profile_free(p);
    return status;
}

int cprof_cmd_report(int argc, char **argv)
{
    struct cprof_diag diag = {0};
    struct format f = {OUT_REPORT, CPROF_REPORT_TOP, NULL, false};
    const char *symbol = NULL, *binary = NULL;
    enum cprof_report_granularity g;
    char **args;
    int first, nargs, status, nf;

    memset(&opts, 0, sizeof(opts));
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
    status = run(args, (size_t)nargs, binary, &f, symbol);
out:
    return status;
}
