/*
 * DOT output (pprof's graph/dotgraph.go): node sizes and colours, the
 * label tags of a node as nodelets (made by tags.c), edge weights,
 * residual (dotted) and inline edges, and the legend box.
 */
#include "tool/report/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/profile.h"

/* ---- names ---------------------------------------------------------------------- */

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* goVerRegExp: drops the first "/vN" major-version element. */
static void strip_go_version(char *s)
{
    for (char *p = s; (p = strstr(p, "/v")) != NULL; p++) {
        char *d = p + 2, *e = d;

        while (*e >= '0' && *e <= '9')
            e++;
        if (e == d || (*e != '.' && *e != '/') || *d == '0' || (e - d == 1 && *d == '1'))
            continue;
        memmove(p, e, strlen(e) + 1);
        return;
    }
}

static const char *go_short(const char *s)
{
    size_t seg = 0;
    const char *best = NULL;

    for (const char *p = s; *p; p++) {
        if (is_word(*p) || *p == '-' || *p == '.') {
            seg++;
        } else if (*p == '/' && seg > 0) {
            if (p[1])
                best = p + 1;
            seg = 0;
        } else {
            break;
        }
    }
    return best;
}

static bool java_short(const char *s, char *out, size_t n)
{
    size_t starts[256], ns = 0, q = 0;

    starts[ns++] = 0;
    while (ns < 256 && s[q] >= 'a' && s[q] <= 'z') {
        size_t e = q + 1;

        while (is_word(s[e]))
            e++;
        if (s[e] != '.')
            break;
        q = e + 1;
        starts[ns++] = q;
    }
    while (ns-- > 0) {
        size_t b = starts[ns], e = b;

        if (!(s[e] >= 'A' && s[e] <= 'Z'))
            continue;
        for (e++; is_word(s[e]) || s[e] == '$'; e++)
            ;
        if (s[e++] != '.')
            continue;
        if (strncmp(s + e, "<init>", 6) == 0) {
            e += 6;
        } else if (s[e] >= 'a' && s[e] <= 'z') {
            for (e++; is_word(s[e]) || s[e] == '$'; e++)
                ;
        } else {
            continue;
        }
        if (s[e] != '(' && s[e] != 0)
            continue;
        snprintf(out, n, "%.*s", (int)(e - b), s + b);
        return true;
    }
    return false;
}

static bool cpp_short(const char *s, char *out, size_t n)
{
    size_t starts[256], ns = 0, q = 0;

    while (ns < 256 &&
           ((s[q] >= 'a' && s[q] <= 'z') || (s[q] >= 'A' && s[q] <= 'Z') || s[q] == '_')) {
        size_t e = q + 1;

        while (is_word(s[e]))
            e++;
        if (s[e] != ':' || s[e + 1] != ':')
            break;
        q = e + 2;
        starts[ns++] = q;
    }
    while (ns-- > 0) {
        size_t b = starts[ns], e = b;
        const char *gt;

        while (s[e] == '_')
            e++;
        if (!(s[e] >= 'A' && s[e] <= 'Z'))
            continue;
        while (is_word(s[e]))
            e++;
        if (s[e] != ':' || s[e + 1] != ':')
            continue;
        e += 2;
        if (s[e] == '~')
            e++;
        if (!((s[e] >= 'a' && s[e] <= 'z') || (s[e] >= 'A' && s[e] <= 'Z') || s[e] == '_'))
            continue;
        while (is_word(s[e]))
            e++;
        if (s[e] == '<' && (gt = strrchr(s + e, '>')) != NULL)
            e = (size_t)(gt - s) + 1;
        snprintf(out, n, "%.*s", (int)(e - b), s + b);
        return true;
    }
    return false;
}

/* ShortenFunctionName */
static void shorten(const char *name, char *out, size_t n)
{
    char buf[4096];
    const char *p = name, *g;

    if (strncmp(p, "(anonymous namespace)::", 23) == 0)
        p += 23;
    snprintf(buf, sizeof(buf), "%s", p);
    strip_go_version(buf);
    if ((g = go_short(buf)) != NULL) {
        snprintf(out, n, "%s", g);
        return;
    }
    if (java_short(buf, out, n) || cpp_short(buf, out, n))
        return;
    snprintf(out, n, "%s", buf);
}

/* escapeForDot */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\l", f);
        else
            fputc(*s, f);
    }
}

