/*
 * `cprof benchstat [flags] inputs...`: golang.org/x/perf's benchstat.
 *
 * Reads Go's benchmark format (benchstat_parse.c), groups results into
 * tables by configuration and unit, rows by benchmark and columns by
 * input file (or by the keys of -row/-col), summarizes each cell by its
 * median and the order-statistic confidence interval, compares each
 * column with the first by a Mann-Whitney U test, adds the geomean row,
 * and prints benchstat's text layout (the same column-fitting rules) or
 * its CSV.  Projections take one key each: .name, .fullname, .file, a
 * file configuration key, or a /sub-name key; -ignore drops keys.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/file.h"
#include "tool/benchstat.h"
#include "tool/benchstat_filter.h"
#include "tool/benchstat_parse.h"
#include "tool/benchstat_stats.h"

/* ---- text table layout (benchstat's texttab) ---- */

enum { AL_LEFT, AL_CENTER, AL_RIGHT };

struct tcell {
    int row, col, span, align, seq;
    char *value;
    const char *margin;
};

struct ttab {
    struct tcell *cells;
    int n, cap, cols, currow, curcol;
    bool shrink[512];
};

static int u8len(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void tt_row(struct ttab *t)
{
    if (t->n > 0)
        t->currow++;
    t->curcol = 0;
}

static void tt_col(struct ttab *t, int c)
{
    if (c > t->curcol)
        t->curcol = c;
}

static void tt_span(struct ttab *t, int span, const char *v, int align, const char *margin)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        struct tcell *c = realloc(t->cells, sizeof(*c) * (size_t)cap);
        if (!c)
            return;
        t->cells = c;
        t->cap = cap;
    }
    struct tcell *c = &t->cells[t->n];
    c->row = t->currow;
    c->col = t->curcol;
    c->span = span;
    c->align = align;
    c->seq = t->n;
    c->value = strdup(v);
    c->margin = margin ? margin : (t->curcol == 0 || !*v) ? "" : " ";
    if (!c->value)
        return;
    t->n++;
    t->curcol += span;
    if (t->curcol > t->cols)
        t->cols = t->curcol;
}

static void tt_cell(struct ttab *t, const char *v, int align, const char *margin)
{
    tt_span(t, 1, v, align, margin);
}

static int by_span(const void *a, const void *b)
{
    const struct tcell *x = a, *y = b;
    if (x->span != y->span)
        return x->span - y->span;
    return x->seq - y->seq;
}

static int by_pos(const void *a, const void *b)
{
    const struct tcell *x = a, *y = b;
    if (x->row != y->row)
        return x->row - y->row;
    if (x->col != y->col)
        return x->col - y->col;
    return x->seq - y->seq;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n')
            return false;
    return true;
}

static void tt_format(struct ttab *t, struct cprof_buf *out)
{
    int cols = t->cols, *lm = calloc((size_t)cols + 1, sizeof(int)),
        *ws = calloc((size_t)cols + 1, sizeof(int)), *offs = calloc((size_t)cols + 2, sizeof(int)),
        *sc = calloc((size_t)cols + 1, sizeof(int));
    char pad[4096];

    if (!lm || !ws || !offs || !sc)
        goto out;
    for (int i = 0; i < t->n; i++) {
        int m = u8len(t->cells[i].margin);
        if (m > lm[t->cells[i].col])
            lm[t->cells[i].col] = m;
    }
    qsort(t->cells, (size_t)t->n, sizeof(*t->cells), by_span);
    for (int i = 0; i < t->n; i++) {
        struct tcell *c = &t->cells[i];
        int w = u8len(c->value) + lm[c->col];
        if (c->span == 1) {
            if (w > ws[c->col])
                ws[c->col] = w;
            continue;
        }
        int tw = 0, nsc = 0;
        for (int k = c->col; k < c->col + c->span; k++)
            tw += ws[k];
        if (tw >= w)
            continue;
        for (int k = c->col; k < c->col + c->span; k++) {
            if (k < 512 && t->shrink[k])
                w -= ws[k];
            else
                sc[nsc++] = k;
        }
        /* widest first; stable among equals, as for the few columns here */
        for (int a = 1; a < nsc; a++)
            for (int b = a; b > 0 && ws[sc[b]] > ws[sc[b - 1]]; b--) {
                int x = sc[b];
                sc[b] = sc[b - 1];
                sc[b - 1] = x;
            }
        int span = nsc;
        for (int k = 0; k < nsc; k++) {
            int avg = (w + span - 1) / span;
            if (avg > ws[sc[k]])
                ws[sc[k]] = avg;
            w -= ws[sc[k]];
            span--;
        }
    }
    int off = 0;
    for (int i = 0; i < cols; i++) {
        offs[i] = off;
        off += ws[i];
    }
    offs[cols] = off;
    qsort(t->cells, (size_t)t->n, sizeof(*t->cells), by_pos);
    memset(pad, ' ', sizeof(pad));
    int row = 0;
    off = 0;
    for (int i = 0; i < t->n; i++) {
        struct tcell *c = &t->cells[i];
        if (blank(c->value) && blank(c->margin))
            continue;
        for (; c->row > row; row++, off = 0)
            cprof_buf_append(out, "\n", 1);
        int spaces = offs[c->col] - off;
        if (spaces > 0)
            cprof_buf_append(out, pad, (size_t)spaces < sizeof(pad) ? (size_t)spaces : sizeof(pad));
        int ml = u8len(c->margin);
        if (lm[c->col] > ml)
            cprof_buf_append(out, pad, (size_t)(lm[c->col] - ml));
        cprof_buf_append(out, c->margin, strlen(c->margin));
        off += (spaces > 0 ? spaces : 0) + lm[c->col];
        int tw = offs[c->col + c->span] - offs[c->col] - lm[c->col];
        int vl = u8len(c->value), l = 0;
        if (c->align == AL_CENTER)
            l = (tw - vl) / 2;
        else if (c->align == AL_RIGHT)
            l = tw - vl;
        if (l > 0)
            cprof_buf_append(out, pad, (size_t)l < sizeof(pad) ? (size_t)l : sizeof(pad));
        cprof_buf_append(out, c->value, strlen(c->value));
        off += (l > 0 ? l : 0) + vl;
    }
    if (t->n > 0)
        cprof_buf_append(out, "\n", 1);
out:
    free(lm);
    free(ws);
    free(offs);
    free(sc);
}

static void tt_free(struct ttab *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->cells[i].value);
    free(t->cells);
}

/* ---- projections ---- */

enum fkind { F_NAME, F_FULLNAME, F_FILE, F_CFG, F_SUB, F_CONFIG };

/* One flattened field of a projection (.config expands to one F_CFG per key). */
struct field {
    enum fkind kind;
    char name[128];      /* the key as written (".name", "goos", "/format") */
    int cfg;             /* F_CFG: key index, -1 if no result has the key */
    enum bs_order order; /* how values of this field sort */
    char **fixed;        /* BS_ORDER_FIXED: borrowed from the parsed projection */
    int nfixed;
};

/* Observation order of the values of one projection. */
struct obs {
    char **vals;
    int n, cap;
};

static int obs_index(struct obs *o, const char *v)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->vals[i], v) == 0)
            return i;
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 16;
        char **p = realloc(o->vals, sizeof(char *) * (size_t)cap);
        if (!p)
            return -1;
        o->vals = p;
        o->cap = cap;
    }
    o->vals[o->n] = strdup(v);
    return o->vals[o->n] ? o->n++ : -1;
}

static void obs_free(struct obs *o)
{
    for (int i = 0; i < o->n; i++)
        free(o->vals[i]);
    free(o->vals);
    memset(o, 0, sizeof(*o));
}

