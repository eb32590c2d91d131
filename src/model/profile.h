/*
 * The profile model: an in-memory pprof Profile (profile.proto) and the
 * builder that fills it.
 *
 * Everything the format carries is kept.  Cross references are stored as
 * array positions (not ids), so reports walk them without lookups; the ids
 * read from a file are kept too, so re-encoding reproduces them.  Strings
 * are positions in the string table; position 0 is always "".
 *
 * Ownership: a profile owns all its memory (an arena plus the growable
 * tables); cprof_profile_free() releases everything.  No globals, no
 * threads: one owner at a time.
 */
#ifndef CPROF_MODEL_PROFILE_H
#define CPROF_MODEL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/htab.h"

/* Position meaning "none" (a location without a mapping, for example). */
#define CPROF_NONE UINT32_MAX

struct cprof_str {
    const char *ptr; /* NUL-terminated copy in the profile's arena */
    uint32_t len;    /* bytes, without the NUL */
};

struct cprof_value_type {
    uint32_t type; /* string: "cpu", "alloc_space", ... */
    uint32_t unit; /* string: "nanoseconds", "bytes", "count", ... */
};

struct cprof_label {
    uint32_t key;      /* string */
    uint32_t str;      /* string value; 0 when the label is numeric */
    int64_t num;       /* numeric value */
    uint32_t num_unit; /* string: unit of num; 0 = unset */
};

struct cprof_sample {
    uint32_t *locs;             /* positions in locations[], leaf first */
    int64_t *values;            /* one per sample type */
    struct cprof_label *labels; /* nlabels entries, in file order */
    uint32_t nlocs;
    uint32_t nlabels;
};

struct cprof_line {
    uint32_t func;  /* position in functions[] */
    int64_t line;   /* source line, 0 = unknown */
    int64_t column; /* source column, 0 = unknown (proto field added in 2024) */
};

struct cprof_location {
    uint64_t id;              /* nonzero, unique */
    uint64_t address;         /* absolute instruction address */
    struct cprof_line *lines; /* innermost (inlined callee) first */
    uint32_t nlines;
    uint32_t mapping; /* position in mappings[], or CPROF_NONE */
    bool is_folded;   /* several symbols share this address */
};

struct cprof_function {
    uint64_t id;          /* nonzero, unique */
    uint32_t name;        /* string: demangled name */
    uint32_t system_name; /* string: name as in the symbol table */
    uint32_t filename;    /* string: source file */
    int64_t start_line;   /* first line of the function, 0 = unknown */
};

struct cprof_mapping {
    uint64_t id;            /* nonzero, unique */
    uint64_t start;         /* load address of the range */
    uint64_t limit;         /* end of the range, exclusive */
    uint64_t offset;        /* file offset that corresponds to start */
    uint32_t filename;      /* string: path, or a pseudo name like "[vdso]" */
    uint32_t build_id;      /* string: hex GNU build id */
    bool has_functions;     /* locations here carry function names */
    bool has_filenames;     /* ... file names */
    bool has_line_numbers;  /* ... line numbers */
    bool has_inline_frames; /* ... inline expansion */
};

struct cprof_profile {
    struct cprof_arena arena; /* strings and per-element arrays */

    struct cprof_str *strings; /* string table; strings[0] is "" */
    uint32_t nstrings, strings_cap;

    struct cprof_value_type *sample_types;
    uint32_t nsample_types, sample_types_cap;

    struct cprof_sample *samples;
    size_t nsamples, samples_cap;

    struct cprof_mapping *mappings;
    uint32_t nmappings, mappings_cap;

    struct cprof_location *locations;
    uint32_t nlocations, locations_cap;

    struct cprof_function *functions;
    uint32_t nfunctions, functions_cap;

    uint32_t *comments; /* strings, in order */
    uint32_t ncomments, comments_cap;

