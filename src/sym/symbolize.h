/*
 * The symbolizer: turns an absolute address inside a mapped ELF file into
 * source frames (function, linkage name, file, line, function start line),
 * innermost inlined frame first, using elfutils (libdwfl/libdw).
 *
 * Each mapped file is opened once, offline (one Dwfl per ELF, keyed by
 * path and build id), so the same code serves the runtime (its own
 * addresses) and the tool (addresses of a profile taken elsewhere, given
 * the binaries).  DWARF is used when present, in the file or in a separate
 * debug file found by build id (/usr/lib/debug/.build-id) or
 * .gnu_debuglink; otherwise the ELF symbol table, .symtab or, for stripped
 * files, .dynsym.  With CPROF_SYM_FDE_NAMES, code no symbol covers (static
 * functions of a stripped library) is named by the start of its
 * unwind-table entry, "libfoo.so.1+0x15b80", one name per function.  CPROF_DEBUG_DIRS
 * (colon-separated directories laid out as /usr/lib/debug) is searched
 * before /usr/lib/debug.
 *
 * A symbolizer is single-owner: not thread-safe, never usable from a signal
 * handler.  It uses malloc and may open and mmap files.
 */
#ifndef CPROF_SYM_SYMBOLIZE_H
#define CPROF_SYM_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cprof_profile;
struct cprof_symbolizer;

enum cprof_sym_flags {
    /*
     * Never ask a debuginfod server for debug files (only local files by
     * build id).  The runtime sets it: no network from inside the host.
     */
    CPROF_SYM_NO_DEBUGINFOD = 1 << 0,
    /*
     * When the process has no C++ demangler loaded, dlopen libstdc++ for
     * one.  For the tool; the runtime uses only what the host has loaded.
     */
    CPROF_SYM_LOAD_DEMANGLER = 1 << 1,
    /*
     * cprof_symbolize_profile(): also redo mappings already marked as
     * symbolized and locations that already have lines.
     */
    CPROF_SYM_FORCE = 1 << 2,
    /*
     * cprof_symbolize_profile() in the profiled process itself: locations
     * outside every mapping (JIT code in anonymous memory) are looked up in
     * /tmp/perf-PID.map of this process, and those found get a mapping
     * named after that file.
     */
    CPROF_SYM_PERF_MAP_SELF = 1 << 3,
    /*
     * cprof_symbolize_profile(): add a comment saying how much of the
     * profile (default sample type, leaf frames) is in code without
     * symbols, by file, and what would name it.
     */
    CPROF_SYM_NOTE_UNNAMED = 1 << 4,
    /*
     * cprof_symbolize_profile() in the runtime: the runtime's own code
     * leaves the profile.  Frames of its exported wrappers (malloc,
     * pthread_create, ...) and of its thread trampoline are removed from
     * the stacks; a sample with any other frame of the runtime (its own
     * work: constructor, profile writing, recording a thread's creation)
     * is dropped.
     */
    CPROF_SYM_DROP_SELF = 1 << 5,
    /*
     * cprof_symbolizer_new(): name code no symbol covers by the start of
     * its unwind-table entry ("libfoo.so.1+0x15b80").  The runtime sets it;
     * the tool does not, so that it symbolizes exactly what pprof does.
     */
    CPROF_SYM_FDE_NAMES = 1 << 6,
};

/* A mapping of a file into a process, as /proc/<pid>/maps lists it. */
struct cprof_sym_mapping {
    uint64_t start;       /* first address of the range */
    uint64_t limit;       /* end of the range, exclusive */
    uint64_t offset;      /* file offset mapped at start */
    const char *path;     /* file path */
    const char *build_id; /* lowercase hex GNU build id; NULL or "" = unknown */
};

/* One logical frame at an address. */
struct cprof_sym_frame {
    const char *name;        /* demangled function name; never NULL */
    const char *system_name; /* linkage (mangled) name; never NULL */
    const char *file;        /* source file; "" when unknown */
    int64_t line;            /* source line; 0 when unknown */
    int64_t start_line;      /* first line of the function; 0 when unknown */
    bool unnamed;            /* no symbol: name is "FILE+0xSTART", the start of the
                                function's unwind-table entry (FDE), an ELF address */
};

