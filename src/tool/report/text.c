/*
 * Text layouts: the header lines, top, tree and peek, traces, tags,
 * comments, callgrind and our folded-stack output, each as pprof's
 * report.go prints them.
 */
#include "tool/report/report_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "model/profile.h"

#define VBUF 64

static void go_time(int64_t nanos, char *buf, size_t n)
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(nanos / 1000000000);
    struct tm tm;
    int h;

    if (nanos < 0 && nanos % 1000000000)
        t--;
    localtime_r(&t, &tm);
    h = tm.tm_hour % 12;
    snprintf(buf, n, "%s %d, %d at %d:%02d%s (%s)", mon[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900,
             h ? h : 12, tm.tm_min, tm.tm_hour < 12 ? "am" : "pm", tm.tm_zone ? tm.tm_zone : "UTC");
}

/* pprof's ProfileLabels, one per line. */
int cprof__rep_profile_labels(struct rep *r, FILE *out)
{
    const struct cprof_profile *p = r->p;
    char a[VBUF], b[VBUF], c[VBUF];
    bool first = true;

#define LINE(...)                                                                                  \
    do {                                                                                           \
        fputs(first ? "" : "\n", out);                                                             \
        first = false;                                                                             \
        fprintf(out, __VA_ARGS__);                                                                 \
    } while (0)
    if (p->nmappings > 0) {
        const char *f = cprof__rep_str(r, p->mappings[0].filename);
        const char *id = cprof__rep_str(r, p->mappings[0].build_id);

        if (*f) {
            const char *base = strrchr(f, '/');

            LINE("File: %s", base && base[1] ? base + 1 : f);
        }
        if (*id)
            LINE("Build ID: %s", id);
    }
    for (uint32_t i = 0; i < p->ncomments; i++) {
        const char *cm = cprof__rep_str(r, p->comments[i]);

        if (cm[0] != '#')
            LINE("%s", cm);
    }
    if (r->sample_type[0])
        LINE("Type: %s", r->sample_type);
    if (p->time_nanos) {
        char t[128];

        go_time(p->time_nanos, t, sizeof(t));
        LINE("Time: %s", t);
    }
    if (p->duration_nanos) {
        const char *u;
        double tn = cprof__rep_scale(r->total, r->sample_unit, "nanoseconds", &u);
        char ratio[VBUF + 2] = "";

        if (strcmp(u, "ns") == 0 && (int64_t)tn != 0)
            snprintf(ratio, sizeof(ratio), "(%s)",
                     cprof__rep_percentage(c, sizeof(c), (int64_t)tn, p->duration_nanos));
        LINE("Duration: %s, Total samples = %s %s",
             cprof__rep_scaled_label(a, sizeof(a), p->duration_nanos, "nanoseconds", "auto"),
             cprof__rep_fmt(r, b, sizeof(b), r->total), ratio);
    }
#undef LINE
    return first ? 0 : 1;
}

static void active_filters(struct rep *r, FILE *out, const char *sep)
{
    const struct cprof_report_opts *o = r->o;
    const char *names[] = {"focus",    "ignore",    "hide",    "show",   "show_from",
                           "tagfocus", "tagignore", "tagshow", "taghide"};
    const char *vals[] = {o->focus,    o->ignore,    o->hide,    o->show,   o->show_from,
                          o->tagfocus, o->tagignore, o->tagshow, o->taghide};
    bool any = false;

    for (int i = 0; i < 9; i++) {
        char buf[512];

        if (!vals[i] || !*vals[i])
            continue;
        if (!any)
            fprintf(out, "Active filters:%s", sep);
        any = true;
        snprintf(buf, sizeof(buf), "%s=%s", names[i], vals[i]);
        if (strlen(buf) > 80)
            strcpy(buf + 80, "\xe2\x80\xa6");
        fprintf(out, "   %s%s", buf, sep);
    }
}

/*
 * pprof's reportLabels: the profile labels, active filters and the
 * Showing/Dropped lines, each followed by sep.
 */
