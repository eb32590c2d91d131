/*
 * Benchmark input generator: writes a large, realistic CPU profile for the
 * codec benchmark (bench/run.sh) through the project's own builder and
 * encoder.
 *
 *   gen_profile OUT.pb.gz [NSAMPLES]        (default 300000 samples)
 *
 * The profile looks like a C++ server's: 20,000 functions spread over
 * several mappings (a main binary and shared libraries, all marked
 * symbolized so no tool tries to symbolize them), stacks 10-60 frames deep
 * that walk a fixed call graph with skewed (hot path) choices, some inline
 * frames, string labels on part of the samples and a numeric label on a few.
 * Everything is drawn from a fixed-seed PRNG: the same arguments give the
 * same bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "model/codec.h"
#include "model/profile.h"

#define NFUNCS 20000
#define NFILES 900
#define NCALLEES 4   /* call sites per function, each with its fixed callee */
#define NLEAFSLOTS 4 /* sampled addresses per function when it is the leaf */
#define NSLOTS (NCALLEES + NLEAFSLOTS)
#define MIN_DEPTH 10
#define MAX_DEPTH 60
#define NTHREADS 16
#define PERIOD 10000000 /* 100 Hz, in nanoseconds */

struct gen_mapping {
    const char *path;
    uint64_t start;
    uint32_t share; /* functions placed here, per 100 */
};

/* Nonexistent paths: no tool may find and read these files. */
static const struct gen_mapping mappings[] = {
    {"/opt/cprof-bench/bin/bigserver", 0x400000, 70},
    {"/opt/cprof-bench/lib/libc.so.6", 0x7f3a10000000, 8},
    {"/opt/cprof-bench/lib/libstdc++.so.6", 0x7f3a20000000, 8},
    {"/opt/cprof-bench/lib/libssl.so.3", 0x7f3a30000000, 6},
    {"/opt/cprof-bench/lib/libz.so.1", 0x7f3a40000000, 4},
    {"/opt/cprof-bench/lib/libprotobuf.so.32", 0x7f3a50000000, 4},
};
#define NMAPPINGS (sizeof(mappings) / sizeof(mappings[0]))
#define FUNC_SPAN 0x400 /* bytes of code per function */

static const char *const verbs[] = {"handle", "process", "parse", "encode", "decode", "lookup",
                                    "insert", "flush", "compute", "dispatch", "serialize",
                                    "validate", "update", "visit", "emit", "resolve"};
static const char *const nouns[] = {"Request", "Buffer", "Header", "Frame", "Node", "Entry",
                                    "Record", "Block", "Token", "Message", "Stream", "Index",
                                    "Table", "Query", "Packet", "Chunk"};

/* Deterministic PRNG: splitmix64. */
struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* Generator state: the fixed call graph and the builder positions. */
struct gen {
    struct cprof_profile *p;
    struct rng rng;
    uint32_t map_pos[NMAPPINGS];
    uint32_t func_pos[NFUNCS];    /* position in p->functions */
    uint8_t func_map[NFUNCS];     /* mapping index */
    uint64_t func_addr[NFUNCS];   /* entry address */
    int64_t func_line[NFUNCS];    /* start line */
    uint32_t callee[NFUNCS][NCALLEES];
    uint32_t loc[NFUNCS][NSLOTS]; /* location position + 1, 0 = not made yet */
    uint32_t thread_label[NTHREADS];
    uint32_t key_thread, key_endpoint, key_bytes, unit_bytes;
    uint32_t endpoint_label[8];
};