    uint32_t drop_frames;   /* string: regexp, 0 = none */
    uint32_t keep_frames;   /* string: regexp, 0 = none */
    int64_t time_nanos;     /* collection time, ns since the Unix epoch */
    int64_t duration_nanos; /* length of the profile, ns */
    struct cprof_value_type period_type;
    int64_t period;               /* events between samples, in period_type units */
    uint32_t default_sample_type; /* string: preferred sample type name, 0 = last */

    /*
     * Builder state: intern indexes over the tables above, built lazily on
     * the first cprof_profile_add_*() so decoding pays nothing for them.
     */
    struct cprof_htab str_idx, func_idx, loc_idx, map_idx, sample_idx;
    uint32_t str_indexed, func_indexed, loc_indexed, map_indexed; /* elements indexed so far */
    size_t sample_indexed;
    uint64_t max_func_id, max_loc_id, max_map_id; /* new elements get max + 1 */
};

/*
 * Creates an empty profile whose string table holds "".
 * Caller owns the result; free with cprof_profile_free().  NULL on ENOMEM.
 */
struct cprof_profile *cprof_profile_new(void);

/* Frees p and everything it owns.  NULL is a no-op. */
void cprof_profile_free(struct cprof_profile *p);

/* The string at position i ("" when i is out of range). */
const char *cprof_profile_str(const struct cprof_profile *p, uint32_t i);

/*
 * Interns a string: returns the position of an equal string already in the
 * table, or appends a copy.  0, -ENOMEM or CPROF_ETOOBIG.
 */
int cprof_profile_intern(struct cprof_profile *p, const char *s, size_t len,
                         uint32_t *out /* OUT */);
int cprof_profile_intern_cstr(struct cprof_profile *p, const char *s, uint32_t *out /* OUT */);

/* Appends a sample type (no interning of the pair: order matters). */
int cprof_profile_add_sample_type(struct cprof_profile *p, const char *type, const char *unit);

/*
 * Interns a function by (name, system_name, filename, start_line); f->id is
 * ignored and a fresh id is assigned to a new function.  *out = position.
 */
int cprof_profile_add_function(struct cprof_profile *p, const struct cprof_function *f,
                               uint32_t *out /* OUT */);

/* Interns a mapping by every field but id; a new one gets a fresh id. */
int cprof_profile_add_mapping(struct cprof_profile *p, const struct cprof_mapping *m,
                              uint32_t *out /* OUT */);

/*
 * Interns a location by (mapping, address, lines, is_folded); lines are
 * copied.  A new one gets a fresh id.
 */
int cprof_profile_add_location(struct cprof_profile *p, uint32_t mapping, uint64_t address,
                               const struct cprof_line *lines, uint32_t nlines, bool is_folded,
                               uint32_t *out /* OUT */);

enum cprof_add_flags {
    CPROF_ADD_MERGE = 1 << 0, /* sum into a sample with the same stack and labels */
};

/*
 * Appends a sample; locs, values (nsample_types of them) and labels are
 * copied.  With CPROF_ADD_MERGE the values are added to an existing sample
 * with the same locations and labels (in the same order) when there is one.
 */
int cprof_profile_add_sample(struct cprof_profile *p, const uint32_t *locs, uint32_t nlocs,
                             const int64_t *values, const struct cprof_label *labels,
                             uint32_t nlabels, unsigned flags);

/* Appends a comment (interned). */
int cprof_profile_add_comment(struct cprof_profile *p, const char *text);

/*
 * Position of the sample type named name, or of the default one when name is
 * NULL (default_sample_type, else the last).  CPROF_NONE when absent.
 */
uint32_t cprof_profile_sample_index(const struct cprof_profile *p, const char *name);

/*
 * Internal: grows a table so it holds at least need elements.  Used by the
 * codec, which fills tables directly.  0, -ENOMEM or CPROF_ETOOBIG.
 */
int cprof__grow(void **arr, size_t *cap, size_t need, size_t elem);
int cprof__grow32(void **arr, uint32_t *cap, size_t need, size_t elem);

#endif /* CPROF_MODEL_PROFILE_H */
