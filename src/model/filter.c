/*
 * Profile-level sample filters (see filter.h), following pprof's
 * profile/filter.go, profile/prune.go (PruneFrom) and
 * internal/driver/driver_focus.go (tag filter parsing).
 */
#include "model/filter.h"

#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/htab.h"
#include "model/profile.h"
#include "model/units.h"

const char *cprof_filter_name(unsigned bit)
{
    static const char *const names[CPROF_FILTER_NBITS] = {
        "Focus",    "Ignore",    "Hide",    "Show",    "ShowFrom",
        "TagFocus", "TagIgnore", "TagShow", "TagHide",
    };

    for (unsigned i = 0; i < CPROF_FILTER_NBITS; i++)
        if (bit == 1u << i)
            return names[i];
    return "";
}

static bool set(const char *s)
{
    return s && *s;
}

static int compile(regex_t *re, const char *what, const char *pattern, struct cprof_diag *diag)
{
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);

    if (rc) {
        char msg[128];

        regerror(rc, re, msg, sizeof(msg));
        return cprof_diag_set(diag, CPROF_EUSAGE, "parsing %s regexp: %s", what, msg);
    }
    return 0;
}

static bool matches(const regex_t *re, const char *s)
{
    return regexec(re, s, 0, NULL, 0) == 0;
}

/* The function of a line, NULL when it has none (pprof's nil Function). */
static const struct cprof_function *line_func(const struct cprof_profile *p,
                                              const struct cprof_line *ln)
{
    return ln->func < p->nfunctions ? &p->functions[ln->func] : NULL;
}

static bool line_matches(const struct cprof_profile *p, const struct cprof_line *ln,
                         const regex_t *re)
{
    const struct cprof_function *f = line_func(p, ln);

    return f && (matches(re, cprof_profile_str(p, f->name)) ||
                 matches(re, cprof_profile_str(p, f->filename)));
}

static bool mapping_matches(const struct cprof_profile *p, const struct cprof_location *l,
                            const regex_t *re)
{
    return l->mapping < p->nmappings &&
           matches(re, cprof_profile_str(p, p->mappings[l->mapping].filename));
}

/* Location.matchesName */
static bool loc_matches(const struct cprof_profile *p, const struct cprof_location *l,
                        const regex_t *re)
{
    for (uint32_t j = 0; j < l->nlines; j++)
        if (line_matches(p, &l->lines[j], re))
            return true;
    return mapping_matches(p, l, re);
}

/*
 * Keeps the lines of l whose match against re equals want, in order;
 * lines without a function are always kept (unmatchedLines and
 * matchedLines both keep them).
 */
static void keep_lines(const struct cprof_profile *p, struct cprof_location *l, const regex_t *re,
                       bool want)
{
    uint32_t w = 0;

    for (uint32_t j = 0; j < l->nlines; j++)
        if (!line_func(p, &l->lines[j]) || line_matches(p, &l->lines[j], re) == want)
            l->lines[w++] = l->lines[j];
    l->nlines = w;
}

/* focusedAndNotIgnored: mark is 1 for focused, 2 for ignored locations. */
static bool focused_not_ignored(const struct cprof_sample *s, const uint8_t *mark)
{
    bool f = false;

    for (uint32_t k = 0; k < s->nlocs; k++) {
        if (mark[s->locs[k]] == 2)
            return false;
        if (mark[s->locs[k]] == 1)
            f = true;
    }
    return f;
}

