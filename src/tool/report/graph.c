/*
 * The call graph (pprof's newGraph): nodes at the report's granularity,
 * edges between them, and the walk of every kept sample that sums their
 * values, in parallel over parts of the samples for big profiles.
 *
 * Speed: locations are mapped to graph nodes once per build (an array, not
 * a map per sample); cum-once-per-sample and edge-once-per-sample use
 * generation stamps, so the per-sample loop allocates nothing.
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

/* ---- nodes ------------------------------------------------------------------- */

static uint64_t node_hash(const struct rep_node *n)
{
    uint64_t h = cprof__rep_mix64(n->name * 0x9e3779b97f4a7c15ull + n->file);

    h = cprof__rep_mix64(h ^ (n->obj + ((uint64_t)n->start_line << 32)));
    h = cprof__rep_mix64(h ^ (uint64_t)n->lineno);
    return cprof__rep_mix64(h ^ n->addr);
}

static bool node_eq(const struct rep_node *a, const struct rep_node *b)
{
    return a->name == b->name && a->file == b->file && a->obj == b->obj &&
           a->start_line == b->start_line && a->lineno == b->lineno && a->addr == b->addr;
}

/*
 * Rebuilds an index over nodes [from, nnodes) (open addressing, slot = id
 * + 1, 0 empty) at twice its size (4096 at first), hashing with hash.
 */
int cprof__rep_node_index_grow(struct rep *r, uint32_t **slots, size_t *nslots, uint32_t from,
                               uint64_t (*hash)(const struct rep_node *))
{
    size_t ns = *nslots ? *nslots * 2 : 4096;
    uint32_t *ns_slots = calloc(ns, sizeof(*ns_slots));

    if (!ns_slots)
        return -ENOMEM;
    for (uint32_t id = from; id < r->nnodes; id++) {
        size_t i = hash(&r->nodes[id]) & (ns - 1);

        while (ns_slots[i])
            i = (i + 1) & (ns - 1);
        ns_slots[i] = id + 1;
    }
    free(*slots);
    *slots = ns_slots;
    *nslots = ns;
    return 0;
}

/* Room for one more node at r->nodes[r->nnodes]: 0 or -ENOMEM. */
int cprof__rep_nodes_reserve(struct rep *r)
{
    uint32_t nc;
    struct rep_node *nn;

    if (r->nnodes < r->nodes_cap)
        return 0;
    nc = r->nodes_cap ? r->nodes_cap * 2 : 1024;
    if (!(nn = realloc(r->nodes, nc * sizeof(*nn))))
        return -ENOMEM;
    r->nodes = nn;
    r->nodes_cap = nc;
    return 0;
}

static char *printable_name(struct rep *r, const struct rep_node *n)
{
    char addr[32], line[32];
    const char *name = r->strs.s[n->name], *file = r->strs.s[n->file];
    const char *obj = r->strs.s[n->obj];
    size_t len = strlen(name) + strlen(file) + strlen(obj) + 64;
    char *out = cprof_arena_alloc(&r->arena, len), *w = out;

    if (!out)
        return NULL;
    *w = 0;
    if (n->addr) {
        snprintf(addr, sizeof(addr), "%016llx", (unsigned long long)n->addr);
        w += sprintf(w, "%s", addr);
    }
    if (*name)
        w += sprintf(w, "%s%s", w != out ? " " : "", name);
    if (n->lineno) {
        snprintf(line, sizeof(line), "%lld", (long long)n->lineno);
        w += sprintf(w, "%s%s:%s", w != out ? " " : "", file, line);
    } else if (*file) {
        w += sprintf(w, "%s%s", w != out ? " " : "", file);
    } else if (*name) {
        /* nothing */
    } else if (*obj) {
        const char *b = strrchr(obj, '/');

        b = b ? b + 1 : obj;
        if (!*b) /* filepath.Base of a path ending in '/' */
            b = obj;
        w += sprintf(w, "%s[%s]", w != out ? " " : "", b);
    } else {
        w += sprintf(w, "%s<unknown>", w != out ? " " : "");
    }
    return out;
}

