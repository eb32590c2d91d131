/*
 * pprof's -tagroot and -tagleaf (the driver's addLabelNodes): pseudo
 * frames named after a sample's label values, added at the root or the
 * leaf of every stack before any filter runs.
 *
 * A frame's function is named by the sample's values for the key joined by
 * "," (string values first, then numeric ones scaled to the -unit), with
 * the key as its file name; a sample without the key gets a frame with an
 * empty name (shown as <unknown>).  Frames are interned by (name, key), so
 * equal values share one location.
 */
#include "tool/report/report_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/codec.h"
#include "model/profile.h"

/* The non-empty keys of a comma-separated list, in order (pprof's dropEmptyStrings). */
static uint32_t split_keys(char *list, char **keys, uint32_t max)
{
    uint32_t n = 0;

    for (char *cur = list, *t; (t = strsep(&cur, ",")) != NULL;)
        if (*t && n < max)
            keys[n++] = t;
    return n;
}

/*
 * formatLabelValues: the values of key in s joined by ","; the string
 * values, then the numeric ones (with their units when any value of the
 * key has one).  *matched is set when there is any value.
 */
static int label_values(const struct cprof_profile *p, const struct cprof_sample *s,
                        const char *key, const char *unit, struct cprof_buf *out, bool *matched)
{
    bool units = false, any = false;
    int err = 0;

    out->len = 0;
    for (uint32_t k = 0; k < s->nlabels && !err; k++) {
        const struct cprof_label *l = &s->labels[k];

        if (!l->str || strcmp(cprof_profile_str(p, l->key), key) != 0)
            continue;
        if (any)
            err = cprof_buf_append(out, ",", 1);
        if (!err)
            err = cprof_buf_append(out, cprof_profile_str(p, l->str),
                                   strlen(cprof_profile_str(p, l->str)));
        any = true;
    }
    for (uint32_t k = 0; k < s->nlabels; k++) {
        const struct cprof_label *l = &s->labels[k];

        if (!l->str && (l->num || l->num_unit) && l->num_unit &&
            strcmp(cprof_profile_str(p, l->key), key) == 0)
            units = true;
    }
    for (uint32_t k = 0; k < s->nlabels && !err; k++) {
        const struct cprof_label *l = &s->labels[k];
        char buf[64];

        if (l->str || !(l->num || l->num_unit) || strcmp(cprof_profile_str(p, l->key), key) != 0)
            continue;
        if (units)
            cprof__rep_scaled_label(buf, sizeof(buf), l->num, cprof_profile_str(p, l->num_unit),
                                    unit);
        else
            cprof__rep_scaled_label(buf, sizeof(buf), l->num, "", "");
        if (any)
            err = cprof_buf_append(out, ",", 1);
        if (!err)
            err = cprof_buf_append(out, buf, strlen(buf));
        any = true;
    }
    if (any)
        *matched = true;
    return err;
}

/* The location of the pseudo frame (name, key), added when new. */
static int label_loc(struct cprof_profile *p, const char *name, size_t len, const char *key,
                     uint32_t *loc)
{
    struct cprof_function f;
    struct cprof_line line;
    int err;

    memset(&f, 0, sizeof(f));
    memset(&line, 0, sizeof(line));
    if ((err = cprof_profile_intern(p, name, len, &f.name)) ||
        (err = cprof_profile_intern_cstr(p, key, &f.filename)) ||
        (err = cprof_profile_add_function(p, &f, &line.func)))
        return err;
    return cprof_profile_add_location(p, CPROF_NONE, 0, &line, 1, false, loc);
}

/* makeLabelLocs: one frame per key, the last key's first. */
static int label_locs(struct cprof_profile *p, const struct cprof_sample *s, char **keys,
                      uint32_t nkeys, const char *unit, struct cprof_buf *scratch, uint32_t *locs,
                      bool *matched)
{
    int err = 0;

    for (uint32_t i = 0; i < nkeys && !err; i++) {
        const char *k = keys[nkeys - 1 - i];

        err = label_values(p, s, k, unit, scratch, matched);
        if (!err)
            err = cprof_buf_append(scratch, "", 1);
        if (!err)
            err = label_loc(p, (const char *)scratch->data, scratch->len - 1, k, &locs[i]);
    }
    return err;
}

