/*
 * The report command: `cprof [flags] PROFILE...`, pprof's command line.
 * Every profile is read with a size cap, decoded with limits, and the set
 * is merged (even a single profile, as pprof does: that compacts it) and
 * pruned by its drop_frames (pprof's RemoveUninteresting); then the chosen
 * output is written.  Files are written atomically, so a
 * failure leaves nothing half-written.
 */
#include "tool/cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/htab.h"
#include "model/codec.h"
#include "model/merge.h"
#include "model/profile.h"
#include "tool/fetch.h"
#include "tool/flags.h"
#include "tool/prune.h"
#include "tool/raw.h"
#include "tool/version.h"

/* Every option of the command line; the flag table points into it. */
struct cprof_cli_opts {
    bool raw;           /* -raw: text dump of the merged profile */
    bool proto;         /* -proto: gzipped protobuf of the merged profile */
    bool version;       /* -version */
    const char *output; /* -output FILE, NULL = stdout */
    long long seconds;  /* -seconds: duration of a profile fetched by URL */
    long long timeout;  /* -timeout: seconds to wait for a URL, 0 = pprof's default */
};

static struct cprof_cli_opts opts;

/* Output formats: at most one may be set (pprof's rule). */
static const struct cprof_flag flag_table[] = {
    {"output", CPROF_FLAG_STRING, &opts.output, "Output filename for file-based outputs"},
    {"proto", CPROF_FLAG_BOOL, &opts.proto, "Outputs the profile in compressed protobuf format"},
    {"raw", CPROF_FLAG_BOOL, &opts.raw, "Outputs a text representation of the raw profile"},
    {"seconds", CPROF_FLAG_INT, &opts.seconds, "Length of time for dynamic profiles"},
    {"timeout", CPROF_FLAG_INT, &opts.timeout, "Timeout in seconds for fetching a profile"},
    {"version", CPROF_FLAG_BOOL, &opts.version, "Print the version and exit"},
};

#define NFLAGS (sizeof(flag_table) / sizeof(flag_table[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: cprof [options] PROFILE...\n"
               "       cprof run [options] -- PROGRAM ARGS...\n"
               "\n"
               "Reads pprof profiles (merging several into one) and reports on them.\n"
               "\n"
               "options:\n");
    cprof_flags_usage(f, flag_table, NFLAGS);
}

/* Prints "cprof: <message>" as one line on stderr; returns exit status 1. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
    va_list ap;

    fputs("cprof: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
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
    rc = cprof_profile_decode(buf.data, buf.len, lim, out, &diag);
    cprof_buf_release(&buf);
    if (rc)
        return fail("%s: parsing profile: %s", path,
                    diag.msg[0] ? diag.msg : cprof_strerror(rc));
    return 0;
}

/*
 * pprof's locateBinaries gives a profile without mappings (some Go
 * runtime profiles) one zero mapping, id 1, that every location uses.
 */
static int add_fake_mapping(struct cprof_profile *p)
{
    int rc;

    if (p->nmappings > 0)
        return 0;
    rc = cprof__grow32((void **)&p->mappings, &p->mappings_cap, 1, sizeof(*p->mappings));
    if (rc)
        return rc;
    memset(&p->mappings[0], 0, sizeof(p->mappings[0]));
    p->mappings[0].id = 1;
    p->nmappings = 1;
    for (uint32_t i = 0; i < p->nlocations; i++)
        p->locations[i].mapping = 0;
    /* Locations changed: the builder's location index is stale. */
    cprof_htab_release(&p->loc_idx);
    cprof_htab_init(&p->loc_idx);
    p->loc_indexed = 0;
    return 0;
}