/* Profile.FilterSamplesByName; re[0..4) = focus, ignore, hide, show (NULL = unset). */
static int filter_by_name(struct cprof_profile *p, regex_t *const *re, unsigned *matched)
{
    uint8_t *mark = calloc((size_t)p->nlocations + 1, 1); /* 1 focus, 2 ignore */
    bool *hidden = calloc((size_t)p->nlocations + 1, sizeof(*hidden)), any_hidden = false;
    size_t w = 0;

    if (!mark || !hidden) {
        free(mark);
        free(hidden);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < p->nlocations; i++) {
        struct cprof_location *l = &p->locations[i];

        if (re[1] && loc_matches(p, l, re[1])) {
            *matched |= CPROF_FILTER_IGNORE;
            mark[i] = 2;
        } else if (!re[0] || loc_matches(p, l, re[0])) {
            *matched |= CPROF_FILTER_FOCUS;
            mark[i] = 1;
        }
        if (re[2] && loc_matches(p, l, re[2])) {
            *matched |= CPROF_FILTER_HIDE;
            if (mapping_matches(p, l, re[2]))
                l->nlines = 0;
            else
                keep_lines(p, l, re[2], false);
            if (l->nlines == 0)
                hidden[i] = any_hidden = true;
        }
        if (re[3]) {
            if (!mapping_matches(p, l, re[3]))
                keep_lines(p, l, re[3], true);
            if (l->nlines == 0)
                hidden[i] = any_hidden = true;
            else
                *matched |= CPROF_FILTER_SHOW;
        }
    }
    for (size_t i = 0; i < p->nsamples; i++) {
        struct cprof_sample *s = &p->samples[i];
        uint32_t n = 0;

        if (!focused_not_ignored(s, mark))
            continue;
        if (any_hidden) {
            for (uint32_t k = 0; k < s->nlocs; k++)
                if (!hidden[s->locs[k]])
                    s->locs[n++] = s->locs[k];
            if (n == 0)
                continue;
            s->nlocs = n;
        }
        p->samples[w++] = *s;
    }
    p->nsamples = w;
    free(mark);
    free(hidden);
    return 0;
}

/* Profile.ShowFrom */
static int show_from(struct cprof_profile *p, const regex_t *re, unsigned *matched)
{
    bool *from = calloc((size_t)p->nlocations + 1, sizeof(*from));
    size_t w = 0;

    if (!from)
        return -ENOMEM;
    for (uint32_t i = 0; i < p->nlocations; i++) {
        struct cprof_location *l = &p->locations[i];

        if (mapping_matches(p, l, re)) {
            from[i] = true;
            continue;
        }
        for (uint32_t j = l->nlines; j-- > 0;) {
            if (line_matches(p, &l->lines[j], re)) {
                l->nlines = j + 1;
                from[i] = true;
                break;
            }
        }
    }
    for (uint32_t i = 0; i < p->nlocations; i++)
        if (from[i])
            *matched |= CPROF_FILTER_SHOW_FROM;
    for (size_t i = 0; i < p->nsamples; i++) {
        struct cprof_sample *s = &p->samples[i];

        for (uint32_t k = s->nlocs; k-- > 0;) {
            if (from[s->locs[k]]) {
                s->nlocs = k + 1;
                p->samples[w++] = *s;
                break;
            }
        }
    }
    p->nsamples = w;
    free(from);
    return 0;
}

/* ---- tag filters ------------------------------------------------------------ */

struct cprof_tagfilter {
    const char *key; /* wanted key (in the filter's own copy of its text), NULL = any */
    size_t keylen;
    bool numeric;
    int op;        /* numeric: 0 '=', 1 '>=', 2 '<=', 3 range */
    double lo, hi; /* numeric bounds, in unit */
    char unit[64];
    regex_t *rx; /* string: the comma-separated alternatives */
    size_t nrx;
    char *text; /* copy of the filter's text */
};

struct cprof_label_units {
    uint32_t *keys, *units; /* key string -> unit string (0 = none seen) */
    size_t n;
};

static bool is_num_label(const struct cprof_label *l)
{
    return !l->str && (l->num || l->num_unit);
}

void cprof_label_units_free(struct cprof_label_units *nu)
{
    if (!nu)
        return;
    free(nu->keys);
    free(nu->units);
    free(nu);
}