/* The projections: -table (0), -row (1), -col (2), -ignore (3). */
enum { P_TABLE, P_ROW, P_COL, P_IGNORE, P_N };

/*
 * The keys of one axis (tables, rows or columns): each distinct tuple of
 * field values, with each field's values in order of first observation.
 */
struct axis {
    struct field *f;
    int n;            /* fields */
    struct obs *seen; /* per field: values in observation order */
    struct obs keys;  /* joined tuples, in observation order */
    int **tup;        /* per key: per field, index into seen[field] */
};

struct opts {
    const char *proj[P_N]; /* projection expressions */
    const char *filter;
    double alpha, confidence;
    bool csv;
};

/* The parts of a benchmark name: base, "/k=v" parts, "-N" procs. */
struct nameparts {
    char base[1024];
    char parts[64][256];
    char keys[64][128]; /* "/k" or "" for a part without '=' */
    int n;
    char procs[32]; /* digits, "" if none */
};

static void split_name(const char *name, struct nameparts *np)
{
    char buf[4096];
    size_t l;

    snprintf(buf, sizeof(buf), "%s", name);
    np->procs[0] = 0;
    l = strlen(buf);
    size_t d = l;
    while (d > 0 && buf[d - 1] >= '0' && buf[d - 1] <= '9')
        d--;
    if (d < l && d > 0 && buf[d - 1] == '-' && l - d < sizeof(np->procs)) {
        snprintf(np->procs, sizeof(np->procs), "%s", buf + d);
        buf[d - 1] = 0;
    }
    char *save = NULL, *tok = strtok_r(buf, "/", &save);
    snprintf(np->base, sizeof(np->base), "%s", tok ? tok : "");
    np->n = 0;
    while ((tok = strtok_r(NULL, "/", &save)) && np->n < 64) {
        snprintf(np->parts[np->n], sizeof(np->parts[0]), "%s", tok);
        char *eq = strchr(tok, '=');
        if (eq)
            snprintf(np->keys[np->n], sizeof(np->keys[0]), "/%.*s", (int)(eq - tok), tok);
        else
            np->keys[np->n][0] = 0;
        np->n++;
    }
}

/* ---- tables ---- */

struct cell {
    int row, col; /* axis key indexes */
    double *v;
    int n, cap;
    int *res_first; /* per residue field: its first value (index), or -1 */
    bool *res_vary; /* per residue field: values differ within the cell */
    /* results */
    double center, lo, hi;
    bool ci_inf, exact, exact_vary;
    bool has_cmp, cmp_err_equal, cmp_err_size;
    double p;
    int base; /* index of the baseline cell, -1 */
};

struct table {
    int tkey; /* key index on the table axis */
    int unit; /* index into d.units */
    int uord; /* the unit's observation order */
    struct cell *cells;
    int n, cap;
};

struct bstat {
    struct opts o;
    struct bs_data d;
    struct bs_pfield *pf[P_N];
    int npf[P_N];
    struct bs_filter *filter;
    struct axis ax[3]; /* P_TABLE, P_ROW, P_COL */
    struct field *res; /* residue fields: unprojected config keys, .fullname */
    int nres;
    struct obs *resseen;
    struct obs units; /* tidied units in observation order */
    struct table *tabs;
    int ntabs, captabs;
    struct cprof_buf out, err;
};

/* Whether key is named by any projection (and so left out of .config and .fullname). */
static bool specific(const struct bstat *s, const char *key)
{
    for (int p = 0; p < P_N; p++)
        for (int i = 0; i < s->npf[p]; i++)
            if (strcmp(s->pf[p][i].key, key) == 0)
                return true;
    return false;
}

/* Full name without the specific /keys (nor the base if .name is, nor procs if /gomaxprocs is). */
static void fullname(const struct bstat *s, const struct nameparts *np, char *out, size_t n)
{
    size_t k = (size_t)snprintf(out, n, "%s", specific(s, ".name") ? "" : np->base);
    for (int i = 0; i < np->n && k < n; i++)
        if (!np->keys[i][0] || !specific(s, np->keys[i]))
            k += (size_t)snprintf(out + k, n - k, "/%s", np->parts[i]);
    if (np->procs[0] && !specific(s, "/gomaxprocs") && k < n)
        snprintf(out + k, n - k, "-%s", np->procs);
}

static const char *cfg_val(const struct bs_data *d, const struct bs_result *r, int key)
{
    const struct bs_cfg *c = &d->cfgs[r->cfg];
    return key >= 0 && key < c->nvals && c->vals[key] ? c->vals[key] : "";
}

static int key_index(const struct bs_data *d, const char *name)
{
    for (int k = 0; k < d->nkeys; k++)
        if (strcmp(d->keys[k], name) == 0)
            return k;
    return -1;
}

static void sub_value(const struct nameparts *np, const char *key, char *out, size_t n)
{
    out[0] = 0;
    if (strcmp(key, "/gomaxprocs") == 0)
        snprintf(out, n, "%s", np->procs);
    for (int i = 0; i < np->n; i++)
        if (strcmp(np->keys[i], key) == 0)
            snprintf(out, n, "%s", strchr(np->parts[i], '=') + 1);
}

static void value_of(const struct bstat *s, const struct bs_result *r, const struct field *f,
                     char *out, size_t n)
{
    struct nameparts np;

    out[0] = 0;
    switch (f->kind) {
    case F_NAME:
        split_name(r->name, &np);
        snprintf(out, n, "%s", np.base);
        break;
    case F_FULLNAME:
        split_name(r->name, &np);
        fullname(s, &np, out, n);
        break;
    case F_FILE: snprintf(out, n, "%s", s->d.files[r->file]); break;
    case F_CFG: snprintf(out, n, "%s", cfg_val(&s->d, r, f->cfg)); break;
    case F_SUB:
        split_name(r->name, &np);
        sub_value(&np, f->name, out, n);
        break;
    case F_CONFIG: break;
    }
}

static void field_init(struct field *f, const char *key, const struct bs_data *d)
{
    memset(f, 0, sizeof(*f));
    f->cfg = -1;
    snprintf(f->name, sizeof(f->name), "%s", key);
    if (strcmp(key, ".name") == 0)
        f->kind = F_NAME;
    else if (strcmp(key, ".fullname") == 0)
        f->kind = F_FULLNAME;
    else if (strcmp(key, ".file") == 0)
        f->kind = F_FILE;
    else if (strcmp(key, ".config") == 0)
        f->kind = F_CONFIG;
    else if (key[0] == '/')
        f->kind = F_SUB;
    else {
        f->kind = F_CFG;
        f->cfg = key_index(d, key);
    }
}

/* A key's value for a filter: .fullname is the whole name here. */
static const char *filter_get(void *ctx, const char *key, char *buf, size_t n)
{
    void **c = ctx;
    const struct bstat *s = c[0];
    const struct bs_result *r = c[1];
    struct field f;

    if (strcmp(key, ".fullname") == 0)
        return r->name;
    field_init(&f, key, &s->d);
    value_of(s, r, &f, buf, n);
    return buf;
}

