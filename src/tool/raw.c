/*
 * pprof's Profile.String() layout (profile/profile.go), re-implemented on
 * cprof's model.  pprof keeps sample labels in maps (key -> values in file
 * order) and prints them as sorted "key:[v1 v2]" items; this file
 * rebuilds those items from the flat label list.
 */
#include "tool/raw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "model/profile.h"
#include "tool/gofmt.h"

/* Go's %#x: "0x0" for zero, unlike C's "%#x". */
static int hex(struct cprof_buf *b, uint64_t v)
{
    return cprof_buf_printf(b, "0x%" PRIx64, v);
}

static int header(const struct cprof_profile *p, struct cprof_buf *b)
{
    const char *dflt = cprof_profile_str(p, p->default_sample_type);
    char tbuf[CPROF_GOFMT_MAX];
    int rc = 0;

    for (uint32_t i = 0; i < p->ncomments && !rc; i++)
        rc = cprof_buf_printf(b, "Comment: %s\n", cprof_profile_str(p, p->comments[i]));
    if (!rc)
        rc = cprof_buf_printf(b, "PeriodType: %s %s\nPeriod: %" PRId64 "\n",
                              cprof_profile_str(p, p->period_type.type),
                              cprof_profile_str(p, p->period_type.unit), p->period);
    if (!rc && p->time_nanos != 0) {
        cprof_go_time(p->time_nanos, tbuf);
        rc = cprof_buf_printf(b, "Time: %s\n", tbuf);
    }
    if (!rc && p->duration_nanos != 0) {
        cprof_go_duration(p->duration_nanos, tbuf);
        cprof_go_truncate_runes(tbuf, 4); /* pprof prints it with %.4v */
        rc = cprof_buf_printf(b, "Duration: %s\n", tbuf);
    }
    if (!rc)
        rc = cprof_buf_printf(b, "Samples:\n");
    /* "type/unit[dflt] " for each, then strings.TrimSpace. */
    size_t start = b->len;
    for (uint32_t i = 0; i < p->nsample_types && !rc; i++) {
        const char *t = cprof_profile_str(p, p->sample_types[i].type);
        rc = cprof_buf_printf(b, "%s/%s%s ", t, cprof_profile_str(p, p->sample_types[i].unit),
                              strcmp(t, dflt) == 0 ? "[dflt]" : "");
    }
    if (rc)
        return rc;
    while (b->len > start && strchr(" \t\n\v\f\r", b->data[b->len - 1]))
        b->len--;
    size_t lead = 0;
    while (start + lead < b->len && strchr(" \t\n\v\f\r", b->data[start + lead]))
        lead++;
    memmove(b->data + start, b->data + start + lead, b->len - start - lead);
    b->len -= lead;
    return cprof_buf_append(b, "\n", 1);
}

/* ---- sample labels ------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True when an earlier label in s of the same kind has key k (already printed). */
static bool seen_key(const struct cprof_sample *s, uint32_t upto, uint32_t k, bool numeric)
{
    for (uint32_t i = 0; i < upto; i++)
        if (s->labels[i].key == k && (s->labels[i].str == 0) == numeric)
            return true;
    return false;
}

/* "key:[v1 v2]" for key k: string values, or numbers with units if any has one. */
static int label_item(const struct cprof_profile *p, const struct cprof_sample *s, uint32_t k,
                      bool numeric, struct cprof_buf *item)
{
    bool units = false;
    const char *sep = "";
    int rc;

    for (uint32_t i = 0; numeric && i < s->nlabels; i++)
        if (s->labels[i].key == k && s->labels[i].str == 0 && s->labels[i].num_unit != 0)
            units = true;
    rc = cprof_buf_printf(item, "%s:[", cprof_profile_str(p, k));
    for (uint32_t i = 0; i < s->nlabels && !rc; i++) {
        const struct cprof_label *l = &s->labels[i];
        if (l->key != k || (l->str == 0) != numeric)
            continue;
        if (!numeric)
            rc = cprof_buf_printf(item, "%s%s", sep, cprof_profile_str(p, l->str));
        else if (units)
            rc = cprof_buf_printf(item, "%s%" PRId64 " %s", sep, l->num,
                                  cprof_profile_str(p, l->num_unit));
        else
            rc = cprof_buf_printf(item, "%s%" PRId64, sep, l->num);
        sep = " ";
    }
    if (!rc)
        rc = cprof_buf_append(item, "]", 2); /* with the NUL */
    return rc;
}

/* One line "                k:[v] k2:[v]" of string or numeric labels, if any. */
static int label_line(const struct cprof_profile *p, const struct cprof_sample *s, bool numeric,
                      struct cprof_buf *b)
{
    char **items;
    uint32_t n = 0;
    int rc = 0;