int cprof__rep_report_labels(struct rep *r, FILE *out, uint32_t orig_count, uint32_t dropped_nodes,
                             uint32_t dropped_edges, bool full, const char *sep)
{
    int64_t flat_sum = 0;
    char a[VBUF], b[VBUF], c[VBUF];
    const char *pct;

    if (full || !r->o->compact_labels) {
        /* ProfileLabels prints "\n" between lines; re-emit with sep. */
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        if (!m)
            return -ENOMEM;
        if (cprof__rep_profile_labels(r, m))
            fputs("\n", m);
        fclose(m);
        for (char *s = buf; s && *s;) {
            char *nl = strchr(s, '\n');

            fprintf(out, "%.*s%s", (int)(nl - s), s, sep);
            s = nl + 1;
        }
        free(buf);
    }
    for (uint32_t i = 0; i < r->norder; i++)
        flat_sum += cprof__rep_flat(&r->nodes[r->order[i]]);
    active_filters(r, out, sep);
    pct = cprof__rep_percentage(c, sizeof(c), flat_sum, r->total);
    while (*pct == ' ')
        pct++;
    fprintf(out, "Showing nodes accounting for %s, %s of %s total%s",
            cprof__rep_fmt(r, a, sizeof(a), flat_sum), pct,
            cprof__rep_fmt(r, b, sizeof(b), r->total), sep);
    if (r->total != 0) {
        if (dropped_nodes > 0)
            fprintf(out, "Dropped %u node%s (cum <= %s)%s", dropped_nodes,
                    dropped_nodes > 1 ? "s" : "",
                    cprof__rep_fmt(r, a, sizeof(a),
                                   llabs((int64_t)((double)r->total * r->nodefraction))),
                    sep);
        if (dropped_edges > 0)
            fprintf(out, "Dropped %u edge%s (freq <= %s)%s", dropped_edges,
                    dropped_edges > 1 ? "s" : "",
                    cprof__rep_fmt(r, a, sizeof(a),
                                   llabs((int64_t)((double)r->total * r->edgefraction))),
                    sep);
        if (r->norder > 0 && r->norder < orig_count)
            fprintf(out, "Showing top %u nodes out of %u%s", r->norder, orig_count, sep);
    }
    return 0;
}

static const char *inline_label(struct rep *r, uint32_t node)
{
    const struct rep_node *n = &r->nodes[node];
    bool inl = false, noinl = false;

    for (uint32_t i = 0; i < n->nin; i++) {
        const struct rep_edge *e = &r->edges[r->adj_in[n->in0 + i]];

        if (e->removed)
            continue;
        if (e->inl)
            inl = true;
        else
            noinl = true;
    }
    return !inl ? "" : (noinl ? " (partial-inline)" : " (inline)");
}

