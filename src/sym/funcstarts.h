/*
 * Function starts without symbols, and JIT symbols: the two sources of
 * names the symbolizer uses where the symbol table has none.
 *
 * - .eh_frame_hdr's binary search table lists the start of every
 *   function's unwind-table entry (FDE), sorted: a stripped function is
 *   named by its start, one name per function.
 * - /tmp/perf-PID.map, the file JITs (node --perf-basic-prof, the JVM's
 *   agents, LuaJIT) write for perf: "START SIZE name" lines, hex.
 *
 * Both parse outside input: every length and offset is checked
 * (fuzz/fuzz_ehhdr.c, fuzz/fuzz_perfmap.c).
 */
#ifndef CPROF_SYM_FUNCSTARTS_H
#define CPROF_SYM_FUNCSTARTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses the contents of an .eh_frame_hdr section loaded at address vaddr
 * (hdr, n bytes) into a malloc'd array of function start addresses, sorted
 * ascending, in *starts (*nstarts entries).  Only the table encoding the
 * GNU and LLVM linkers write (DW_EH_PE_datarel | sdata4) is read.
 * 0; CPROF_ECORRUPT for anything else (nothing allocated); -ENOMEM.
 * Context: any thread but a signal handler.
 */
int cprof_ehhdr_starts(const uint8_t *hdr, size_t n, uint64_t vaddr, uint64_t **starts /* OUT */,
                       size_t *nstarts /* OUT */);

/* One JIT symbol: code [start, start + size). */
struct cprof_perfmap_ent {
    uint64_t start, size;
    char *name; /* points into the map's text */
};

struct cprof_perfmap {
    struct cprof_perfmap_ent *v; /* malloc'd, sorted by start; later lines win on ties */
    size_t n;
    char *text; /* malloc'd copy of the file, names point into it */
};

/*
 * Parses a perf map's text (n bytes, need not end with a newline) into m.
 * Malformed lines are skipped, as perf does.  0 or -ENOMEM.
 * Context: any thread but a signal handler.
 */
int cprof_perfmap_parse(struct cprof_perfmap *m, const char *text, size_t n);

/* Reads the perf map at path into m: 0, -errno (ENOENT: no map) or -ENOMEM. */
int cprof_perfmap_read(struct cprof_perfmap *m, const char *path);

/* The symbol covering addr (the last one listed, when several do), or NULL. */
const struct cprof_perfmap_ent *cprof_perfmap_find(const struct cprof_perfmap *m, uint64_t addr);

void cprof_perfmap_release(struct cprof_perfmap *m);

#endif /* CPROF_SYM_FUNCSTARTS_H */