static int label_units_fill(const struct cprof_profile *p, struct cprof_label_units *nu)
{
    size_t cap = 0;

    for (size_t i = 0; i < p->nsamples; i++) {
        const struct cprof_sample *s = &p->samples[i];

        for (uint32_t k = 0; k < s->nlabels; k++) {
            const struct cprof_label *l = &s->labels[k];
            size_t j;

            if (!is_num_label(l))
                continue;
            for (j = 0; j < nu->n && nu->keys[j] != l->key; j++)
                ;
            if (j == nu->n) {
                if (nu->n == cap) {
                    size_t nc = cap ? 2 * cap : 8;
                    uint32_t *nk = realloc(nu->keys, nc * sizeof(*nk)), *nv;

                    if (!nk)
                        return -ENOMEM;
                    nu->keys = nk;
                    nv = realloc(nu->units, nc * sizeof(*nv));
                    if (!nv)
                        return -ENOMEM;
                    nu->units = nv;
                    cap = nc;
                }
                nu->keys[j] = l->key;
                nu->units[j] = 0;
                nu->n++;
            }
            if (!nu->units[j] && l->num_unit && *cprof_profile_str(p, l->num_unit))
                nu->units[j] = l->num_unit;
        }
    }
    return 0;
}

struct cprof_label_units *cprof_label_units_new(const struct cprof_profile *p)
{
    struct cprof_label_units *nu = calloc(1, sizeof(*nu));

    if (nu && label_units_fill(p, nu)) {
        cprof_label_units_free(nu);
        return NULL;
    }
    return nu;
}

const char *cprof_label_units_get(const struct cprof_profile *p, const struct cprof_label_units *nu,
                                  uint32_t key)
{
    const char *k = cprof_profile_str(p, key);

    for (size_t j = 0; j < nu->n; j++)
        if (nu->keys[j] == key && nu->units[j])
            return cprof_profile_str(p, nu->units[j]);
    if (strcmp(k, "alignment") == 0 || strcmp(k, "request") == 0)
        return "bytes";
    return k;
}

/*
 * One match of pprof's tagFilterRangeRx "([+-]?[[:digit:]]+)([[:alpha:]]+)?"
 * at or after *pos: [*b, *e) the whole match, [*b, *numend) the number.
 */
static bool range_token(const char *s, size_t *pos, size_t *b, size_t *e, size_t *numend)
{
    for (size_t i = *pos; s[i]; i++) {
        size_t j = i;

        if (s[j] == '+' || s[j] == '-')
            j++;
        if (s[j] < '0' || s[j] > '9')
            continue;
        while (s[j] >= '0' && s[j] <= '9')
            j++;
        *numend = j;
        while ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z'))
            j++;
        *b = i;
        *e = j;
        *pos = j;
        return true;
    }
    return false;
}

/* The value and unit of token [b, e) (number ends at ne), scaled to unit to (NULL = its own). */
static double token_value(const char *f, size_t b, size_t ne, size_t e, const char *to,
                          const char **unit)
{
    char num[32], u[64];

    snprintf(num, sizeof(num), "%.*s", (int)(ne - b), f + b);
    snprintf(u, sizeof(u), "%.*s", (int)(e - ne), f + ne);
    /* pprof panics on a number that overflows int64; strtoll saturates instead. */
    return cprof_units_scale(strtoll(num, NULL, 10), u, to ? to : u, unit);
}

/* pprof's parseTagFilterRange; false when f is not a range (then it is a regexp). */
static bool parse_range(struct cprof_tagfilter *tf, const char *f)
{
    size_t pos = 0, b[2], e[2], ne[2], fl = strlen(f), len;
    int n = 0;
    const char *u;

    while (n < 2 && range_token(f, &pos, &b[n], &e[n], &ne[n]))
        n++;
    if (n == 0)
        return false;
    tf->lo = token_value(f, b[0], ne[0], e[0], NULL, &u);
    snprintf(tf->unit, sizeof(tf->unit), "%s", u);
    len = e[0] - b[0];
    if (n == 1) {
        if (b[0] == 0 && fl == len)
            tf->op = 0;
        else if (b[0] == 0 && fl == len + 1 && f[len] == ':')
            tf->op = 1;
        else if (b[0] == 1 && f[0] == ':' && fl == len + 1)
            tf->op = 2;
        else
            return false;
        return true;
    }
    if (!(b[0] == 0 && f[e[0]] == ':' && b[1] == e[0] + 1 && f[e[1]] == 0))
        return false;
    tf->hi = token_value(f, b[1], ne[1], e[1], tf->unit, &u);
    if (strcmp(u, tf->unit) != 0)
        return false;
    tf->op = 3;
    return true;
}

