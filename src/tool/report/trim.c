/*
 * The graph as a report shows it: nodes sorted (pprof's Sort with its
 * entropy score), trimmed (nodefraction, edgefraction, nodecount, with
 * redundant edges removed), or pprof's call tree (newTree, TrimTree).
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

/* ---- sorting ------------------------------------------------------------------ */

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

struct sort_ctx {
    struct rep *r;
    int order; /* 0 flat, 1 cum, 2 entropy */
    int64_t *score;
};

static char *info_string(const struct rep *r, const struct rep_node *n)
{
    char *s = NULL;

    if (asprintf(&s, "{%s  %llu %s %lld %lld %s}", r->strs.s[n->name], (unsigned long long)n->addr,
                 r->strs.s[n->file], (long long)n->start_line, (long long)n->lineno,
                 r->strs.s[n->obj]) < 0)
        return NULL;
    return s;
}

int cprof__rep_compare_nodes(const struct rep *r, const struct rep_node *a,
                             const struct rep_node *b)
{
    char *sa = info_string(r, a), *sb = info_string(r, b);
    int c = (sa && sb) ? strcmp(sa, sb) : 0;

    free(sa);
    free(sb);
    return c;
}

static int cmp_nodes(const void *pa, const void *pb, void *arg)
{
    const struct sort_ctx *c = arg;
    uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
    const struct rep_node *a = &c->r->nodes[ia], *b = &c->r->nodes[ib];
    int64_t x, y;
    int s;

    if (c->order == 0) {
        x = abs64(a->flat);
        y = abs64(b->flat);
        if (x != y)
            return x > y ? -1 : 1;
        if ((s = strcmp(a->pname, b->pname)) != 0)
            return s;
        x = abs64(a->cum);
        y = abs64(b->cum);
        if (x != y)
            return x > y ? -1 : 1;
        return cprof__rep_compare_nodes(c->r, a, b);
    }
    x = abs64(c->order == 1 ? a->cum : c->score[ia]);
    y = abs64(c->order == 1 ? b->cum : c->score[ib]);
    if (x != y)
        return x > y ? -1 : 1;
    if ((s = strcmp(a->pname, b->pname)) != 0)
        return s;
    x = abs64(a->flat);
    y = abs64(b->flat);
    if (x != y)
        return x > y ? -1 : 1;
    return cprof__rep_compare_nodes(c->r, a, b);
}

static double edge_entropy(struct rep *r, const uint32_t *ids, uint32_t n, int64_t self)
{
    double score = 0;
    int64_t total = self;

    for (uint32_t i = 0; i < n; i++)
        if (!r->edges[ids[i]].removed && r->edges[ids[i]].w > 0)
            total += abs64(r->edges[ids[i]].w);
    if (total != 0) {
        for (uint32_t i = 0; i < n; i++) {
            double frac;

            if (r->edges[ids[i]].removed)
                continue;
            frac = (double)abs64(r->edges[ids[i]].w) / (double)total;
            score += -frac * log2(frac);
        }
        if (self > 0) {
            double frac = (double)abs64(self) / (double)total;

            score += -frac * log2(frac);
        }
    }
    return score;
}

static uint32_t live_count(struct rep *r, const uint32_t *ids, uint32_t n)
{
    uint32_t c = 0;

    for (uint32_t i = 0; i < n; i++)
        c += !r->edges[ids[i]].removed;
    return c;
}

static int64_t entropy_score(struct rep *r, const struct rep_node *n)
{
    double score = 0;

    if (live_count(r, r->adj_in + n->in0, n->nin) == 0)
        score++;
    else
        score += edge_entropy(r, r->adj_in + n->in0, n->nin, 0);
    if (live_count(r, r->adj_out + n->out0, n->nout) == 0)
        score++;
    else
        score += edge_entropy(r, r->adj_out + n->out0, n->nout, n->flat);
    score *= (double)n->cum;
    /*
     * Go on amd64 turns a NaN or out-of-range float into INT64_MIN and
     * wraps the sum (negative values of -base profiles get here): the
     * same, without C's undefined behaviour.
     */
    int64_t s = (isnan(score) || score >= 0x1p63 || score < -0x1p63) ? INT64_MIN : (int64_t)score;
    return (int64_t)((uint64_t)s + (uint64_t)n->flat);
}

