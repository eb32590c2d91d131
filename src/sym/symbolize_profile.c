/*
 * cprof_symbolize_profile(): fills the lines of a profile's unsymbolized
 * locations from a symbolizer and marks the mappings the way Go's runtime
 * does (a has_* flag only when every location looked up resolved it).
 */
#include "sym/symbolize.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/htab.h"
#include "model/profile.h"

/* What happened in one mapping. */
struct map_state {
    bool eligible;                     /* its locations are to be looked up */
    bool tried;                        /* at least one location was looked up */
    bool missing;                      /* its file could not be used */
    bool all_func, all_file, all_line; /* every lookup resolved this */
};

/* pprof's Mapping.Unsymbolizable(), plus an empty name. */
static bool unsymbolizable(const char *file)
{
    const char *base = strrchr(file, '/');

    base = base ? base + 1 : file;
    return file[0] == '\0' || base[0] == '[' || strncmp(base, "linux-vdso", 10) == 0 ||
           strncmp(file, "/dev/dri/", 9) == 0;
}

static void init_states(const struct cprof_profile *p, struct map_state *st, unsigned flags)
{
    for (uint32_t i = 0; i < p->nmappings; i++) {
        const struct cprof_mapping *m = &p->mappings[i];
        bool done = m->has_functions || m->has_filenames || m->has_line_numbers;

        st[i] = (struct map_state){.all_func = true, .all_file = true, .all_line = true};
        st[i].eligible = !unsymbolizable(cprof_profile_str(p, m->filename)) &&
                         ((flags & CPROF_SYM_FORCE) || !done);
    }
}

/* Turns frames into the location's lines (functions interned into p). */
static int set_lines(struct cprof_profile *p, struct cprof_location *l,
                     const struct cprof_sym_frame *fr, size_t n, struct map_state *st)
{
    struct cprof_line *lines = cprof_arena_array(&p->arena, n, sizeof(*lines));
    int err;

    if (!lines)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct cprof_function fn = {.start_line = fr[i].start_line};

        if ((err = cprof_profile_intern_cstr(p, fr[i].name, &fn.name)) ||
            (err = cprof_profile_intern_cstr(p, fr[i].system_name, &fn.system_name)) ||
            (err = cprof_profile_intern_cstr(p, fr[i].file, &fn.filename)) ||
            (err = cprof_profile_add_function(p, &fn, &lines[i].func)))
            return err;
        lines[i].line = fr[i].line;
        lines[i].column = 0;
        st->all_func &= fr[i].name[0] != '\0' && !fr[i].unnamed;
        st->all_file &= fr[i].file[0] != '\0';
        st->all_line &= fr[i].line != 0;
    }
    l->lines = lines;
    l->nlines = (uint32_t)n;
    return 0;
}

/* Looks one location up.  0 (also when its file is missing) or an error. */
static int symbolize_location(struct cprof_profile *p, struct cprof_symbolizer *s, uint32_t li,
                              struct map_state *st, struct cprof_sym_stats *stats)
{
    struct cprof_sym_frame fr[CPROF_SYM_MAX_FRAMES];
    struct cprof_location *l = &p->locations[li];
    const struct cprof_mapping *pm = &p->mappings[l->mapping];
    struct cprof_sym_mapping m = {pm->start, pm->limit, pm->offset,
                                  cprof_profile_str(p, pm->filename),
                                  cprof_profile_str(p, pm->build_id)};
    size_t n;
    int err = cprof_symbolizer_lookup(s, &m, l->address, fr, CPROF_SYM_MAX_FRAMES, &n);

    if (err == CPROF_ENOTFOUND) {
        if (!st->missing)
            stats->missing_files++;
        st->missing = true;
        return 0;
    }
    if (err)
        return err;
    st->tried = true;
    stats->locations++;
    if (n == 0) {
        st->all_func = st->all_file = st->all_line = false;
        return 0;
    }
    stats->resolved++;
    return set_lines(p, l, fr, n, st);
}

static void set_flags(struct cprof_profile *p, const struct map_state *st)
{
    for (uint32_t i = 0; i < p->nmappings; i++) {
        struct cprof_mapping *m = &p->mappings[i];

        if (!st[i].tried || st[i].missing)
            continue;
        m->has_functions = st[i].all_func;
        m->has_filenames = st[i].all_file;
        m->has_line_numbers = st[i].all_line;
        /* Lines everywhere means DWARF was read, inline chains included. */
        m->has_inline_frames = st[i].all_func && st[i].all_file && st[i].all_line;
    }
}

int cprof_symbolize_profile(struct cprof_profile *p, struct cprof_symbolizer *s, unsigned flags,
                            struct cprof_sym_stats *stats)
{
    struct cprof_sym_stats dummy;
    struct map_state *st;
    bool changed = false;
    int err = 0;

    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof(*stats));
    if (p->nmappings == 0)
        return 0;
    st = calloc(p->nmappings, sizeof(*st));
    if (!st)
        return -ENOMEM;
    init_states(p, st, flags);
    for (uint32_t i = 0; i < p->nlocations && !err; i++) {
        const struct cprof_location *l = &p->locations[i];

        if (l->mapping >= p->nmappings || !st[l->mapping].eligible ||
            (l->nlines && !(flags & CPROF_SYM_FORCE)))
            continue;
        err = symbolize_location(p, s, i, &st[l->mapping], stats);
        changed = true;
    }
    if (!err)
        set_flags(p, st);
    if (changed) {
        /* Lines are part of a location's identity: the intern index is stale. */
        cprof_htab_release(&p->loc_idx);
        cprof_htab_init(&p->loc_idx);
        p->loc_indexed = 0;
    }
    free(st);
    return err;
}