/* Flattens projection p into axis a, now that every configuration key is known. */
static int axis_init(struct bstat *s, struct axis *a, int p)
{
    int cap = 0;
    for (int i = 0; i < s->npf[p]; i++)
        cap += strcmp(s->pf[p][i].key, ".config") == 0 ? s->d.nkeys : 1;
    a->f = calloc((size_t)cap + 1, sizeof(*a->f));
    a->seen = calloc((size_t)cap + 1, sizeof(*a->seen));
    if (!a->f || !a->seen)
        return -ENOMEM;
    for (int i = 0; i < s->npf[p]; i++) {
        const struct bs_pfield *pf = &s->pf[p][i];
        if (strcmp(pf->key, ".config") == 0) {
            for (int k = 0; k < s->d.nkeys; k++) {
                if (specific(s, s->d.keys[k]))
                    continue;
                field_init(&a->f[a->n], s->d.keys[k], &s->d);
                a->f[a->n++].order = pf->order;
            }
            continue;
        }
        field_init(&a->f[a->n], pf->key, &s->d);
        a->f[a->n].order = pf->order;
        a->f[a->n].fixed = pf->fixed;
        a->f[a->n++].nfixed = pf->nfixed;
    }
    return 0;
}

/* The residue: what no projection names, checked for variation within a cell. */
static int residue_init(struct bstat *s)
{
    bool config = false, full = false;
    for (int p = 0; p < P_N; p++)
        for (int i = 0; i < s->npf[p]; i++) {
            config |= strcmp(s->pf[p][i].key, ".config") == 0;
            full |= strcmp(s->pf[p][i].key, ".fullname") == 0;
        }
    s->res = calloc((size_t)s->d.nkeys + 1, sizeof(*s->res));
    s->resseen = calloc((size_t)s->d.nkeys + 1, sizeof(*s->resseen));
    if (!s->res || !s->resseen)
        return -ENOMEM;
    for (int k = 0; !config && k < s->d.nkeys; k++)
        if (!specific(s, s->d.keys[k]))
            field_init(&s->res[s->nres++], s->d.keys[k], &s->d);
    if (!full)
        field_init(&s->res[s->nres++], ".fullname", &s->d);
    return 0;
}

/* The key index of r on axis a; -1 when out of memory. */
static int axis_key(struct bstat *s, struct axis *a, const struct bs_result *r)
{
    struct cprof_buf j;
    char buf[4096];
    int *tup = calloc((size_t)a->n + 1, sizeof(int));

    cprof_buf_init(&j, (size_t)1 << 24);
    if (!tup)
        return -1;
    for (int i = 0; i < a->n; i++) {
        value_of(s, r, &a->f[i], buf, sizeof(buf));
        tup[i] = obs_index(&a->seen[i], buf);
        cprof_buf_printf(&j, "%d,", tup[i]);
        if (tup[i] < 0)
            goto fail;
    }
    cprof_buf_append(&j, "", 1);
    if (!j.data)
        goto fail;
    int n = a->keys.n, k = obs_index(&a->keys, (const char *)j.data);
    cprof_buf_release(&j);
    if (k < 0 || k < n) {
        free(tup);
        return k;
    }
    int **t = realloc(a->tup, sizeof(int *) * (size_t)(k + 1));
    if (!t) {
        free(tup);
        return -1;
    }
    a->tup = t;
    a->tup[k] = tup;
    return k;
fail:
    cprof_buf_release(&j);
    free(tup);
    return -1;
}

static void axis_free(struct axis *a)
{
    for (int i = 0; i < a->n; i++)
        obs_free(&a->seen[i]);
    for (int k = 0; k < a->keys.n; k++)
        free(a->tup ? a->tup[k] : NULL);
    free(a->tup);
    obs_free(&a->keys);
    free(a->seen);
    free(a->f);
}

static const char *axis_val(const struct axis *a, int key, int field)
{
    return a->seen[field].vals[a->tup[key][field]];
}

static int fixed_pos(const struct field *f, const char *v)
{
    for (int i = 0; i < f->nfixed; i++)
        if (strcmp(f->fixed[i], v) == 0)
            return i;
    return -1;
}

/* Orders two keys of an axis: field by field, each by its order. */
static int axis_cmp(const struct axis *a, int x, int y)
{
    for (int i = 0; i < a->n; i++) {
        const char *u = axis_val(a, x, i), *v = axis_val(a, y, i);
        int c = 0;
        double p, q;
        switch (a->f[i].order) {
        case BS_ORDER_FIRST: c = a->tup[x][i] - a->tup[y][i]; break;
        case BS_ORDER_ALPHA: c = strcmp(u, v); break;
        case BS_ORDER_NUM: {
            bool nu = bs_num_value(u, &p), nv = bs_num_value(v, &q);
            if (nu && nv)
                c = (p > q) - (p < q);
            else
                c = nu != nv ? (nu ? -1 : 1) : strcmp(u, v);
            break;
        }
        case BS_ORDER_FIXED: c = fixed_pos(&a->f[i], u) - fixed_pos(&a->f[i], v); break;
        }
        if (c)
            return c;
    }
    return x - y;
}

/* Values of fixed-order fields must be among the listed ones (benchproc's implied filter). */
static bool fixed_ok(const struct bstat *s, const struct bs_result *r)
{
    char buf[4096];
    for (int p = 0; p < P_N; p++)
        for (int i = 0; i < s->npf[p]; i++) {
            const struct bs_pfield *pf = &s->pf[p][i];
            if (pf->order != BS_ORDER_FIXED)
                continue;
            struct field f;
            field_init(&f, pf->key, &s->d);
            f.fixed = pf->fixed;
            f.nfixed = pf->nfixed;
            value_of(s, r, &f, buf, sizeof(buf));
            if (fixed_pos(&f, buf) < 0)
                return false;
        }
    return true;
}

static struct table *find_table(struct bstat *s, int tkey, int unit)
{
    for (int i = 0; i < s->ntabs; i++)
        if (s->tabs[i].unit == unit && s->tabs[i].tkey == tkey)
            return &s->tabs[i];
    if (s->ntabs == s->captabs) {
        int cap = s->captabs ? 2 * s->captabs : 8;
        struct table *t = realloc(s->tabs, sizeof(*t) * (size_t)cap);
        if (!t)
            return NULL;
        s->tabs = t;
        s->captabs = cap;
    }
    struct table *t = &s->tabs[s->ntabs];
    memset(t, 0, sizeof(*t));
    t->tkey = tkey;
    t->unit = unit;
    t->uord = obs_index(&s->units, s->d.units[unit]);
    if (t->uord < 0)
        return NULL;
    s->ntabs++;
    return t;
}

static struct cell *find_cell(struct bstat *s, struct table *t, int row, int col)
{
    for (int i = 0; i < t->n; i++)
        if (t->cells[i].row == row && t->cells[i].col == col)
            return &t->cells[i];
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        struct cell *c = realloc(t->cells, sizeof(*c) * (size_t)cap);
        if (!c)
            return NULL;
        t->cells = c;
        t->cap = cap;
    }
    struct cell *c = &t->cells[t->n];
    memset(c, 0, sizeof(*c));
    c->row = row;
    c->col = col;
    c->base = -1;
    c->res_first = malloc(sizeof(int) * (size_t)(s->nres + 1));
    c->res_vary = calloc((size_t)s->nres + 1, sizeof(bool));
    if (!c->res_first || !c->res_vary) {
        free(c->res_first);
        free(c->res_vary);
        return NULL;
    }
    for (int i = 0; i < s->nres; i++)
        c->res_first[i] = -1;
    t->n++;
    return c;
}

static int add_value(struct cell *c, double v)
{
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 8;
        double *p = realloc(c->v, sizeof(double) * (size_t)cap);
        if (!p)
            return -ENOMEM;
        c->v = p;
        c->cap = cap;
    }
    c->v[c->n++] = v;
    return 0;
}

static void add_residue(struct cell *c, const int *res, int nres)
{
    for (int i = 0; i < nres; i++) {
        if (c->res_first[i] < 0)
            c->res_first[i] = res[i];
        else if (c->res_first[i] != res[i])
            c->res_vary[i] = true;
    }
}

