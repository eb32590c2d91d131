/*
 * Internals shared by the legacy profile parsers (legacy_cpu.c,
 * legacy_text.c, collapsed.c): a line scanner that splits text as Go's
 * bufio.Scanner does, and the intermediate profile ("lp") that the parsers
 * fill and that lp_finish() turns into a cprof_profile with pprof's
 * memory-map handling (ParseMemoryMap, massageMappings, remap*IDs).
 */
#ifndef CPROF_MODEL_LEGACY_INT_H
#define CPROF_MODEL_LEGACY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/htab.h"
#include "model/codec.h"

struct cprof_diag;
struct cprof_profile;

/* "Not this format": the caller tries the next parser. */
#define CPROF__LEGACY_UNRECOGNIZED 1

/* bufio.Scanner's default limit: longer lines are an error. */
#define CPROF__SCAN_MAX 65536

struct cprof__scan {
    const char *buf;
    size_t len, pos;
    const char *line; /* current line (no '\n', no final '\r'); "" after the end */
    size_t linelen;
    bool done;     /* Scan() returned false once */
    bool too_long; /* stopped on a line over CPROF__SCAN_MAX */
};

void cprof__scan_init(struct cprof__scan *s, const char *buf, size_t len);
/* Advances to the next line; false at the end or on a too-long line. */
bool cprof__scan(struct cprof__scan *s);

/* Trims Go's unicode.IsSpace ASCII set from both ends. */
void cprof__trim(const char **p, size_t *n);
bool cprof__is_space_or_comment(const char *p, size_t n);
bool cprof__is_map_sentinel(const char *p, size_t n);
bool cprof__has_prefix(const char *p, size_t n, const char *pre);

/* Go's strconv.ParseInt(s, base, 64) / ParseUint for base 0 or 10 (no underscores). */
int cprof__parse_int(const char *p, size_t n, int base, int64_t *out);
int cprof__parse_uint(const char *p, size_t n, int base, uint64_t *out);

struct cprof__lp_sample {
    int64_t values[4];
    uint32_t nvalues;
    size_t first; /* index of the first location in lp.stack */
    uint32_t nlocs;
    bool has_bytes; /* numeric label bytes:[bytes] */
    int64_t bytes;
};

struct cprof__lp_map {
    uint64_t start, limit, offset;
    char *file;     /* malloc'd, "" when none */
    char *build_id; /* malloc'd, "" when none */
};

/* A legacy profile under construction; locations are bare addresses. */
struct cprof__lp {
    const struct cprof_limits *lim;
    const char *types[4][2]; /* sample types (static strings) */
    uint32_t ntypes;
    const char *period_type[2];
    int64_t period;
    int64_t duration_nanos;
    const char *drop_frames, *keep_frames;

    struct cprof__lp_sample *samples;
    size_t nsamples, samples_cap;
    uint32_t *stack; /* location indices of all samples */
    size_t nstack, stack_cap;
    uint64_t *addrs; /* location index -> address */
    size_t naddrs, addrs_cap;
    struct cprof_htab addr_idx;
    struct cprof__lp_map *maps;
    size_t nmaps, maps_cap;
    /* collapsed stacks: function names instead of addresses */
    bool by_name;
    bool merge;   /* sum samples with equal stacks (CPROF_ADD_MERGE) */
    char **names; /* location index -> function name (by_name only) */
};

void cprof__lp_init(struct cprof__lp *lp, const struct cprof_limits *lim);
void cprof__lp_release(struct cprof__lp *lp);

/* Starts a sample with the given values; its locations follow with lp_loc. */
int cprof__lp_sample(struct cprof__lp *lp, const int64_t *values, uint32_t n,
                     struct cprof_diag *diag);
/* Appends the location with this address to the last sample. */
int cprof__lp_loc(struct cprof__lp *lp, uint64_t addr, struct cprof_diag *diag);
/* Appends the location of the function named name (by_name profiles). */
int cprof__lp_loc_name(struct cprof__lp *lp, const char *name, size_t n, struct cprof_diag *diag);

/*
 * Parses the memory map text that follows a sentinel from the scanner's
 * next line on (pprof's ParseMemoryMapFromScanner), appending mappings.
 */
int cprof__lp_parse_maps(struct cprof__lp *lp, struct cprof__scan *s, struct cprof_diag *diag);

/* Skips to the memory-map sentinel, then parses the maps (parseAdditionalSections). */
int cprof__lp_additional_sections(struct cprof__lp *lp, struct cprof__scan *s,
                                  struct cprof_diag *diag);

/*
 * Builds the profile: massages the mappings, keeps locations in first use
 * order, assigns them to mappings (creating pprof's fake mapping when
 * needed), then, with dedup_leaf, drops duplicated leaves
 * (cleanupDuplicateLocations) and sets drop/keep frames as
 * addLegacyFrameInfo does.  *out is the caller's.
 */
int cprof__lp_finish(struct cprof__lp *lp, bool dedup_leaf, struct cprof_profile **out,
                     struct cprof_diag *diag);

/* addLegacyFrameInfo's drop/keep regexps (legacy_profile.go). */
#define CPROF__CPU_DROP_RX                                                                         \
    "ProfileData::Add|ProfileData::prof_handler|CpuProfiler::prof_handler|"                        \
    "__pthread_sighandler|__restore"
#define CPROF__ALLOC_DROP_RX                                                                       \
    "calloc|cfree|malloc|free|memalign|do_memalign|(__)?posix_memalign|pvalloc|valloc|realloc|"    \
    "tcmalloc::.*|tc_calloc|tc_cfree|tc_malloc|tc_free|tc_memalign|tc_posix_memalign|"             \
    "tc_pvalloc|tc_valloc|tc_realloc|tc_new|tc_delete|tc_newarray|tc_deletearray|"                 \
    "tc_new_nothrow|tc_newarray_nothrow|malloc_zone_malloc|malloc_zone_calloc|"                    \
    "malloc_zone_valloc|malloc_zone_realloc|malloc_zone_memalign|malloc_zone_free|"                \
    "runtime\\..*|BaseArena::.*|(::)?do_malloc_no_errno|(::)?do_malloc_pages|(::)?do_malloc|"      \
    "DoSampledAllocation|MallocedMemBlock::MallocedMemBlock|_M_allocate|"                          \
    "__builtin_(vec_)?delete|__builtin_(vec_)?new|__gnu_cxx::new_allocator::allocate|"             \
    "__libc_malloc|__malloc_alloc_template::allocate|allocate|cpp_alloc|operator new(\\[\\])?|"    \
    "simple_alloc::allocate"
#define CPROF__ALLOC_KEEP_RX "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*"
#define CPROF__LOCK_DROP_RX                                                                        \
    "RecordLockProfileData|(base::)?RecordLockProfileData.*|(base::)?SubmitMutexProfileData.*|"    \
    "(base::)?SubmitSpinLockProfileData.*|(base::Mutex::)?AwaitCommon.*|"                          \
    "(base::Mutex::)?Unlock.*|(base::Mutex::)?UnlockSlow.*|(base::Mutex::)?ReaderUnlock.*|"        \
    "(base::MutexLock::)?~MutexLock.*|(Mutex::)?AwaitCommon.*|(Mutex::)?Unlock.*|"                 \
    "(Mutex::)?UnlockSlow.*|(Mutex::)?ReaderUnlock.*|(MutexLock::)?~MutexLock.*|"                  \
    "(SpinLock::)?Unlock.*|(SpinLock::)?SlowUnlock.*|(SpinLockHolder::)?~SpinLockHolder.*"

#endif /* CPROF_MODEL_LEGACY_INT_H */
