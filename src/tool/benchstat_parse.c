/*
 * Go's benchmark format reader for `cprof benchstat` (see benchstat_parse.h).
 * Line rules follow benchfmt: a configuration key starts with a lower-case
 * letter and holds no space or upper-case letter; a result line starts
 * with "Benchmark" not followed by a lower-case letter, then the
 * iteration count, then value-unit pairs.
 */
#include "tool/benchstat_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cprof.h"

static int grow(void **p, int n, size_t size)
{
    /* capacity doubles at powers of two */
    if (n & (n - 1) || n < 0)
        return 0;
    void *q = realloc(*p, size * (size_t)(n ? 2 * n : 1));
    if (!q)
        return -ENOMEM;
    *p = q;
    return 0;
}

static int intern(char ***tab, int *n, const char *s, size_t len)
{
    for (int i = 0; i < *n; i++)
        if (strlen((*tab)[i]) == len && memcmp((*tab)[i], s, len) == 0)
            return i;
    if (grow((void **)tab, *n, sizeof(char *)))
        return -ENOMEM;
    char *c = strndup(s, len);
    if (!c)
        return -ENOMEM;
    (*tab)[*n] = c;
    return (*n)++;
}

/* benchunit's unit tokenizer: separators '*', '/', '-', space; '/' starts the denominator. */
void bs_tidy_unit(const char *unit, char *out, size_t n, double *factor)
{
    size_t o = 0;
    int denom = 0;

    *factor = 1;
    if (strcmp(unit, "ns/op") == 0) {
        snprintf(out, n, "sec/op");
        *factor = 1e-9;
        return;
    }
    if (strcmp(unit, "MB/s") == 0) {
        snprintf(out, n, "B/s");
        *factor = 1e6;
        return;
    }
    for (const char *p = unit; *p && o + 4 < n;) {
        if (*p == '*' || *p == '/' || *p == '-' || isspace((unsigned char)*p)) {
            if (*p == '*')
                denom = 0;
            else if (*p == '/')
                denom = 1;
            out[o++] = *p++;
            continue;
        }
        size_t l = strcspn(p, "*/- \t\n\v\f\r");
        if (!denom && l == 2 && memcmp(p, "ns", 2) == 0) {
            memcpy(out + o, "sec", 3);
            o += 3;
            *factor /= 1e9;
        } else if (!denom && l == 2 && memcmp(p, "MB", 2) == 0) {
            out[o++] = 'B';
            *factor *= 1e6;
        } else {
            if (o + l + 1 >= n)
                l = n - o - 1;
            memcpy(out + o, p, l);
            o += l;
        }
        p += l;
    }
    out[o] = 0;
}

