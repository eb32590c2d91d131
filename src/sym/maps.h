/*
 * Executable mappings of a process, read from /proc/<pid>/maps (or from a
 * maps text given as a string), with the GNU build id of each mapped file.
 *
 * The rules follow Go's runtime/pprof (reference/pprof.md §2.1): only
 * entries whose permissions have 'x' third are kept, a " (deleted)" suffix
 * is stripped, anonymous entries (no path) are skipped, and pseudo entries
 * such as "[vdso]" are kept under their name (with no build id).  Malformed
 * lines are skipped, never trusted: the parser is bounded in line length
 * and number of mappings.
 *
 * Memory comes from malloc; nothing here takes a lock or keeps global state,
 * so the runtime may call it from its writer thread (never from a signal
 * handler).
 */
#ifndef CPROF_SYM_MAPS_H
#define CPROF_SYM_MAPS_H

#include <stddef.h>
#include <stdint.h>

/* A GNU build id is at most this many bytes (hex string is twice that). */
#define CPROF_BUILD_ID_MAX 64
/* Longest maps line considered; longer lines are skipped as malformed. */
#define CPROF_MAPS_LINE_MAX 8192
/* Most mappings kept; further executable entries fail with CPROF_ETOOBIG. */
#define CPROF_MAPS_MAX 65536
/* Largest maps text read from /proc, bytes. */
#define CPROF_MAPS_TEXT_MAX (64u << 20)

struct cprof_map {
    uint64_t start;  /* first address of the range */
    uint64_t limit;  /* end of the range, exclusive */
    uint64_t offset; /* file offset mapped at start */
    char *path;      /* malloc'd: file path, or a pseudo name like "[vdso]" */
    char build_id[2 * CPROF_BUILD_ID_MAX + 1]; /* lowercase hex; "" = unknown */
};

struct cprof_maps {
    struct cprof_map *v; /* n entries, in maps order (ascending addresses) */
    size_t n;
    size_t cap;
};

enum cprof_maps_flags {
    /*
     * Read each mapped file's build id from its ELF note.  Leave it off for
     * a maps text from another machine, whose paths mean nothing here.
     */
    CPROF_MAPS_BUILD_IDS = 1 << 0,
};

/* Initialises an empty list; allocates nothing. */
void cprof_maps_init(struct cprof_maps *m);

/* Frees every entry; m is empty and reusable afterwards. */
void cprof_maps_release(struct cprof_maps *m);

/*
 * Parses a maps text of len bytes (need not be NUL-terminated) and appends
 * its executable mappings to m.  Malformed lines are skipped.
 * 0, -ENOMEM or CPROF_ETOOBIG (more than CPROF_MAPS_MAX mappings); on
 * error m keeps the entries appended so far.
 * Context: any thread but a signal handler.
 */
int cprof_maps_parse(struct cprof_maps *m, const char *text, size_t len, unsigned flags);

/*
 * Reads /proc/<pid>/maps (pid 0 = /proc/self/maps) and appends its
 * executable mappings to m, as cprof_maps_parse does.  0, -errno from
 * open/read, -ENOMEM or CPROF_ETOOBIG.
 * Context: any thread but a signal handler.
 */
int cprof_maps_read(struct cprof_maps *m, int pid, unsigned flags);

/*
 * The mapping containing addr, or NULL.  m must be sorted by start, as
 * /proc lists it (cprof_maps_parse keeps input order).
 */
const struct cprof_map *cprof_maps_find(const struct cprof_maps *m, uint64_t addr);

/*
 * Reads the GNU build id note (NT_GNU_BUILD_ID) of the ELF file at path
 * into out as lowercase hex.  0; CPROF_ENOTFOUND when the file has no such
 * note; CPROF_ECORRUPT when it is not ELF; -errno when it cannot be opened;
 * CPROF_ETOOBIG when outsz cannot hold the hex string and its NUL.
 * Context: any thread but a signal handler.
 */
int cprof_build_id_read(const char *path, char *out /* OUT */, size_t outsz);

#endif /* CPROF_SYM_MAPS_H */