void cprof_tagfilter_free(struct cprof_tagfilter *tf)
{
    if (!tf)
        return;
    for (size_t i = 0; i < tf->nrx; i++)
        regfree(&tf->rx[i]);
    free(tf->rx);
    free(tf->text);
    free(tf);
}

/* pprof's compileTagFilter into tf (zeroed); 0, CPROF_EUSAGE or -ENOMEM (diag not set). */
static int tagfilter_compile(struct cprof_tagfilter *tf, const char *name, const char **range,
                             struct cprof_diag *diag)
{
    char *value = tf->text, *eq = strchr(value, '='), *list;
    int err = 0;

    if (eq) {
        /* An empty key ("=value") wants any key, as in pprof. */
        tf->key = eq > value ? value : NULL;
        tf->keylen = (size_t)(eq - value);
        value = eq + 1;
    }
    if (parse_range(tf, value)) {
        tf->numeric = true;
        *range = value;
        return 0;
    }
    list = strdup(value);
    tf->rx = calloc(strlen(value) + 2, sizeof(*tf->rx));
    if (!list || !tf->rx) {
        free(list);
        return -ENOMEM;
    }
    for (char *cur = list, *t; !err && (t = strsep(&cur, ",")) != NULL;) {
        err = compile(&tf->rx[tf->nrx], name, t, diag);
        if (!err)
            tf->nrx++;
    }
    free(list);
    return err;
}

int cprof_tagfilter_new(const char *name, const char *value, struct cprof_tagfilter **out,
                        const char **range, struct cprof_diag *diag)
{
    struct cprof_tagfilter *tf = calloc(1, sizeof(*tf));
    int err = tf && (tf->text = strdup(value)) ? 0 : -ENOMEM;

    *out = NULL;
    *range = NULL;
    if (!err)
        err = tagfilter_compile(tf, name, range, diag);
    if (*range)
        *range = value + (*range - tf->text);
    if (err) {
        cprof_tagfilter_free(tf);
        return err == -ENOMEM ? cprof_diag_set(diag, err, "out of memory") : err;
    }
    *out = tf;
    return 0;
}

static bool key_is(const struct cprof_profile *p, const struct cprof_tagfilter *tf, uint32_t key)
{
    const char *k = cprof_profile_str(p, key);

    return strlen(k) == tf->keylen && memcmp(k, tf->key, tf->keylen) == 0;
}

static bool numeric_match(const struct cprof_profile *p, const struct cprof_tagfilter *tf,
                          const struct cprof_label_units *nu, const struct cprof_sample *s)
{
    for (uint32_t k = 0; k < s->nlabels; k++) {
        const struct cprof_label *l = &s->labels[k];
        const char *u;
        double v;

        if (!is_num_label(l) || (tf->key && !key_is(p, tf, l->key)))
            continue;
        v = cprof_units_scale(l->num, cprof_label_units_get(p, nu, l->key), tf->unit, &u);
        if (strcmp(u, tf->unit) != 0)
            continue;
        if ((tf->op == 0 && v == tf->lo) || (tf->op == 1 && v >= tf->lo) ||
            (tf->op == 2 && v <= tf->lo) || (tf->op == 3 && v >= tf->lo && v <= tf->hi))
            return true;
    }
    return false;
}