static int is_config_line(const char *s, size_t len, size_t *klen)
{
    size_t i = 0;

    if (!len || !(*s >= 'a' && *s <= 'z'))
        return 0;
    while (i < len && s[i] != ':') {
        if (isspace((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
        i++;
    }
    if (i == len || (i + 1 < len && s[i + 1] != ' ' && s[i + 1] != '\t'))
        return 0;
    *klen = i;
    return 1;
}

static int set_config(struct bs_data *d, const char *k, size_t kl, const char *v, size_t vl,
                      char ***cur, int *ncur)
{
    int ki = intern(&d->keys, &d->nkeys, k, kl);

    if (ki < 0)
        return ki;
    if (ki >= *ncur) {
        char **p = realloc(*cur, sizeof(char *) * (size_t)(ki + 1));
        if (!p)
            return -ENOMEM;
        for (int i = *ncur; i <= ki; i++)
            p[i] = NULL;
        *cur = p;
        *ncur = ki + 1;
    }
    free((*cur)[ki]);
    (*cur)[ki] = vl ? strndup(v, vl) : NULL;
    return vl && !(*cur)[ki] ? -ENOMEM : 0;
}

/* The configuration in force as a snapshot; reuses the last one when equal. */
static int snapshot(struct bs_data *d, char **cur, int ncur)
{
    if (d->ncfgs) {
        struct bs_cfg *c = &d->cfgs[d->ncfgs - 1];
        int same = 1;
        for (int i = 0; i < (c->nvals > ncur ? c->nvals : ncur) && same; i++) {
            const char *a = i < c->nvals && c->vals[i] ? c->vals[i] : "";
            const char *b = i < ncur && cur[i] ? cur[i] : "";
            same = strcmp(a, b) == 0;
        }
        if (same)
            return d->ncfgs - 1;
    }
    if (grow((void **)&d->cfgs, d->ncfgs, sizeof(struct bs_cfg)))
        return -ENOMEM;
    struct bs_cfg *c = &d->cfgs[d->ncfgs];
    c->vals = calloc((size_t)(ncur ? ncur : 1), sizeof(char *));
    if (!c->vals)
        return -ENOMEM;
    c->nvals = ncur;
    for (int i = 0; i < ncur; i++)
        if (cur[i] && !(c->vals[i] = strdup(cur[i])))
            return -ENOMEM;
    return d->ncfgs++;
}

struct ctx {
    const char *path;
    int line;
    void (*warn)(void *, const char *);
    void *wctx;
};

static void syntax(struct ctx *c, const char *msg)
{
    char buf[512];

    if (!c->warn)
        return;
    snprintf(buf, sizeof(buf), "%s:%d: %s", c->path, c->line, msg);
    c->warn(c->wctx, buf);
}

/* Splits on white space into at most max fields (pointers into s, lengths in l). */
static int fields(const char *s, size_t len, const char **f, size_t *l, int max)
{
    int n = 0;
    size_t i = 0;

    while (i < len && n < max) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (i == len)
            break;
        f[n] = s + i;
        while (i < len && !isspace((unsigned char)s[i]))
            i++;
        l[n] = i - (size_t)(f[n] - s);
        n++;
    }
    return n;
}

static int parse_unit_line(struct bs_data *d, const char *s, size_t len)
{
    const char *f[64];
    size_t l[64];
    int n = fields(s, len, f, l, 64);
    char unit[256];
    double factor;

    if (n < 2)
        return 0;
    char raw[256];
    snprintf(raw, sizeof(raw), "%.*s", (int)(l[1] < 255 ? l[1] : 255), f[1]);
    bs_tidy_unit(raw, unit, sizeof(unit), &factor);
    for (int i = 2; i < n; i++)
        if (l[i] == 12 && memcmp(f[i], "assume=exact", 12) == 0) {
            int k = intern(&d->exact, &d->nexact, unit, strlen(unit));
            if (k < 0)
                return k;
        }
    return 0;
}

static int parse_result(struct bs_data *d, struct ctx *c, int file, int cfg, const char *s,
                        size_t len)
{
    enum { MAXF = 512 };
    const char *f[MAXF];
    size_t l[MAXF];
    int n = fields(s, len, f, l, MAXF);
    char num[128], *end;

    if (n < 2) {
        syntax(c, "missing iteration count");
        return 0;
    }
    snprintf(num, sizeof(num), "%.*s", (int)(l[1] < 127 ? l[1] : 127), f[1]);
    errno = 0;
    long long it = strtoll(num, &end, 10);
    (void)it;
    if (*end || errno || !*num) {
        syntax(c, "parsing iteration count: invalid syntax");
        return 0;
    }
    if ((n - 2) % 2) {
        syntax(c, "missing units");
        return 0;
    }
    if (d->nres >= BS_MAX_RESULTS)
        return CPROF_ETOOBIG;
    struct bs_value *vals = calloc((size_t)(n / 2 + 1), sizeof(*vals));
    if (!vals)
        return -ENOMEM;
    int nv = 0;
    for (int i = 2; i + 1 < n; i += 2) {
        char unit[256], raw[256];
        double factor;
        snprintf(num, sizeof(num), "%.*s", (int)(l[i] < 127 ? l[i] : 127), f[i]);
        double v = strtod(num, &end);
        if (*end || !*num) {
            free(vals);
            snprintf(raw, sizeof(raw),
                     "parsing measurement: strconv.ParseFloat: parsing \"%s\": invalid syntax",
                     num);
            syntax(c, raw);
            return 0;
        }
        snprintf(raw, sizeof(raw), "%.*s", (int)(l[i + 1] < 255 ? l[i + 1] : 255), f[i + 1]);
        bs_tidy_unit(raw, unit, sizeof(unit), &factor);
        int u = intern(&d->units, &d->nunits, unit, strlen(unit));
        if (u < 0) {
            free(vals);
            return u;
        }
        int ou = intern(&d->ounits, &d->nounits, raw, strlen(raw));
        if (ou < 0) {
            free(vals);
            return ou;
        }
        vals[nv].v = v * factor;
        vals[nv].ounit = ou;
        vals[nv++].unit = u;
    }
    if (grow((void **)&d->res, d->nres, sizeof(*d->res))) {
        free(vals);
        return -ENOMEM;
    }
    struct bs_result *r = &d->res[d->nres];
    r->file = file;
    r->cfg = cfg;
    r->name = strndup(f[0] + 9, l[0] - 9);
    r->vals = vals;
    r->nvals = nv;
    if (!r->name) {
        free(vals);
        return -ENOMEM;
    }
    d->nres++;
    return 0;
}

int bs_parse(struct bs_data *d, const char *label, const char *path, const char *text, size_t len,
             void (*warn)(void *ctx, const char *msg), void *wctx)
{
    struct ctx c = {path, 0, warn, wctx};
    char **cur = NULL;
    int ncur = 0, err = 0, cfg = -1;
    int file = intern(&d->files, &d->nfiles, label, strlen(label));
    size_t pos = 0;

    if (file < 0)
        return file;
    /* A label given twice names one column, as in benchstat. */
    while (pos < len && !err) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - s) : len - pos;
        pos += l + (nl ? 1 : 0);
        c.line++;
        if (l > BS_MAX_LINE) {
            err = CPROF_ETOOBIG;
            break;
        }
        while (l && (s[l - 1] == '\r'))
            l--;
        size_t kl;
        if (l >= 9 && memcmp(s, "Benchmark", 9) == 0 && !(l > 9 && s[9] >= 'a' && s[9] <= 'z')) {
            cfg = snapshot(d, cur, ncur);
            err = cfg < 0 ? cfg : parse_result(d, &c, file, cfg, s, l);
        } else if (l > 5 && memcmp(s, "Unit", 4) == 0 && isspace((unsigned char)s[4])) {
            err = parse_unit_line(d, s, l);
        } else if (is_config_line(s, l, &kl)) {
            const char *v = s + kl + 1;
            size_t vl = l - kl - 1;
            while (vl && isspace((unsigned char)*v))
                v++, vl--;
            while (vl && isspace((unsigned char)v[vl - 1]))
                vl--;
            err = set_config(d, s, kl, v, vl, &cur, &ncur);
        }
    }
    for (int i = 0; i < ncur; i++)
        free(cur[i]);
    free(cur);
    return err;
}

static void free_tab(char **t, int n)
{
    for (int i = 0; i < n; i++)
        free(t[i]);
    free(t);
}

void bs_data_release(struct bs_data *d)
{
    free_tab(d->files, d->nfiles);
    free_tab(d->keys, d->nkeys);
    free_tab(d->units, d->nunits);
    free_tab(d->ounits, d->nounits);
    free_tab(d->exact, d->nexact);
    for (int i = 0; i < d->ncfgs; i++)
        free_tab(d->cfgs[i].vals, d->cfgs[i].nvals);
    free(d->cfgs);
    for (int i = 0; i < d->nres; i++) {
        free(d->res[i].name);
        free(d->res[i].vals);
    }
    free(d->res);
    memset(d, 0, sizeof(*d));
}
