/*
 * The report session (tool/session.h): pprof's driver from the sources to
 * the report bytes.  Every profile is read with a size cap, decoded with
 * limits, and the set is merged; a base is merged in negated; the result
 * is symbolized from local binaries and pruned by its drop_frames once;
 * then each report is written by the report engine (tool/report/), by
 * graphviz from the engine's dot (tool/render.h), or, for -raw and
 * -proto, from the filtered profile itself (model/filter.h).
 */
#include "tool/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
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
#include "tool/prune.h"
#include "tool/raw.h"
#include "tool/render.h"

/* The reason in d, else the code's text. */
static const char *why(const struct cprof_diag *d, int rc)
{
    return d->msg[0] ? d->msg : cprof_strerror(rc);
}

static int oom(struct cprof_diag *diag)
{
    return cprof_diag_set(diag, -ENOMEM, "out of memory");
}

int cprof_session_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > CPROF_PAR_MAX ? CPROF_PAR_MAX : (int)n;
}

void cprof_session_init(struct cprof_session *s)
{
    memset(s, 0, sizeof(*s));
    cprof_report_opts_init(&s->opts.report);
    s->threads = cprof_session_cpus();
    s->opts.report.threads = s->threads;
    s->opts.report.warn = stderr;
    cprof_limits_default(&s->lim);
    s->lim.max_threads = s->threads;
    s->notes = stderr;
}

void cprof_session_release(struct cprof_session *s)
{
    cprof_profile_free(s->prof);
    s->prof = NULL;
}

/* Reads and decodes one profile. */
static int load_one(const struct cprof_session *s, const char *path, struct cprof_profile **out,
                    struct cprof_diag *diag)
{
    const struct cprof_limits *lim = &s->lim;
    struct cprof_diag d = {0};
    struct cprof_buf buf;
    int rc;

    if (cprof_fetch_is_url(path)) { /* src/tool/fetch.c: pprof's URL sources */
        rc = cprof_fetch_profile(path, s->seconds, s->timeout, lim, out, &d);
        return rc ? cprof_diag_set(diag, rc, "%s", d.msg) : 0;
    }
    /* A gzipped profile is smaller than its decoded size: the same cap bounds the file. */
    cprof_buf_init(&buf, lim->max_bytes);
    rc = cprof_file_read(path, &buf);
    if (rc) {
        cprof_buf_release(&buf);
        if (rc == CPROF_ETOOBIG)
            return cprof_diag_set(diag, rc, "%s: file exceeds %zu bytes", path, lim->max_bytes);
        return cprof_diag_set(diag, rc, "%s: %s", path, cprof_strerror(rc));
    }
    rc = cprof_profile_parse_any(buf.data, buf.len, lim, out, &d);
    cprof_buf_release(&buf);
    if (rc)
        return cprof_diag_set(diag, rc, "%s: parsing profile: %s", path, why(&d, rc));
    return 0;
}

/* Loads and merges paths[0..n) into *out (see cprof_session_load). */
static int load_group(const struct cprof_session *s, char *const *paths, size_t n, bool compact,
                      const char *binary, struct cprof_profile **out, struct cprof_diag *diag)
{
    struct cprof_profile **profs;
    struct cprof_diag d = {0};
    int rc = 0;

    *out = NULL;
    profs = calloc(n, sizeof(*profs));
    if (!profs)
        return oom(diag);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = load_one(s, paths[i], &profs[i], diag);
        if (!rc && cprof_locate_binaries(profs[i], binary, s->notes) < 0)
            rc = oom(diag);
    }
    /* pprof's combineProfiles: measurement.ScaleProfiles, then Merge. */
    if (!rc && cprof_profile_scale_units(profs, n) < 0)
        rc = oom(diag);
    if (!rc && n == 1 && !compact) {
        *out = profs[0];
        profs[0] = NULL;
    } else if (!rc) {
        rc = cprof_profile_merge(profs, n, out, &d);
        if (rc)
            cprof_diag_set(diag, rc, "merging profiles: %s", why(&d, rc));
    }
    for (size_t i = 0; i < n; i++)
        cprof_profile_free(profs[i]);
    free(profs);
    return rc;
}

