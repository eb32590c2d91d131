/*
 * The engine's working copy of the stacks and pprof's filters over it
 * (focus/ignore/hide/show, show_from, tag filters, prune_from), in the
 * order of pprof's applyFocus.  The profile itself is
 * never edited.
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

static bool set(const char *s)
{
    return s && *s;
}

/* ---- working copy ------------------------------------------------------------ */

int cprof__rep_working_copy(struct rep *r)
{
    const struct cprof_profile *p = r->p;
    size_t nl = 0, ns = 0;

    for (uint32_t i = 0; i < p->nlocations; i++)
        nl += p->locations[i].nlines ? p->locations[i].nlines : 1;
    for (size_t i = 0; i < p->nsamples; i++)
        ns += p->samples[i].nlocs;
    r->lfunc = malloc((nl + 1) * sizeof(*r->lfunc));
    r->lline = malloc((nl + 1) * sizeof(*r->lline));
    r->locnode = malloc((nl + 1) * sizeof(*r->locnode));
    r->loc_first = malloc((p->nlocations + 1) * sizeof(*r->loc_first));
    r->loc_n = malloc((p->nlocations + 1) * sizeof(*r->loc_n));
    r->stk = malloc((ns + 1) * sizeof(*r->stk));
    r->s_first = malloc((p->nsamples + 1) * sizeof(*r->s_first));
    r->s_n = malloc((p->nsamples + 1) * sizeof(*r->s_n));
    r->samples = malloc((p->nsamples + 1) * sizeof(*r->samples));
    r->key_hidden = calloc(p->nstrings + 1, sizeof(*r->key_hidden));
    if (!r->lfunc || !r->lline || !r->locnode || !r->loc_first || !r->loc_n || !r->stk ||
        !r->s_first || !r->s_n || !r->samples || !r->key_hidden)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    nl = 0;
    for (uint32_t i = 0; i < p->nlocations; i++) {
        const struct cprof_location *l = &p->locations[i];

        r->loc_first[i] = (uint32_t)nl;
        r->loc_n[i] = l->nlines;
        for (uint32_t j = 0; j < l->nlines; j++) {
            r->lfunc[nl] = l->lines[j].func < p->nfunctions ? l->lines[j].func : REP_NONE;
            r->lline[nl++] = l->lines[j].line;
        }
        if (!l->nlines)
            nl++; /* room for pprof's empty line */
    }
    ns = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        r->s_first[i] = ns;
        r->s_n[i] = p->samples[i].nlocs;
        memcpy(r->stk + ns, p->samples[i].locs, p->samples[i].nlocs * sizeof(*r->stk));
        ns += p->samples[i].nlocs;
        /* pprof's Merge (run on every input) drops all-zero samples. */
        for (uint32_t k = 0; k < p->nsample_types; k++) {
            if (p->samples[i].values[k]) {
                r->samples[r->nsamples++] = (uint32_t)i;
                break;
            }
        }
    }
    return 0;
}

static const char *map_file(const struct rep *r, uint32_t loc)
{
    uint32_t m = r->p->locations[loc].mapping;

    return m < r->p->nmappings ? cprof__rep_str(r, r->p->mappings[m].filename) : NULL;
}

static bool line_matches(const struct rep *r, uint32_t slot, const regex_t *re)
{
    const struct cprof_function *f;

    if (r->lfunc[slot] == REP_NONE)
        return false;
    f = &r->p->functions[r->lfunc[slot]];
    return cprof__rep_match(re, cprof__rep_str(r, f->name)) ||
           cprof__rep_match(re, cprof__rep_str(r, f->filename));
}

/* Location.matchesName */
static bool loc_matches(const struct rep *r, uint32_t loc, const regex_t *re)
{
    const char *mf;

    for (uint32_t j = 0; j < r->loc_n[loc]; j++)
        if (line_matches(r, r->loc_first[loc] + j, re))
            return true;
    mf = map_file(r, loc);
    return mf && cprof__rep_match(re, mf);
}