static int node_find_or_add(struct rep *r, const struct rep_node *key, uint32_t *id)
{
    size_t i;

    if ((size_t)r->nnodes * 2 + 2 > r->node_nslots &&
        cprof__rep_node_index_grow(r, &r->node_slots, &r->node_nslots, 0, node_hash))
        return -ENOMEM;
    i = node_hash(key) & (r->node_nslots - 1);
    for (; r->node_slots[i]; i = (i + 1) & (r->node_nslots - 1)) {
        if (node_eq(&r->nodes[r->node_slots[i] - 1], key)) {
            *id = r->node_slots[i] - 1;
            return 0;
        }
    }
    if (cprof__rep_nodes_reserve(r))
        return -ENOMEM;
    r->nodes[r->nnodes] = *key;
    r->nodes[r->nnodes].pname = printable_name(r, key);
    if (!r->nodes[r->nnodes].pname)
        return -ENOMEM;
    r->node_slots[i] = r->nnodes + 1;
    *id = r->nnodes++;
    return 0;
}

/* Interned per-function and per-mapping strings, after trimPath and Clean. */
static int intern_names(struct rep *r)
{
    const struct cprof_profile *p = r->p;
    int err = 0;
    uint32_t dummy;

    r->fname_id = malloc((p->nfunctions + 1) * sizeof(*r->fname_id));
    r->ffile_id = malloc((p->nfunctions + 1) * sizeof(*r->ffile_id));
    r->map_id = malloc((p->nmappings + 1) * sizeof(*r->map_id));
    if (!r->fname_id || !r->ffile_id || !r->map_id)
        return -ENOMEM;
    err = cprof__rep_intern(&r->strs, "", 0, &dummy);
    for (uint32_t i = 0; i < p->nfunctions && !err; i++) {
        const char *name = cprof__rep_str(r, p->functions[i].name);
        const char *file = cprof__rep_str(r, p->functions[i].filename);

        err = cprof__rep_intern(&r->strs, name, strlen(name), &r->fname_id[i]);
        if (!err && *file) {
            file = cprof__rep_trim_path(&r->arena, file, r->o->trim_path, r->o->source_path);
            file = cprof__rep_clean_path(&r->arena, file);
            if (!file)
                return -ENOMEM;
        }
        if (!err)
            err = cprof__rep_intern(&r->strs, file, strlen(file), &r->ffile_id[i]);
    }
    for (uint32_t i = 0; i < p->nmappings && !err; i++) {
        const char *f = cprof__rep_str(r, p->mappings[i].filename);

        err = cprof__rep_intern(&r->strs, f, strlen(f), &r->map_id[i]);
    }
    return err;
}

/* The NodeInfo of one location line under the chosen granularity. */
static void node_key(struct rep *r, uint32_t loc, uint32_t slot, bool has_line, struct rep_node *k)
{
    const struct cprof_location *l = &r->p->locations[loc];
    enum cprof_report_granularity g = r->gran;
    bool addr = g == CPROF_GRAN_ADDRESSES;
    bool lineno = g == CPROF_GRAN_LINES || addr;
    bool fname = g != CPROF_GRAN_FILES;
    bool ffile = g != CPROF_GRAN_FUNCTIONS;
    uint32_t obj = l->mapping < r->p->nmappings ? r->map_id[l->mapping] : 0;
    uint32_t fn = has_line ? r->lfunc[slot] : REP_NONE;

    memset(k, 0, sizeof(*k));
    k->addr = addr ? l->address : 0;
    if (fn == REP_NONE) {
        k->obj = obj;
        return;
    }
    k->lineno = lineno ? r->lline[slot] : 0;
    k->name = fname ? r->fname_id[fn] : 0;
    k->file = ffile ? r->ffile_id[fn] : 0;
    if (r->obj_names || k->name == 0) {
        k->obj = obj;
        k->start_line = r->p->functions[fn].start_line;
    }
}