int cprof_session_load(struct cprof_session *s, char *const *paths, size_t n, const char *binary,
                       bool compact, struct cprof_diag *diag)
{
    struct cprof_profile *p;
    int rc = load_group(s, paths, n, compact, binary, &p, diag);

    if (rc)
        return rc;
    cprof_profile_free(s->prof);
    s->prof = p;
    return 0;
}

/*
 * pprof's fetchProfiles after the grab: base samples get the label
 * pprof::base=true for -diff_base, the sources are scaled to the base's
 * totals for -normalize, the base is negated and both are merged.
 */
static int combine_base(const struct cprof_session *s, struct cprof_profile **p,
                        struct cprof_profile *pbase, bool diff, struct cprof_diag *diag)
{
    struct cprof_diag d = {0};
    struct cprof_profile *both[2], *merged = NULL;
    double *neg;
    int rc;

    if (diff && cprof_profile_set_label(pbase, "pprof::base", "true") < 0)
        return oom(diag);
    if (s->normalize) {
        rc = cprof_profile_normalize(*p, pbase, &d);
        if (rc)
            return cprof_diag_set(diag, rc, "%s", why(&d, rc));
    }
    neg = malloc(((size_t)pbase->nsample_types + 1) * sizeof(*neg));
    if (!neg)
        return oom(diag);
    for (uint32_t k = 0; k < pbase->nsample_types; k++)
        neg[k] = -1;
    cprof_profile_scale(pbase, neg);
    free(neg);
    both[0] = *p;
    both[1] = pbase;
    rc = cprof_profile_scale_units(both, 2);
    if (rc)
        return cprof_diag_set(diag, rc, "%s", cprof_strerror(rc));
    rc = cprof_profile_merge(both, 2, &merged, &d);
    if (rc)
        return cprof_diag_set(diag, rc, "%s", why(&d, rc));
    cprof_profile_free(*p);
    *p = merged;
    return 0;
}

int cprof_session_apply_base(struct cprof_session *s, const char *path, bool diff,
                             const char *binary, struct cprof_diag *diag)
{
    char *paths[1] = {(char *)path};
    struct cprof_profile *pbase = NULL;
    int rc;

    if (!s->prof)
        return cprof_diag_set(diag, CPROF_EUSAGE, "no profile loaded");
    rc = load_group(s, paths, 1, true, binary, &pbase, diag);
    if (!rc)
        rc = combine_base(s, &s->prof, pbase, diff, diag);
    cprof_profile_free(pbase);
    return rc;
}

/*
 * -symbolize, parsed as pprof's Symbolizer.Symbolize: ':'-separated,
 * case-insensitive options.  none (or no) leaves the profile alone
 * (unsymbolized frames show as pprof shows them: address and [binary]);
 * local, fastlocal and the default symbolize the mappings without
 * functions from their files on this machine, build id checked; remote
 * alone does no local symbolization (cprof has no symbolz client); force
 * and demangle=MODE redo mappings already symbolized (cprof demangles its
 * own way).  Anything else is noted and ignored, as pprof does.  The files
 * were found (and a binary named on the command line applied) when each
 * profile was read (tool/binaries.h); pprof's notes about the mappings
 * that could not be symbolized go to the session's notes.
 */
static int symbolize(const struct cprof_session *s, struct cprof_profile *p,
                     struct cprof_diag *diag)
{
    const char *mode = s->symbolize ? s->symbolize : "";
    bool local = true, force = false;
    enum cprof_demangle_mode dmode = CPROF_DEMANGLE_DEFAULT;
    char *list = strdup(mode), *cur = list, *o;
    uint32_t nfunc = p->nfunctions;
    int rc;

