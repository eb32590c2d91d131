/*
 * Frame pruning by drop_frames/keep_frames (see prune.h), following
 * pprof's profile/prune.go.
 */
#include "tool/prune.h"

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/filter.h"
#include "model/profile.h"

static int compile(const struct cprof_profile *p, uint32_t s, regex_t *re)
{
    const char *pat = cprof_profile_str(p, s);
    size_t n = strlen(pat) + 5;
    char *full = malloc(n);
    int rc;

    if (!full)
        return -ENOMEM;
    strcpy(full, "^(");
    strcat(full, pat);
    strcat(full, ")$");
    rc = regcomp(re, full, REG_EXTENDED | REG_NOSUB);
    free(full);
    return rc == 0 ? 0 : 1;
}

static bool matches(const regex_t *re, const char *s)
{
    return regexec(re, s, 0, NULL, 0) == 0;
}

/* Marks (and trims) the locations with a dropped frame: 1 = prune, 2 = prune beneath. */
static int mark_locations(struct cprof_profile *p, const regex_t *drop, const regex_t *keep,
                          uint8_t *mark)
{
    size_t cap = 0;
    char *buf = NULL;

    for (uint32_t li = 0; li < p->nlocations; li++) {
        struct cprof_location *l = &p->locations[li];
        int64_t i;
        for (i = (int64_t)l->nlines - 1; i >= 0; i--) {
            const char *name = cprof_profile_str(p, p->functions[l->lines[i].func].name);
            const char *simple;
            if (!*name)
                continue;
            if (!(simple = cprof_simplify_func_buf(name, &buf, &cap))) {
                free(buf);
                return -ENOMEM;
            }
            if (matches(drop, simple) && (!keep || !matches(keep, simple)))
                break;
        }
        if (i < 0)
            continue;
        mark[li] = 2;
        if (i == (int64_t)l->nlines - 1) {
            mark[li] = 1;
        } else {
            l->lines += i + 1;
            l->nlines -= (uint32_t)(i + 1);
        }
    }
    free(buf);
    return 0;
}

/* Cuts each sample below its first pruned frame, scanning from the root. */
static void prune_samples(struct cprof_profile *p, const uint8_t *mark)
{
    for (size_t si = 0; si < p->nsamples; si++) {
        struct cprof_sample *s = &p->samples[si];
        bool found_user = false;
        for (int64_t i = (int64_t)s->nlocs - 1; i >= 0; i--) {
            uint8_t m = mark[s->locs[i]];
            if (!m) {
                found_user = true;
                continue;
            }
            if (!found_user)
                continue;
            uint32_t from = m == 1 ? (uint32_t)i + 1 : (uint32_t)i;
            s->locs += from;
            s->nlocs -= from;
            break;
        }
    }
}

int cprof_profile_remove_uninteresting(struct cprof_profile *p)
{
    regex_t drop, keep;
    bool has_keep = false;
    uint8_t *mark;
    int rc;

    if (!p->drop_frames || cprof_profile_str(p, p->drop_frames)[0] == '\0')
        return 0;
    rc = compile(p, p->drop_frames, &drop);
    if (rc)
        return rc < 0 ? rc : 0;
    if (p->keep_frames && cprof_profile_str(p, p->keep_frames)[0] != '\0') {
        rc = compile(p, p->keep_frames, &keep);
        if (rc) {
            regfree(&drop);
            return rc < 0 ? rc : 0;
        }
        has_keep = true;
    }
    mark = calloc(p->nlocations ? p->nlocations : 1, 1);
    rc = mark ? mark_locations(p, &drop, has_keep ? &keep : NULL, mark) : -ENOMEM;
    if (!rc)
        prune_samples(p, mark);
    free(mark);
    regfree(&drop);
    if (has_keep)
        regfree(&keep);
    cprof_profile_unindex(p); /* lines and stacks changed */
    return rc;
}
