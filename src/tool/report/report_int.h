/*
 * Report engine internals shared by its files: the working copy of the
 * profile (filtered stacks), the call graph and the helpers every layout
 * uses.  Not part of the engine's interface (report.h).
 */
#ifndef CPROF_TOOL_REPORT_REPORT_INT_H
#define CPROF_TOOL_REPORT_REPORT_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "tool/report/report.h"

struct cprof_profile;
struct cprof_sample;

#define REP_NONE UINT32_MAX

/* Interned strings: equal contents get equal ids; id 0 is "". */
struct rep_strs {
    struct cprof_arena arena; /* string copies */
    const char **s;           /* id -> NUL-terminated string */
    uint32_t *len;            /* id -> length */
    uint32_t n, cap;
    uint32_t *slots; /* open addressing: id + 1, 0 = empty */
    size_t nslots;   /* power of two */
};

/* A graph node: pprof's NodeInfo plus its values. */
struct rep_node {
    uint32_t name, file, obj; /* rep_strs ids */
    int64_t start_line, lineno;
    uint64_t addr;
    const char *pname; /* PrintableName, in the engine arena */
    int64_t flat, flatdiv, cum, cumdiv;
    uint32_t stamp;                /* last sample that counted this node's cum */
    bool kept;                     /* in the kept set of the current build */
    bool in_graph;                 /* selected by the current build */
    bool tag_wanted;               /* dot: its tags are computed (tags_pass), for the nodes shown */
    uint32_t in0, nin, out0, nout; /* adjacency ranges in rep.adj_in / adj_out */
    uint32_t tags0, ntags;         /* label tags (dot): first in rep.tags (chained), count */
    uint32_t tparent, tbase;       /* call tree: parent tree node (REP_NONE: a root), graph node */
};

struct rep_edge {
    uint32_t src, dst; /* node ids */
    int64_t w, wdiv;
    uint32_t stamp; /* last sample that counted this edge */
    bool residual, inl, removed;
};

/* One node of a sample's walk (sample_path in engine.c), root to leaf. */
struct rep_step {
    uint32_t id;    /* graph node */
    uint32_t flags; /* REP_STEP_* */
};
#define REP_STEP_CALL     1u /* outermost node of its location: the edge into it is not inline */
#define REP_STEP_RESIDUAL 2u /* nodes were dropped right before it */

/* A slot of the edge index: edge id + 1 (0: empty) and its key, so probes stay in the index. */
struct rep_eslot {
    uint32_t id1, src, dst;
};

/* A label tag of a node (dot nodelets). */
struct rep_tag {
    uint32_t node;
    const char *name; /* "k:v\nk2:v2" or a formatted number */
    const char *unit; /* "" for string tags */
    int64_t value;    /* numeric tags */
    int64_t flat, flatdiv, cum, cumdiv;
    bool numeric;
    const char *group; /* numeric tags: the joined string labels they go with */
    uint32_t next;     /* next tag of the same node, REP_NONE at the end */
    bool removed;
};

struct rep {
    const struct cprof_profile *p;
    const struct cprof_report_opts *o;
    enum cprof_report_kind kind;
    FILE *out;
    struct cprof_diag *diag;
    struct cprof_arena arena; /* engine-lifetime allocations */

    /* Options after pprof's per-command overrides. */
    int nodecount;
    double nodefraction, edgefraction;
    enum cprof_report_granularity gran;
    bool noinlines, visual, obj_names;
    bool call_tree;       /* -call_tree honoured (dot, callgrind): graph nodes are tree nodes */
    uint32_t nbase;       /* call tree: nodes below this are the merged graph's, not shown */
    uint32_t *tree_slots; /* call tree: open addressing over (tparent, tbase), node id + 1 */
    size_t tree_nslots;
    uint32_t si;           /* sample value index */
    bool mean;             /* divisor = value 0 */
    char sample_type[256]; /* "mean_" + type when mean */
    const char *sample_unit;
    double ratio;      /* 1 / divide_by */
    char out_unit[64]; /* output unit after selection */
    int64_t total;