/* Keeps the lines of loc for which keep(line) holds, in order. */
static void loc_filter_lines(struct rep *r, uint32_t loc, const regex_t *re, bool want)
{
    uint32_t f = r->loc_first[loc], w = 0;

    for (uint32_t j = 0; j < r->loc_n[loc]; j++) {
        bool m = line_matches(r, f + j, re);

        /* Lines without a function survive both hide and show. */
        if (r->lfunc[f + j] == REP_NONE || m == want) {
            r->lfunc[f + w] = r->lfunc[f + j];
            r->lline[f + w++] = r->lline[f + j];
        }
    }
    r->loc_n[loc] = w;
}

/* Whether pprof's simplifyFunc of func's name (at most 1023 bytes of it) matches re. */
static bool simplified_matches(const struct rep *r, uint32_t func, const regex_t *re)
{
    const char *name;
    char buf[1024];

    if (func == REP_NONE)
        return false;
    name = cprof__rep_str(r, r->p->functions[func].name);
    if (!*name)
        return false;
    cprof_simplify_func(name, buf, sizeof(buf));
    return cprof__rep_match(re, buf);
}

/* pprof's computeTotal over the selected samples. */
void cprof__rep_compute_total(struct rep *r)
{
    int64_t total = 0, div = 0, dtotal = 0, ddiv = 0;

    for (size_t i = 0; i < r->nsamples; i++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[i]];
        int64_t v, d;
        bool base = false;

        cprof__rep_sample_value(r, s, &v, &d);
        if (v < 0)
            v = -v;
        total += v;
        div += d;
        for (uint32_t k = 0; k < s->nlabels; k++)
            if (s->labels[k].str &&
                strcmp(cprof__rep_str(r, s->labels[k].key), "pprof::base") == 0 &&
                strcmp(cprof__rep_str(r, s->labels[k].str), "true") == 0)
                base = true;
        if (base) {
            dtotal += v;
            ddiv += d;
        }
    }
    if (dtotal > 0) {
        total = dtotal;
        div = ddiv;
    }
    r->total = div ? total / div : total;
}

static bool warn(struct rep *r, bool ok, const char *what)
{
    if (!ok && r->o->warn)
        fprintf(r->o->warn, "%s expression matched no samples\n", what);
    return ok;
}

/* FilterSamplesByName */
static int filter_by_name(struct rep *r, regex_t *focus, regex_t *ignore, regex_t *hide,
                          regex_t *show)
{
    const struct cprof_profile *p = r->p;
    uint8_t *fi = calloc(p->nlocations + 1, 1); /* 1 focus, 2 ignore */
    bool *hidden = calloc(p->nlocations + 1, 1);
    bool fm = false, im = false, hm = false, hnm = false, any_hidden = false;
    size_t w = 0;

    if (!fi || !hidden) {
        free(fi);
        free(hidden);
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    }
    for (uint32_t l = 0; l < p->nlocations; l++) {
        if (ignore && loc_matches(r, l, ignore)) {
            im = true;
            fi[l] = 2;
        } else if (!focus || loc_matches(r, l, focus)) {
            fm = true;
            fi[l] = 1;
        }
        if (hide && loc_matches(r, l, hide)) {
            const char *mf = map_file(r, l);

            hm = true;
            if (mf && cprof__rep_match(hide, mf))
                r->loc_n[l] = 0;
            else
                loc_filter_lines(r, l, hide, false);
            if (r->loc_n[l] == 0)
                hidden[l] = any_hidden = true;
        }
        if (show) {
            const char *mf = map_file(r, l);

            if (!(mf && cprof__rep_match(show, mf)))
                loc_filter_lines(r, l, show, true);
            if (r->loc_n[l] == 0)
                hidden[l] = any_hidden = true;
            else
                hnm = true;
        }
    }
    for (size_t i = 0; i < r->nsamples; i++) {
        uint32_t s = r->samples[i], *stk = r->stk + r->s_first[s], n = 0;
        bool f = false, ign = false;

        for (uint32_t k = 0; k < r->s_n[s] && !ign; k++) {
            if (fi[stk[k]] == 1)
                f = true;
            else if (fi[stk[k]] == 2)
                ign = true;
        }
        if (ign || !f)
            continue;
        if (any_hidden) {
            for (uint32_t k = 0; k < r->s_n[s]; k++)
                if (!hidden[stk[k]])
                    stk[n++] = stk[k];
            if (n == 0)
                continue;
            r->s_n[s] = n;
        }
        r->samples[w++] = s;
    }
    r->nsamples = w;
    free(fi);
    free(hidden);
    warn(r, !focus || fm, "Focus");
    warn(r, !ignore || im, "Ignore");
    warn(r, !hide || hm, "Hide");
    warn(r, !show || hnm, "Show");
    return 0;
}