/* Maps every line slot of every location to its node (the granularity's key). */
int cprof__rep_create_nodes(struct rep *r)
{
    int err = intern_names(r);

    for (uint32_t l = 0; l < r->p->nlocations && !err; l++) {
        uint32_t f = r->loc_first[l];

        if (r->noinlines && r->loc_n[l] > 1) {
            uint32_t last = f + r->loc_n[l] - 1;

            r->lfunc[f] = r->lfunc[last];
            r->lline[f] = r->lline[last];
            r->loc_n[l] = 1;
        }
        if (r->loc_n[l] == 0) {
            struct rep_node k;

            node_key(r, l, f, false, &k);
            err = node_find_or_add(r, &k, &r->locnode[f]);
            continue;
        }
        for (uint32_t j = 0; j < r->loc_n[l] && !err; j++) {
            struct rep_node k;

            node_key(r, l, f + j, true, &k);
            err = node_find_or_add(r, &k, &r->locnode[f + j]);
        }
    }
    for (uint32_t i = 0; i < r->nnodes; i++)
        r->nodes[i].kept = true;
    return err ? cprof_diag_set(r->diag, err, "out of memory") : 0;
}

uint32_t cprof__rep_loc_nodes(struct rep *r, uint32_t loc, uint32_t *first)
{
    *first = r->loc_first[loc];
    return r->loc_n[loc] ? r->loc_n[loc] : 1;
}

/* ---- edges ------------------------------------------------------------------- */

static uint64_t edge_hash(uint32_t src, uint32_t dst)
{
    return cprof__rep_mix64(((uint64_t)src << 32) | dst);
}

static int edge_slots_grow(struct rep *r)
{
    size_t ns = r->edge_nslots ? r->edge_nslots * 2 : 4096;
    struct rep_eslot *slots = calloc(ns, sizeof(*slots));

    if (!slots)
        return -ENOMEM;
    for (uint32_t id = 0; id < r->nedges; id++) {
        uint32_t src = r->edges[id].src, dst = r->edges[id].dst;
        size_t i = edge_hash(src, dst) & (ns - 1);

        while (slots[i].id1)
            i = (i + 1) & (ns - 1);
        slots[i] = (struct rep_eslot){id + 1, src, dst};
    }
    free(r->edge_slots);
    r->edge_slots = slots;
    r->edge_nslots = ns;
    return 0;
}

int cprof__rep_edge_find_or_add(struct rep *r, uint32_t src, uint32_t dst, uint32_t *id)
{
    size_t i;

    if ((size_t)r->nedges * 2 + 2 > r->edge_nslots && edge_slots_grow(r))
        return -ENOMEM;
    i = edge_hash(src, dst) & (r->edge_nslots - 1);
    for (; r->edge_slots[i].id1; i = (i + 1) & (r->edge_nslots - 1)) {
        const struct rep_eslot *e = &r->edge_slots[i];

        if (e->src == src && e->dst == dst) {
            *id = e->id1 - 1;
            return 0;
        }
    }
    if (r->nedges == r->edges_cap) {
        uint32_t nc = r->edges_cap ? r->edges_cap * 2 : 4096;
        struct rep_edge *ne = realloc(r->edges, nc * sizeof(*ne));

        if (!ne)
            return -ENOMEM;
        r->edges = ne;
        r->edges_cap = nc;
    }
    memset(&r->edges[r->nedges], 0, sizeof(r->edges[0]));
    r->edges[r->nedges].src = src;
    r->edges[r->nedges].dst = dst;
    r->edges[r->nedges].inl = true;
    r->edges[r->nedges].stamp = UINT32_MAX;
    r->edge_slots[i] = (struct rep_eslot){r->nedges + 1, src, dst};
    *id = r->nedges++;
    return 0;
}