    /* Working copy of the stacks. */
    uint32_t *lfunc;             /* per line slot: function position (REP_NONE = no function) */
    int64_t *lline;              /* per line slot: line number */
    uint32_t *loc_first, *loc_n; /* per location: its lines in lfunc/lline */
    uint32_t *stk;               /* location positions of every sample, leaf first */
    size_t *s_first;             /* per profile sample: first in stk */
    uint32_t *s_n;               /* per profile sample: locations kept */
    uint32_t *samples;           /* profile sample positions still selected */
    size_t nsamples;
    bool *key_hidden; /* per profile string: label key removed by tagshow/taghide */

    /* Graph. */
    struct rep_strs strs;
    uint32_t *fname_id, *ffile_id; /* per function: interned name and trimmed, cleaned file */
    uint32_t *map_id;              /* per mapping: interned file */
    uint32_t *locnode;             /* per line slot: node id */
    struct rep_node *nodes;
    uint32_t nnodes, nodes_cap;
    uint32_t *node_slots;
    size_t node_nslots;
    struct rep_edge *edges;
    uint32_t nedges, edges_cap;
    struct rep_eslot *edge_slots; /* open addressing over (src, dst), keys inline */
    size_t edge_nslots;
    uint32_t *adj_in, *adj_out; /* edge ids grouped by node */
    struct rep_step *path;      /* scratch: the current sample's walk */
    uint32_t path_cap;
    uint32_t *order; /* nodes of the graph, in display order */
    uint32_t norder;
    uint32_t stamp;
    struct rep_tag *tags;
    uint32_t ntags, tags_cap;
    bool want_tags;
    const struct cprof_sample *lab_sample; /* sample whose joined labels are cached */
    const char *lab_cache;                 /* joinLabels of lab_sample */
    const char *bytes_unit;                /* NumLabelUnits["bytes"], once known */
    uint32_t *tag_slots;                   /* open addressing over tags: index + 1 */
    size_t tag_nslots;
};

/* A 64-bit finalizer (murmur3's fmix64): spreads a key over a hash index. */
static inline uint64_t cprof__rep_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* measure.c */
double cprof__rep_scale(int64_t value, const char *from, const char *to, const char **unit);
char *cprof__rep_scaled_label(char *buf, size_t n, int64_t value, const char *from, const char *to);
char *cprof__rep_percentage(char *buf, size_t n, int64_t value, int64_t total);

/*
 * What the engine needs to know of a report kind (pprof's
 * applyCommandOverrides), one row per kind in report/kinds.c.
 */
struct rep_kind {
    int (*write)(struct rep *r); /* prints the report (builds the graph it needs) */
    bool regexp;                 /* needs o->symbol (peek, list, disasm) */
    bool trim;                   /* honours -trim's nodecount, nodefraction, edgefraction */
    int nodecount;               /* nodecount when the option is -1 (0 = all) */
    int gran;                    /* forced granularity, or -1: the option's */
    int noinlines;               /* forced noinlines (0 or 1), or -1: the option's */
    bool visual;                 /* a picture: graph layout rules (dot) */
    bool call_tree;              /* honours -call_tree */
    bool obj_names;              /* nodes keep their object file name */
    bool tags;                   /* nodes carry label tags (dot nodelets) */
};

/* kinds.c */
const struct rep_kind *cprof__rep_kind(enum cprof_report_kind kind); /* NULL: unknown */
void cprof__rep_apply_kind(struct rep *r, const struct rep_kind *k); /* options after overrides */

/* select.c: options and the sample value */
int cprof__rep_select_sample(struct rep *r);

/* strs.c: strings, regexps, paths */
void cprof__rep_strs_release(struct rep_strs *t);
char *cprof__rep_clean_path(struct cprof_arena *a, const char *path); /* Go's filepath.Clean */
const char *cprof__rep_trim_path(struct cprof_arena *a, const char *path, const char *trim,
                                 const char *search); /* pprof's trimPath */
int cprof__rep_regcomp(struct rep *r, regex_t *re, const char *what, const char *pattern);
bool cprof__rep_match(const regex_t *re, const char *s);
const char *cprof__rep_str(const struct rep *r, uint32_t i);
int cprof__rep_intern(struct rep_strs *t, const char *s, size_t len, uint32_t *id);