/* Profile.ShowFrom */
static int filter_show_from(struct rep *r, regex_t *re)
{
    const struct cprof_profile *p = r->p;
    bool *from = calloc(p->nlocations + 1, 1), matched = false;
    size_t w = 0;

    if (!from)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    for (uint32_t l = 0; l < p->nlocations; l++) {
        const char *mf = map_file(r, l);

        if (mf && cprof__rep_match(re, mf)) {
            from[l] = matched = true;
            continue;
        }
        for (int i = (int)r->loc_n[l] - 1; i >= 0; i--) {
            if (line_matches(r, r->loc_first[l] + (uint32_t)i, re)) {
                r->loc_n[l] = (uint32_t)i + 1;
                from[l] = matched = true;
                break;
            }
        }
    }
    for (size_t i = 0; i < r->nsamples; i++) {
        uint32_t s = r->samples[i], *stk = r->stk + r->s_first[s];

        for (int k = (int)r->s_n[s] - 1; k >= 0; k--) {
            if (from[stk[k]]) {
                r->s_n[s] = (uint32_t)k + 1;
                r->samples[w++] = s;
                break;
            }
        }
    }
    r->nsamples = w;
    free(from);
    warn(r, matched, "ShowFrom");
    return 0;
}

/* ---- tag filters (driver_focus.go) ------------------------------------------- */

/* The unit pprof's NumLabelUnits gives a numeric label key. */
const char *cprof__rep_num_label_unit(const struct rep *r, const char *key)
{
    for (size_t i = 0; i < r->p->nsamples; i++) {
        const struct cprof_sample *s = &r->p->samples[i];

        for (uint32_t k = 0; k < s->nlabels; k++)
            if (!s->labels[k].str && s->labels[k].num_unit &&
                strcmp(cprof__rep_str(r, s->labels[k].key), key) == 0)
                return cprof__rep_str(r, s->labels[k].num_unit);
    }
    if (strcmp(key, "alignment") == 0 || strcmp(key, "request") == 0)
        return "bytes";
    return key;
}

/* FilterSamplesByTag with the model's tag filters (model/filter.h). */
static int filter_by_tag(struct rep *r)
{
    const char *spec[2] = {r->o->tagfocus, r->o->tagignore}, *name[2] = {"tagfocus", "tagignore"};
    struct cprof_tagfilter *tf[2] = {NULL, NULL};
    struct cprof_label_units *lu;
    bool matched[2] = {false, false};
    size_t w = 0;
    int err = 0;

    if (!set(spec[0]) && !set(spec[1]))
        return 0;
    if (!(lu = cprof_label_units_new(r->p)))
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    for (int i = 0; i < 2 && !err; i++) {
        const char *range;

        if (!set(spec[i]))
            continue;
        err = cprof_tagfilter_new(name[i], spec[i], &tf[i], &range, r->diag);
        if (!err && range && r->o->warn)
            fprintf(r->o->warn, "%s:Interpreted '%s' as range, not regexp\n", name[i], range);
    }
    for (size_t i = 0; i < r->nsamples && !err; i++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[i]];
        bool f = true, g = false;

        if (tf[0])
            err = cprof_tagfilter_match(r->p, tf[0], lu, s, &f);
        if (!err && tf[1])
            err = cprof_tagfilter_match(r->p, tf[1], lu, s, &g);
        matched[0] = matched[0] || f;
        matched[1] = matched[1] || g;
        if (f && !g)
            r->samples[w++] = r->samples[i];
    }
    if (err == -ENOMEM)
        err = cprof_diag_set(r->diag, err, "out of memory");
    if (!err) {
        r->nsamples = w;
        warn(r, !tf[0] || matched[0], "TagFocus");
        warn(r, !tf[1] || matched[1], "TagIgnore");
    }
    cprof_tagfilter_free(tf[0]);
    cprof_tagfilter_free(tf[1]);
    cprof_label_units_free(lu);
    return err;
}