/* Groups live edges by destination (in) and source (out). */
int cprof__rep_build_adjacency(struct rep *r)
{
    uint32_t *cin = calloc(r->nnodes + 1, sizeof(*cin)), *cout = calloc(r->nnodes + 1, 4);

    free(r->adj_in);
    free(r->adj_out);
    r->adj_in = malloc((r->nedges + 1) * sizeof(*r->adj_in));
    r->adj_out = malloc((r->nedges + 1) * sizeof(*r->adj_out));
    if (!cin || !cout || !r->adj_in || !r->adj_out) {
        free(cin);
        free(cout);
        return -ENOMEM;
    }
    for (uint32_t e = 0; e < r->nedges; e++) {
        cin[r->edges[e].dst]++;
        cout[r->edges[e].src]++;
    }
    for (uint32_t n = 0, si = 0, so = 0; n < r->nnodes; n++) {
        r->nodes[n].in0 = si;
        r->nodes[n].out0 = so;
        r->nodes[n].nin = 0;
        r->nodes[n].nout = 0;
        si += cin[n];
        so += cout[n];
    }
    for (uint32_t e = 0; e < r->nedges; e++) {
        struct rep_node *d = &r->nodes[r->edges[e].dst], *s = &r->nodes[r->edges[e].src];

        r->adj_in[d->in0 + d->nin++] = e;
        r->adj_out[s->out0 + s->nout++] = e;
    }
    free(cin);
    free(cout);
    return 0;
}

/* ---- graph build -------------------------------------------------------------- */

int64_t cprof__rep_flat(const struct rep_node *n)
{
    return n->flatdiv ? n->flat / n->flatdiv : n->flat;
}

int64_t cprof__rep_cum(const struct rep_node *n)
{
    return n->cumdiv ? n->cum / n->cumdiv : n->cum;
}

/* Forgets the edges and tags of the last build. */
void cprof__rep_edges_clear(struct rep *r)
{
    r->nedges = 0;
    r->ntags = 0;
    if (r->edge_slots)
        memset(r->edge_slots, 0, r->edge_nslots * sizeof(*r->edge_slots));
}

/*
 * The end of a build: the kept nodes from first on with a value enter the
 * graph, in node order (r->order has room for them); the edges touching
 * the others (dropped negative nodes) leave it; adjacency is rebuilt.
 */
int cprof__rep_graph_select(struct rep *r, uint32_t first)
{
    r->norder = 0;
    for (uint32_t i = first; i < r->nnodes; i++) {
        struct rep_node *n = &r->nodes[i];

        if (!n->kept || (n->cum == 0 && n->flat == 0))
            continue;
        if (r->o->drop_negative && (n->flat < 0 || (n->flat == 0 && n->cum < 0)))
            continue;
        n->in_graph = true;
        r->order[r->norder++] = i;
    }
    for (uint32_t e = 0; e < r->nedges; e++)
        if (!r->nodes[r->edges[e].src].in_graph || !r->nodes[r->edges[e].dst].in_graph)
            r->edges[e].removed = true;
    if (cprof__rep_build_adjacency(r))
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    return 0;
}

/*
 * The walk pprof's newGraph and newTree make over selected sample si: its
 * value in *w and *dw and, root to leaf, its nodes whose keep byte has bit
 * 0 set (keep NULL: all nodes) in r->path[0 .. *n), flagged REP_STEP_CALL
 * and REP_STEP_RESIDUAL; *tail_dropped when nodes were dropped after the
 * last one.  *n is 0 for a sample whose values are zero (pprof skips it).
 * 0 or -ENOMEM.
 */