/* Whether r passes -filter and which of its measurements (keep) do. */
static bool filtered_in(struct bstat *s, const struct bs_result *r, bool *keep)
{
    const char *units[BS_MAX_VALUES], *ounits[BS_MAX_VALUES];
    void *ctx[2] = {s, (void *)r};
    struct bs_fres fr = {filter_get, ctx, r->nvals, units, ounits};

    if (r->nvals > BS_MAX_VALUES || !fixed_ok(s, r))
        return false;
    for (int v = 0; v < r->nvals; v++) {
        units[v] = s->d.units[r->vals[v].unit];
        ounits[v] = s->d.ounits[r->vals[v].ounit];
        keep[v] = true;
    }
    return !s->filter || bs_filter_match(s->filter, &fr, keep) > 0;
}

static int project(struct bstat *s)
{
    char buf[4096];
    bool keep[BS_MAX_VALUES];
    int *res;

    for (int a = 0; a < 3; a++)
        if (axis_init(s, &s->ax[a], a))
            return -ENOMEM;
    if (residue_init(s))
        return -ENOMEM;
    res = calloc((size_t)s->nres + 1, sizeof(int));
    if (!res)
        return -ENOMEM;
    for (int i = 0; i < s->d.nres; i++) {
        const struct bs_result *r = &s->d.res[i];
        if (!filtered_in(s, r, keep))
            continue;
        int tk = axis_key(s, &s->ax[P_TABLE], r), row = axis_key(s, &s->ax[P_ROW], r),
            col = axis_key(s, &s->ax[P_COL], r);
        if (tk < 0 || row < 0 || col < 0)
            goto oom;
        for (int f = 0; f < s->nres; f++) {
            value_of(s, r, &s->res[f], buf, sizeof(buf));
            if ((res[f] = obs_index(&s->resseen[f], buf)) < 0)
                goto oom;
        }
        for (int v = 0; v < r->nvals; v++) {
            if (!keep[v])
                continue;
            struct table *t = find_table(s, tk, r->vals[v].unit);
            struct cell *c = t ? find_cell(s, t, row, col) : NULL;
            if (!c || add_value(c, r->vals[v].v))
                goto oom;
            add_residue(c, res, s->nres);
        }
    }
    free(res);
    return 0;
oom:
    free(res);
    return -ENOMEM;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    /* NaN (which Go's parser accepts) sorts last, so the order is total */
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return x < y ? -1 : x > y;
}

static int cmp_table(const void *a, const void *b, void *arg)
{
    const struct table *x = a, *y = b;
    const struct axis *ax = arg;
    if (x->tkey != y->tkey)
        return axis_cmp(ax, x->tkey, y->tkey);
    return x->uord - y->uord;
}

static bool unit_exact(const struct bs_data *d, int unit)
{
    for (int i = 0; i < d->nexact; i++)
        if (strcmp(d->exact[i], d->units[unit]) == 0)
            return true;
    return false;
}

/* benchmath's exact assumption: the mode, bounded by the extremes. */
static void summarize_exact(struct cell *c)
{
    double val = c->v[0], mode = val;
    int count = 1, best = 1;
    for (int i = 1; i < c->n; i++) {
        if (c->v[i] == val) {
            if (++count > best)
                mode = val, best = count;
        } else {
            val = c->v[i], count = 1;
        }
    }
    c->exact = true;
    c->center = mode;
    c->lo = c->v[0];
    c->hi = c->v[c->n - 1];
    c->exact_vary = best != c->n;
}

static void summarize(struct bstat *s, struct table *t)
{
    int base_col = -1;

    bool exact = unit_exact(&s->d, t->unit);

    for (int i = 0; i < t->n; i++)
        if (base_col < 0 || axis_cmp(&s->ax[P_COL], t->cells[i].col, base_col) < 0)
            base_col = t->cells[i].col;
    for (int i = 0; i < t->n; i++) {
        struct cell *c = &t->cells[i];
        int lo, hi;
        qsort(c->v, (size_t)c->n, sizeof(double), cmp_double);
        if (exact) {
            summarize_exact(c);
            continue;
        }
        c->center = bs_median(c->v, c->n);
        bs_median_ci(c->n, s->o.confidence, &lo, &hi);
        c->lo = lo < 1 ? -INFINITY : c->v[lo - 1];
        c->hi = hi - 1 >= c->n ? INFINITY : c->v[hi - 1];
        c->ci_inf = isinf(c->lo) || isinf(c->hi);
    }
    for (int i = 0; i < t->n; i++) {
        struct cell *c = &t->cells[i];
        if (c->col == base_col)
            continue;
        for (int j = 0; j < t->n; j++)
            if (t->cells[j].col == base_col && t->cells[j].row == c->row)
                c->base = j;
        if (c->base < 0)
            continue;
        struct cell *b = &t->cells[c->base];
        c->has_cmp = true;
        if (exact) {
            c->p = 0;
            continue;
        }
        int rc = bs_utest(b->v, b->n, c->v, c->n, &c->p);
        if (rc) {
            c->p = 1;
            c->cmp_err_equal = rc == BS_ESAMPLESEQUAL;
            c->cmp_err_size = rc == BS_ESAMPLESIZE;
        }
    }
}

/* Footnotes, numbered in order of first use within a table. */
struct notes {
    char *msg[64];
    int n;
};

static int note(struct notes *w, const char *m)
{
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->msg[i], m) == 0)
            return i + 1;
    if (w->n == 64)
        return 64;
    w->msg[w->n] = strdup(m);
    return w->msg[w->n] ? ++w->n : 0;
}

static void superscript(int i, char *out, size_t n)
{
    static const char *d[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    char tmp[64] = "";
    char digits[16];
    int k = snprintf(digits, sizeof(digits), "%d", i);
    for (int j = 0; j < k; j++)
        strcat(tmp, d[digits[j] - '0']);
    snprintf(out, n, "%s", tmp);
}

static void add_notes(struct notes *w, char *buf, size_t n, const char **msgs, int nm)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < nm; i++) {
        char sup[64];
        superscript(note(w, msgs[i]), sup, sizeof(sup));
        o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "%s%s", o ? " " : "", sup);
        if (o >= n)
            o = n - 1;
    }
}