    if (!list)
        return oom(diag);
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
        } else if (*o && strcmp(o, "demangle=default") != 0 && s->notes)
            fprintf(s->notes,
                    "ignoring unrecognized symbolization option: %s\n"
                    "expecting -symbolize=[local|fastlocal|remote|none][:force]"
                    "[:demangle=[none|full|templates|default]\n",
                    mode);
    }
    free(list);
    if (local && (rc = cprof_symbolize_local(p, force, s->notes)) != 0)
        return cprof_diag_set(diag, rc, "symbolizing: %s", cprof_strerror(rc));
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
        return cprof_diag_set(diag, rc, "demangling: %s", cprof_strerror(rc));
    return 0;
}

int cprof_session_symbolize(struct cprof_session *s, struct cprof_diag *diag)
{
    int rc;

    if (!s->prof)
        return cprof_diag_set(diag, CPROF_EUSAGE, "no profile loaded");
    rc = symbolize(s, s->prof, diag);
    if (!rc && cprof_profile_remove_uninteresting(s->prof) < 0)
        rc = oom(diag);
    return rc;
}

/* ---- -raw and -proto -------------------------------------------------------------- */

int cprof_session_check_options(const struct cprof_profile *p, const struct cprof_report_opts *o,
                                struct cprof_diag *diag)
{
    const char *si = o->sample_index;
    char list[160];
    size_t w = 0;
    char *end;
    long idx;

    if (p->nsample_types == 0)
        return cprof_diag_set(diag, CPROF_EUSAGE, "profile has no samples");
    if (si && *si) {
        errno = 0;
        idx = strtol(si, &end, 10);
        if (!*end && !errno && (*si == '-' || *si == '+' || (*si >= '0' && *si <= '9'))) {
            if (idx < 0 || idx >= (long)p->nsample_types)
                return cprof_diag_set(diag, CPROF_EUSAGE,
                                      "sample_index %s is outside the range [0..%u]", si,
                                      p->nsample_types - 1);
        } else if (cprof_profile_sample_index(p, si) == CPROF_NONE &&
                   (strncmp(si, "inuse_", 6) != 0 ||
                    cprof_profile_sample_index(p, si + 6) == CPROF_NONE)) {
            list[0] = '\0';
            for (uint32_t i = 0; i < p->nsample_types && w < sizeof(list); i++)
                w += (size_t)snprintf(list + w, sizeof(list) - w, "%s%s", i ? " " : "",
                                      cprof_profile_str(p, p->sample_types[i].type));
            return cprof_diag_set(diag, CPROF_EUSAGE, "sample_index \"%s\" must be one of: [%s]",
                                  si, list);
        }
    }
    if (o->divide_by == 0)
        return cprof_diag_set(diag, CPROF_EUSAGE, "zero divisor specified");
    return 0;
}

/*
 * pprof's applyFocus on the profile itself, as -raw and -proto show it
 * (model/filter.h): the filters' notes go to o->warn as pprof prints them.
 * Even with no filter set, samples without a location are dropped.
 */
static int filter_profile(struct cprof_profile *p, const struct cprof_report_opts *o,
                          struct cprof_diag *diag)
{
    struct cprof_filter_opts fo = {
        .focus = o->focus,
        .ignore = o->ignore,
        .hide = o->hide,
        .show = o->show,
        .show_from = o->show_from,
        .prune_from = o->prune_from,
        .tagfocus = o->tagfocus,
        .tagignore = o->tagignore,
        .tagshow = o->tagshow,
        .taghide = o->taghide,
    };
    struct cprof_filter_notes notes = {0};
    struct cprof_diag d = {0};
    FILE *w = o->warn;
    int rc;