static int sort_nodes(struct rep *r)
{
    struct sort_ctx c = {r, r->visual ? 2 : (r->o->cum ? 1 : 0), NULL};

    if (c.order == 2) {
        c.score = malloc((r->nnodes + 1) * sizeof(*c.score));
        if (!c.score)
            return -ENOMEM;
        for (uint32_t i = 0; i < r->norder; i++)
            c.score[r->order[i]] = entropy_score(r, &r->nodes[r->order[i]]);
    }
    qsort_r(r->order, r->norder, sizeof(*r->order), cmp_nodes, &c);
    free(c.score);
    return 0;
}

/* edgeList order: |weight| desc, then source and destination names. */
int cprof__rep_cmp_edges(const void *pa, const void *pb, void *arg)
{
    const struct rep *r = arg;
    const struct rep_edge *a = &r->edges[*(const uint32_t *)pa];
    const struct rep_edge *b = &r->edges[*(const uint32_t *)pb];
    int s;

    if (a->w != b->w)
        return abs64(a->w) > abs64(b->w) ? -1 : 1;
    if ((s = strcmp(r->nodes[a->src].pname, r->nodes[b->src].pname)) != 0)
        return s;
    return strcmp(r->nodes[a->dst].pname, r->nodes[b->dst].pname);
}

uint32_t cprof__rep_sorted_edges(struct rep *r, uint32_t node, bool in, uint32_t *out)
{
    const struct rep_node *n = &r->nodes[node];
    const uint32_t *ids = in ? r->adj_in + n->in0 : r->adj_out + n->out0;
    uint32_t cnt = in ? n->nin : n->nout, w = 0;

    for (uint32_t i = 0; i < cnt; i++)
        if (!r->edges[ids[i]].removed)
            out[w++] = ids[i];
    qsort_r(out, w, sizeof(*out), cprof__rep_cmp_edges, r);
    return w;
}

/* ---- trimming ------------------------------------------------------------------ */

static uint32_t trim_edges(struct rep *r, int64_t cutoff)
{
    uint32_t dropped = 0;

    for (uint32_t e = 0; e < r->nedges; e++) {
        if (!r->edges[e].removed && abs64(r->edges[e].w) < cutoff) {
            r->edges[e].removed = true;
            dropped++;
        }
    }
    return dropped;
}

static bool redundant_edge(struct rep *r, uint32_t eid, uint32_t *queue, uint8_t *seen)
{
    const struct rep_edge *e = &r->edges[eid];
    uint32_t head = 0, tail = 0;
    bool found = false;

    queue[tail++] = e->dst;
    seen[e->dst] = 1;
    while (head < tail && !found) {
        const struct rep_node *n = &r->nodes[queue[head++]];

        for (uint32_t i = 0; i < n->nin; i++) {
            uint32_t ie = r->adj_in[n->in0 + i];
            uint32_t src = r->edges[ie].src;

            if (r->edges[ie].removed || ie == eid || seen[src])
                continue;
            if (src == e->src) {
                found = true;
                break;
            }
            seen[src] = 1;
            queue[tail++] = src;
        }
    }
    for (uint32_t i = 0; i < tail; i++)
        seen[queue[i]] = 0;
    return found;
}

static int remove_redundant_edges(struct rep *r)
{
    uint32_t *queue = malloc((r->nnodes + 1) * sizeof(*queue));
    uint8_t *seen = calloc(r->nnodes + 1, 1);
    uint32_t *in = malloc((r->nedges + 1) * sizeof(*in));

    if (!queue || !seen || !in) {
        free(queue);
        free(seen);
        free(in);
        return -ENOMEM;
    }
    for (uint32_t i = r->norder; i > 0; i--) {
        uint32_t n = cprof__rep_sorted_edges(r, r->order[i - 1], true, in);

        for (uint32_t j = n; j > 0; j--) {
            uint32_t e = in[j - 1];

            if (!r->edges[e].residual)
                break;
            if (redundant_edge(r, e, queue, seen))
                r->edges[e].removed = true;
        }
    }
    free(queue);
    free(seen);
    free(in);
    return 0;
}

/* Keeps the first count nodes of the display order (selectTopNodes). */
static uint32_t select_top(struct rep *r, int count)
{
    uint32_t max = (uint32_t)count;

    if (r->visual) {
        uint32_t c = 0;

        for (uint32_t i = 0; i < r->norder; i++) {
            uint32_t t = cprof__rep_count_tags(r, r->order[i]);

            if (t > 4)
                t = 4;
            c += t + 1;
            if (c >= (uint32_t)count) {
                max = i + 1;
                break;
            }
        }
    }
    return max > r->norder ? r->norder : max;
}