/* FilterTagsByName: a per-key decision, kept as a mask over key strings. */
static int filter_tags_by_name(struct rep *r)
{
    regex_t show, hide;
    bool hs = set(r->o->tagshow), hh = set(r->o->taghide), sm = false, hm = false;
    int err;

    if (!hs && !hh)
        return 0;
    if (hs && (err = cprof__rep_regcomp(r, &show, "tagshow", r->o->tagshow)))
        return err;
    if (hh && (err = cprof__rep_regcomp(r, &hide, "taghide", r->o->taghide))) {
        if (hs)
            regfree(&show);
        return err;
    }
    for (size_t i = 0; i < r->nsamples; i++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[i]];

        for (uint32_t k = 0; k < s->nlabels; k++) {
            const char *key = cprof__rep_str(r, s->labels[k].key);
            bool ms = !hs || cprof__rep_match(&show, key);
            bool mh = hh && cprof__rep_match(&hide, key);

            sm = sm || ms;
            hm = hm || mh;
            if (!ms || mh)
                r->key_hidden[s->labels[k].key] = true;
        }
    }
    if (hs)
        regfree(&show);
    if (hh)
        regfree(&hide);
    warn(r, !hs || sm, "TagShow");
    warn(r, !hh || hm, "TagHide");
    return 0;
}

/* Profile.PruneFrom */
static int prune_from(struct rep *r, const regex_t *re)
{
    const struct cprof_profile *p = r->p;
    bool *mark = calloc(p->nlocations + 1, 1);

    if (!mark)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    for (uint32_t l = 0; l < p->nlocations; l++) {
        uint32_t f = r->loc_first[l];

        for (uint32_t i = 0; i < r->loc_n[l]; i++) {
            if (simplified_matches(r, r->lfunc[f + i], re)) {
                mark[l] = true;
                memmove(r->lfunc + f, r->lfunc + f + i, (r->loc_n[l] - i) * sizeof(*r->lfunc));
                memmove(r->lline + f, r->lline + f + i, (r->loc_n[l] - i) * sizeof(*r->lline));
                r->loc_n[l] -= i;
                break;
            }
        }
    }
    for (size_t i = 0; i < r->nsamples; i++) {
        uint32_t s = r->samples[i], *stk = r->stk + r->s_first[s];

        for (uint32_t k = 0; k < r->s_n[s]; k++) {
            if (mark[stk[k]]) {
                memmove(stk, stk + k, (r->s_n[s] - k) * sizeof(*stk));
                r->s_n[s] -= k;
                break;
            }
        }
    }
    free(mark);
    return 0;
}

/* applyFocus: the filters, in pprof's order. */
int cprof__rep_apply_focus(struct rep *r)
{
    const struct cprof_report_opts *o = r->o;
    regex_t rx[6];
    const char *names[6] = {"focus", "ignore", "hide", "show", "show_from", "prune_from"};
    const char *vals[6] = {o->focus, o->ignore, o->hide, o->show, o->show_from, o->prune_from};
    bool have[6] = {false};
    int err = 0;

    for (int i = 0; i < 6 && !err; i++)
        if (set(vals[i]) && !(err = cprof__rep_regcomp(r, &rx[i], names[i], vals[i])))
            have[i] = true;
    if (err)
        goto out;
    if (have[0] || have[1] || have[2] || have[3])
        err = filter_by_name(r, have[0] ? &rx[0] : NULL, have[1] ? &rx[1] : NULL,
                             have[2] ? &rx[2] : NULL, have[3] ? &rx[3] : NULL);
    if (!err && have[4])
        err = filter_show_from(r, &rx[4]);
    if (!err)
        err = filter_by_tag(r);
    if (!err)
        err = filter_tags_by_name(r);
    if (!err && have[5])
        err = prune_from(r, &rx[5]);
out:
    for (int i = 0; i < 6; i++)
        if (have[i])
            regfree(&rx[i]);
    return err;
}
