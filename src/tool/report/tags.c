/*
 * Label tags of graph nodes (pprof's Node.LabelTags and NumericTags), as
 * the dot report shows them in nodelets: string tags by joined labels,
 * numeric tags by value and unit, summed per node, trimmed with the
 * graph's node cutoff.
 */
#include "tool/report/report_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/profile.h"

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* joinLabels: sorted "key:value" strings joined by a literal \n. */
static const char *join_labels(struct rep *r, const struct cprof_sample *s)
{
    char **parts, *buf = NULL;
    size_t n = 0, len = 0;
    FILE *m;
    const char *res = NULL;
    uint32_t id;

    if (!s->nlabels)
        return r->strs.s[0];
    parts = calloc(s->nlabels, sizeof(*parts));
    if (!parts)
        return NULL;
    for (uint32_t k = 0; k < s->nlabels; k++) {
        const struct cprof_label *l = &s->labels[k];
        const char *key = cprof__rep_str(r, l->key);

        if (!l->str || r->key_hidden[l->key] || !strcmp(key, "pprof::base"))
            continue;
        if (asprintf(&parts[n], "%s:%s", key, cprof__rep_str(r, l->str)) >= 0)
            n++;
    }
    qsort(parts, n, sizeof(*parts), cmp_cstr);
    m = open_memstream(&buf, &len);
    for (size_t i = 0; i < n; i++) {
        if (m)
            fprintf(m, "%s%s", i ? "\\n" : "", parts[i]);
        free(parts[i]);
    }
    free(parts);
    if (m)
        fclose(m);
    if (buf && !cprof__rep_intern(&r->strs, buf, len, &id))
        res = r->strs.s[id];
    free(buf);
    return res;
}

static uint64_t tag_hash(uint32_t node, bool numeric, const char *group, const char *name)
{
    uint64_t h = ((uint64_t)node << 1 | numeric) * 0x9e3779b97f4a7c15ull;

    h ^= (uint64_t)(uintptr_t)group * 0xc2b2ae3d27d4eb4full;
    h ^= (uint64_t)(uintptr_t)name * 0x165667b19e3779f9ull;
    return h ^ (h >> 31);
}

static int tag_slots_grow(struct rep *r)
{
    size_t ns = r->tag_nslots ? r->tag_nslots * 2 : 4096;
    uint32_t *slots = calloc(ns, sizeof(*slots));

    if (!slots)
        return -ENOMEM;
    for (uint32_t id = 0; id < r->ntags; id++) {
        const struct rep_tag *t = &r->tags[id];
        size_t i = tag_hash(t->node, t->numeric, t->group, t->name) & (ns - 1);

        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = id + 1;
    }
    free(r->tag_slots);
    r->tag_slots = slots;
    r->tag_nslots = ns;
    return 0;
}

/*
 * Finds or adds a node's tag; names and groups are interned, so pointers
 * identify them.
 */
static int tag_add(struct rep *r, uint32_t node, bool numeric, const char *group, const char *name,
                   const char *unit, int64_t value, int64_t w, int64_t dw, bool flat)
{
    struct rep_tag *t = NULL;
    size_t i;

    if (r->ntags == 0 && r->tag_slots)
        memset(r->tag_slots, 0, r->tag_nslots * sizeof(*r->tag_slots));
    if ((size_t)r->ntags * 2 + 2 > r->tag_nslots && tag_slots_grow(r))
        return -ENOMEM;
    i = tag_hash(node, numeric, group, name) & (r->tag_nslots - 1);
    for (; r->tag_slots[i]; i = (i + 1) & (r->tag_nslots - 1)) {
        struct rep_tag *x = &r->tags[r->tag_slots[i] - 1];

        if (x->node == node && x->numeric == numeric && x->group == group && x->name == name) {
            t = x;
            break;
        }
    }
    if (!t) {
        if (r->ntags == r->tags_cap) {
            uint32_t nc = r->tags_cap ? r->tags_cap * 2 : 1024;
            struct rep_tag *nt = realloc(r->tags, nc * sizeof(*nt));

            if (!nt)
                return -ENOMEM;
            r->tags = nt;
            r->tags_cap = nc;
        }
        t = &r->tags[r->ntags];
        memset(t, 0, sizeof(*t));
        t->next = r->nodes[node].ntags ? r->nodes[node].tags0 : REP_NONE;
        r->tag_slots[i] = r->ntags + 1;
        r->nodes[node].tags0 = r->ntags++;
        r->nodes[node].ntags++;
        t->node = node;
        t->numeric = numeric;
        t->group = group;
        t->name = name;
        t->unit = unit;
        t->value = value;
    }
    if (flat) {
        t->flat += w;
        t->flatdiv += dw;
    } else {
        t->cum += w;
        t->cumdiv += dw;
    }
    return 0;
}