    rc = cprof_profile_filter(p, &fo, &notes, &d);
    if (w && (notes.ranges & CPROF_FILTER_TAGFOCUS))
        fprintf(w, "tagfocus:Interpreted '%s' as range, not regexp\n",
                strchr(o->tagfocus, '=') ? strchr(o->tagfocus, '=') + 1 : o->tagfocus);
    if (w && (notes.ranges & CPROF_FILTER_TAGIGNORE))
        fprintf(w, "tagignore:Interpreted '%s' as range, not regexp\n",
                strchr(o->tagignore, '=') ? strchr(o->tagignore, '=') + 1 : o->tagignore);
    for (unsigned i = 0; w && i < CPROF_FILTER_NBITS; i++)
        if (notes.unmatched & (1u << i))
            fprintf(w, "%s expression matched no samples\n", cprof_filter_name(1u << i));
    if (rc)
        return cprof_diag_set(diag, rc, "%s", why(&d, rc));
    return 0;
}

/* pprof's Profile.Copy: a serialization and a parse. */
static int copy_profile(const struct cprof_profile *p, struct cprof_profile **out,
                        struct cprof_diag *diag)
{
    struct cprof_limits lim;
    struct cprof_diag d = {0};
    struct cprof_buf b;
    int rc;

    cprof_limits_default(&lim);
    cprof_buf_init(&b, 0);
    rc = cprof_profile_encode(p, false, &b);
    if (!rc)
        rc = cprof_profile_decode(b.data, b.len, &lim, out, &d);
    cprof_buf_release(&b);
    if (rc)
        return cprof_diag_set(diag, rc, "copying profile: %s", why(&d, rc));
    return 0;
}

/*
 * -raw and -proto: pprof's generateRawReport writes the filtered profile
 * itself.  The filters edit p, or a copy of it when the session keeps its
 * profile whole for its next reports.
 */
static int write_profile(const struct cprof_session *s, struct cprof_profile *p,
                         const struct cprof_report_opts *o, const struct cprof_report_format *f,
                         struct cprof_buf *out, struct cprof_diag *diag)
{
    struct cprof_profile *copy = NULL;
    int rc;

    if (s->keep_profile && (rc = copy_profile(p, &copy, diag)))
        return rc;
    if (copy)
        p = copy;
    /* pprof filters first only with -relative_percentages (then reportOptions). */
    if (o->relative_percentages) {
        rc = filter_profile(p, o, diag);
        if (!rc)
            rc = cprof_session_check_options(p, o, diag);
    } else {
        rc = cprof_session_check_options(p, o, diag);
        if (!rc)
            rc = filter_profile(p, o, diag);
    }
    if (!rc) {
        /* -proto's bytes: the message, gzipped on every processor this machine has. */
        rc = f->out == CPROF_OUT_PROTO ? cprof_profile_encode_threads(p, true, s->threads, out)
                                       : cprof_raw_format(p, out);
        if (rc)
            cprof_diag_set(diag, rc, "%s%s",
                           f->out == CPROF_OUT_PROTO ? "encoding profile: " : "formatting report: ",
                           cprof_strerror(rc));
    }
    cprof_profile_free(copy);
    return rc;
}

/* ---- reports ---------------------------------------------------------------------- */

/* An engine report of p into out, a FILE. */
static int engine_report(const struct cprof_profile *p, const struct cprof_report_opts *ro,
                         const struct cprof_report_format *f, const char *symbol, FILE *out,
                         struct cprof_diag *diag)
{
    struct cprof_report_opts o = *ro;
    struct cprof_diag d = {0};
    int rc;

    o.symbol = symbol;
    rc = cprof_report_run(p, f->kind, &o, out, &d);
    return rc ? cprof_diag_set(diag, rc, "%s", why(&d, rc)) : 0;
}

/* An engine report of p made whole in out; images rendered. */
static int engine_report_buf(const struct cprof_profile *p, const struct cprof_report_opts *ro,
                             const struct cprof_report_format *f, const char *symbol,
                             struct cprof_buf *out, struct cprof_diag *diag)
{
    struct cprof_buf b;
    char *mem = NULL;
    size_t memlen = 0;
    FILE *m;
    int rc;