int cprof__rep_top(struct rep *r)
{
    uint32_t orig, dn, de;
    int64_t sum = 0;
    int err = cprof__rep_trimmed_graph(r, &orig, &dn, &de);

    if (err)
        return err;
    cprof__rep_select_unit(r);
    if ((err = cprof__rep_report_labels(r, r->out, orig, dn, 0, false, "\n")))
        return err;
    fprintf(r->out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
    for (uint32_t i = 0; i < r->norder; i++) {
        const struct rep_node *n = &r->nodes[r->order[i]];
        int64_t flat = cprof__rep_flat(n), cum = cprof__rep_cum(n);
        char a[VBUF], b[VBUF], c[VBUF], d[VBUF], e[VBUF];

        sum += flat;
        fprintf(r->out, "%10s %s %s %10s %s  %s%s\n", cprof__rep_fmt(r, a, sizeof(a), flat),
                cprof__rep_percentage(b, sizeof(b), flat, r->total),
                cprof__rep_percentage(c, sizeof(c), sum, r->total),
                cprof__rep_fmt(r, d, sizeof(d), cum),
                cprof__rep_percentage(e, sizeof(e), cum, r->total), n->pname,
                inline_label(r, r->order[i]));
    }
    return 0;
}

static void tree_edges(struct rep *r, uint32_t node, bool in, int64_t cum, uint32_t *buf)
{
    uint32_t n = cprof__rep_sorted_edges(r, node, in, buf);

    for (uint32_t i = 0; i < n; i++) {
        const struct rep_edge *e = &r->edges[buf[i]];
        char a[VBUF], b[VBUF];

        fprintf(r->out, "%50s %s |   %s%s\n", cprof__rep_fmt(r, a, sizeof(a), e->w),
                cprof__rep_percentage(b, sizeof(b), e->w, cum),
                r->nodes[in ? e->src : e->dst].pname, e->inl ? " (inline)" : "");
    }
}

/* printTree: tree, and peek when a symbol regex is set. */
int cprof__rep_tree(struct rep *r)
{
    static const char sep[] =
        "----------------------------------------------------------+-------------";
    uint32_t orig, dn, de, matched = 0, *buf;
    int64_t sum = 0;
    regex_t rx;
    bool peek = r->kind == CPROF_REPORT_PEEK;
    int err;

    if (peek && (err = cprof__rep_regcomp(r, &rx, "argument", r->o->symbol)))
        return err;
    err = cprof__rep_trimmed_graph(r, &orig, &dn, &de);
    buf = malloc((r->nedges + 1) * sizeof(*buf));
    if (err || !buf)
        goto out;
    /* pprof prints nothing when peek matches nothing. */
    for (uint32_t i = 0; peek && i < r->norder; i++)
        matched += cprof__rep_match(&rx, r->nodes[r->order[i]].pname);
    if (peek && matched == 0) {
        err = cprof_diag_set(r->diag, CPROF_ENOTFOUND, "no matches found for regexp: %s",
                             r->o->symbol);
        goto out;
    }
    cprof__rep_select_unit(r);
    cprof__rep_report_labels(r, r->out, orig, dn, 0, false, "\n");
    fprintf(r->out, "%s\n", sep);
    fprintf(r->out, "      flat  flat%%   sum%%        cum   cum%%   calls calls%% + context "
                    "\t \t \n");
    for (uint32_t i = 0; i < r->norder; i++) {
        uint32_t id = r->order[i];
        const struct rep_node *n = &r->nodes[id];
        int64_t flat = cprof__rep_flat(n), cum = cprof__rep_cum(n);
        char a[VBUF], b[VBUF], c[VBUF], d[VBUF], e[VBUF];

        if (peek && !cprof__rep_match(&rx, n->pname))
            continue;
        fprintf(r->out, "%s\n", sep);
        tree_edges(r, id, true, cum, buf);
        sum += flat;
        fprintf(r->out, "%10s %s %s %10s %s                | %s\n",
                cprof__rep_fmt(r, a, sizeof(a), flat),
                cprof__rep_percentage(b, sizeof(b), flat, r->total),
                cprof__rep_percentage(c, sizeof(c), sum, r->total),
                cprof__rep_fmt(r, d, sizeof(d), cum),
                cprof__rep_percentage(e, sizeof(e), cum, r->total), n->pname);
        tree_edges(r, id, false, cum, buf);
    }
    if (r->norder > 0)
        fprintf(r->out, "%s\n", sep);
out:
    if (!err && !buf)
        err = cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    free(buf);
    if (peek)
        regfree(&rx);
    return err;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Label lines of one sample, "%10s:  v1 v2", sorted (printTraces). */
static int trace_labels(struct rep *r, const struct cprof_sample *s, bool numeric)
{
    char **lines = calloc(s->nlabels + 1, sizeof(*lines));
    uint32_t n = 0;
    bool *done = calloc(s->nlabels + 1, 1);

    if (!lines || !done) {
        free(lines);
        free(done);
        return -ENOMEM;
    }
    for (uint32_t k = 0; k < s->nlabels; k++) {
        const struct cprof_label *l = &s->labels[k];
        bool num = !l->str && (l->num || l->num_unit);
        const char *key = cprof__rep_str(r, l->key);
        char *buf = NULL;
        size_t len = 0;
        FILE *m;

        if (done[k] || r->key_hidden[l->key] || num != numeric || (!num && !l->str))
            continue;
        m = open_memstream(&buf, &len);
        if (!m)
            break;
        for (uint32_t j = k, first = 1; j < s->nlabels; j++) {
            const struct cprof_label *o = &s->labels[j];
            bool onum = !o->str && (o->num || o->num_unit);
            char v[VBUF];

            if (onum != num || (!onum && !o->str) || strcmp(cprof__rep_str(r, o->key), key))
                continue;
            done[j] = true;
            if (num) {
                const char *unit = cprof__rep_num_label_unit(r, key);

                fprintf(m, "%s%s", first ? "" : " ",
                        cprof__rep_scaled_label(v, sizeof(v), o->num, unit, "auto"));
            } else {
                fprintf(m, "%s%s", first ? "" : " ", cprof__rep_str(r, o->str));
            }
            first = 0;
        }
        fclose(m);
        if (asprintf(&lines[n], "%10s:  %s\n", key, buf ? buf : "") >= 0)
            n++;
        free(buf);
    }
    qsort(lines, n, sizeof(*lines), cmp_str);
    for (uint32_t i = 0; i < n; i++) {
        fputs(lines[i], r->out);
        free(lines[i]);
    }
    free(lines);
    free(done);
    return 0;
}

int cprof__rep_traces(struct rep *r)
{
    static const char sep[] = "-----------+-------------------------------------------------------";

    if (cprof__rep_profile_labels(r, r->out))
        fputs("\n", r->out);
    else
        fputs("\n", r->out);
    for (size_t i = 0; i < r->nsamples; i++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[i]];
        const uint32_t *stk = r->stk + r->s_first[r->samples[i]];
        uint32_t nl = r->s_n[r->samples[i]];
        int64_t v, d;
        bool first = true;

        if (nl == 0)
            continue;
        fprintf(r->out, "%s\n", sep);
        if (trace_labels(r, s, false) || trace_labels(r, s, true))
            return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        cprof__rep_sample_value(r, s, &v, &d);
        if (d != 0)
            v /= d;
        for (uint32_t k = 0; k < nl; k++) {
            uint32_t f, nn = cprof__rep_loc_nodes(r, stk[k], &f);

            for (uint32_t j = 0; j < nn; j++) {
                char a[VBUF] = "";

                if (first)
                    cprof__rep_fmt(r, a, sizeof(a), v);
                first = false;
                fprintf(r->out, "%10s   %s%s\n", a, r->nodes[r->locnode[f + j]].pname,
                        j != nn - 1 ? " (inline)" : "");
            }
        }
    }
    fprintf(r->out, "%s\n", sep);
    return 0;
}

int cprof__rep_comments(struct rep *r)
{
    for (uint32_t i = 0; i < r->p->ncomments; i++)
        fprintf(r->out, "%s\n", cprof__rep_str(r, r->p->comments[i]));
    return 0;
}

/* ---- tags ------------------------------------------------------------------------- */

struct tagval {
    char *key, *val;
    int64_t w;
};

static int cmp_tagval_key(const void *pa, const void *pb)
{
    const struct tagval *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);

    return c ? c : strcmp(a->val, b->val);
}