/* Go's %v of a float64: shortest representation, exponent when < 1e-4 or >= 1e21. */
static void go_float(double v, char *out, size_t n)
{
    char buf[64];
    int prec;

    if (isnan(v)) {
        snprintf(out, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, n, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == 0) {
        snprintf(out, n, signbit(v) ? "-0" : "0");
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* buf: d.ddde[+-]XX; decide the layout by the decimal exponent */
    char *e = strchr(buf, 'e');
    int exp10 = atoi(e + 1);
    char digits[32];
    int nd = 0;
    for (char *p = buf; p < e; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    digits[nd] = 0;
    const char *sign = v < 0 ? "-" : "";
    if (exp10 < -4 || exp10 >= 21) {
        snprintf(out, n, "%s%c%s%.*s%c%c%02d", sign, digits[0], nd > 1 ? "." : "", nd - 1,
                 digits + 1, 'e', exp10 < 0 ? '-' : '+', abs(exp10));
    } else if (exp10 < 0) {
        snprintf(out, n, "%s0.%0*d%s", sign, -exp10 - 1, 0, digits);
        if (-exp10 - 1 == 0)
            snprintf(out, n, "%s0.%s", sign, digits);
    } else if (nd <= exp10 + 1) {
        snprintf(out, n, "%s%s%0*d", sign, digits, exp10 + 1 - nd, 0);
        if (exp10 + 1 - nd == 0)
            snprintf(out, n, "%s%s", sign, digits);
    } else {
        snprintf(out, n, "%s%.*s.%s", sign, exp10 + 1, digits, digits + exp10 + 1);
    }
}

/* benchunit: Binary when bytes appear in the numerator. */
static bool unit_binary(const char *unit)
{
    int denom = 0;
    for (const char *p = unit; *p;) {
        if (*p == '*' || *p == '/' || *p == '-' || *p == ' ' || *p == '\t') {
            if (*p == '*')
                denom = 0;
            else if (*p == '/')
                denom = 1;
            p++;
            continue;
        }
        size_t l = strcspn(p, "*/- \t");
        if (!denom && ((l == 1 && *p == 'B') || (l == 2 && !memcmp(p, "MB", 2)) ||
                       (l == 5 && !memcmp(p, "bytes", 5))))
            return true;
        p += l;
    }
    return false;
}

struct scaler {
    int prec;
    double factor;
    const char *prefix;
};

static struct scaler common_scale(const double *vals, int n, bool binary)
{
    static const char *si[] = {"T", "G", "M", "k", "", "m", "µ", "n"};
    static const char *iec[] = {"Ti", "Gi", "Mi", "Ki", ""};
    double min = 0;
    char b[64];

    for (int i = 0; i < n; i++) {
        double v = fabs(vals[i]);
        if (v != 0 && (min == 0 || v < min))
            min = v;
    }
    if (min == 0)
        return (struct scaler){3, 1, ""};
    int nf = binary ? 5 : 8;
    double factor = 1;
    const char *prefix = "";
    for (int i = 0; i < nf; i++) {
        double t100, t10, t1;
        if (binary) {
            int e = 40 - 10 * i;
            factor = ldexp(1, e);
            t100 = ldexp(0x1.8ffae147ae148p0, 6 + e);
            t10 = ldexp(0x1.3ffbe76c8b439p0, 3 + e);
            t1 = ldexp(0x1.fff972474538fp0, -1 + e);
            prefix = iec[i];
        } else {
            int e = 12 - 3 * i;
            factor = pow(10, e);
            snprintf(b, sizeof(b), "99.995e%d", e);
            t100 = strtod(b, NULL);
            snprintf(b, sizeof(b), "9.9995e%d", e);
            t10 = strtod(b, NULL);
            snprintf(b, sizeof(b), ".99995e%d", e);
            t1 = strtod(b, NULL);
            prefix = si[i];
        }
        if (min >= t100)
            return (struct scaler){1, factor, prefix};
        if (min >= t10)
            return (struct scaler){2, factor, prefix};
        if (min >= t1)
            return (struct scaler){3, factor, prefix};
    }
    double val = min / factor;
    for (int i = 0; i < 8; i++) {
        snprintf(b, sizeof(b), "9.9995e%d", -1 - i);
        if (val >= strtod(b, NULL) || i == 7)
            return (struct scaler){i + 3, factor, prefix};
    }
    return (struct scaler){3, factor, prefix};
}

static void scale_fmt(struct scaler sc, double v, char *out, size_t n)
{
    if (isnan(v) || isinf(v)) {
        snprintf(out, n, "%s%s", isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf", sc.prefix);
        return;
    }
    snprintf(out, n, "%.*f%s", sc.prec, v / sc.factor, sc.prefix);
}

static void pct_range(const struct cell *c, char *out, size_t n)
{
    if (c->ci_inf) {
        snprintf(out, n, "∞");
        return;
    }
    int cs = (c->center > 0) - (c->center < 0);
    if (cs != (c->lo > 0) - (c->lo < 0) || cs != (c->hi > 0) - (c->hi < 0)) {
        snprintf(out, n, "?");
        return;
    }
    if (c->center == 0) {
        snprintf(out, n, "0%%");
        return;
    }
    double v = fmax(c->hi / c->center - 1, 1 - c->lo / c->center);
    snprintf(out, n, "%.0f%%", 100 * v);
}

static void delta(const struct bstat *s, const struct cell *b, const struct cell *c, char *out,
                  size_t n)
{
    if (c->p > s->o.alpha)
        snprintf(out, n, "~");
    else if (b->center == c->center)
        snprintf(out, n, "0.00%%");
    else if (b->center == 0)
        snprintf(out, n, "?");
    else
        snprintf(out, n, "%+.2f%%", (c->center / b->center - 1.0) * 100.0);
}

static void cmp_string(const struct cell *b, const struct cell *c, char *out, size_t n)
{
    size_t o = 0;
    if (c->p != 0)
        o = (size_t)snprintf(out, n, "p=%0.3f ", c->p);
    if (b->n == c->n)
        snprintf(out + o, n - o, "n=%d", b->n);
    else
        snprintf(out + o, n - o, "n=%d+%d", b->n, c->n);
}

/* Messages of a cell: sample warnings (residue), then summary warnings. */
static int cell_msgs(const struct bstat *s, const struct cell *c, char msgs[][160])
{
    int n = 0;
    size_t o = 0;
    for (int i = 0; i < s->nres; i++)
        if (c->res_vary[i])
            o += (size_t)snprintf(msgs[n] + o, o < 160 ? 160 - o : 0, "%s%s",
                                  o ? ", " : "benchmarks vary in ", s->res[i].name);
    n += o > 0;
    if (c->exact && c->exact_vary) {
        char lo[32], hi[32];
        go_float(c->lo, lo, sizeof(lo));
        go_float(c->hi, hi, sizeof(hi));
        snprintf(msgs[n++], 160,
                 "exact distribution expected, but values range from %.30s to %.30s", lo, hi);
    }
    if (c->ci_inf) {
        int need, ge = bs_median_samples(s->o.confidence, &need);
        char lvl[64];
        go_float(s->o.confidence, lvl, sizeof(lvl));
        snprintf(msgs[n++], 160, "need %s %d samples for confidence interval at level %s",
                 ge ? ">=" : ">", need, lvl);
    }
    return n;
}

static int cmp_msgs(const struct bstat *s, const struct cell *b, const struct cell *c,
                    char msgs[][160])
{
    int n = 0;
    char a[64];
    if (c->exact)
        return 0;
    if (c->cmp_err_equal) {
        snprintf(msgs[n++], 160, "all samples are equal");
        return n;
    }
    if (c->cmp_err_size) {
        snprintf(msgs[n++], 160, "sample is too small");
        return n;
    }
    if (c->p > s->o.alpha) {
        int need, ge = bs_utest_samples(s->o.alpha, &need);
        if (b->n < need && c->n < need) {
            go_float(s->o.alpha, a, sizeof(a));
            snprintf(msgs[n++], 160, "need %s %d samples to detect a difference at alpha level %s",
                     ge ? ">=" : ">", need, a);
        }
    }
    return n;
}

struct colsum {
    bool has_sum, has_ratio;
    double sum, ratio;
    char warn[2][160];
    int nwarn;
};

static void col_summary(const struct table *t, const int *rows, int nrows, int col, bool is_base,
                        int nbase, struct colsum *cs)
{
    double *sums = malloc(sizeof(double) * (size_t)(nrows + 1)),
           *ratios = malloc(sizeof(double) * (size_t)(nrows + 1));
    int ns = 0, nr = 0;
    bool bad = false;

    memset(cs, 0, sizeof(*cs));
    if (!sums || !ratios)
        goto out;
    for (int r = 0; r < nrows; r++)
        for (int i = 0; i < t->n; i++) {
            const struct cell *c = &t->cells[i];
            if (c->row != rows[r] || c->col != col)
                continue;
            sums[ns++] = c->center;
            if (c->base >= 0) {
                double a = c->center, b = t->cells[c->base].center;
                if (a == b)
                    ratios[nr++] = 1;
                else if (b == 0)
                    bad = true, ratios[nr++] = 0;
                else
                    ratios[nr++] = a / b;
            }
        }
    if (!is_base && nbase != nr)
        snprintf(cs->warn[cs->nwarn++], 160,
                 "benchmark set differs from baseline; geomeans may not be comparable");
    double gm = bs_geomean(sums, ns);
    if (isnan(gm))
        snprintf(cs->warn[cs->nwarn++], 160, "summaries must be >0 to compute geomean");
    else
        cs->has_sum = true, cs->sum = gm;
    if (!is_base && !bad) {
        gm = bs_geomean(ratios, nr);
        if (isnan(gm))
            snprintf(cs->warn[cs->nwarn++], 160, "ratios must be >0 to compute geomean");
        else
            cs->has_ratio = true, cs->ratio = gm;
    }
out:
    free(sums);
    free(ratios);
}

static int cmp_key(const void *a, const void *b, void *arg)
{
    return axis_cmp(arg, *(const int *)a, *(const int *)b);
}

/* A row's label: its non-empty field values, space-separated. */
static void row_label(const struct bstat *s, int row, char *out, size_t n)
{
    const struct axis *a = &s->ax[P_ROW];
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < a->n && o < n; i++) {
        const char *v = axis_val(a, row, i);
        if (*v)
            o += (size_t)snprintf(out + o, n - o, "%s%s", o ? " " : "", v);
    }
}

/* The sorted row and column keys present in t. */
static void table_axes(const struct bstat *s, const struct table *t, int *rows, int *nrows,
                       int *cols, int *ncols)
{
    *nrows = *ncols = 0;
    for (int i = 0; i < t->n; i++) {
        bool seen = false;
        for (int k = 0; k < *nrows; k++)
            seen |= rows[k] == t->cells[i].row;
        if (!seen)
            rows[(*nrows)++] = t->cells[i].row;
        seen = false;
        for (int k = 0; k < *ncols; k++)
            seen |= cols[k] == t->cells[i].col;
        if (!seen)
            cols[(*ncols)++] = t->cells[i].col;
    }
    qsort_r(rows, (size_t)*nrows, sizeof(int), cmp_key, (void *)&s->ax[P_ROW]);
    qsort_r(cols, (size_t)*ncols, sizeof(int), cmp_key, (void *)&s->ax[P_COL]);
}

static const struct cell *cell_at(const struct table *t, int row, int col)
{
    for (int i = 0; i < t->n; i++)
        if (t->cells[i].row == row && t->cells[i].col == col)
            return &t->cells[i];
    return NULL;
}

static int start_col(int exp)
{
    return exp == 0 ? 1 : 1 + 3 + (exp - 1) * 6;
}

static void table_text(struct bstat *s, const struct table *t)
{
    struct ttab o;
    struct notes w = {.n = 0};
    int *rows = malloc(sizeof(int) * (size_t)(t->n + 1)),
        *cols = malloc(sizeof(int) * (size_t)(t->n + 1));
    int nrows, ncols;
    char buf[512], b2[512];
    const char *unit = s->d.units[t->unit];
    bool binary = unit_binary(unit);

    memset(&o, 0, sizeof(o));
    if (!rows || !cols)
        goto out;
    table_axes(s, t, rows, &nrows, cols, &ncols);
    int redge = start_col(ncols + 1);
    const struct axis *ca = &s->ax[P_COL];
    /* one header row per column field; equal neighbours under one parent share a cell */
    for (int lv = 0; lv < ca->n; lv++) {
        tt_row(&o);
        for (int e = 0; e < ncols;) {
            int end = e + 1;
            for (; end < ncols; end++) {
                bool same = true;
                for (int k = 0; k <= lv && same; k++)
                    same = ca->tup[cols[end]][k] == ca->tup[cols[e]][k];
                if (!same)
                    break;
            }
            int l = start_col(e), r = start_col(end);
            tt_col(&o, l);
            tt_span(&o, r - l, axis_val(ca, cols[e], lv), AL_CENTER, " │ ");
            e = end;
        }
        tt_col(&o, redge);
        tt_cell(&o, "", AL_LEFT, " │");
    }
    tt_row(&o);
    for (int e = 0; e < ncols; e++) {
        int l = start_col(e);
        tt_col(&o, l);
        tt_span(&o, 3, unit, AL_CENTER, " │ ");
        if (e > 0)
            tt_span(&o, 3, "vs base", AL_LEFT, "  ");
        for (int j = l + 1; j < o.curcol && j < 512; j++)
            o.shrink[j] = true;
    }
    tt_col(&o, redge);
    tt_cell(&o, "", AL_LEFT, " │");
    for (int r = 0; r < nrows; r++) {
        double centers[512];
        int nc = 0;
        tt_row(&o);
        row_label(s, rows[r], buf, sizeof(buf));
        tt_cell(&o, buf, AL_LEFT, NULL);
        for (int e = 0; e < ncols && nc < 512; e++) {
            const struct cell *c = cell_at(t, rows[r], cols[e]);
            if (c)
                centers[nc++] = c->center;
        }
        struct scaler sc = common_scale(centers, nc, binary);
        for (int e = 0; e < ncols; e++) {
            const struct cell *c = cell_at(t, rows[r], cols[e]);
            char msgs[4][160];
            const char *mp[4];
            if (!c)
                continue;
            tt_col(&o, start_col(e));
            scale_fmt(sc, c->center, buf, sizeof(buf));
            tt_cell(&o, buf, AL_RIGHT, NULL);
            pct_range(c, buf, sizeof(buf));
            tt_cell(&o, buf, AL_RIGHT, " ± ");
            int nm = cell_msgs(s, c, msgs);
            for (int k = 0; k < nm; k++)
                mp[k] = msgs[k];
            add_notes(&w, buf, sizeof(buf), mp, nm);
            tt_cell(&o, buf, AL_LEFT, NULL);
            if (e > 0 && c->base >= 0) {
                const struct cell *b = &t->cells[c->base];
                delta(s, b, c, buf, sizeof(buf));
                tt_cell(&o, buf, AL_RIGHT, NULL);
                cmp_string(b, c, b2, sizeof(b2));
                char paren[600];
                snprintf(paren, sizeof(paren), "(%s)", b2);
                tt_cell(&o, paren, AL_LEFT, NULL);
                nm = cmp_msgs(s, b, c, msgs);
                for (int k = 0; k < nm; k++)
                    mp[k] = msgs[k];
                add_notes(&w, buf, sizeof(buf), mp, nm);
                tt_cell(&o, buf, AL_LEFT, NULL);
            }
        }
    }
    if (nrows > 1) {
        int nbase = 0;
        for (int r = 0; r < nrows; r++)
            nbase += cell_at(t, rows[r], cols[0]) != NULL;
        tt_row(&o);
        tt_cell(&o, "geomean", AL_LEFT, NULL);
        for (int e = 0; e < ncols; e++) {
            struct colsum cs;
            const char *mp[2];
            col_summary(t, rows, nrows, cols[e], e == 0, nbase, &cs);
            if (cs.has_sum) {
                tt_col(&o, start_col(e));
                struct scaler sc = common_scale(&cs.sum, 1, binary);
                scale_fmt(sc, cs.sum, buf, sizeof(buf));
                tt_cell(&o, buf, AL_RIGHT, NULL);
            }
            if (e > 0) {
                tt_col(&o, start_col(e) + 3);
                if (cs.has_ratio) {
                    snprintf(buf, sizeof(buf), "%+.2f%%", (cs.ratio - 1) * 100);
                    tt_cell(&o, buf, AL_RIGHT, NULL);
                } else {
                    tt_cell(&o, "?", AL_LEFT, NULL);
                }
            }
            tt_col(&o, start_col(e + 1) - 1);
            for (int k = 0; k < cs.nwarn; k++)
                mp[k] = cs.warn[k];
            add_notes(&w, buf, sizeof(buf), mp, cs.nwarn);
            tt_cell(&o, buf, AL_LEFT, NULL);
        }
    }
    tt_format(&o, &s->out);
    for (int i = 0; i < w.n; i++) {
        superscript(i + 1, buf, sizeof(buf));
        cprof_buf_printf(&s->out, "%s %s\n", buf, w.msg[i]);
    }
out:
    for (int i = 0; i < w.n; i++)
        free(w.msg[i]);
    tt_free(&o);
    free(rows);
    free(cols);
}

/* encoding/csv: quote fields holding a comma, quote, CR/LF, or a leading space. */
static void csv_field(struct cprof_buf *out, const char *f, bool first)
{
    if (!first)
        cprof_buf_append(out, ",", 1);
    bool q = strpbrk(f, ",\"\r\n") != NULL || f[0] == ' ' || f[0] == '\t';
    if (!q) {
        cprof_buf_append(out, f, strlen(f));
        return;
    }
    cprof_buf_append(out, "\"", 1);
    for (; *f; f++)
        cprof_buf_append(out, *f == '"' ? "\"\"" : f, *f == '"' ? 2 : 1);
    cprof_buf_append(out, "\"", 1);
}

struct csvrow {
    char *f[1024];
    int n;
};

static void row_set(struct csvrow *r, int col, const char *v)
{
    while (r->n < col && r->n < 1024)
        r->f[r->n++] = strdup("");
    if (r->n < 1024)
        r->f[r->n++] = strdup(v);
}

static void row_emit(struct bstat *s, struct csvrow *r, int *rowno)
{
    for (int i = 0; i < r->n; i++) {
        csv_field(&s->out, r->f[i] ? r->f[i] : "", i == 0);
        free(r->f[i]);
    }
    cprof_buf_append(&s->out, "\n", 1);
    r->n = 0;
    (*rowno)++;
}

static void csv_warn(struct bstat *s, const struct csvrow *r, int rowno, char msgs[][160], int n)
{
    char name[16], buf[256];
    int pos = 15;
    name[pos] = 0;
    for (int x = r->n; x > 0; x /= 26)
        name[--pos] = (char)('A' + x % 26);
    if (pos == 15)
        name[--pos] = 'A';
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof(buf), "%s%d: %s\n", name + pos, rowno, msgs[i]);
        cprof_buf_append(&s->err, buf, strlen(buf));
    }
}

static int csv_start(int exp)
{
    return exp == 0 ? 1 : 1 + 2 + (exp - 1) * 4;
}

static void table_csv(struct bstat *s, const struct table *t, int *rowno)
{
    int *rows = malloc(sizeof(int) * (size_t)(t->n + 1)),
        *cols = malloc(sizeof(int) * (size_t)(t->n + 1));
    int nrows, ncols;
    struct csvrow r = {.n = 0};
    char buf[512], msgs[4][160];

    if (!rows || !cols)
        goto out;
    table_axes(s, t, rows, &nrows, cols, &ncols);
    for (int lv = 0; lv < s->ax[P_COL].n; lv++) {
        for (int e = 0; e < ncols; e++)
            row_set(&r, csv_start(e), axis_val(&s->ax[P_COL], cols[e], lv));
        row_emit(s, &r, rowno);
    }
    for (int e = 0; e < ncols; e++) {
        row_set(&r, csv_start(e), s->d.units[t->unit]);
        row_set(&r, r.n, "CI");
        if (e > 0) {
            row_set(&r, r.n, "vs base");
            row_set(&r, r.n, "P");
        }
    }
    row_emit(s, &r, rowno);
    for (int i = 0; i < nrows; i++) {
        row_label(s, rows[i], buf, sizeof(buf));
        row_set(&r, 0, buf);
        for (int e = 0; e < ncols; e++) {
            const struct cell *c = cell_at(t, rows[i], cols[e]);
            if (!c)
                continue;
            while (r.n < csv_start(e))
                row_set(&r, r.n, "");
            csv_warn(s, &r, *rowno, msgs, cell_msgs(s, c, msgs));
            go_float(c->center, buf, sizeof(buf));
            row_set(&r, r.n, buf);
            pct_range(c, buf, sizeof(buf));
            row_set(&r, r.n, buf);
            if (e > 0 && c->base >= 0) {
                const struct cell *b = &t->cells[c->base];
                csv_warn(s, &r, *rowno, msgs, cmp_msgs(s, b, c, msgs));
                delta(s, b, c, buf, sizeof(buf));
                row_set(&r, r.n, buf);
                cmp_string(b, c, buf, sizeof(buf));
                row_set(&r, r.n, buf);
            }
        }
        row_emit(s, &r, rowno);
    }
    int nbase = 0;
    for (int i = 0; i < nrows; i++)
        nbase += cell_at(t, rows[i], cols[0]) != NULL;
    row_set(&r, 0, "geomean");
    for (int e = 0; e < ncols; e++) {
        struct colsum cs;
        col_summary(t, rows, nrows, cols[e], e == 0, nbase, &cs);
        while (r.n < csv_start(e))
            row_set(&r, r.n, "");
        for (int k = 0; k < cs.nwarn; k++)
            snprintf(msgs[k], 160, "%s", cs.warn[k]);
        csv_warn(s, &r, *rowno, msgs, cs.nwarn);
        if (cs.has_sum) {
            go_float(cs.sum, buf, sizeof(buf));
            row_set(&r, r.n, buf);
        }
        if (e > 0) {
            while (r.n < csv_start(e) + 2)
                row_set(&r, r.n, "");
            if (cs.has_ratio)
                snprintf(buf, sizeof(buf), "%+.2f%%", (cs.ratio - 1) * 100);
            else
                snprintf(buf, sizeof(buf), "?");
            row_set(&r, r.n, buf);
        }
    }
    row_emit(s, &r, rowno);
out:
    free(rows);
    free(cols);
}

static void print_tables(struct bstat *s)
{
    int rowno = 1, prev = -1;
    const struct axis *ta = &s->ax[P_TABLE];

    for (int i = 0; i < s->ntabs; i++) {
        const struct table *t = &s->tabs[i];
        char line[8192];
        if (i > 0) {
            if (s->o.csv) {
                cprof_buf_append(&s->out, "\n", 1);
                rowno++;
            } else {
                cprof_buf_append(&s->out, "\n", 1);
            }
        }
        for (int f = 0; f < ta->n; f++) {
            if (prev >= 0 && ta->tup[prev][f] == ta->tup[t->tkey][f])
                continue;
            const char *v = axis_val(ta, t->tkey, f);
            if (s->o.csv) {
                struct csvrow r = {.n = 0};
                snprintf(line, sizeof(line), "%s: %s", ta->f[f].name, v);
                row_set(&r, 0, line);
                row_emit(s, &r, &rowno);
            } else {
                snprintf(line, sizeof(line), "%s: %s\n", ta->f[f].name, v);
                cprof_buf_append(&s->out, line, strlen(line));
            }
        }
        prev = t->tkey;
        if (s->o.csv)
            table_csv(s, t, &rowno);
        else
            table_text(s, t);
    }
}

static void warn_cb(void *ctx, const char *msg)
{
    struct cprof_buf *err = ctx;
    cprof_buf_append(err, msg, strlen(msg));
    cprof_buf_append(err, "\n", 1);
}

/* -filter, -table, -row, -col, -ignore; errors as benchstat words them. */
static int parse_exprs(struct bstat *s)
{
    static const char *const flag[P_N] = {"-table", "-row", "-col", "-ignore"};
    char msg[8192];
    int rc = bs_filter_parse(s->o.filter, &s->filter, msg, sizeof(msg));

    if (rc) {
        fprintf(stderr, "benchstat: parsing -filter: %s\n", rc == -ENOMEM ? "out of memory" : msg);
        return -1;
    }
    for (int p = 0; p < P_N; p++) {
        rc = bs_proj_parse(s->o.proj[p], &s->pf[p], &s->npf[p], msg, sizeof(msg));
        if (rc) {
            fprintf(stderr, "benchstat: parsing %s: %s\n", flag[p],
                    rc == -ENOMEM ? "out of memory" : msg);
            return -1;
        }
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: cprof benchstat [flags] inputs...\n\n"
               "benchstat computes statistical summaries and A/B comparisons of Go\n"
               "benchmarks. It shows benchmark medians in a table with a row for each\n"
               "benchmark and a column for each input file. If there is more than one\n"
               "input file, it also shows A/B comparisons between the files. If a\n"
               "difference is likely to be noise, it shows \"~\".\n\n"
               "  -alpha α        consider change significant if p < α (default 0.05)\n"
               "  -col keys       split results into columns by keys (default .file)\n"
               "  -confidence l   confidence level for ranges (default 0.95)\n"
               "  -filter query   use only benchmarks matching query (default *), e.g.\n"
               "                  '.name:Encode /format:(json OR gob) -goos:/^win/ .unit:ns/op'\n"
               "  -format f       text or csv (csv warnings go to stderr)\n"
               "  -ignore keys    ignore variations in keys\n"
               "  -row keys       split results into rows by keys (default .fullname)\n"
               "  -table keys     split results into tables by keys (default .config)\n\n"
               "Keys: .name .fullname .file .config /sub-name-key file-config-key, each\n"
               "optionally KEY@alpha, KEY@num or KEY@(v1 v2 ...); filter regexps are\n"
               "POSIX extended.\n");
}

int cprof__benchstat_run(int argc, char **argv, struct cprof_buf *out, struct cprof_buf *err)
{
    struct bstat *s = calloc(1, sizeof(*s));
    int rc = 0, i;

    if (!s)
        return 1;
    s->o.alpha = 0.05;
    s->o.confidence = 0.95;
    s->o.proj[P_TABLE] = ".config";
    s->o.proj[P_ROW] = ".fullname";
    s->o.proj[P_COL] = ".file";
    s->o.proj[P_IGNORE] = "";
    s->o.filter = "*";
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
        const char *eq = strchr(a, '=');
        char name[64];
        const char *val;
        snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - a : (long)strlen(a)), a);
        if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0) {
            usage(stdout);
            rc = 0;
            goto done_nooutput;
        }
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            fprintf(stderr, "flag needs an argument: -%s\n", name);
            rc = 2;
            goto done_nooutput;
        }
        char *end;
        if (strcmp(name, "alpha") == 0) {
            s->o.alpha = strtod(val, &end);
            if (*end || !(s->o.alpha >= 0 && s->o.alpha <= 1)) {
                fprintf(stderr, "benchstat: -alpha must be in range [0, 1]\n");
                rc = 2;
                goto done_nooutput;
            }
        } else if (strcmp(name, "confidence") == 0) {
            s->o.confidence = strtod(val, &end);
            if (*end || !(s->o.confidence >= 0 && s->o.confidence <= 1)) {
                fprintf(stderr, "benchstat: -confidence must be in range [0, 1]\n");
                rc = 2;
                goto done_nooutput;
            }
        } else if (strcmp(name, "format") == 0) {
            if (strcmp(val, "text") && strcmp(val, "csv")) {
                fprintf(stderr, "benchstat: -format must be text or csv\n");
                rc = 2;
                goto done_nooutput;
            }
            s->o.csv = strcmp(val, "csv") == 0;
        } else if (strcmp(name, "table") == 0) {
            s->o.proj[P_TABLE] = val;
        } else if (strcmp(name, "row") == 0) {
            s->o.proj[P_ROW] = val;
        } else if (strcmp(name, "col") == 0) {
            s->o.proj[P_COL] = val;
        } else if (strcmp(name, "ignore") == 0) {
            s->o.proj[P_IGNORE] = val;
        } else if (strcmp(name, "filter") == 0) {
            s->o.filter = val;
        } else {
            fprintf(stderr, "benchstat: flag not supported: -%s\n", name);
            rc = 2;
            goto done_nooutput;
        }
    }
    if (i >= argc) {
        usage(stderr);
        rc = 2;
        goto done_nooutput;
    }
    if (parse_exprs(s)) {
        rc = 2;
        goto done_nooutput;
    }
    for (; i < argc; i++) {
        struct cprof_buf in;
        const char *path = argv[i], *label = argv[i];
        const char *eq = strchr(argv[i], '=');
        char lab[1024];
        if (eq) {
            snprintf(lab, sizeof(lab), "%.*s", (int)(eq - argv[i]), argv[i]);
            label = lab;
            path = eq + 1;
        }
        cprof_buf_init(&in, (size_t)1 << 30);
        int e = strcmp(path, "-") == 0 ? cprof_fd_read_all(0, &in) : cprof_file_read(path, &in);
        if (e) {
            fprintf(stderr, "benchstat: open %s: %s\n", path,
                    strerror(e < 0 && e > -4096 ? -e : EIO));
            cprof_buf_release(&in);
            rc = 1;
            goto done_nooutput;
        }
        e = bs_parse(&s->d, label, path, in.data ? (const char *)in.data : "", in.len, warn_cb,
                     err);
        cprof_buf_release(&in);
        if (e) {
            fprintf(stderr, "benchstat: %s: %s\n", path,
                    e == -ENOMEM ? "out of memory" : "input too large");
            rc = 1;
            goto done_nooutput;
        }
    }
    s->out = *out;
    s->err = *err;
    if (project(s)) {
        rc = 1;
    } else {
        if (s->ntabs > 1)
            qsort_r(s->tabs, (size_t)s->ntabs, sizeof(*s->tabs), cmp_table, &s->ax[P_TABLE]);
        for (int t = 0; t < s->ntabs; t++)
            summarize(s, &s->tabs[t]);
        print_tables(s);
    }
    *out = s->out;
    *err = s->err;