static int add_mappings(struct gen *g)
{
    char hex[41];
    int rc;

    for (size_t i = 0; i < NMAPPINGS; i++) {
        struct cprof_mapping m = {0};
        uint32_t span = 0;

        for (size_t j = 0; j < sizeof(hex) - 1; j++)
            hex[j] = "0123456789abcdef"[rng_below(&g->rng, 16)];
        hex[sizeof(hex) - 1] = '\0';
        span = mappings[i].share * (NFUNCS / 100) + 16;
        m.start = mappings[i].start;
        m.limit = m.start + 0x1000 + (uint64_t)span * FUNC_SPAN;
        m.offset = i == 0 ? 0 : 0x1000;
        m.has_functions = m.has_filenames = m.has_line_numbers = m.has_inline_frames = true;
        rc = cprof_profile_intern_cstr(g->p, mappings[i].path, &m.filename);
        if (!rc)
            rc = cprof_profile_intern_cstr(g->p, hex, &m.build_id);
        if (!rc)
            rc = cprof_profile_add_mapping(g->p, &m, &g->map_pos[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Mapping of function f: by the shares in mappings[]. */
static uint32_t mapping_of(uint32_t f)
{
    uint32_t pct = (uint32_t)(((uint64_t)f * 2654435761u) % 100), acc = 0;

    for (uint32_t i = 0; i < NMAPPINGS; i++) {
        acc += mappings[i].share;
        if (pct < acc)
            return i;
    }
    return 0;
}

static int add_function(struct gen *g, uint32_t f, uint32_t *next_in_map)
{
    struct cprof_function fn = {0};
    char name[160], sysname[200], file[80];
    const char *verb = verbs[rng_below(&g->rng, 16)], *noun = nouns[rng_below(&g->rng, 16)];
    uint32_t mod = rng_below(&g->rng, 40), m = mapping_of(f);
    int rc;

    snprintf(name, sizeof(name), "bench::mod%u::%s%sImpl::%s%s_%u(%s const&, unsigned long)",
             mod, noun, noun + 1, verb, noun, f, noun);
    snprintf(sysname, sizeof(sysname), "_ZN5bench5mod%u%zu%s%sImpl%zu%s%s_%uERK%zu%sm", mod,
             2 * strlen(noun) + 3, noun, noun + 1, strlen(verb) + strlen(noun) + 6, verb, noun, f,
             strlen(noun), noun);
    snprintf(file, sizeof(file), "/src/bench/mod%u/%s_%u.cc", mod, noun,
             rng_below(&g->rng, NFILES / 40));
    fn.start_line = 20 + rng_below(&g->rng, 2000);
    rc = cprof_profile_intern_cstr(g->p, name, &fn.name);
    if (!rc)
        rc = cprof_profile_intern_cstr(g->p, sysname, &fn.system_name);
    if (!rc)
        rc = cprof_profile_intern_cstr(g->p, file, &fn.filename);
    if (!rc)
        rc = cprof_profile_add_function(g->p, &fn, &g->func_pos[f]);
    if (rc)
        return rc;
    g->func_map[f] = (uint8_t)m;
    g->func_addr[f] = mappings[m].start + 0x1000 + (uint64_t)next_in_map[m]++ * FUNC_SPAN;
    g->func_line[f] = fn.start_line;
    /* Callees lie mostly "below" f, so walks go deeper into the graph. */
    for (int c = 0; c < NCALLEES; c++)
        g->callee[f][c] = (f + 1 + rng_below(&g->rng, 3000)) % NFUNCS;
    return 0;
}

static int add_labels(struct gen *g)
{
    char buf[64];
    int rc;

    rc = cprof_profile_intern_cstr(g->p, "thread", &g->key_thread);
    if (!rc)
        rc = cprof_profile_intern_cstr(g->p, "endpoint", &g->key_endpoint);
    if (!rc)
        rc = cprof_profile_intern_cstr(g->p, "request_bytes", &g->key_bytes);
    if (!rc)
        rc = cprof_profile_intern_cstr(g->p, "bytes", &g->unit_bytes);
    for (int i = 0; !rc && i < NTHREADS; i++) {
        snprintf(buf, sizeof(buf), "worker-%d", i);
        rc = cprof_profile_intern_cstr(g->p, buf, &g->thread_label[i]);
    }
    for (int i = 0; !rc && i < 8; i++) {
        snprintf(buf, sizeof(buf), "/api/v%d/%s", 1 + i % 3, nouns[i * 2]);
        rc = cprof_profile_intern_cstr(g->p, buf, &g->endpoint_label[i]);
    }
    return rc;
}

/*
 * Location of function f at slot s (a call site for s < NCALLEES, else a
 * leaf address), made on first use.  Every tenth function has its call
 * sites inlined from a helper: those locations carry two lines.
 */
static int location(struct gen *g, uint32_t f, uint32_t s, uint32_t *out)
{
    struct cprof_line lines[2];
    uint32_t n = 0;
    int rc;

    if (g->loc[f][s]) {
        *out = g->loc[f][s] - 1;
        return 0;
    }
    if (f % 10 == 3 && s < NCALLEES) {
        uint32_t h = (f * 7 + 1) % NFUNCS;
        lines[n++] = (struct cprof_line){g->func_pos[h], g->func_line[h] + 2 + s, 0};
    }
    lines[n++] = (struct cprof_line){g->func_pos[f], g->func_line[f] + 3 + 5 * s, 0};
    rc = cprof_profile_add_location(g->p, g->map_pos[g->func_map[f]],
                                    g->func_addr[f] + 0x10 + 0x18 * s, lines, n, false, out);
    if (rc)
        return rc;
    g->loc[f][s] = *out + 1;
    return 0;
}

/* Skewed call-site choice: hot paths dominate, as in real profiles. */
static uint32_t pick_callsite(struct gen *g)
{
    uint32_t r = rng_below(&g->rng, 100);

    return r < 55 ? 0 : r < 80 ? 1 : r < 93 ? 2 : 3;
}

static int add_sample(struct gen *g)
{
    uint32_t locs[MAX_DEPTH], chain[MAX_DEPTH], slots[MAX_DEPTH];
    uint32_t depth = MIN_DEPTH + rng_below(&g->rng, MAX_DEPTH - MIN_DEPTH + 1);
    struct cprof_label labels[3];
    uint32_t nlabels = 0, f;
    int64_t values[2];
    int rc;

    /* Root to leaf: one of a few entry points, then a walk down the graph. */
    f = rng_below(&g->rng, 8) * 97;
    for (uint32_t i = 0; i < depth; i++) {
        chain[i] = f;
        slots[i] = i + 1 < depth ? pick_callsite(g) : NCALLEES + rng_below(&g->rng, NLEAFSLOTS);
        if (i + 1 < depth)
            f = g->callee[f][slots[i]];
    }
    for (uint32_t i = 0; i < depth; i++) { /* the sample lists the leaf first */
        rc = location(g, chain[depth - 1 - i], slots[depth - 1 - i], &locs[i]);
        if (rc)
            return rc;
    }
    if (rng_below(&g->rng, 100) < 30) {
        labels[nlabels++] = (struct cprof_label){g->key_thread,
                                                 g->thread_label[rng_below(&g->rng, NTHREADS)], 0, 0};
        if (rng_below(&g->rng, 2))
            labels[nlabels++] = (struct cprof_label){
                g->key_endpoint, g->endpoint_label[rng_below(&g->rng, 8)], 0, 0};
    }
    if (rng_below(&g->rng, 100) < 5)
        labels[nlabels++] = (struct cprof_label){g->key_bytes, 0,
                                                 64 << rng_below(&g->rng, 12), g->unit_bytes};
    values[0] = 1 + (rng_below(&g->rng, 10) == 0) * rng_below(&g->rng, 4);
    values[1] = values[0] * PERIOD;
    return cprof_profile_add_sample(g->p, locs, depth, values, labels, nlabels, 0);
}

static int set_header(struct gen *g)
{
    struct cprof_profile *p = g->p;
    int rc;

    rc = cprof_profile_add_sample_type(p, "samples", "count");
    if (!rc)
        rc = cprof_profile_add_sample_type(p, "cpu", "nanoseconds");
    if (!rc)
        rc = cprof_profile_intern_cstr(p, "cpu", &p->period_type.type);
    if (!rc)
        rc = cprof_profile_intern_cstr(p, "nanoseconds", &p->period_type.unit);
    if (!rc)
        rc = cprof_profile_add_comment(p, "synthetic benchmark profile (bench/gen_profile)");
    p->period = PERIOD;
    p->time_nanos = INT64_C(1700000000000000000);
    p->duration_nanos = INT64_C(60000000000);
    return rc;
}

/* Builds the whole profile into g->p. */
static int generate(struct gen *g, size_t nsamples)
{
    uint32_t next_in_map[NMAPPINGS] = {0};
    int rc;

    rc = set_header(g);
    if (!rc)
        rc = add_mappings(g);
    if (!rc)
        rc = add_labels(g);
    for (uint32_t f = 0; !rc && f < NFUNCS; f++)
        rc = add_function(g, f, next_in_map);
    for (size_t i = 0; !rc && i < nsamples; i++)
        rc = add_sample(g);
    return rc;
}

int main(int argc, char **argv)
{
    struct cprof_buf out;
    struct gen *g;
    size_t nsamples = 300000;
    int rc;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: gen_profile OUT.pb.gz [NSAMPLES]\n");
        return 2;
    }
    if (argc == 3)
        nsamples = strtoul(argv[2], NULL, 10);
    g = calloc(1, sizeof(*g));
    if (!g) {
        fprintf(stderr, "gen_profile: out of memory\n");
        return 1;
    }
    g->rng.s = 0x63707266u; /* fixed seed: deterministic output */
    cprof_buf_init(&out, 0);
    g->p = cprof_profile_new();
    rc = g->p ? generate(g, nsamples) : -ENOMEM;
    if (!rc)
        rc = cprof_profile_encode(g->p, true, &out);
    if (!rc)
        rc = cprof_file_write_atomic(argv[1], out.data, out.len);
    if (rc)
        fprintf(stderr, "gen_profile: %s: %s\n", argv[1], cprof_strerror(rc));
    else
        printf("gen_profile: wrote %s: %zu samples, %u locations, %u functions, %u mappings, "
               "%zu bytes\n",
               argv[1], g->p->nsamples, g->p->nlocations, g->p->nfunctions, g->p->nmappings,
               out.len);
    cprof_buf_release(&out);
    cprof_profile_free(g->p);
    free(g);
    return rc ? 1 : 0;
}