/* Without a key, every alternative must match some "key:value" of the sample. */
static int string_match_any_key(const struct cprof_profile *p, const struct cprof_tagfilter *tf,
                                const struct cprof_sample *s, bool *out)
{
    char *buf = NULL;
    size_t cap = 0;

    *out = true;
    for (size_t i = 0; i < tf->nrx && *out; i++) {
        bool ok = false;

        for (uint32_t k = 0; k < s->nlabels && !ok; k++) {
            const char *key = cprof_profile_str(p, s->labels[k].key);
            const char *val = cprof_profile_str(p, s->labels[k].str);
            size_t need = strlen(key) + strlen(val) + 2;

            if (!s->labels[k].str)
                continue;
            if (need > cap) {
                char *nb = realloc(buf, need);

                if (!nb) {
                    free(buf);
                    return -ENOMEM;
                }
                buf = nb;
                cap = need;
            }
            snprintf(buf, cap, "%s:%s", key, val);
            ok = matches(&tf->rx[i], buf);
        }
        *out = ok;
    }
    free(buf);
    return 0;
}

int cprof_tagfilter_match(const struct cprof_profile *p, const struct cprof_tagfilter *tf,
                          const struct cprof_label_units *nu, const struct cprof_sample *s,
                          bool *out)
{
    if (tf->numeric) {
        *out = numeric_match(p, tf, nu, s);
        return 0;
    }
    if (!tf->key)
        return string_match_any_key(p, tf, s, out);
    *out = false;
    for (size_t i = 0; i < tf->nrx && !*out; i++)
        for (uint32_t k = 0; k < s->nlabels && !*out; k++)
            if (s->labels[k].str && key_is(p, tf, s->labels[k].key) &&
                matches(&tf->rx[i], cprof_profile_str(p, s->labels[k].str)))
                *out = true;
    return 0;
}

/* Profile.FilterSamplesByTag */
static int filter_by_tag(struct cprof_profile *p, const struct cprof_tagfilter *focus,
                         const struct cprof_tagfilter *ignore, const struct cprof_label_units *nu,
                         unsigned *matched)
{
    size_t w = 0;
    int err = 0;

    for (size_t i = 0; i < p->nsamples && !err; i++) {
        const struct cprof_sample *s = &p->samples[i];
        bool f = true, g = false;

        if (focus)
            err = cprof_tagfilter_match(p, focus, nu, s, &f);
        if (!err && ignore)
            err = cprof_tagfilter_match(p, ignore, nu, s, &g);
        if (f)
            *matched |= CPROF_FILTER_TAGFOCUS;
        if (g)
            *matched |= CPROF_FILTER_TAGIGNORE;
        if (f && !g)
            p->samples[w++] = p->samples[i];
    }
    if (!err)
        p->nsamples = w;
    return err;
}

/* Profile.FilterTagsByName: labels whose key is not shown, or hidden, go. */
static void filter_tags_by_name(struct cprof_profile *p, const regex_t *show, const regex_t *hide,
                                unsigned *matched)
{
    for (size_t i = 0; i < p->nsamples; i++) {
        struct cprof_sample *s = &p->samples[i];
        uint32_t w = 0;

        for (uint32_t k = 0; k < s->nlabels; k++) {
            const char *key = cprof_profile_str(p, s->labels[k].key);
            bool ms = !show || matches(show, key), mh = hide && matches(hide, key);

            if (ms)
                *matched |= CPROF_FILTER_TAGSHOW;
            if (mh)
                *matched |= CPROF_FILTER_TAGHIDE;
            if (ms && !mh)
                s->labels[w++] = s->labels[k];
        }
        s->nlabels = w;
    }
}

/* ---- prune_from ----------------------------------------------------------- */

void cprof_simplify_func(const char *name, char *out, size_t n)
{
    static const char *const reserved[] = {"(anonymous namespace)", "operator()"};
    size_t len, cut;

    if (*name == '.')
        name++;
    len = strlen(name);
    cut = len;
    for (size_t i = 0; i < len && cut == len; i++) {
        bool skipped = false;

        for (size_t r = 0; r < 2 && !skipped; r++) {
            size_t rl = strlen(reserved[r]);

            if (strncmp(name + i, reserved[r], rl) == 0) {
                i += rl - 1;
                skipped = true;
            }
        }
        if (!skipped && name[i] == '(')
            cut = i;
    }
    if (cut >= n)
        cut = n - 1;
    memcpy(out, name, cut);
    out[cut] = '\0';
}