/* Writes data to -output atomically, or to stdout. */
static int emit(const void *data, size_t len, bool binary)
{
    int rc;

    if (opts.output && strcmp(opts.output, "-") != 0) {
        rc = cprof_file_write_atomic(opts.output, data, len);
        if (rc)
            return fail("%s: %s", opts.output, cprof_strerror(rc));
        return 0;
    }
    if (binary && isatty(STDOUT_FILENO))
        return fail("refusing to write binary profile to a terminal; use -output");
    rc = cprof_fd_write_all(STDOUT_FILENO, data, len);
    if (rc)
        return fail("writing output: %s", cprof_strerror(rc));
    return 0;
}

static int report(const struct cprof_profile *p)
{
    struct cprof_buf out;
    int rc;

    cprof_buf_init(&out, 0);
    rc = opts.proto ? cprof_profile_encode(p, true, &out) : cprof_raw_format(p, &out);
    if (rc)
        rc = fail("%s%s", opts.proto ? "encoding profile: " : "formatting report: ",
                  cprof_strerror(rc));
    else
        rc = emit(out.data, out.len, opts.proto);
    cprof_buf_release(&out);
    return rc;
}

/*
 * pprof's applyFocus with no filter set still drops the samples that have
 * no location (a sample is kept only when one of its locations is
 * "focused"); -raw and -proto show that.  Such samples reference nothing,
 * so the tables stay as they are.
 * TODO(cli): becomes part of -focus/-ignore filtering with the report flags.
 */
static void drop_stackless_samples(struct cprof_profile *p)
{
    size_t kept = 0;

    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].nlocs > 0)
            p->samples[kept++] = p->samples[i];
    if (kept == p->nsamples)
        return;
    p->nsamples = kept;
    /* Positions moved: the builder's sample index must be rebuilt if used again. */
    cprof_htab_release(&p->sample_idx);
    cprof_htab_init(&p->sample_idx);
    p->sample_indexed = 0;
}

/* Loads every profile, merges them and writes the report. */
static int run(int n, char **paths)
{
    struct cprof_profile **profs, *merged = NULL;
    struct cprof_diag diag = {0};
    struct cprof_limits lim;
    int status = 0, rc;

    cprof_limits_default(&lim);
    profs = calloc((size_t)n, sizeof(*profs));
    if (!profs)
        return fail("out of memory");
    for (int i = 0; i < n && !status; i++) {
        status = load(paths[i], &lim, &profs[i]);
        if (!status && add_fake_mapping(profs[i]) < 0)
            status = fail("out of memory");
    }
    if (!status) {
        rc = cprof_profile_merge(profs, (size_t)n, &merged, &diag);
        if (rc)
            status = fail("merging profiles: %s", diag.msg[0] ? diag.msg : cprof_strerror(rc));
    }
    for (int i = 0; i < n; i++)
        cprof_profile_free(profs[i]);
    free(profs);
    if (!status) {
        if (cprof_profile_remove_uninteresting(merged) < 0)
            status = fail("out of memory");
        drop_stackless_samples(merged);
        if (!status)
            status = report(merged);
    }
    cprof_profile_free(merged);
    return status;
}

int cprof_cmd_report(int argc, char **argv)
{
    struct cprof_diag diag = {0};
    int first;

    first = cprof_flags_parse(flag_table, NFLAGS, argc - 1, argv + 1, &diag);
    if (first == CPROF_FLAGS_HELP) {
        usage(stdout);
        return 0;
    }
    if (first < 0) {
        fprintf(stderr, "%s\n", diag.msg);
        usage(stderr);
        return 2;
    }
    if (opts.version) {
        printf("cprof %s\n", cprof_tool_version());
        return 0;
    }
    if (opts.raw + opts.proto > 1) {
        fprintf(stderr, "cprof: must set at most one output format\n");
        return 2;
    }
    if (first + 1 >= argc) {
        usage(stderr);
        return 2;
    }
    if (!opts.raw && !opts.proto) {
        fprintf(stderr, "cprof: no output format given (use -raw or -proto)\n");
        return 2;
    }
    return run(argc - 1 - first, argv + 1 + first);
}