    items = calloc(s->nlabels ? s->nlabels : 1, sizeof(*items));
    if (!items)
        return -ENOMEM;
    for (uint32_t i = 0; i < s->nlabels && !rc; i++) {
        const struct cprof_label *l = &s->labels[i];
        /* pprof's decoder drops labels with no string, no number and no unit. */
        if ((l->str == 0) != numeric || (numeric && l->num == 0 && l->num_unit == 0) ||
            seen_key(s, i, l->key, numeric))
            continue;
        struct cprof_buf item;
        cprof_buf_init(&item, 0);
        rc = label_item(p, s, l->key, numeric, &item);
        items[n++] = (char *)item.data;
    }
    if (!rc && n) {
        qsort(items, n, sizeof(*items), cmp_str);
        rc = cprof_buf_printf(b, "                ");
        for (uint32_t i = 0; i < n && !rc; i++)
            rc = cprof_buf_printf(b, "%s%s", i ? " " : "", items[i]);
        if (!rc)
            rc = cprof_buf_append(b, "\n", 1);
    }
    for (uint32_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
    return rc;
}

static int samples(const struct cprof_profile *p, struct cprof_buf *b)
{
    int rc = 0;

    for (size_t i = 0; i < p->nsamples && !rc; i++) {
        const struct cprof_sample *s = &p->samples[i];
        for (uint32_t v = 0; v < p->nsample_types && !rc; v++)
            rc = cprof_buf_printf(b, " %10" PRId64, s->values[v]);
        if (!rc)
            rc = cprof_buf_append(b, ": ", 2);
        for (uint32_t l = 0; l < s->nlocs && !rc; l++)
            rc = cprof_buf_printf(b, "%" PRIu64 " ", p->locations[s->locs[l]].id);
        if (!rc)
            rc = cprof_buf_append(b, "\n", 1);
        if (!rc)
            rc = label_line(p, s, false, b);
        if (!rc)
            rc = label_line(p, s, true, b);
    }
    return rc;
}

/* ---- locations and mappings --------------------------------------------- */

static int location(const struct cprof_profile *p, const struct cprof_location *l,
                    struct cprof_buf *b)
{
    int rc;

    rc = cprof_buf_printf(b, "%6" PRIu64 ": ", l->id);
    if (!rc)
        rc = hex(b, l->address);
    if (!rc)
        rc = cprof_buf_append(b, " ", 1);
    if (!rc && l->mapping != CPROF_NONE)
        rc = cprof_buf_printf(b, "M=%" PRIu64 " ", p->mappings[l->mapping].id);
    if (!rc && l->is_folded)
        rc = cprof_buf_printf(b, "[F] ");
    for (uint32_t i = 0; i < l->nlines && !rc; i++) {
        const struct cprof_function *f = &p->functions[l->lines[i].func];
        const char *name = cprof_profile_str(p, f->name);
        const char *sys = cprof_profile_str(p, f->system_name);
        if (i > 0) /* pprof pads later lines with 13 spaces, whatever the prefix */
            rc = cprof_buf_printf(b, "             ");
        if (!rc)
            rc = cprof_buf_printf(b, "%s %s:%" PRId64 " s=%" PRId64, name,
                                  cprof_profile_str(p, f->filename), l->lines[i].line,
                                  f->start_line);
        if (!rc && strcmp(name, sys) != 0)
            rc = cprof_buf_printf(b, "(%s)", sys);
        if (!rc && i + 1 < l->nlines)
            rc = cprof_buf_append(b, "\n", 1);
    }
    if (!rc)
        rc = cprof_buf_append(b, "\n", 1);
    return rc;
}

static int mapping(const struct cprof_profile *p, const struct cprof_mapping *m,
                   struct cprof_buf *b)
{
    int rc = cprof_buf_printf(b, "%" PRIu64 ": ", m->id);

    if (!rc)
        rc = hex(b, m->start);
    if (!rc)
        rc = cprof_buf_append(b, "/", 1);
    if (!rc)
        rc = hex(b, m->limit);
    if (!rc)
        rc = cprof_buf_append(b, "/", 1);
    if (!rc)
        rc = hex(b, m->offset);
    if (!rc)
        rc = cprof_buf_printf(b, " %s %s %s%s%s%s\n", cprof_profile_str(p, m->filename),
                              cprof_profile_str(p, m->build_id), m->has_functions ? "[FN]" : "",
                              m->has_filenames ? "[FL]" : "", m->has_line_numbers ? "[LN]" : "",
                              m->has_inline_frames ? "[IN]" : "");
    return rc;
}

int cprof_raw_format(const struct cprof_profile *p, struct cprof_buf *b)
{
    int rc = header(p, b);

    if (!rc)
        rc = samples(p, b);
    if (!rc)
        rc = cprof_buf_printf(b, "Locations\n");
    for (uint32_t i = 0; i < p->nlocations && !rc; i++)
        rc = location(p, &p->locations[i], b);
    if (!rc)
        rc = cprof_buf_printf(b, "Mappings\n");
    for (uint32_t i = 0; i < p->nmappings && !rc; i++)
        rc = mapping(p, &p->mappings[i], b);
    return rc;
}