/* Node.addSample's tag part: label tags and "bytes" numeric tags. */
int cprof__rep_tags_add(struct rep *r, uint32_t node, const struct cprof_sample *s, int64_t w,
                        int64_t dw, bool flat)
{
    const char *labels = r->lab_sample == s ? r->lab_cache : join_labels(r, s);
    int err = 0;
    uint32_t id;

    if (!labels)
        return -ENOMEM;
    r->lab_sample = s;
    r->lab_cache = labels;
    if (*labels && (err = tag_add(r, node, false, r->strs.s[0], labels, "", 0, w, dw, flat)))
        return err;
    for (uint32_t k = 0; k < s->nlabels && !err; k++) {
        const struct cprof_label *l = &s->labels[k];
        char buf[64];
        const char *unit;

        if (l->str || !(l->num || l->num_unit) || r->key_hidden[l->key] ||
            strcmp(cprof__rep_str(r, l->key), "bytes"))
            continue;
        if (!r->bytes_unit) /* looked up once: it scans every sample */
            r->bytes_unit = cprof__rep_num_label_unit(r, "bytes");
        unit = r->bytes_unit;
        cprof__rep_scaled_label(buf, sizeof(buf), l->num, unit, "minimum");
        if (cprof__rep_intern(&r->strs, buf, strlen(buf), &id))
            return -ENOMEM;
        err = tag_add(r, node, true, *labels ? labels : r->strs.s[0], r->strs.s[id], unit, l->num,
                      w, dw, flat);
    }
    return err;
}

int cprof__rep_tags_trim(struct rep *r, int64_t cutoff)
{
    for (uint32_t i = 0; i < r->ntags; i++)
        if (llabs(r->tags[i].flat) < cutoff && llabs(r->tags[i].cum) < cutoff)
            r->tags[i].removed = true;
    return 0;
}

uint32_t cprof__rep_count_tags(const struct rep *r, uint32_t node)
{
    const struct rep_node *n = &r->nodes[node];
    uint32_t c = 0;

    for (uint32_t i = n->ntags ? n->tags0 : REP_NONE; i != REP_NONE; i = r->tags[i].next)
        if (!r->tags[i].removed && r->tags[i].flat != 0)
            c++;
    return c;
}

/*
 * The tag part of pprof's newGraph (Node.addSample's labels), for the nodes
 * marked tag_wanted only: the same walk as cprof__rep_build with the same
 * kept set, a node's cum tags once per sample, flat tags at the sample's
 * last kept node.  pprof tags every node, but only the shown ones (at most
 * nodecount) are ever read, and tagging all of a big profile's nodes was
 * most of -dot's time.
 */
static int tags_pass(struct rep *r)
{
    /* Per node, compactly (the walk touches nothing else of a node): 1 kept, 2 wanted. */
    uint8_t *ks = malloc(r->nnodes + 1);
    uint32_t *st = malloc((r->nnodes + 1) * sizeof(*st));
    int err = 0;

    if (!ks || !st) {
        free(ks);
        free(st);
        return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < r->nnodes; i++) {
        ks[i] = (uint8_t)(r->nodes[i].kept | r->nodes[i].tag_wanted << 1);
        st[i] = UINT32_MAX;
        r->nodes[i].ntags = 0;
    }
    r->ntags = 0;
    for (size_t si = 0; si < r->nsamples && !err; si++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[si]];
        uint32_t last = REP_NONE, stamp = (uint32_t)si, np;
        bool tail_dropped;
        int64_t w, dw;

        err = cprof__rep_sample_path(r, si, ks, &np, &w, &dw, &tail_dropped);
        for (uint32_t k = 0; k < np && !err; k++) {
            uint32_t id = r->path[k].id;

            if ((ks[id] & 2) && st[id] != stamp) {
                st[id] = stamp;
                err = cprof__rep_tags_add(r, id, s, w, dw, false);
            }
            last = id;
        }
        if (!err && last != REP_NONE && !tail_dropped && (ks[last] & 2))
            err = cprof__rep_tags_add(r, last, s, w, dw, true);
    }
    free(ks);
    free(st);
    return err ? cprof_diag_set(r->diag, -ENOMEM, "out of memory") : 0;
}

/* Tags for the first n nodes of the display order (all with n = norder). */
int cprof__rep_tag_first(struct rep *r, uint32_t n)
{
    if (!r->want_tags)
        return 0;
    for (uint32_t i = 0; i < r->nnodes; i++)
        r->nodes[i].tag_wanted = false;
    for (uint32_t i = 0; i < n && i < r->norder; i++)
        r->nodes[r->order[i]].tag_wanted = true;
    return tags_pass(r);
}