static inline int sample_path(struct rep *r, size_t si, const uint8_t *keep, uint32_t *n,
                              int64_t *w, int64_t *dw, bool *tail_dropped)
{
    uint32_t s = r->samples[si], *stk = r->stk + r->s_first[s], k = 0;
    uint32_t residual = 0;

    *n = 0;
    *tail_dropped = false;
    cprof__rep_sample_value(r, &r->p->samples[s], w, dw);
    if (*w == 0 && *dw == 0)
        return 0;
    for (int i = (int)r->s_n[s] - 1; i >= 0; i--) {
        uint32_t first, nn = cprof__rep_loc_nodes(r, stk[i], &first);

        if (k + nn > r->path_cap) {
            uint32_t nc = r->path_cap ? r->path_cap : 256;
            struct rep_step *np;

            while (nc < k + nn)
                nc *= 2;
            if (!(np = realloc(r->path, nc * sizeof(*np))))
                return -ENOMEM;
            r->path = np;
            r->path_cap = nc;
        }
        for (int ni = (int)nn - 1; ni >= 0; ni--) {
            uint32_t id = r->locnode[first + (uint32_t)ni];

            if (keep && !(keep[id] & 1)) {
                residual = REP_STEP_RESIDUAL;
                continue;
            }
            r->path[k].id = id;
            r->path[k++].flags = (ni == (int)nn - 1 ? REP_STEP_CALL : 0) | residual;
            residual = 0;
        }
    }
    *n = k;
    *tail_dropped = residual != 0;
    return 0;
}

/* pprof's newGraph over the selected samples, with the current kept set. */
/*
 * What the build's walk reads and writes of a node, packed: the walk visits
 * millions of frames in node order that has nothing to do with memory
 * order, and a whole rep_node per visit would not stay in cache.
 */
int cprof__rep_sample_path(struct rep *r, size_t si, const uint8_t *keep, uint32_t *n, int64_t *w,
                           int64_t *dw, bool *tail_dropped)
{
    return sample_path(r, si, keep, n, w, dw, tail_dropped);
}

struct build_node {
    int64_t cum, cumdiv, flat, flatdiv;
    uint32_t stamp; /* last sample that counted this node's cum */
};

/*
 * The walk of samples [lo, hi): node counters into bn, edges into r's edge
 * index (r may be a part's copy of the report, with edges of its own).
 */
static int build_walk(struct rep *r, struct build_node *bn, const uint8_t *keep, size_t lo,
                      size_t hi)
{
    int err = 0;

    for (size_t si = lo; si < hi && !err; si++) {
        uint32_t parent = REP_NONE, stamp = (uint32_t)si, np;
        bool tail_dropped;
        int64_t w, dw;

        err = sample_path(r, si, keep, &np, &w, &dw, &tail_dropped);
        for (uint32_t k = 0; k < np && !err; k++) {
            uint32_t id = r->path[k].id, e;
            struct build_node *n = &bn[id];

            if (n->stamp != stamp) {
                n->stamp = stamp;
                n->cum += w;
                n->cumdiv += dw;
            }
            if (parent != REP_NONE && id != parent) {
                err = cprof__rep_edge_find_or_add(r, parent, id, &e);
                if (!err && r->edges[e].stamp != stamp) {
                    struct rep_edge *ed = &r->edges[e];

                    ed->stamp = stamp;
                    ed->w += w;
                    ed->wdiv += dw;
                    if (r->path[k].flags & REP_STEP_RESIDUAL)
                        ed->residual = true;
                    if (r->path[k].flags & REP_STEP_CALL)
                        ed->inl = false;
                }
            }
            parent = id;
        }
        if (parent != REP_NONE && !tail_dropped) {
            bn[parent].flat += w;
            bn[parent].flatdiv += dw;
        }
    }
    return err;
}

/*
 * A big build is walked in parts on several threads (opts.threads): part 0
 * into the report itself, the others into copies of it with their own
 * edges, path buffer and counters, merged back in part order, so edges keep
 * the order of their first sample as in one walk.
 */
struct build_part {
    struct rep rp;
    struct build_node *bn;
    int err;
};

struct build_job {
    struct rep *r;
    const uint8_t *keep;
    struct build_part *parts;
    int nparts;
};