/* multilinePrintableName */
static void put_multiline_name(struct rep *r, FILE *f, const struct rep_node *n)
{
    char sh[4096], *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    const char *file = r->strs.s[n->file], *name = r->strs.s[n->name], *obj = r->strs.s[n->obj];
    bool any = false;

    if (!m)
        return;
    shorten(name, sh, sizeof(sh));
    put_escaped(m, sh);
    fclose(m);
    if (n->addr) {
        fprintf(f, "%016llx", (unsigned long long)n->addr);
        any = true;
    }
    if (*name) {
        if (any)
            fputs("\\n", f);
        for (const char *p = buf; p && *p; p++) {
            if (p[0] == ':' && p[1] == ':') {
                fputs("\\n", f);
                p++;
            } else if (strncmp(p, "[...]", 5) == 0) {
                fputs("[\xe2\x80\xa6]", f);
                p += 4;
            } else if (*p == '.') {
                fputs("\\n", f);
            } else {
                fputc(*p, f);
            }
        }
        any = true;
    }
    if (*file) {
        const char *b = strrchr(file, '/');

        file = b && b[1] ? b + 1 : file;
    }
    if (any && (n->lineno || *file || (!*name && *obj) || !*name))
        fputs("\\n", f);
    if (n->lineno) {
        fprintf(f, "%s:%lld", file, (long long)n->lineno);
    } else if (*file) {
        fputs(file, f);
    } else if (*name) {
        /* nothing */
    } else if (*obj) {
        const char *b = strrchr(obj, '/');

        fprintf(f, "[%s]", b && b[1] ? b + 1 : obj);
    } else {
        fputs("<unknown>", f);
    }
    fputs("\\n", f);
    free(buf);
}

static void dot_color(double score, bool bg, char *out, size_t n)
{
    double sat = bg ? 0.1 : 1.0, val = bg ? 0.93 : 0.7, rr, gg, bb;

    score = fmax(-1.0, fmin(1.0, score));
    if (fabs(score) < 0.2)
        sat *= fabs(score) / 0.2;
    if (score > 0.0)
        score = pow(score, 1.0 - 0.7);
    if (score < 0.0)
        score = -pow(-score, 1.0 - 0.7);
    if (score < 0.0) {
        gg = val;
        rr = val * (1 + sat * score);
    } else {
        rr = val;
        gg = val * (1 - sat * score);
    }
    bb = val * (1 - sat);
    snprintf(out, n, "#%02x%02x%02x", (unsigned)(uint8_t)(rr * 255.0),
             (unsigned)(uint8_t)(gg * 255.0), (unsigned)(uint8_t)(bb * 255.0));
}

/* ---- nodelets ------------------------------------------------------------------------ */

struct tag_sort {
    struct rep *r;
    bool flat;
};