static int cmp_tag_weight(const void *pa, const void *pb)
{
    const struct tagval *a = pa, *b = pb;
    int64_t x = llabs(a->w), y = llabs(b->w);

    if (a->w != b->w && x != y)
        return x > y ? -1 : 1;
    return strcmp(a->val, b->val);
}

static size_t utf8_width(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void print_tag_block(struct rep *r, struct tagval *t, size_t n)
{
    int64_t total = 0;
    char **cells = calloc(n + 1, sizeof(*cells));
    size_t w0 = utf8_width(t[0].key) + 2, w1 = 0;
    const char *u;
    double f;

    if (!cells)
        return;
    for (size_t i = 0; i < n; i++)
        total += t[i].w;
    qsort(t, n, sizeof(*t), cmp_tag_weight);
    if (w0 < 2)
        w0 = 2;
    for (size_t i = 0; i < n; i++) {
        char pct[VBUF];
        int rc;

        f = cprof__rep_scale(t[i].w, r->sample_unit, r->out_unit, &u);
        if (total > 0)
            rc = asprintf(&cells[i], "%.1f%s (%s):", f, u,
                          cprof__rep_percentage(pct, sizeof(pct), t[i].w, total));
        else
            rc = asprintf(&cells[i], "%.1f%s:", f, u);
        if (rc < 0)
            cells[i] = NULL;
        else if (utf8_width(cells[i]) + 1 > w1)
            w1 = utf8_width(cells[i]) + 1;
    }
    f = cprof__rep_scale(total, r->sample_unit, r->out_unit, &u);
    fprintf(r->out, "%*s%s: Total %.1f%s\n", (int)(w0 - utf8_width(t[0].key) - 1), "", t[0].key, f,
            u);
    for (size_t i = 0; i < n; i++) {
        const char *c = cells[i] ? cells[i] : "";

        fprintf(r->out, "%*s %*s%s %s\n", (int)(w0 - 1), "", (int)(w1 - utf8_width(c)), "", c,
                t[i].val);
        free(cells[i]);
    }
    fprintf(r->out, "\n");
    free(cells);
}

int cprof__rep_tags(struct rep *r)
{
    struct tagval *tv = NULL;
    size_t n = 0, cap = 0, w = 0;

    for (size_t i = 0; i < r->nsamples; i++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[i]];
        int64_t v, d;

        cprof__rep_sample_value(r, s, &v, &d);
        for (uint32_t k = 0; k < s->nlabels; k++) {
            const struct cprof_label *l = &s->labels[k];
            bool num = !l->str && (l->num || l->num_unit);
            const char *key = cprof__rep_str(r, l->key);
            char vb[VBUF];
            const char *val;

            if (r->key_hidden[l->key] || (!num && !l->str))
                continue;
            if (num) {
                const char *unit = cprof__rep_num_label_unit(r, key);

                val = cprof__rep_scaled_label(vb, sizeof(vb), l->num, unit, r->out_unit);
            } else {
                val = cprof__rep_str(r, l->str);
            }
            if (n == cap) {
                struct tagval *nt = realloc(tv, (cap = cap ? cap * 2 : 256) * sizeof(*nt));

                if (!nt)
                    goto oom;
                tv = nt;
            }
            tv[n].key = strdup(key);
            tv[n].val = strdup(val);
            tv[n++].w = v;
        }
    }
    /* Sum equal (key, value) pairs, then print one block per key, keys by name. */
    if (n)
        qsort(tv, n, sizeof(*tv), cmp_tagval_key);
    for (size_t i = 0; i < n; i++) {
        if (w > 0 && !strcmp(tv[w - 1].key, tv[i].key) && !strcmp(tv[w - 1].val, tv[i].val)) {
            tv[w - 1].w += tv[i].w;
            free(tv[i].key);
            free(tv[i].val);
        } else {
            tv[w++] = tv[i];
        }
    }
    for (size_t i = 0; i < w;) {
        size_t j = i;

        while (j < w && !strcmp(tv[j].key, tv[i].key))
            j++;
        print_tag_block(r, tv + i, j - i);
        i = j;
    }
    for (size_t i = 0; i < w; i++) {
        free(tv[i].key);
        free(tv[i].val);
    }
    free(tv);
    return 0;
oom:
    for (size_t i = 0; i < n; i++) {
        free(tv[i].key);
        free(tv[i].val);
    }
    free(tv);
    return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
}