/* Innermost-to-outermost frames reported at most per address. */
#define CPROF_SYM_MAX_FRAMES 64

/*
 * Creates a symbolizer with no files opened yet; flags are
 * enum cprof_sym_flags.  Caller owns the result; free with
 * cprof_symbolizer_free().  NULL on ENOMEM.
 * Context: any thread but a signal handler.
 */
struct cprof_symbolizer *cprof_symbolizer_new(unsigned flags);

/* Closes every file and frees s.  NULL is a no-op. */
void cprof_symbolizer_free(struct cprof_symbolizer *s);

/*
 * Symbolizes the absolute address addr, which lies in mapping m.
 * Writes up to max frames to frames[], innermost (inlined callee) first,
 * the outermost being the real function, and their count to *nframes.
 * The frames' strings belong to s and stay valid until the next call on s
 * or cprof_symbolizer_free().
 *
 * Returns 0 with *nframes = 0 when the file is fine but nothing is known at
 * addr; CPROF_ENOTFOUND when m's file cannot be opened as ELF or its build
 * id differs from m->build_id and no file with that build id is found
 * (remembered: the file is not tried again); -ENOMEM.
 * Context: the owner's thread, never a signal handler.
 */
int cprof_symbolizer_lookup(struct cprof_symbolizer *s, const struct cprof_sym_mapping *m,
                            uint64_t addr, struct cprof_sym_frame *frames /* OUT */, size_t max,
                            size_t *nframes /* OUT */);

/* What cprof_symbolize_profile() did; every field is a count. */
struct cprof_sym_stats {
    uint32_t locations;     /* locations symbolized (looked up) */
    uint32_t resolved;      /* ... that got at least one frame */
    uint32_t missing_files; /* mappings whose file could not be used */
    uint32_t jit;           /* locations named from a perf map */
    double unnamed_share;   /* leaf share of the default sample type in code
                               without symbols, 0..1 */
};

/*
 * Symbolizes p in place: every location in a mapping whose has_functions
 * is false, and which has no lines yet, gets its lines (innermost first)
 * from s; functions are added with cprof_profile_add_function() and the
 * lines are allocated in p->arena.  Mappings that cannot be symbolized in
 * principle (pprof's rule: base name starting with "[" or "linux-vdso",
 * files under /dev/dri/, an empty name) and locations without a mapping
 * are left alone.  A mapping gets has_functions (has_filenames,
 * has_line_numbers, has_inline_frames) only when every location looked up
 * in it resolved a function (a file, a line, DWARF inline information), as
 * Go's runtime does; names made up from unwind tables (unnamed frames)
 * do not count.  CPROF_SYM_FORCE redoes everything.  A mapping named
 * perf-PID.map (a JIT's perf map, see CPROF_SYM_PERF_MAP_SELF) is looked up
 * in that file when it exists.
 *
 * Returns 0 also when files are missing (counted in stats, which may be
 * NULL); -ENOMEM or CPROF_ETOOBIG from the profile builder, in which case p
 * is consistent but partly symbolized.
 * Context: the owner's thread of both p and s, never a signal handler.
 */
int cprof_symbolize_profile(struct cprof_profile *p, struct cprof_symbolizer *s, unsigned flags,
                            struct cprof_sym_stats *stats /* OUT, may be NULL */);

/*
 * __cxa_demangle of a mangled C++ name (libstdc++ loaded when the process
 * has none, as CPROF_SYM_LOAD_DEMANGLER does): a malloc'd string, or NULL
 * when name is not a mangled name, no demangler exists, or on ENOMEM.
 * Context: the tool; not thread-safe on its first call.
 */
char *cprof__sym_demangle(const char *name);

#endif /* CPROF_SYM_SYMBOLIZE_H */