static int cmp_tags(const void *pa, const void *pb, void *arg)
{
    const struct tag_sort *c = arg;
    const struct rep_tag *a = *(struct rep_tag *const *)pa, *b = *(struct rep_tag *const *)pb;

    if (!c->flat && a->cum != b->cum)
        return llabs(a->cum) > llabs(b->cum) ? -1 : 1;
    if (a->flat != b->flat)
        return llabs(a->flat) > llabs(b->flat) ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int64_t tag_flat(const struct rep_tag *t)
{
    return t->flatdiv ? t->flat / t->flatdiv : t->flat;
}

static int64_t tag_cum(const struct rep_tag *t)
{
    return t->cumdiv ? t->cum / t->cumdiv : t->cum;
}

static double tag_distance(const struct rep_tag *t, const struct rep_tag *u)
{
    const char *unit;
    double v = cprof__rep_scale(u->value, u->unit, t->unit, &unit);

    return v < (double)t->value ? (double)t->value - v : v - (double)t->value;
}

/* collapsedTags + numericNodelets */
static bool numeric_nodelets(struct rep *r, struct rep_tag **ts, uint32_t n, bool flat,
                             const char *source, struct rep_tag *scratch)
{
    bool printed = false;

    struct tag_sort c = {r, flat};
    struct rep_tag *grp[4] = {0}, **items = ts;
    uint32_t count = n, gsize[4] = {0};
    char lbl[4][160];

    qsort_r(ts, n, sizeof(*ts), cmp_tags, &c);
    if (n > 4) {
        struct rep_tag *mins[4], *maxs[4];

        for (int g = 0; g < 4; g++) {
            grp[g] = &scratch[g];
            *grp[g] = *ts[g];
            mins[g] = maxs[g] = ts[g];
            gsize[g] = 1;
        }
        for (uint32_t i = 4; i < n; i++) {
            int g = 0;
            double d = tag_distance(ts[i], ts[0]);

            for (int k = 1; k < 4; k++) {
                double nd = tag_distance(ts[i], ts[k]);

                if (nd < d) {
                    g = k;
                    d = nd;
                }
            }
            {
                const char *u;
                struct rep_tag *t = ts[i];

                if ((int64_t)cprof__rep_scale(t->value, t->unit, mins[g]->unit, &u) <
                    mins[g]->value)
                    mins[g] = t;
                if ((int64_t)cprof__rep_scale(t->value, t->unit, maxs[g]->unit, &u) >
                    maxs[g]->value)
                    maxs[g] = t;
            }
            grp[g]->flat += ts[i]->flat;
            grp[g]->flatdiv += ts[i]->flatdiv;
            grp[g]->cum += ts[i]->cum;
            grp[g]->cumdiv += ts[i]->cumdiv;
            gsize[g]++;
        }
        for (int g = 0; g < 4; g++) {
            char a[64], b[64];

            if (gsize[g] == 1) {
                cprof__rep_scaled_label(lbl[g], sizeof(lbl[g]), grp[g]->value, grp[g]->unit,
                                        "auto");
            } else {
                if (grp[g]->flatdiv)
                    grp[g]->flat /= grp[g]->flatdiv;
                if (grp[g]->cumdiv)
                    grp[g]->cum /= grp[g]->cumdiv;
                snprintf(
                    lbl[g], sizeof(lbl[g]), "%s..%s",
                    cprof__rep_scaled_label(a, sizeof(a), mins[g]->value, mins[g]->unit, "auto"),
                    cprof__rep_scaled_label(b, sizeof(b), maxs[g]->value, maxs[g]->unit, "auto"));
            }
            grp[g]->flatdiv = grp[g]->cumdiv = 0;
            grp[g]->name = lbl[g];
        }
        items = grp;
        count = 4;
        qsort_r(items, count, sizeof(*items), cmp_tags, &c);
    }
    for (uint32_t j = 0; j < count; j++) {
        const struct rep_tag *t = items[j];
        int64_t w = tag_cum(t);
        const char *attr = " style=\"dotted\"";
        char wb[64];

        if (flat || tag_flat(t) == tag_cum(t)) {
            w = tag_flat(t);
            attr = "";
        }
        if (w == 0)
            continue;
        printed = true;
        cprof__rep_fmt(r, wb, sizeof(wb), w);
        fprintf(r->out,
                "N%s_%u [label = \"%s\" id=\"N%s_%u\" fontsize=8 shape=box3d tooltip=\"%s\"]\n",
                source, j, t->name, source, j, wb);
        fprintf(r->out,
                "%s -> N%s_%u [label=\" %s\" weight=100 tooltip=\"%s\" labeltooltip=\"%s\"%s]\n",
                source, source, j, wb, wb, wb, attr);
    }
    return printed;
}

static bool add_nodelets(struct rep *r, uint32_t node, uint32_t id, struct rep_tag **buf)
{
    const struct rep_node *n = &r->nodes[node];
    bool flat = false, any = false;
    uint32_t nl = 0;
    struct tag_sort c = {r, false};
    struct rep_tag scratch[4];
    char src[32];

    for (uint32_t i = 0; i < n->nout; i++)
        flat = flat || !r->edges[r->adj_out[n->out0 + i]].removed;
    c.flat = flat;
    for (uint32_t i = n->ntags ? n->tags0 : REP_NONE; i != REP_NONE; i = r->tags[i].next)
        if (!r->tags[i].removed && !r->tags[i].numeric)
            buf[nl++] = &r->tags[i];
    qsort_r(buf, nl, sizeof(*buf), cmp_tags, &c);
    if (nl > 4)
        nl = 4;
    for (uint32_t i = 0; i < nl; i++) {
        const struct rep_tag *t = buf[i];
        int64_t w = flat ? tag_flat(t) : tag_cum(t);
        char wb[64];
        struct rep_tag **nts = buf + nl + 1;
        uint32_t nn = 0;

        if (w == 0)
            continue;
        any = true;
        cprof__rep_fmt(r, wb, sizeof(wb), w);
        fprintf(r->out,
                "N%u_%u [label = \"%s\" id=\"N%u_%u\" fontsize=8 shape=box3d tooltip=\"%s\"]\n", id,
                i, t->name, id, i, wb);
        fprintf(r->out,
                "N%u -> N%u_%u [label=\" %s\" weight=100 tooltip=\"%s\" labeltooltip=\"%s\"]\n", id,
                id, i, wb, wb, wb);
        for (uint32_t k = n->tags0; k != REP_NONE; k = r->tags[k].next)
            if (!r->tags[k].removed && r->tags[k].numeric && r->tags[k].group == t->name)
                nts[nn++] = &r->tags[k];
        if (nn) {
            snprintf(src, sizeof(src), "N%u_%u", id, i);
            numeric_nodelets(r, nts, nn, flat, src, scratch);
        }
    }
    {
        struct rep_tag **nts = buf + 5;
        uint32_t nn = 0;

        for (uint32_t k = n->ntags ? n->tags0 : REP_NONE; k != REP_NONE; k = r->tags[k].next)
            if (!r->tags[k].removed && r->tags[k].numeric && !*r->tags[k].group)
                nts[nn++] = &r->tags[k];
        if (nn) {
            snprintf(src, sizeof(src), "N%u", id);
            any = numeric_nodelets(r, nts, nn, flat, src, scratch) || any;
        }
    }
    return any;
}

/* ---- the graph ----------------------------------------------------------------------- */

int cprof__rep_dot(struct rep *r)
{
    uint32_t orig, dn, de, *ids = NULL, *edges = NULL, ne = 0;
    struct rep_tag **tbuf = NULL;
    const char *title = "unnamed";
    int64_t total;
    double maxflat;
    bool *has_nodelets = NULL;
    char *legend = NULL;
    size_t llen = 0;
    FILE *m;
    int err = cprof__rep_trimmed_graph(r, &orig, &dn, &de);

    if (err)
        return err;
    cprof__rep_select_unit(r);
    total = r->total;
    if (r->p->nmappings > 0 && *cprof__rep_str(r, r->p->mappings[0].filename)) {
        const char *f = cprof__rep_str(r, r->p->mappings[0].filename), *b = strrchr(f, '/');

        title = b && b[1] ? b + 1 : f;
    }
    fprintf(r->out, "digraph \"%s\" {\n", title);
    fprintf(r->out, "node [style=filled fillcolor=\"#f8f8f8\"]\n");
    m = open_memstream(&legend, &llen);
    if (!m)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    cprof__rep_report_labels(r, m, orig, dn, de, true, "\x01");
    fputs("\nSee https://git.io/JfYMW for how to read the graph\x01", m);
    fclose(m);
    {
        char *first_end = strchr(legend, '\x01');

        fputs("subgraph cluster_L { \"", r->out);
        *first_end = 0;
        put_escaped(r->out, legend);
        *first_end = '\x01';
        fputs("\" [shape=box fontsize=16 label=\"", r->out);
        for (char *s = legend; *s;) {
            char *e = strchr(s, '\x01');

            *e = 0;
            put_escaped(r->out, s);
            fputs("\\l", r->out);
            s = e + 1;
        }
        fprintf(r->out, "\"");
        if (strcmp(title, "unnamed") != 0)
            fprintf(r->out, " tooltip=\"%s\"", title);
        fprintf(r->out, "] }\n");
    }
    free(legend);
    if (r->norder == 0)
        goto done;
    ids = calloc(r->nnodes + 1, sizeof(*ids));
    has_nodelets = calloc(r->nnodes + 1, sizeof(*has_nodelets));
    edges = malloc((r->nedges + 1) * sizeof(*edges));
    tbuf = malloc((r->ntags + 8) * 2 * sizeof(*tbuf));
    if (!ids || !has_nodelets || !edges || !tbuf) {
        err = cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        goto done;
    }
    maxflat = (double)llabs(cprof__rep_flat(&r->nodes[r->order[0]]));
    for (uint32_t i = 0; i < r->norder; i++) {
        ids[r->order[i]] = i + 1;
        if ((double)llabs(cprof__rep_flat(&r->nodes[r->order[i]])) > maxflat)
            maxflat = (double)llabs(cprof__rep_flat(&r->nodes[r->order[i]]));
    }
    for (uint32_t i = 0; i < r->norder; i++) {
        uint32_t node = r->order[i];
        const struct rep_node *n = &r->nodes[node];
        int64_t flat = cprof__rep_flat(n), cum = cprof__rep_cum(n);
        char fv[64], cv[64], pct[64], c1[16], c2[16];
        int fs = 8;

        fprintf(r->out, "N%u [label=\"", i + 1);
        put_multiline_name(r, r->out, n);
        cprof__rep_fmt(r, fv, sizeof(fv), flat);
        if (flat != 0) {
            const char *p = cprof__rep_percentage(pct, sizeof(pct), flat, total);

            while (*p == ' ')
                p++;
            fprintf(r->out, "%s (%s)", fv, p);
        } else {
            fputs("0", r->out);
        }
        snprintf(cv, sizeof(cv), "%s", fv);
        if (cum != flat) {
            const char *p = cprof__rep_percentage(pct, sizeof(pct), cum, total);

            while (*p == ' ')
                p++;
            fputs(flat != 0 ? "\\n" : " ", r->out);
            cprof__rep_fmt(r, cv, sizeof(cv), cum);
            fprintf(r->out, "of %s (%s)", cv, p);
        }
        if (maxflat != 0 && flat != 0 && (double)llabs(flat) <= maxflat)
            fs += (int)ceil(16.0 * sqrt((double)llabs(flat) / maxflat));
        dot_color((double)cum / (double)llabs(total), false, c1, sizeof(c1));
        dot_color((double)cum / (double)llabs(total), true, c2, sizeof(c2));
        fprintf(r->out, "\" id=\"node%u\" fontsize=%d shape=box tooltip=\"", i + 1, fs);
        put_escaped(r->out, n->pname);
        fprintf(r->out, " (%s)\" color=\"%s\" fillcolor=\"%s\"]\n", cv, c1, c2);
        has_nodelets[node] = add_nodelets(r, node, i + 1, tbuf);
    }
    for (uint32_t i = 0; i < r->norder; i++) {
        const struct rep_node *n = &r->nodes[r->order[i]];

        for (uint32_t k = 0; k < n->nout; k++)
            if (!r->edges[r->adj_out[n->out0 + k]].removed)
                edges[ne++] = r->adj_out[n->out0 + k];
    }
    {

        qsort_r(edges, ne, sizeof(*edges), cprof__rep_cmp_edges, r);
    }
    for (uint32_t i = 0; i < ne; i++) {
        const struct rep_edge *e = &r->edges[edges[i]];
        int64_t w = e->wdiv ? e->w / e->wdiv : e->w;
        char wb[64], col[16];

        cprof__rep_fmt(r, wb, sizeof(wb), w);
        fprintf(r->out, "N%u -> N%u [label=\" %s%s\"", ids[e->src], ids[e->dst], wb,
                e->inl ? "\\n (inline)" : "");
        if (total != 0) {
            int64_t wt = llabs(w * 100 / total), pw = llabs(w * 5 / total);

            if (1 + (wt < 100 ? wt : 100) > 1)
                fprintf(r->out, " weight=%lld", (long long)(1 + (wt < 100 ? wt : 100)));
            if (1 + (pw < 5 ? pw : 5) > 1)
                fprintf(r->out, " penwidth=%lld", (long long)(1 + (pw < 5 ? pw : 5)));
            dot_color((double)w / (double)llabs(total), false, col, sizeof(col));
            fprintf(r->out, " color=\"%s\"", col);
        }
        for (int t = 0; t < 2; t++) {
            fputs(t ? " labeltooltip=\"" : " tooltip=\"", r->out);
            put_escaped(r->out, r->nodes[e->src].pname);
            fputs(e->residual ? " ... " : " -> ", r->out);
            put_escaped(r->out, r->nodes[e->dst].pname);
            fprintf(r->out, " (%s)\"", wb);
        }
        if (e->residual)
            fputs(" style=\"dotted\"", r->out);
        if (has_nodelets[e->src])
            fputs(" minlen=2", r->out);
        fputs("]\n", r->out);
    }
done:
    fputs("}\n", r->out);
    free(ids);
    free(has_nodelets);
    free(edges);
    free(tbuf);
    return err;
}