static void build_part_run(void *ctx, int part)
{
    struct build_job *j = ctx;
    struct build_part *bp = &j->parts[part];
    size_t lo, hi;

    cprof_par_range(j->r->nsamples, j->nparts, part, &lo, &hi);
    bp->err = build_walk(part ? &bp->rp : j->r, bp->bn, j->keep, lo, hi);
}

static int build_parallel(struct rep *r, struct build_node *bn, const uint8_t *keep, int nparts)
{
    struct build_job j = {r, keep, calloc((size_t)nparts, sizeof(struct build_part)), nparts};
    int err = 0;

    if (!j.parts)
        return -ENOMEM;
    j.parts[0].bn = bn;
    for (int k = 1; k < nparts && !err; k++) {
        struct rep *c = &j.parts[k].rp;

        *c = *r;
        c->edges = NULL;
        c->nedges = c->edges_cap = 0;
        c->edge_slots = NULL;
        c->edge_nslots = 0;
        c->path = NULL;
        c->path_cap = 0;
        j.parts[k].bn = malloc((r->nnodes + 1) * sizeof(*bn));
        if (!j.parts[k].bn)
            err = -ENOMEM;
        else
            for (uint32_t i = 0; i < r->nnodes; i++)
                j.parts[k].bn[i] = (struct build_node){0, 0, 0, 0, UINT32_MAX};
    }
    if (!err)
        cprof_par_run(nparts, build_part_run, &j);
    for (int k = 0; k < nparts; k++) {
        struct build_part *bp = &j.parts[k];

        if (!err)
            err = bp->err;
        if (k == 0)
            continue;
        if (!err) {
            for (uint32_t i = 0; i < r->nnodes; i++) {
                bn[i].cum += bp->bn[i].cum;
                bn[i].cumdiv += bp->bn[i].cumdiv;
                bn[i].flat += bp->bn[i].flat;
                bn[i].flatdiv += bp->bn[i].flatdiv;
            }
            for (uint32_t e = 0; e < bp->rp.nedges && !err; e++) {
                const struct rep_edge *pe = &bp->rp.edges[e];
                uint32_t id;

                if ((err = cprof__rep_edge_find_or_add(r, pe->src, pe->dst, &id)) != 0)
                    break;
                r->edges[id].w += pe->w;
                r->edges[id].wdiv += pe->wdiv;
                r->edges[id].residual |= pe->residual;
                r->edges[id].inl &= pe->inl;
            }
        }
        free(bp->rp.edges);
        free(bp->rp.edge_slots);
        free(bp->rp.path);
        free(bp->bn);
    }
    free(j.parts);
    return err;
}

int cprof__rep_build(struct rep *r, bool all_kept)
{
    struct build_node *bn = malloc((r->nnodes + 1) * sizeof(*bn));
    uint8_t *keep = malloc(r->nnodes + 1); /* bit 0: kept (sample_path) */
    int nparts = cprof_par_parts(r->nsamples, r->o->threads, 50000);
    int err = 0;

    if (!bn || !keep) {
        free(bn);
        free(keep);
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < r->nnodes; i++) {
        struct rep_node *n = &r->nodes[i];

        if (all_kept)
            n->kept = true;
        n->flat = n->flatdiv = n->cum = n->cumdiv = 0;
        n->stamp = UINT32_MAX;
        n->in_graph = false;
        n->ntags = 0;
        bn[i] = (struct build_node){0, 0, 0, 0, UINT32_MAX};
        keep[i] = n->kept;
    }
    cprof__rep_edges_clear(r);
    if (nparts > 1)
        err = build_parallel(r, bn, keep, nparts);
    else
        err = build_walk(r, bn, keep, 0, r->nsamples);
    for (uint32_t i = 0; i < r->nnodes; i++) {
        r->nodes[i].cum = bn[i].cum;
        r->nodes[i].cumdiv = bn[i].cumdiv;
        r->nodes[i].flat = bn[i].flat;
        r->nodes[i].flatdiv = bn[i].flatdiv;
    }
    free(bn);
    free(keep);
    if (err)
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    return cprof__rep_graph_select(r, 0);
}
