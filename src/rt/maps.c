/*
 * Mappings of the running process from /proc/self/maps, for the profiles
 * the runtime writes.  Minimal: executable file mappings and [vdso], no
 * build ids.  (The symbolizer's maps parser replaces it when src/sym lands.)
 */
#include "rt/rt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model/profile.h"

static int add_line(struct cprof_profile *p, const char *line)
{
    struct cprof_mapping m = {0};
    uint64_t start, end, off;
    char perms[8], path[4096];
    uint32_t pos;
    int n;

    path[0] = 0;
    n = sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %4095[^\n]", &start, &end,
               perms, &off, path);
    if (n < 4 || perms[2] != 'x')
        return 0;
    if (path[0] != '/' && strcmp(path, "[vdso]") != 0)
        return 0;
    m.start = start;
    m.limit = end;
    m.offset = off;
    int err = cprof_profile_intern_cstr(p, path, &m.filename);
    if (!err)
        err = cprof_profile_add_mapping(p, &m, &pos);
    return err;
}

static uint32_t find_mapping(const struct cprof_profile *p, uint64_t addr)
{
    for (uint32_t i = 0; i < p->nmappings; i++)
        if (addr >= p->mappings[i].start && addr < p->mappings[i].limit)
            return i;
    return CPROF_NONE;
}

int cprof__add_self_mappings(struct cprof_profile *p)
{
    FILE *f = fopen("/proc/self/maps", "re");
    char line[4352];
    int err = 0;

    if (!f)
        return -errno;
    while (!err && fgets(line, sizeof(line), f))
        err = add_line(p, line);
    fclose(f);
    for (uint32_t i = 0; i < p->nlocations && !err; i++)
        if (p->locations[i].mapping == CPROF_NONE && p->locations[i].nlines == 0)
            p->locations[i].mapping = find_mapping(p, p->locations[i].address);
    return err;
}