/* ---- collapsed ---------------------------------------------------------------------- */

/* One sample's stack: node ids root first in a shared buffer, and its value. */
struct folded {
    size_t first;
    uint32_t n;
    int64_t v;
};

struct fold_ctx {
    const struct rep *r;
    const uint32_t *frames;
    /*
     * With ranks: rank[2 * node + last] orders the node's name as a token
     * of the folded string, "name;" (last = 0) or "name" at the end
     * (last = 1).  Names without ';' make the ";"-ended tokens prefix-free,
     * so the folded strings compare as their first differing tokens do,
     * and the sort compares integers.  NULL: compare the names.
     */
    const uint32_t *rank;
};

/* Token order: name a then suffix sa ("" or ";") against b then sb. */
static int cmp_token(const char *a, int sa, const char *b, int sb)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    while (*x && *x == *y) {
        x++;
        y++;
    }
    if (*x || *y) {
        unsigned cx = *x ? *x : (unsigned)sa, cy = *y ? *y : (unsigned)sb;

        if (cx != cy)
            return cx < cy ? -1 : 1;
        return *x ? 1 : -1; /* the same character: a name ended where the other has ';' */
    }
    return sa == sb ? 0 : sa < sb ? -1 : 1;
}

struct token {
    const char *name;
    uint32_t key; /* 2 * node + last */
};

static int cmp_tokens(const void *pa, const void *pb)
{
    const struct token *a = pa, *b = pb;

    return cmp_token(a->name, a->key & 1 ? 0 : ';', b->name, b->key & 1 ? 0 : ';');
}

/*
 * The token ranks of every node (see fold_ctx), or NULL when a name holds
 * ';' or memory is short: then stacks are compared by name.
 */
static uint32_t *fold_ranks(const struct rep *r)
{
    struct token *t = malloc(((size_t)r->nnodes * 2 + 1) * sizeof(*t));
    uint32_t *rank = malloc(((size_t)r->nnodes * 2 + 1) * sizeof(*rank));
    uint32_t k = 0;

    if (!t || !rank)
        goto fail;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const char *name = r->nodes[i].pname ? r->nodes[i].pname : "";

        if (strchr(name, ';'))
            goto fail;
        t[k++] = (struct token){name, 2 * i};
        t[k++] = (struct token){name, 2 * i + 1};
    }
    qsort(t, k, sizeof(*t), cmp_tokens);
    for (uint32_t i = 0, rk = 0; i < k; i++) {
        if (i > 0 && cmp_tokens(&t[i - 1], &t[i]) != 0)
            rk++;
        rank[t[i].key] = rk;
    }
    free(t);
    return rank;
fail:
    free(t);
    free(rank);
    return NULL;
}

/*
 * Compares two stacks as their folded strings ("a;b;c") compare, without
 * building them: frame names are compared with the character that follows
 * each in its string (';' before another frame, the end otherwise).
 */