done_nooutput:
    for (int t = 0; t < s->ntabs; t++) {
        for (int c = 0; c < s->tabs[t].n; c++) {
            free(s->tabs[t].cells[c].v);
            free(s->tabs[t].cells[c].res_first);
            free(s->tabs[t].cells[c].res_vary);
        }
        free(s->tabs[t].cells);
    }
    free(s->tabs);
    for (int a = 0; a < 3; a++)
        axis_free(&s->ax[a]);
    for (int f = 0; f < s->nres && s->resseen; f++)
        obs_free(&s->resseen[f]);
    free(s->resseen);
    free(s->res);
    obs_free(&s->units);
    for (int p = 0; p < P_N; p++)
        bs_proj_free(s->pf[p], s->npf[p]);
    bs_filter_free(s->filter);
    bs_data_release(&s->d);
    free(s);
    return rc;
}

int cprof_cmd_benchstat(int argc, char **argv)
{
    struct cprof_buf out, err;
    int rc;

    cprof_buf_init(&out, (size_t)1 << 30);
    cprof_buf_init(&err, (size_t)1 << 30);
    rc = cprof__benchstat_run(argc, argv, &out, &err);
    if (err.len)
        fwrite(err.data, 1, err.len, stderr);
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    cprof_buf_release(&out);
    cprof_buf_release(&err);
    return rc;
}