/* Adds the frames to p in place. */
static int add_label_frames(struct cprof_profile *p, char **rkeys, uint32_t nr, char **lkeys,
                            uint32_t nl, const char *unit, bool *rootm, bool *leafm)
{
    struct cprof_buf scratch;
    uint32_t *add = malloc(((size_t)nr + nl + 1) * sizeof(*add));
    int err = 0;

    if (!add)
        return -ENOMEM;
    cprof_buf_init(&scratch, 0);
    for (size_t i = 0; i < p->nsamples && !err; i++) {
        struct cprof_sample *s = &p->samples[i];
        uint32_t *locs;

        if ((err = label_locs(p, s, rkeys, nr, unit, &scratch, add, rootm)) ||
            (err = label_locs(p, s, lkeys, nl, unit, &scratch, add + nr, leafm)))
            break;
        locs = cprof_arena_array(&p->arena, (size_t)s->nlocs + nr + nl + 1, sizeof(*locs));
        if (!locs) {
            err = -ENOMEM;
            break;
        }
        /* Leaf first: the leaf frames, the stack, then the root frames. */
        memcpy(locs, add + nr, nl * sizeof(*locs));
        memcpy(locs + nl, s->locs, s->nlocs * sizeof(*locs));
        memcpy(locs + nl + s->nlocs, add, nr * sizeof(*locs));
        s->locs = locs;
        s->nlocs += nr + nl;
    }
    /* Stacks changed: the builder's sample index must be rebuilt if used again. */
    cprof_htab_release(&p->sample_idx);
    cprof_htab_init(&p->sample_idx);
    p->sample_indexed = 0;
    cprof_buf_release(&scratch);
    free(add);
    return err;
}

int cprof_report_label_frames(const struct cprof_profile *p, const char *tagroot,
                              const char *tagleaf, const char *unit, struct cprof_profile **out,
                              FILE *warn, struct cprof_diag *diag)
{
    char *rlist = strdup(tagroot ? tagroot : ""), *llist = strdup(tagleaf ? tagleaf : "");
    char **rkeys = NULL, **lkeys = NULL;
    uint32_t nr, nl;
    struct cprof_buf enc;
    struct cprof_limits lim;
    bool rootm = false, leafm = false;
    int err;

    *out = NULL;
    cprof_buf_init(&enc, 0);
    if (!rlist || !llist || !(rkeys = calloc(strlen(rlist) + 1, sizeof(*rkeys))) ||
        !(lkeys = calloc(strlen(llist) + 1, sizeof(*lkeys)))) {
        err = cprof_diag_set(diag, -ENOMEM, "out of memory");
        goto out;
    }
    nr = split_keys(rlist, rkeys, (uint32_t)strlen(tagroot ? tagroot : "") + 1);
    nl = split_keys(llist, lkeys, (uint32_t)strlen(tagleaf ? tagleaf : "") + 1);
    /* pprof works on a copy of the profile: an encoded round trip keeps every id. */
    cprof_limits_default(&lim);
    if ((err = cprof_profile_encode(p, false, &enc))) {
        err = cprof_diag_set(diag, err, "copying profile: %s", cprof_strerror(err));
        goto out;
    }
    if ((err = cprof_profile_decode(enc.data, enc.len, &lim, out, diag)))
        goto out;
    if ((err = add_label_frames(*out, rkeys, nr, lkeys, nl, unit && *unit ? unit : "minimum",
                                &rootm, &leafm))) {
        err = cprof_diag_set(diag, err, "adding label frames: %s", cprof_strerror(err));
        goto out;
    }
    if (warn && tagroot && *tagroot && !rootm)
        fprintf(warn, "TagRoot expression matched no samples\n");
    if (warn && tagleaf && *tagleaf && !leafm)
        fprintf(warn, "TagLeaf expression matched no samples\n");
out:
    if (err) {
        cprof_profile_free(*out);
        *out = NULL;
    }
    cprof_buf_release(&enc);
    free(rlist);
    free(llist);
    free(rkeys);
    free(lkeys);
    return err;
}