const char *cprof_simplify_func_buf(const char *name, char **buf, size_t *cap)
{
    size_t need = strlen(name) + 1;

    if (need > *cap) {
        char *nb = realloc(*buf, need);

        if (!nb)
            return NULL;
        *buf = nb;
        *cap = need;
    }
    cprof_simplify_func(name, *buf, *cap);
    return *buf;
}

/* Profile.PruneFrom */
static int prune_from(struct cprof_profile *p, const regex_t *re)
{
    bool *mark = calloc((size_t)p->nlocations + 1, sizeof(*mark));
    char *buf = NULL;
    size_t cap = 0;
    int err = 0;

    if (!mark)
        return -ENOMEM;
    for (uint32_t i = 0; i < p->nlocations && !err; i++) {
        struct cprof_location *l = &p->locations[i];

        for (uint32_t j = 0; j < l->nlines; j++) {
            const struct cprof_function *f = line_func(p, &l->lines[j]);
            const char *name = f ? cprof_profile_str(p, f->name) : "", *simple;

            if (!*name)
                continue;
            if (!(simple = cprof_simplify_func_buf(name, &buf, &cap))) {
                err = -ENOMEM;
                break;
            }
            if (matches(re, simple)) {
                mark[i] = true;
                l->lines += j;
                l->nlines -= j;
                break;
            }
        }
    }
    for (size_t i = 0; i < p->nsamples && !err; i++) {
        struct cprof_sample *s = &p->samples[i];

        for (uint32_t k = 0; k < s->nlocs; k++) {
            if (mark[s->locs[k]]) {
                s->locs += k;
                s->nlocs -= k;
                break;
            }
        }
    }
    free(buf);
    free(mark);
    return err;
}

/* ---- applyFocus ------------------------------------------------------------ */

void cprof_profile_unindex(struct cprof_profile *p)
{
    cprof_htab_release(&p->loc_idx);
    cprof_htab_init(&p->loc_idx);
    p->loc_indexed = 0;
    cprof_htab_release(&p->sample_idx);
    cprof_htab_init(&p->sample_idx);
    p->sample_indexed = 0;
}

/* Regexps of applyFocus: focus, ignore, hide, show, show_from, prune_from, tagshow, taghide. */
enum {
    RX_FOCUS,
    RX_IGNORE,
    RX_HIDE,
    RX_SHOW,
    RX_SHOW_FROM,
    RX_PRUNE_FROM,
    RX_TAGSHOW,
    RX_TAGHIDE,
    NRX
};

struct focus_state {
    regex_t rx[NRX];
    bool have[NRX];
    struct cprof_tagfilter *tf[2]; /* tagfocus, tagignore; NULL = unset */
    struct cprof_label_units *nu;
};

static int compile_rx(struct focus_state *st, int i, const char *what, const char *pattern,
                      struct cprof_diag *diag)
{
    int err;

    if (!set(pattern))
        return 0;
    err = compile(&st->rx[i], what, pattern, diag);
    st->have[i] = err == 0;
    return err;
}

/* Compiles the filters in pprof's order (tagshow and taghide come later). */
static int compile_all(struct focus_state *st, const struct cprof_filter_opts *o, unsigned *ranges,
                       struct cprof_diag *diag)
{
    const char *tv[2] = {o->tagfocus, o->tagignore}, *tn[2] = {"tagfocus", "tagignore"};
    int err;

    if ((err = compile_rx(st, RX_FOCUS, "focus", o->focus, diag)) ||
        (err = compile_rx(st, RX_IGNORE, "ignore", o->ignore, diag)) ||
        (err = compile_rx(st, RX_HIDE, "hide", o->hide, diag)) ||
        (err = compile_rx(st, RX_SHOW, "show", o->show, diag)) ||
        (err = compile_rx(st, RX_SHOW_FROM, "show_from", o->show_from, diag)))
        return err;
    for (int i = 0; i < 2; i++) {
        const char *range;

        if (!set(tv[i]))
            continue;
        err = cprof_tagfilter_new(tn[i], tv[i], &st->tf[i], &range, diag);
        if (range)
            *ranges |= i == 0 ? CPROF_FILTER_TAGFOCUS : CPROF_FILTER_TAGIGNORE;
        if (err)
            return err;
    }
    return compile_rx(st, RX_PRUNE_FROM, "prune_from", o->prune_from, diag);
}