static int cmp_folded(const void *pa, const void *pb, void *arg)
{
    const struct fold_ctx *c = arg;
    const struct folded *a = pa, *b = pb;
    const uint32_t *fa = c->frames + a->first, *fb = c->frames + b->first;
    uint32_t n = a->n < b->n ? a->n : b->n;

    if (c->rank) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t x = c->rank[2 * fa[i] + (i + 1 == a->n)];
            uint32_t y = c->rank[2 * fb[i] + (i + 1 == b->n)];

            if (x != y)
                return x < y ? -1 : 1;
        }
        return a->n == b->n ? 0 : a->n < b->n ? -1 : 1;
    }
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *x, *y;

        if (fa[i] == fb[i])
            continue;
        x = (const unsigned char *)c->r->nodes[fa[i]].pname;
        y = (const unsigned char *)c->r->nodes[fb[i]].pname;
        while (*x && *x == *y) {
            x++;
            y++;
        }
        if (*x || *y) {
            unsigned cx = *x ? *x : (i + 1 < a->n ? ';' : 0);
            unsigned cy = *y ? *y : (i + 1 < b->n ? ';' : 0);

            if (cx != cy)
                return cx < cy ? -1 : 1;
            /* One name is a prefix of the other followed by ';': the shorter goes on. */
            return *x ? 1 : -1;
        }
    }
    return a->n == b->n ? 0 : a->n < b->n ? -1 : 1;
}

/* The token rank of frame d of f, shifted by one; 0 past its end (shorter first). */
static uint32_t fold_key(const struct fold_ctx *c, const struct folded *f, uint32_t d)
{
    return d < f->n ? c->rank[2 * c->frames[f->first + d] + (d + 1 == f->n)] + 1 : 0;
}

static void swap_folded(struct folded *a, struct folded *b)
{
    struct folded t = *a;

    *a = *b;
    *b = t;
}

/*
 * Multikey quicksort (Bentley and Sedgewick) of v[0..n) by token ranks from
 * frame d on: stacks share long prefixes (every one starts at _start or
 * clone), and this compares each frame of a common prefix once per
 * partition instead of once per comparison.  The largest of the three parts
 * is looped on and the others recursed into, so the recursion is at most
 * log2(n) deep whatever the stacks' depth.
 */
static void fold_sort(const struct fold_ctx *c, struct folded *v, size_t n, uint32_t d)
{
    while (n > 1) {
        size_t lt = 0, i = 0, gt = n, nl, ne, ng;
        uint32_t piv;

        if (n < 12) { /* insertion sort, comparing from frame d */
            for (size_t a = 1; a < n; a++)
                for (size_t b = a; b > 0; b--) {
                    uint32_t k = d, x, y;

                    while ((x = fold_key(c, &v[b - 1], k)) == (y = fold_key(c, &v[b], k)) && x != 0)
                        k++;
                    if (x <= y)
                        break;
                    swap_folded(&v[b - 1], &v[b]);
                }
            return;
        }
        {
            uint32_t a = fold_key(c, &v[0], d), b = fold_key(c, &v[n / 2], d);
            uint32_t e = fold_key(c, &v[n - 1], d);

            piv = a < b ? (b < e ? b : a < e ? e : a) : (a < e ? a : b < e ? e : b);
        }
        while (i < gt) { /* v[0..lt) < piv, v[lt..i) == piv, v[gt..n) > piv */
            uint32_t k = fold_key(c, &v[i], d);

            if (k < piv)
                swap_folded(&v[lt++], &v[i++]);
            else if (k > piv)
                swap_folded(&v[i], &v[--gt]);
            else
                i++;
        }
        nl = lt;
        ne = gt - lt;
        ng = n - gt;
        /* piv == 0: the equal part's stacks all ended, they are identical. */
        if (ne >= nl && ne >= ng && piv != 0) {
            fold_sort(c, v, nl, d);
            fold_sort(c, v + gt, ng, d);
            v += lt;
            n = ne;
            d++;
        } else if (nl >= ng) {
            if (piv != 0)
                fold_sort(c, v + lt, ne, d + 1);
            fold_sort(c, v + gt, ng, d);
            n = nl;
        } else {
            fold_sort(c, v, nl, d);
            if (piv != 0)
                fold_sort(c, v + lt, ne, d + 1);
            v += gt;
            n = ng;
        }
    }
}

/*
 * Folded stacks ("root;...;leaf value"), one line per distinct stack,
 * sorted by stack; frames are node names at the chosen granularity.
 * Each sample's stack is kept as node ids; stacks are sorted and summed
 * by comparing names in place, so only the output is ever formatted.
 */