static void keep_only(struct rep *r, uint32_t count)
{
    for (uint32_t i = 0; i < r->nnodes; i++)
        r->nodes[i].kept = false;
    for (uint32_t i = 0; i < count; i++)
        r->nodes[r->order[i]].kept = true;
}

/* ---- call tree (pprof's newTree and TrimTree) ------------------------------------- */

static uint64_t tree_hash(uint32_t parent, uint32_t base)
{
    return cprof__rep_mix64(((uint64_t)parent << 32) | base);
}

static uint64_t tree_node_hash(const struct rep_node *n)
{
    return tree_hash(n->tparent, n->tbase);
}

/* The child of tree node parent (REP_NONE: a root) for graph node base, added when new. */
static int tree_child(struct rep *r, uint32_t parent, uint32_t base, uint32_t *id)
{
    size_t i;
    struct rep_node *n;

    if ((size_t)(r->nnodes - r->nbase) * 2 + 2 > r->tree_nslots &&
        cprof__rep_node_index_grow(r, &r->tree_slots, &r->tree_nslots, r->nbase, tree_node_hash))
        return -ENOMEM;
    i = tree_hash(parent, base) & (r->tree_nslots - 1);
    for (; r->tree_slots[i]; i = (i + 1) & (r->tree_nslots - 1)) {
        const struct rep_node *x = &r->nodes[r->tree_slots[i] - 1];

        if (x->tparent == parent && x->tbase == base) {
            *id = r->tree_slots[i] - 1;
            return 0;
        }
    }
    if (cprof__rep_nodes_reserve(r))
        return -ENOMEM;
    n = &r->nodes[r->nnodes];
    *n = r->nodes[base];
    n->flat = n->flatdiv = n->cum = n->cumdiv = 0;
    n->stamp = UINT32_MAX;
    n->kept = true;
    n->in_graph = false;
    n->ntags = 0;
    n->tparent = parent;
    n->tbase = base;
    r->tree_slots[i] = r->nnodes + 1;
    *id = r->nnodes++;
    return 0;
}

/*
 * pprof's newTree over the selected samples: a node per distinct path
 * from a root, appended after the graph's nodes (which leave the graph).
 * A child is always created after its parent, so ascending ids visit
 * parents first.
 */
static int tree_build(struct rep *r)
{
    int err = 0;
    uint32_t *order;

    r->nbase = r->nnodes;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        r->nodes[i].in_graph = false;
        r->nodes[i].ntags = 0;
    }
    cprof__rep_edges_clear(r);
    for (size_t si = 0; si < r->nsamples && !err; si++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[si]];
        uint32_t parent = REP_NONE, np;
        bool tail_dropped;
        int64_t w, dw;

        err = cprof__rep_sample_path(r, si, NULL, &np, &w, &dw, &tail_dropped);
        for (uint32_t k = 0; k < np && !err; k++) {
            uint32_t id, e;

            if ((err = tree_child(r, parent, r->path[k].id, &id)))
                break;
            r->nodes[id].cum += w;
            r->nodes[id].cumdiv += dw;
            if (r->want_tags && (err = cprof__rep_tags_add(r, id, s, w, dw, false)))
                break;
            if (parent != REP_NONE) {
                if ((err = cprof__rep_edge_find_or_add(r, parent, id, &e)))
                    break;
                r->edges[e].w += w;
                r->edges[e].wdiv += dw;
                if (r->path[k].flags & REP_STEP_CALL)
                    r->edges[e].inl = false;
            }
            parent = id;
        }
        if (parent != REP_NONE && !err) {
            r->nodes[parent].flat += w;
            r->nodes[parent].flatdiv += dw;
            if (r->want_tags)
                err = cprof__rep_tags_add(r, parent, s, w, dw, true);
        }
    }
    if (err)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    order = realloc(r->order, (r->nnodes + 1) * sizeof(*order));
    if (!order)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    r->order = order;
    return cprof__rep_graph_select(r, r->nbase);
}

/*
 * pprof's TrimTree: the graph nodes not kept leave it; the children of a
 * dropped node hang from its parent by residual edges (inline when both
 * edges were), those of a dropped root become roots.  Values are not
 * recomputed.  The display order keeps its order.
 */