/* Runs the filters in order; *ran gets the bits of those that ran (pprof's notes follow each). */
static int run_filters(struct cprof_profile *p, struct focus_state *st,
                       const struct cprof_filter_opts *o, unsigned *matched, unsigned *ran,
                       struct cprof_diag *diag)
{
    regex_t *by_name[4];
    int err;

    for (int i = 0; i < 4; i++)
        by_name[i] = st->have[i] ? &st->rx[i] : NULL;
    err = filter_by_name(p, by_name, matched);
    if (!err && st->have[RX_SHOW_FROM])
        err = show_from(p, &st->rx[RX_SHOW_FROM], matched);
    if (!err)
        *ran |= CPROF_FILTER_FOCUS | CPROF_FILTER_IGNORE | CPROF_FILTER_HIDE | CPROF_FILTER_SHOW |
                CPROF_FILTER_SHOW_FROM;
    if (!err && (st->tf[0] || st->tf[1]))
        err = filter_by_tag(p, st->tf[0], st->tf[1], st->nu, matched);
    if (err)
        return cprof_diag_set(diag, err, "out of memory");
    *ran |= CPROF_FILTER_TAGFOCUS | CPROF_FILTER_TAGIGNORE;
    if ((err = compile_rx(st, RX_TAGSHOW, "tagshow", o->tagshow, diag)) ||
        (err = compile_rx(st, RX_TAGHIDE, "taghide", o->taghide, diag)))
        return err;
    if (st->have[RX_TAGSHOW] || st->have[RX_TAGHIDE])
        filter_tags_by_name(p, st->have[RX_TAGSHOW] ? &st->rx[RX_TAGSHOW] : NULL,
                            st->have[RX_TAGHIDE] ? &st->rx[RX_TAGHIDE] : NULL, matched);
    *ran |= CPROF_FILTER_TAGSHOW | CPROF_FILTER_TAGHIDE;
    if (st->have[RX_PRUNE_FROM] && prune_from(p, &st->rx[RX_PRUNE_FROM]))
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    return 0;
}

int cprof_profile_filter(struct cprof_profile *p, const struct cprof_filter_opts *o,
                         struct cprof_filter_notes *notes, struct cprof_diag *diag)
{
    struct focus_state st;
    struct cprof_filter_notes local = {0};
    const char *vals[CPROF_FILTER_NBITS] = {o->focus,     o->ignore,    o->hide,
                                            o->show,      o->show_from, o->tagfocus,
                                            o->tagignore, o->tagshow,   o->taghide};
    unsigned matched = 0, ran = 0;
    int err;

    memset(&st, 0, sizeof(st));
    if (!notes)
        notes = &local;
    memset(notes, 0, sizeof(*notes));
    /* pprof computes the label units once, before any sample is filtered out. */
    if (!(st.nu = cprof_label_units_new(p))) {
        err = cprof_diag_set(diag, -ENOMEM, "out of memory");
        goto out;
    }
    err = compile_all(&st, o, &notes->ranges, diag);
    if (!err)
        err = run_filters(p, &st, o, &matched, &ran, diag);
    cprof_profile_unindex(p); /* stacks, lines and labels changed */
    for (unsigned i = 0; i < CPROF_FILTER_NBITS; i++)
        if ((ran & (1u << i)) && set(vals[i]) && !(matched & (1u << i)))
            notes->unmatched |= 1u << i;
out:
    for (int i = 0; i < NRX; i++)
        if (st.have[i])
            regfree(&st.rx[i]);
    cprof_tagfilter_free(st.tf[0]);
    cprof_tagfilter_free(st.tf[1]);
    cprof_label_units_free(st.nu);
    return err;
}
