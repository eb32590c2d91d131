/*
 * Mappings and symbols of the running process for the profiles the
 * runtime writes: executable mappings from /proc/self/maps, then every
 * location symbolized in place (function, file, line, inlined frames).
 *
 * Objects unloaded (dlclose) before the profile is written are gone from
 * /proc/self/maps by then: their mappings are noted just before the
 * unload and added where nothing else is mapped now.
 *
 * Uses the shared symbolizer (src/sym) when it is part of the build; until
 * then a minimal maps parser without build ids, and no symbolization
 * (pprof symbolizes such profiles with the local binaries).
 */
#include "rt/rt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/profile.h"
#include "rt/heap.h"
#include "sym/maps.h"
#include "sym/symbolize.h"

static uint32_t find_mapping(const struct cprof_profile *p, uint64_t addr)
{
    for (uint32_t i = 0; i < p->nmappings; i++)
        if (addr >= p->mappings[i].start && addr < p->mappings[i].limit)
            return i;
    return CPROF_NONE;
}

static int add_mapping(struct cprof_profile *p, uint64_t start, uint64_t limit, uint64_t off,
                       const char *path, const char *build_id)
{
    struct cprof_mapping m = {.start = start, .limit = limit, .offset = off};
    uint32_t pos;
    int err = cprof_profile_intern_cstr(p, path, &m.filename);

    if (!err && build_id && *build_id)
        err = cprof_profile_intern_cstr(p, build_id, &m.build_id);
    if (!err)
        err = cprof_profile_add_mapping(p, &m, &pos);
    return err;
}

/* Mappings seen before a dlclose during the session; under g_rt.lock. */
static struct cprof_maps g_gone;

static bool same_map(const struct cprof_map *a, const struct cprof_map *b)
{
    return a->start == b->start && a->limit == b->limit && a->offset == b->offset &&
           !strcmp(a->path, b->path);
}

/* Moves the entries of from that g_gone lacks into it.  Lock held. */
static void gone_merge_locked(struct cprof_maps *from)
{
    for (size_t i = 0; i < from->n; i++) {
        bool dup = false;
        for (size_t j = 0; j < g_gone.n && !dup; j++)
            dup = same_map(&from->v[i], &g_gone.v[j]);
        if (dup)
            continue;
        if (g_gone.n == g_gone.cap) {
            size_t cap = g_gone.cap ? 2 * g_gone.cap : 64;
            struct cprof_map *v = realloc(g_gone.v, cap * sizeof(*v));
            if (!v)
                return; /* those objects stay unsymbolized */
            g_gone.v = v;
            g_gone.cap = cap;
        }
        g_gone.v[g_gone.n++] = from->v[i];
        from->v[i].path = NULL; /* owned by g_gone now */
    }
}

void cprof__maps_note_unload(void)
{
    struct cprof_maps maps;

    cprof__heap_enter(); /* the runtime's allocations, not the program's */
    cprof_maps_init(&maps);
    if (cprof_maps_read(&maps, 0, CPROF_MAPS_BUILD_IDS) == 0) {
        pthread_mutex_lock(&cprof__rt->lock);
        if (cprof__rt->cpu.running)
            gone_merge_locked(&maps);
        pthread_mutex_unlock(&cprof__rt->lock);
    }
    cprof_maps_release(&maps);
    cprof__heap_leave();
}

void cprof__maps_forget_locked(void)
{
    cprof_maps_release(&g_gone);
}

static bool overlaps(const struct cprof_profile *p, uint64_t start, uint64_t limit)
{
    for (uint32_t i = 0; i < p->nmappings; i++)
        if (start < p->mappings[i].limit && p->mappings[i].start < limit)
            return true;
    return false;
}

static int read_mappings(struct cprof_profile *p)
{
    struct cprof_maps maps;
    int err;

    cprof_maps_init(&maps);
    err = cprof_maps_read(&maps, 0, CPROF_MAPS_BUILD_IDS);
    for (size_t i = 0; i < maps.n && !err; i++)
        err = add_mapping(p, maps.v[i].start, maps.v[i].limit, maps.v[i].offset, maps.v[i].path,
                          maps.v[i].build_id);
    cprof_maps_release(&maps);
    /* Unloaded objects, where no object is mapped now. */
    for (size_t i = 0; i < g_gone.n && !err; i++)
        if (!overlaps(p, g_gone.v[i].start, g_gone.v[i].limit))
            err = add_mapping(p, g_gone.v[i].start, g_gone.v[i].limit, g_gone.v[i].offset,
                              g_gone.v[i].path, g_gone.v[i].build_id);
    return err;
}

static int symbolize(struct cprof_profile *p, struct cprof_symbolizer *cached)
{
    /* No debuginfod from inside the host program: local files only. */
    struct cprof_symbolizer *s =
        cached ? cached : cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD | CPROF_SYM_FDE_NAMES);
    /*
     * JIT code from /tmp/perf-PID.map; in the CPU and heap profiles the
     * runtime's own frames go and a comment says what stays unnamed
     * (thread dumps, the cached symbolizer's users, show every thread).
     */
    unsigned flags = CPROF_SYM_PERF_MAP_SELF;
    int err;

    if (!s)
        return -ENOMEM;
    if (!cached)
        flags |= CPROF_SYM_DROP_SELF | CPROF_SYM_NOTE_UNNAMED;
    err = cprof_symbolize_profile(p, s, flags, NULL);
    if (s != cached)
        cprof_symbolizer_free(s);
    return err;
}

int cprof__add_self_mappings(struct cprof_profile *p)
{
    return cprof__add_self_mappings_sym(p, NULL);
}

int cprof__add_self_mappings_sym(struct cprof_profile *p, struct cprof_symbolizer *s)
{
    int err = read_mappings(p);

    for (uint32_t i = 0; i < p->nlocations && !err; i++)
        if (p->locations[i].mapping == CPROF_NONE && p->locations[i].nlines == 0)
            p->locations[i].mapping = find_mapping(p, p->locations[i].address);
    if (!err)
        err = symbolize(p, s);
    return err;
}