int cprof__rep_collapsed(struct rep *r)
{
    struct folded *f = malloc((r->nsamples + 1) * sizeof(*f));
    uint32_t *frames = NULL;
    size_t n = 0, nframes = 0, cap = 0, line_cap = 0, *nlen = NULL;
    char *line = NULL;
    struct fold_ctx ctx = {r, NULL, NULL};
    int err = 0;

    if (!f)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    for (size_t i = 0; i < r->nsamples; i++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[i]];
        const uint32_t *stk = r->stk + r->s_first[r->samples[i]];
        uint32_t nl = r->s_n[r->samples[i]];
        int64_t v, d;

        cprof__rep_sample_value(r, s, &v, &d);
        if (d != 0)
            v /= d;
        if (r->ratio > 0 && r->ratio != 1)
            v = (int64_t)((double)v * r->ratio);
        if (v == 0 || nl == 0)
            continue;
        f[n].first = nframes;
        for (int k = (int)nl - 1; k >= 0; k--) {
            uint32_t fs, nn = cprof__rep_loc_nodes(r, stk[k], &fs);

            if (nframes + nn > cap) {
                size_t ncap = cap ? 2 * cap : 65536;
                uint32_t *nf;

                while (ncap < nframes + nn)
                    ncap *= 2;
                nf = realloc(frames, ncap * sizeof(*nf));
                if (!nf) {
                    err = cprof_diag_set(r->diag, -ENOMEM, "out of memory");
                    goto out;
                }
                frames = nf;
                cap = ncap;
            }
            for (int j = (int)nn - 1; j >= 0; j--)
                frames[nframes++] = r->locnode[fs + (uint32_t)j];
        }
        f[n].n = (uint32_t)(nframes - f[n].first);
        f[n++].v = v;
    }
    ctx.r = r;
    ctx.frames = frames;
    ctx.rank = fold_ranks(r);
    if (ctx.rank)
        fold_sort(&ctx, f, n, 0);
    else
        qsort_r(f, n, sizeof(*f), cmp_folded, &ctx);
    /* Lines are assembled with the names' lengths known, then written whole. */
    nlen = malloc((r->nnodes + 1) * sizeof(*nlen));
    if (!nlen) {
        err = cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < r->nnodes; i++)
        nlen[i] = r->nodes[i].pname ? strlen(r->nodes[i].pname) : 0;
    /* Lines go out in blocks of about 1 MiB: the output can reach gigabytes. */
    for (size_t i = 0, j, used = 0; i < n; i = j) {
        int64_t v = f[i].v;
        size_t len = 32;

        for (j = i + 1; j < n && cmp_folded(&f[i], &f[j], &ctx) == 0; j++)
            v += f[j].v;
        for (uint32_t k = 0; k < f[i].n; k++)
            len += nlen[frames[f[i].first + k]] + 1;
        if (used + len > line_cap) {
            char *nl = realloc(line, (used + len) * 2 + (1 << 20));

            if (!nl) {
                err = cprof_diag_set(r->diag, -ENOMEM, "out of memory");
                goto out;
            }
            line = nl;
            line_cap = (used + len) * 2 + (1 << 20);
        }
        for (uint32_t k = 0; k < f[i].n; k++) {
            uint32_t id = frames[f[i].first + k];

            if (k)
                line[used++] = ';';
            memcpy(line + used, r->nodes[id].pname, nlen[id]);
            used += nlen[id];
        }
        used += (size_t)snprintf(line + used, 32, " %lld\n", (long long)v);
        if (used >= (1 << 20) || j == n) {
            fwrite_unlocked(line, 1, used, r->out);
            used = 0;
        }
    }
out:
    free((void *)ctx.rank);
    free(line);
    free(nlen);
    free(frames);
    free(f);
    return err;
}

/* ---- callgrind ------------------------------------------------------------------------ */

struct cg_names {
    char **s;
    size_t n, cap;
};

static void cg_name(struct cg_names *t, const char *name, char *out, size_t n)
{
    if (!*name) {
        out[0] = 0;
        return;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->s[i], name) == 0) {
            snprintf(out, n, "(%zu)", i + 1);
            return;
        }
    }
    if (t->n == t->cap) {
        char **ns = realloc(t->s, (t->cap = t->cap ? t->cap * 2 : 64) * sizeof(*ns));

        if (!ns)
            return;
        t->s = ns;
    }
    t->s[t->n++] = strdup(name);
    snprintf(out, n, "(%zu) %s", t->n, name);
}

static void cg_address(const struct rep_node *prev, uint64_t cur, char *out, size_t n)
{
    char abs[32], rel[32];

    snprintf(abs, sizeof(abs), "0x%llx", (unsigned long long)cur);
    if (cur == 0)
        snprintf(abs, sizeof(abs), "0x0");
    if (!prev) {
        snprintf(out, n, "%s", abs);
        return;
    }
    if (prev->addr == cur) {
        snprintf(out, n, "*");
        return;
    }
    snprintf(rel, sizeof(rel), "%+lld", (long long)(int64_t)(cur - prev->addr));
    snprintf(out, n, "%s", strlen(rel) < strlen(abs) ? rel : abs);
}