    m = open_memstream(&mem, &memlen);
    if (!m)
        return oom(diag);
    rc = engine_report(p, ro, f, symbol, m, diag);
    if (fclose(m) && !rc)
        rc = oom(diag);
    if (rc) {
        free(mem);
        return rc;
    }
    b.data = (uint8_t *)mem;
    b.len = memlen;
    b.cap = memlen;
    b.max = 0;
    if (f->out == CPROF_OUT_IMAGE) {
        rc = cprof_render_dot(&b, f->image, diag);
        if (!rc && strcmp(f->image, "svg") == 0)
            rc = cprof_render_massage_svg(&b, diag);
    }
    if (!rc && !out->len && !out->max) { /* the usual case: take the bytes, no copy */
        cprof_buf_release(out);
        *out = b;
        return 0;
    }
    if (!rc && cprof_buf_append(out, b.data, b.len))
        rc = oom(diag);
    cprof_buf_release(&b);
    return rc;
}

/*
 * Runs f on p (the session's profile, or its copy with label frames):
 * into out_file when it is not NULL and f is text from the engine, else
 * into out_buf.
 */
static int report_on(struct cprof_session *s, struct cprof_profile *p,
                     const struct cprof_session_opts *o, const struct cprof_report_format *f,
                     const char *symbol, FILE *out_file, struct cprof_buf *out_buf,
                     struct cprof_diag *diag)
{
    if (f->out == CPROF_OUT_RAW || f->out == CPROF_OUT_PROTO)
        return write_profile(s, p, &o->report, f, out_buf, diag);
    if (out_file)
        return engine_report(p, &o->report, f, symbol, out_file, diag);
    return engine_report_buf(p, &o->report, f, symbol, out_buf, diag);
}

/*
 * The report, with -tagroot or -tagleaf of a copy of the profile with the
 * label frames (pprof adds them to its copy of the profile for every
 * report).
 */
static int report(struct cprof_session *s, const struct cprof_session_opts *o,
                  const struct cprof_report_format *f, const char *symbol, FILE *out_file,
                  struct cprof_buf *out_buf, struct cprof_diag *diag)
{
    struct cprof_diag d = {0};
    struct cprof_profile *q;
    int rc;

    if (!o)
        o = &s->opts;
    if (!s->prof)
        return cprof_diag_set(diag, CPROF_EUSAGE, "no profile loaded");
    if (!(o->tagroot && *o->tagroot) && !(o->tagleaf && *o->tagleaf))
        return report_on(s, s->prof, o, f, symbol, out_file, out_buf, diag);
    rc = cprof_report_label_frames(s->prof, o->tagroot, o->tagleaf, o->report.unit, &q,
                                   o->report.warn, &d);
    if (rc)
        return cprof_diag_set(diag, rc, "%s", d.msg[0] ? d.msg : "adding label frames");
    rc = report_on(s, q, o, f, symbol, out_file, out_buf, diag);
    cprof_profile_free(q);
    return rc;
}

int cprof_session_report_buf(struct cprof_session *s, const struct cprof_session_opts *o,
                             const struct cprof_report_format *f, const char *symbol,
                             struct cprof_buf *out, struct cprof_diag *diag)
{
    size_t len = out->len;
    int rc = report(s, o, f, symbol, NULL, out, diag);

    if (rc && out->len > len)
        out->len = len;
    return rc;
}

int cprof_session_report(struct cprof_session *s, const struct cprof_session_opts *o,
                         const struct cprof_report_format *f, const char *symbol, FILE *out,
                         struct cprof_diag *diag)
{
    struct cprof_buf b;
    int rc;

    if (f->out == CPROF_OUT_ENGINE)
        rc = report(s, o, f, symbol, out, NULL, diag);
    else {
        cprof_buf_init(&b, 0);
        rc = report(s, o, f, symbol, NULL, &b, diag);
        if (!rc && b.len && fwrite(b.data, 1, b.len, out) != b.len)
            rc = cprof_diag_set(diag, -EIO, "write error");
        cprof_buf_release(&b);
    }
    if (!rc && (fflush(out) || ferror(out)))
        rc = cprof_diag_set(diag, -EIO, "write error");
    return rc;
}