static int tree_trim(struct rep *r)
{
    uint32_t *pe = malloc((r->nnodes + 1) * sizeof(*pe)), w = 0;

    if (!pe)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    for (uint32_t i = 0; i < r->nnodes; i++)
        pe[i] = REP_NONE;
    for (uint32_t e = 0; e < r->nedges; e++)
        if (!r->edges[e].removed)
            pe[r->edges[e].dst] = e;
    for (uint32_t x = r->nbase; x < r->nnodes; x++) {
        struct rep_node *n = &r->nodes[x];
        uint32_t up = pe[x];

        if (!n->in_graph || n->kept)
            continue;
        n->in_graph = false;
        if (up != REP_NONE)
            r->edges[up].removed = true;
        for (uint32_t k = 0; k < n->nout; k++) {
            struct rep_edge *e = &r->edges[r->adj_out[n->out0 + k]];

            if (e->removed)
                continue;
            if (up == REP_NONE) {
                e->removed = true;
                pe[e->dst] = REP_NONE;
                continue;
            }
            e->src = r->edges[up].src;
            e->residual = true;
            e->inl = r->edges[up].inl && e->inl;
        }
    }
    free(pe);
    for (uint32_t i = 0; i < r->norder; i++)
        if (r->nodes[r->order[i]].in_graph)
            r->order[w++] = r->order[i];
    r->norder = w;
    if (cprof__rep_build_adjacency(r))
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    return 0;
}

/* newTrimmedGraph's cutoffs: nodefraction and edgefraction of the graph's total flat value. */
static void cutoffs(const struct rep *r, int64_t *node_cut, int64_t *edge_cut)
{
    int64_t total = 0;

    for (uint32_t i = 0; i < r->norder; i++)
        total += r->nodes[r->order[i]].flat;
    *node_cut = abs64((int64_t)((double)total * r->nodefraction));
    *edge_cut = abs64((int64_t)((double)total * r->edgefraction));
}

/*
 * After the kept set shrank: the graph is rebuilt over it, the call tree
 * (built once) trimmed in place.
 */
static int rebuild_kept(struct rep *r)
{
    return r->call_tree ? tree_trim(r) : cprof__rep_build(r, false);
}

/*
 * Tags for the first n nodes of the display order; the call tree has all
 * its tags from its build.
 */
static int graph_tags(struct rep *r, uint32_t n)
{
    return r->call_tree ? 0 : cprof__rep_tag_first(r, n);
}

/* pprof's newTrimmedGraph; with call_tree (dot, callgrind) over a tree of the stacks. */
int cprof__rep_trimmed_graph(struct rep *r, uint32_t *orig_count, uint32_t *dropped_nodes,
                             uint32_t *dropped_edges)
{
    int64_t node_cut, edge_cut;
    int err;

    *dropped_nodes = *dropped_edges = 0;
    if ((err = r->call_tree ? tree_build(r) : cprof__rep_build(r, true)))
        return err;
    cutoffs(r, &node_cut, &edge_cut);
    if (node_cut > 0) {
        uint32_t kept = 0;

        for (uint32_t i = 0; i < r->nnodes; i++)
            r->nodes[i].kept = false;
        for (uint32_t i = 0; i < r->norder; i++) {
            struct rep_node *n = &r->nodes[r->order[i]];

            if (abs64(n->cum) >= node_cut) {
                n->kept = true;
                kept++;
            }
        }
        if (kept != r->norder) {
            *dropped_nodes = r->norder - kept;
            if ((err = rebuild_kept(r)))
                return err;
        }
    }
    *orig_count = r->norder;
    if ((err = sort_nodes(r)))
        return err;
    if (r->nodecount > 0) {
        uint32_t top;

        /* select_top counts the tags of at most nodecount nodes. */
        if ((err = graph_tags(r, (uint32_t)r->nodecount)))
            return err;
        cprof__rep_tags_trim(r, node_cut);
        trim_edges(r, edge_cut);
        top = select_top(r, r->nodecount);
        if (top != r->norder) {
            keep_only(r, top);
            if ((err = rebuild_kept(r)) || (err = sort_nodes(r)))
                return err;
        }
    }
    if ((err = graph_tags(r, r->norder)))
        return err;
    cprof__rep_tags_trim(r, node_cut);
    *dropped_edges = trim_edges(r, edge_cut);
    if (r->visual && (err = remove_redundant_edges(r)))
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    return 0;
}