/* The " [i/n]" suffix pprof adds to functions sharing a file and name. */
static void cg_disambiguate(struct rep *r, uint32_t node, char *out, size_t n)
{
    const struct rep_node *x = &r->nodes[node];
    uint32_t idx = 0, total = 0;

    /*
     * Functions are told apart by start line and object (NodeInfo sans
     * address, line); in a call tree, also by parent (pprof finds a node's
     * Function in its parent's node map).
     */
    for (uint32_t i = 0; i < r->norder; i++) {
        const struct rep_node *y = &r->nodes[r->order[i]];
        bool seen = false;

        if (y->file != x->file || y->name != x->name)
            continue;
        for (uint32_t j = 0; j < i && !seen; j++) {
            const struct rep_node *z = &r->nodes[r->order[j]];

            seen = z->file == y->file && z->name == y->name && z->obj == y->obj &&
                   z->start_line == y->start_line && (!r->call_tree || z->tparent == y->tparent);
        }
        if (seen)
            continue;
        if (y->obj == x->obj && y->start_line == x->start_line &&
            (!r->call_tree || y->tparent == x->tparent))
            idx = total;
        total++;
    }
    if (total > 1)
        snprintf(out, n, "%s [%u/%u]", r->strs.s[x->name], idx + 1, total);
    else
        snprintf(out, n, "%s", r->strs.s[x->name]);
}

int cprof__rep_callgrind(struct rep *r)
{
    struct cg_names obj = {0}, files = {0}, names = {0};
    const struct rep_node *prev = NULL;
    uint32_t orig, dn, de, *buf;
    int err = cprof__rep_trimmed_graph(r, &orig, &dn, &de);

    if (err)
        return err;
    cprof__rep_select_unit(r);
    buf = malloc((r->nedges + 1) * sizeof(*buf));
    if (!buf)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    fprintf(r->out, "positions: instr line\nevents: %s(%s)\n", r->sample_type, r->out_unit);
    for (uint32_t i = 0; i < r->norder; i++) {
        const struct rep_node *n = &r->nodes[r->order[i]];
        char a[4200], b[64];
        const char *u;
        uint32_t ne;

        if (!prev || n->obj != prev->obj || n->file != prev->file || n->name != prev->name) {
            fputs("\n", r->out);
            cg_name(&obj, r->strs.s[n->obj], a, sizeof(a));
            fprintf(r->out, "ob=%s\n", a);
            cg_name(&files, r->strs.s[n->file], a, sizeof(a));
            fprintf(r->out, "fl=%s\n", a);
            cg_name(&names, r->strs.s[n->name], a, sizeof(a));
            fprintf(r->out, "fn=%s\n", a);
        }
        cg_address(prev, n->addr, b, sizeof(b));
        fprintf(r->out, "%s %lld %lld\n", b, (long long)n->lineno,
                (long long)cprof__rep_scale(cprof__rep_flat(n), r->sample_unit, r->out_unit, &u));
        ne = cprof__rep_sorted_edges(r, r->order[i], false, buf);
        for (uint32_t k = 0; k < ne; k++) {
            const struct rep_edge *e = &r->edges[buf[k]];
            const struct rep_node *c = &r->nodes[e->dst];
            char dn2[4200];

            cg_name(&files, r->strs.s[c->file], a, sizeof(a));
            fprintf(r->out, "cfl=%s\n", a);
            cg_disambiguate(r, e->dst, dn2, sizeof(dn2));
            cg_name(&names, dn2, a, sizeof(a));
            fprintf(r->out, "cfn=%s\n", a);
            cg_address(prev, c->addr, b, sizeof(b));
            fprintf(r->out, "calls=0 %s %lld\n", b, (long long)c->lineno);
            fprintf(r->out, "* * %lld\n",
                    (long long)cprof__rep_scale(e->w, r->sample_unit, r->out_unit, &u));
        }
        prev = n;
    }
    for (size_t i = 0; i < obj.n; i++)
        free(obj.s[i]);
    for (size_t i = 0; i < files.n; i++)
        free(files.s[i]);
    for (size_t i = 0; i < names.n; i++)
        free(names.s[i]);
    free(obj.s);
    free(files.s);
    free(names.s);
    free(buf);
    return 0;
}