/* focus.c: the working copy of the stacks and pprof's filters */
int cprof__rep_working_copy(struct rep *r);
void cprof__rep_compute_total(struct rep *r);
int cprof__rep_apply_focus(struct rep *r);

/*
 * The unit of a numeric label key, as pprof's NumLabelUnits gives it: the
 * first num_unit the profile sets for the key, else "bytes" for the keys
 * pprof knows to be sizes, else the key itself.
 */
const char *cprof__rep_num_label_unit(const struct rep *r, const char *key);
void cprof__rep_sample_value(const struct rep *r, const struct cprof_sample *s, int64_t *w,
                             int64_t *dw);

/* graph.c: nodes, edges, the graph build */
int cprof__rep_create_nodes(struct rep *r);
int cprof__rep_build(struct rep *r, bool all_kept);
int64_t cprof__rep_flat(const struct rep_node *n);
int64_t cprof__rep_cum(const struct rep_node *n);
uint32_t cprof__rep_loc_nodes(struct rep *r, uint32_t loc, uint32_t *first);
int cprof__rep_node_index_grow(struct rep *r, uint32_t **slots, size_t *nslots, uint32_t from,
                               uint64_t (*hash)(const struct rep_node *));
int cprof__rep_nodes_reserve(struct rep *r);
int cprof__rep_edge_find_or_add(struct rep *r, uint32_t src, uint32_t dst, uint32_t *id);
int cprof__rep_build_adjacency(struct rep *r);
void cprof__rep_edges_clear(struct rep *r);
int cprof__rep_graph_select(struct rep *r, uint32_t first);
/* The walk of selected sample si over the nodes kept (graph.c's sample_path). */
int cprof__rep_sample_path(struct rep *r, size_t si, const uint8_t *keep, uint32_t *n, int64_t *w,
                           int64_t *dw, bool *tail_dropped);

/* trim.c: sorting, trimming, the call tree */
int cprof__rep_compare_nodes(const struct rep *r, const struct rep_node *a,
                             const struct rep_node *b); /* pprof's compareNodes */
int cprof__rep_trimmed_graph(struct rep *r, uint32_t *orig_count, uint32_t *dropped_nodes,
                             uint32_t *dropped_edges);
uint32_t cprof__rep_sorted_edges(struct rep *r, uint32_t node, bool in, uint32_t *out);
int cprof__rep_cmp_edges(const void *pa, const void *pb, void *arg);

/* measure.c: the output unit */
void cprof__rep_select_unit(struct rep *r);
void cprof__rep_choose_unit(struct rep *r, int64_t minv);
char *cprof__rep_fmt(const struct rep *r, char *buf, size_t n, int64_t v);

/* tags.c: label tags of nodes (dot) */
int cprof__rep_tags_add(struct rep *r, uint32_t node, const struct cprof_sample *s, int64_t w,
                        int64_t dw, bool flat);
int cprof__rep_tags_trim(struct rep *r, int64_t cutoff);
uint32_t cprof__rep_count_tags(const struct rep *r, uint32_t node);
int cprof__rep_tag_first(struct rep *r, uint32_t n); /* tags of the first n shown nodes */

/* text.c */
int cprof__rep_profile_labels(struct rep *r, FILE *out);
int cprof__rep_report_labels(struct rep *r, FILE *out, uint32_t orig_count, uint32_t dropped_nodes,
                             uint32_t dropped_edges, bool full, const char *sep);
int cprof__rep_top(struct rep *r);
int cprof__rep_tree(struct rep *r);
int cprof__rep_traces(struct rep *r);
int cprof__rep_tags(struct rep *r);
int cprof__rep_collapsed(struct rep *r);
int cprof__rep_comments(struct rep *r);
int cprof__rep_callgrind(struct rep *r);

/* dot.c */
int cprof__rep_dot(struct rep *r);

/* topproto.c */
int cprof__rep_topproto(struct rep *r);
/* flame.c */
int cprof__rep_flamegraph(struct rep *r);

/* list.c */
int cprof__rep_list(struct rep *r);

/* disasm.c */
int cprof__rep_disasm(struct rep *r);

#endif /* CPROF_TOOL_REPORT_REPORT_INT_H */
