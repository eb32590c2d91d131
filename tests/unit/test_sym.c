/*
 * Tests of the symbolizer (src/sym): maps parsing, build ids, symbolizing
 * functions of this very binary (plain, static, inlined), libc through its
 * dynamic symbols, a stripped shared object, and whole profiles.
 *
 * The target functions below keep their declarations on one line, right
 * after an enum holding that line, so DW_AT_decl_line can be checked.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "model/profile.h"
#include "sym/maps.h"
#include "sym/symbolize.h"
#include "unit.h"

/* ---- targets ------------------------------------------------------------ */

volatile int sym_sink;

enum { PLAIN_DECL = __LINE__ + 1 };
__attribute__((noinline)) int sym_target_plain(int x);
__attribute__((noinline)) int sym_target_plain(int x)
{
    sym_sink += x;
    return sym_sink * 3;
}

enum { STATIC_DECL = __LINE__ + 1 };
static __attribute__((noinline)) int sym_target_static(int x)
{
    sym_sink ^= x;
    return sym_sink + 1;
}

/* The address of an instruction, taken by the instruction itself. */
#if defined(__x86_64__)
#define HERE_PC(pc) __asm__ volatile("1: lea 1b(%%rip), %0" : "=r"(pc))
#elif defined(__aarch64__)
#define HERE_PC(pc) __asm__ volatile("1: adr %0, 1b" : "=r"(pc))
#endif

#ifdef HERE_PC
enum { CALLEE_DECL = __LINE__ + 1 };
static inline __attribute__((always_inline)) uintptr_t sym_inl_callee(int x)
{
    uintptr_t pc;

    sym_sink += x;
    enum { PC_LINE = __LINE__ + 1 };
    HERE_PC(pc);
    sym_sink += (int)(pc & 1);
    return pc;
}

enum { CALLER_DECL = __LINE__ + 1 };
__attribute__((noinline)) uintptr_t sym_inl_caller(int x);
__attribute__((noinline)) uintptr_t sym_inl_caller(int x)
{
    uintptr_t pc;

    sym_sink -= x;
    enum { CALL_LINE = __LINE__ + 1 };
    pc = sym_inl_callee(x * 2);
    sym_sink -= 1;
    return pc;
}

/* PC_LINE and CALL_LINE are block-scoped; repeat them here for the tests. */
enum { PC_LINE_G = CALLEE_DECL + 6, CALL_LINE_G = CALLER_DECL + 7 };
#endif

/* ---- helpers ------------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The mapping of this process that holds addr, as a symbolizer mapping. */
static void self_mapping(struct cprof_maps *maps, uint64_t addr, struct cprof_sym_mapping *out)
{
    const struct cprof_map *m;

    cprof_maps_init(maps);
    CPROF_ASSERT_EQ(cprof_maps_read(maps, 0, CPROF_MAPS_BUILD_IDS), 0);
    m = cprof_maps_find(maps, addr);
    CPROF_ASSERT(m != NULL);
    *out = (struct cprof_sym_mapping){m->start, m->limit, m->offset, m->path, m->build_id};
}

static size_t lookup_self(struct cprof_symbolizer *s, uint64_t addr, struct cprof_sym_frame *fr,
                          size_t max)
{
    struct cprof_maps maps;
    struct cprof_sym_mapping m;
    size_t n = 0;

    self_mapping(&maps, addr, &m);
    CPROF_ASSERT_EQ(cprof_symbolizer_lookup(s, &m, addr, fr, max, &n), 0);
    cprof_maps_release(&maps);
    return n;
}

/* Runs a shell command, returns its first output line (static buffer). */
static const char *sh_line(const char *cmd)
{
    static char line[512];
    FILE *f = popen(cmd, "r");

    CPROF_ASSERT(f != NULL);
    line[0] = '\0';
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    pclose(f);
    line[strcspn(line, "\n")] = '\0';
    return line;
}

/* libc's own qsort (under ASan, RTLD_DEFAULT would give the interceptor). */
static void *libc_qsort(void)
{
    void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void *fn;

    CPROF_ASSERT(h != NULL);
    fn = dlsym(h, "qsort");
    CPROF_ASSERT(fn != NULL);
    dlclose(h);
    return fn;
}

/* True when a C++ demangler is already in the process (ASan brings one). */
static bool demangler_loaded(void)
{
    return dlsym(RTLD_DEFAULT, "__cxa_demangle") != NULL;
}

/* ---- maps --------------------------------------------------------------- */

CPROF_TEST(maps_parse_sample)
{
    static const char text[] =
        "00400000-0040b000 r-xp 00000000 fc:01 787766                             /bin/cat\n"
        "0060a000-0060b000 r--p 0000a000 fc:01 787766                             /bin/cat\n"
        "014ab000-014cc000 rw-p 00000000 00:00 0                                  [heap]\n"
        "7f7d7797c000-7f7d77b36000 r-xp 001ba000 fc:01 1180226    /lib/libc-2.19.so\n"
        "7f7d77d3c000-7f7d77d41000 r-xp 00000000 00:00 0\n"
        "7f7d77d3c000-7f7d77d41000 r-xp 00000000 00:00 0     \n"
        "7f0000001000-7f0000002000 r-xp 00001000 08:01 42 /tmp/gone.so (deleted)\r\n"
        "7ffc34343000-7ffc34345000 r-xp 00000000 00:00 0                          [vdso]\n"
        "garbage line\n"
        "\n"
        "12345-zz r-xp 00000000 00:00 0 /bad/hex\n"
        "2000-1000 r-xp 00000000 00:00 0 /bad/order\n"
        "1000-2000 r-x\n"
        "1000-2000 r-xp 0000q000 00:00 0 /bad/offset\n"
        "1000-2000 r-xp 00000000 00:00\n"
        "1000-2000 rw-p 00000000 00:00 0 /not/exec\n"
        "10000000000000000-2 r-xp 00000000 00:00 0 /too/long/hex\n"
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]";
    struct cprof_maps m;

    cprof_maps_init(&m);
    CPROF_ASSERT_EQ(cprof_maps_parse(&m, text, sizeof(text) - 1, 0), 0);
    CPROF_ASSERT_EQ(m.n, 5);
    CPROF_ASSERT_EQ_U64(m.v[0].start, 0x400000);
    CPROF_ASSERT_EQ_U64(m.v[0].limit, 0x40b000);
    CPROF_ASSERT_EQ_U64(m.v[0].offset, 0);
    CPROF_ASSERT_STR(m.v[0].path, "/bin/cat");
    CPROF_ASSERT_STR(m.v[0].build_id, "");
    CPROF_ASSERT_EQ_U64(m.v[1].start, 0x7f7d7797c000);
    CPROF_ASSERT_EQ_U64(m.v[1].offset, 0x1ba000);
    CPROF_ASSERT_STR(m.v[1].path, "/lib/libc-2.19.so");
    CPROF_ASSERT_STR(m.v[2].path, "/tmp/gone.so");
    CPROF_ASSERT_EQ_U64(m.v[2].offset, 0x1000);
    CPROF_ASSERT_STR(m.v[3].path, "[vdso]");
    CPROF_ASSERT_STR(m.v[4].path, "[vsyscall]");
    CPROF_ASSERT(cprof_maps_find(&m, 0x400000) == &m.v[0]);
    CPROF_ASSERT(cprof_maps_find(&m, 0x40afff) == &m.v[0]);
    CPROF_ASSERT(cprof_maps_find(&m, 0x40b000) == NULL);
    CPROF_ASSERT(cprof_maps_find(&m, 0x7ffc34344000) == &m.v[3]);
    cprof_maps_release(&m);
    CPROF_ASSERT_EQ(m.n, 0);
}

CPROF_TEST(maps_parse_bounds)
{
    size_t len = CPROF_MAPS_LINE_MAX + 200, n;
    char *text = malloc(len + 64);
    struct cprof_maps m;

    CPROF_ASSERT(text != NULL);
    /* A line over the limit is skipped, the next one kept. */
    n = (size_t)sprintf(text, "1000-2000 r-xp 00000000 00:00 1 /");
    memset(text + n, 'a', len - n);
    n = len;
    n += (size_t)sprintf(text + n, "\n3000-4000 r-xp 0 0 1 /x");
    cprof_maps_init(&m);
    CPROF_ASSERT_EQ(cprof_maps_parse(&m, text, n, 0), 0);
    CPROF_ASSERT_EQ(m.n, 1);
    CPROF_ASSERT_STR(m.v[0].path, "/x");
    /* An embedded NUL in a path is malformed. */
    CPROF_ASSERT_EQ(cprof_maps_parse(&m, "5000-6000 r-xp 0 0 1 /a\0b\n", 26, 0), 0);
    CPROF_ASSERT_EQ(m.n, 1);
    cprof_maps_release(&m);
    free(text);
}

CPROF_TEST(maps_self_and_build_id)
{
    struct cprof_maps maps;
    struct cprof_sym_mapping m;
    char cmd[600], want[160], id[2 * CPROF_BUILD_ID_MAX + 1];
    const char *out;

    self_mapping(&maps, (uint64_t)(uintptr_t)&sym_target_plain, &m);
    CPROF_ASSERT(ends_with(m.path, "/cprof_unit"));
    CPROF_ASSERT(strlen(m.build_id) >= 16);
    snprintf(cmd, sizeof(cmd), "readelf -n '%s' | sed -n 's/.*Build ID: *//p'", m.path);
    out = sh_line(cmd);
    snprintf(want, sizeof(want), "%s", out);
    CPROF_ASSERT_STR(m.build_id, want);
    CPROF_ASSERT_EQ(cprof_build_id_read(m.path, id, sizeof(id)), 0);
    CPROF_ASSERT_STR(id, want);
    CPROF_ASSERT_EQ(cprof_build_id_read(m.path, id, 8), CPROF_ETOOBIG);
    CPROF_ASSERT_EQ(cprof_build_id_read("/nonexistent/x", id, sizeof(id)), -ENOENT);
    CPROF_ASSERT_EQ(cprof_build_id_read("/proc/self/status", id, sizeof(id)), CPROF_ECORRUPT);
    cprof_maps_release(&maps);
}

/* ---- symbolizing this binary -------------------------------------------- */

CPROF_TEST(sym_plain_function)
{
    struct cprof_symbolizer *s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
    struct cprof_sym_frame fr[8];
    uint64_t addr = (uint64_t)(uintptr_t)&sym_target_plain;
    size_t n;

    CPROF_ASSERT(s != NULL);
    for (int off = 0; off < 4; off += 3) {
        n = lookup_self(s, addr + (uint64_t)off, fr, 8);
        CPROF_ASSERT_EQ(n, 1);
        CPROF_ASSERT_STR(fr[0].name, "sym_target_plain");
        CPROF_ASSERT_STR(fr[0].system_name, "sym_target_plain");
        CPROF_ASSERT(ends_with(fr[0].file, "tests/unit/test_sym.c"));
        CPROF_ASSERT_EQ(fr[0].start_line, PLAIN_DECL + 1);
        CPROF_ASSERT(fr[0].line >= PLAIN_DECL + 1 && fr[0].line <= PLAIN_DECL + 5);
    }
    cprof_symbolizer_free(s);
}

CPROF_TEST(sym_static_function)
{
    struct cprof_symbolizer *s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
    int (*volatile fp)(int) = sym_target_static;
    struct cprof_sym_frame fr[8];
    size_t n;

    CPROF_ASSERT_EQ(fp(1), sym_sink + 1);
    n = lookup_self(s, (uint64_t)(uintptr_t)fp, fr, 8);
    CPROF_ASSERT_EQ(n, 1);
    CPROF_ASSERT_STR(fr[0].name, "sym_target_static");
    CPROF_ASSERT_EQ(fr[0].start_line, STATIC_DECL);
    CPROF_ASSERT(ends_with(fr[0].file, "test_sym.c"));
    cprof_symbolizer_free(s);
}

#ifdef HERE_PC
CPROF_TEST(sym_inline_chain)
{
    struct cprof_symbolizer *s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
    struct cprof_sym_frame fr[8];
    uint64_t pc = sym_inl_caller(3);
    size_t n = lookup_self(s, pc, fr, 8);

    CPROF_ASSERT_EQ(n, 2);
    CPROF_ASSERT_STR(fr[0].name, "sym_inl_callee");
    CPROF_ASSERT(ends_with(fr[0].file, "test_sym.c"));
    CPROF_ASSERT_EQ(fr[0].line, PC_LINE_G);
    CPROF_ASSERT_EQ(fr[0].start_line, CALLEE_DECL);
    CPROF_ASSERT_STR(fr[1].name, "sym_inl_caller");
    CPROF_ASSERT(ends_with(fr[1].file, "test_sym.c"));
    CPROF_ASSERT_EQ(fr[1].line, CALL_LINE_G);
    CPROF_ASSERT_EQ(fr[1].start_line, CALLER_DECL + 1);
    /* With room for one frame only, the real function is the one kept. */
    n = lookup_self(s, pc, fr, 1);
    CPROF_ASSERT_EQ(n, 1);
    CPROF_ASSERT_STR(fr[0].name, "sym_inl_caller");
    cprof_symbolizer_free(s);
}
#endif

CPROF_TEST(sym_libc_dynamic_symbol)
{
    struct cprof_symbolizer *s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
    void *fn = libc_qsort();
    struct cprof_sym_frame fr[8];
    size_t n;

    CPROF_ASSERT(fn != NULL);
    n = lookup_self(s, (uint64_t)(uintptr_t)fn + 1, fr, 8);
    CPROF_ASSERT(n >= 1);
    CPROF_ASSERT_STR(fr[n - 1].name, "qsort");
    cprof_symbolizer_free(s);
}

/*
 * libc's lines come from its separate debug file when one is installed
 * (libc6-dbg: compressed sections, inflated ahead of libdw, in a module of
 * its own).
 */
CPROF_TEST(sym_libc_lines_from_debug_file)
{
    struct cprof_symbolizer *s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
    void *fn = libc_qsort();
    struct cprof_maps maps;
    struct cprof_sym_mapping m;
    struct cprof_sym_frame fr[8];
    char dbg[300];
    size_t n;

    self_mapping(&maps, (uint64_t)(uintptr_t)fn, &m);
    snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%.2s/%s.debug", m.build_id,
             m.build_id + 2);
    if (strlen(m.build_id) < 4 || access(dbg, R_OK) != 0) {
        printf("# skip: no debug file for libc (libc6-dbg)\n");
    } else {
        CPROF_ASSERT_EQ(cprof_symbolizer_lookup(s, &m, (uint64_t)(uintptr_t)fn + 1, fr, 8, &n), 0);
        CPROF_ASSERT(n >= 1);
        CPROF_ASSERT_STR(fr[n - 1].name, "qsort");
        CPROF_ASSERT(ends_with(fr[0].file, ".c"));
        CPROF_ASSERT(fr[0].line > 0);
        CPROF_ASSERT(fr[n - 1].start_line > 0);
    }
    cprof_maps_release(&maps);
    cprof_symbolizer_free(s);
}

CPROF_TEST(sym_unknown_and_missing)
{
    struct cprof_symbolizer *s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
    struct cprof_maps maps;
    struct cprof_sym_mapping m;
    struct cprof_sym_frame fr[4];
    size_t n = 9;

    self_mapping(&maps, (uint64_t)(uintptr_t)&sym_target_plain, &m);
    /* Outside the mapping: nothing. */
    CPROF_ASSERT_EQ(cprof_symbolizer_lookup(s, &m, m.limit + 16, fr, 4, &n), 0);
    CPROF_ASSERT_EQ(n, 0);
    /* Build ids compare case-insensitively; one that is not hex is unknown. */
    {
        char upper[2 * CPROF_BUILD_ID_MAX + 1];
        const char *real = m.build_id;
        uint64_t fn = (uint64_t)(uintptr_t)&sym_target_plain;

        for (size_t i = 0; (upper[i] = (char)toupper((unsigned char)real[i])) != '\0'; i++)
            ;
        m.build_id = upper;
        CPROF_ASSERT_EQ(cprof_symbolizer_lookup(s, &m, fn, fr, 4, &n), 0);
        CPROF_ASSERT_EQ(n, 1);
        m.build_id = "../../../../../etc/passwd";
        CPROF_ASSERT_EQ(cprof_symbolizer_lookup(s, &m, fn, fr, 4, &n), 0);
        CPROF_ASSERT_EQ(n, 1);
        CPROF_ASSERT_STR(fr[0].name, "sym_target_plain");
        m.build_id = real;
    }
    /* A build id that does not match the file: not this file. */
    m.build_id = "00112233445566778899aabbccddeeff00112233";
    CPROF_ASSERT_EQ(cprof_symbolizer_lookup(s, &m, m.start, fr, 4, &n), CPROF_ENOTFOUND);
    m.path = "/nonexistent/binary";
    m.build_id = "";
    CPROF_ASSERT_EQ(cprof_symbolizer_lookup(s, &m, m.start, fr, 4, &n), CPROF_ENOTFOUND);
    CPROF_ASSERT_EQ(cprof_symbolizer_lookup(s, &m, m.start, fr, 4, &n), CPROF_ENOTFOUND);
    CPROF_ASSERT_EQ(n, 0);
    cprof_maps_release(&maps);
    cprof_symbolizer_free(s);
}

/* ---- a stripped shared object ------------------------------------------- */

static const char tiny_src[] = "int cprof_t_exported(int x);\n"
                               "int cprof_t_exported(int x)\n"
                               "{\n"
                               "    return x * 7 + 1;\n"
                               "}\n";

/* Writes dir/name from src and builds dir/tiny.so from it with cc (with -g). */
static bool build_so(const char *dir, const char *name, const char *src, const char *cc)
{
    char path[300], cmd[1200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    CPROF_ASSERT(f != NULL);
    fputs(src, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "cd '%s' && %s -shared -fPIC -O2 -g -o tiny.so %s 2>/dev/null", dir,
             cc, name);
    return system(cmd) == 0;
}

/* Builds dir/tiny.so and dir/tiny-stripped.so; false if there is no compiler. */
static bool build_tiny(const char *dir)
{
    char cmd[400];

    if (!build_so(dir, "tiny.c", tiny_src, "cc"))
        return false;
    snprintf(cmd, sizeof(cmd), "cd '%s' && strip --strip-all -o tiny-stripped.so tiny.so", dir);
    return system(cmd) == 0;
}

/*
 * dlopens so, symbolizes sym + 2 in it with a symbolizer created before
 * the dlopen when early (so it sees only what was loaded then).
 */
static size_t lookup_so_with(const char *so, const char *sym, struct cprof_sym_frame *fr,
                             bool early, unsigned flags)
{
    struct cprof_symbolizer *s =
        early ? cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD | flags) : NULL;
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    void *fn;
    size_t n;

    if (!s)
        s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);

    CPROF_ASSERT(h != NULL);
    fn = dlsym(h, sym);
    CPROF_ASSERT(fn != NULL);
    n = lookup_self(s, (uint64_t)(uintptr_t)fn + 2, fr, 4);
    /* Copy what we check before the symbolizer goes away. */
    if (n) {
        static char name[128], sys[128], file[256];

        snprintf(name, sizeof(name), "%s", fr[0].name);
        snprintf(sys, sizeof(sys), "%s", fr[0].system_name);
        snprintf(file, sizeof(file), "%s", fr[0].file);
        fr[0].name = name;
        fr[0].system_name = sys;
        fr[0].file = file;
    }
    cprof_symbolizer_free(s);
    dlclose(h);
    return n;
}

static size_t lookup_so(const char *so, const char *sym, struct cprof_sym_frame *fr)
{
    return lookup_so_with(so, sym, fr, false, 0);
}

CPROF_TEST(sym_stripped_uses_dynsym)
{
    char dir[] = "/tmp/cprof-sym-XXXXXX", so[300], cmd[400];
    struct cprof_sym_frame fr[4];
    size_t n;

    CPROF_ASSERT(mkdtemp(dir) != NULL);
    if (!build_tiny(dir)) {
        printf("# skip: no C compiler or strip\n");
        return;
    }
    snprintf(so, sizeof(so), "%s/tiny.so", dir);
    n = lookup_so(so, "cprof_t_exported", fr);
    CPROF_ASSERT_EQ(n, 1);
    CPROF_ASSERT_STR(fr[0].name, "cprof_t_exported");
    CPROF_ASSERT(ends_with(fr[0].file, "tiny.c"));
    snprintf(so, sizeof(so), "%s/tiny-stripped.so", dir);
    snprintf(cmd, sizeof(cmd), "readelf -S '%s' | grep -c symtab", so);
    CPROF_ASSERT_STR(sh_line(cmd), "0");
    n = lookup_so(so, "cprof_t_exported", fr);
    CPROF_ASSERT_EQ(n, 1);
    CPROF_ASSERT_STR(fr[0].name, "cprof_t_exported");
    CPROF_ASSERT_STR(fr[0].file, "");
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CPROF_ASSERT_EQ(system(cmd), 0);
}

/* ---- whole profiles ----------------------------------------------------- */

static uint32_t add_map(struct cprof_profile *p, const struct cprof_sym_mapping *sm)
{
    struct cprof_mapping m = {.start = sm->start, .limit = sm->limit, .offset = sm->offset};
    uint32_t pos;

    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, sm->path, &m.filename), 0);
    CPROF_ASSERT_EQ(cprof_profile_intern_cstr(p, sm->build_id ? sm->build_id : "", &m.build_id), 0);
    CPROF_ASSERT_EQ(cprof_profile_add_mapping(p, &m, &pos), 0);
    return pos;
}

static uint32_t add_loc(struct cprof_profile *p, uint32_t map, uint64_t addr)
{
    uint32_t pos;

    CPROF_ASSERT_EQ(cprof_profile_add_location(p, map, addr, NULL, 0, false, &pos), 0);
    return pos;
}

static const char *line_func(const struct cprof_profile *p, uint32_t loc, uint32_t i)
{
    return cprof_profile_str(p, p->functions[p->locations[loc].lines[i].func].name);
}

CPROF_TEST(sym_profile)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_symbolizer *s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
    struct cprof_maps maps;
    struct cprof_sym_mapping self, vdso = {0x1000, 0x2000, 0, "[vdso]", ""},
                                   gone = {0x5000, 0x6000, 0, "/nonexistent/lib.so", ""};
    struct cprof_sym_stats st;
    uint32_t ms, mv, mg, l_plain, l_static, l_vdso, l_gone, l_again;
    int (*volatile fp)(int) = sym_target_static;

    self_mapping(&maps, (uint64_t)(uintptr_t)&sym_target_plain, &self);
    ms = add_map(p, &self);
    mv = add_map(p, &vdso);
    mg = add_map(p, &gone);
    l_plain = add_loc(p, ms, (uint64_t)(uintptr_t)&sym_target_plain + 1);
    l_static = add_loc(p, ms, (uint64_t)(uintptr_t)fp);
    l_vdso = add_loc(p, mv, 0x1100);
    l_gone = add_loc(p, mg, 0x5100);
    CPROF_ASSERT_EQ(cprof_symbolize_profile(p, s, 0, &st), 0);
    CPROF_ASSERT_EQ(st.locations, 2);
    CPROF_ASSERT_EQ(st.resolved, 2);
    CPROF_ASSERT_EQ(st.missing_files, 1);
    CPROF_ASSERT_EQ(p->locations[l_plain].nlines, 1);
    CPROF_ASSERT_STR(line_func(p, l_plain, 0), "sym_target_plain");
    CPROF_ASSERT_STR(line_func(p, l_static, 0), "sym_target_static");
    CPROF_ASSERT_EQ(p->functions[p->locations[l_static].lines[0].func].start_line, STATIC_DECL);
    CPROF_ASSERT(p->locations[l_plain].lines[0].line > PLAIN_DECL);
#ifdef HERE_PC
    {
        uint32_t l_inl = add_loc(p, ms, sym_inl_caller(1));

        CPROF_ASSERT_EQ(cprof_symbolize_profile(p, s, CPROF_SYM_FORCE, &st), 0);
        CPROF_ASSERT_EQ(p->locations[l_inl].nlines, 2);
        CPROF_ASSERT_STR(line_func(p, l_inl, 0), "sym_inl_callee");
        CPROF_ASSERT_EQ(p->locations[l_inl].lines[0].line, PC_LINE_G);
        CPROF_ASSERT_STR(line_func(p, l_inl, 1), "sym_inl_caller");
        CPROF_ASSERT_EQ(p->locations[l_inl].lines[1].line, CALL_LINE_G);
    }
#endif
    CPROF_ASSERT_EQ(p->locations[l_vdso].nlines, 0);
    CPROF_ASSERT_EQ(p->locations[l_gone].nlines, 0);
    CPROF_ASSERT(p->mappings[ms].has_functions && p->mappings[ms].has_filenames &&
                 p->mappings[ms].has_line_numbers && p->mappings[ms].has_inline_frames);
    CPROF_ASSERT(!p->mappings[mv].has_functions && !p->mappings[mg].has_functions);
    /* The location index follows the new lines: re-adding finds the same location. */
    CPROF_ASSERT_EQ(cprof_profile_add_location(p, ms, p->locations[l_plain].address,
                                               p->locations[l_plain].lines, 1, false, &l_again),
                    0);
    CPROF_ASSERT_EQ(l_again, l_plain);
    /* A second pass leaves symbolized mappings alone. */
    CPROF_ASSERT_EQ(cprof_symbolize_profile(p, s, 0, &st), 0);
    CPROF_ASSERT_EQ(st.locations, 0);
    cprof_maps_release(&maps);
    cprof_symbolizer_free(s);
    cprof_profile_free(p);
}

CPROF_TEST(sym_profile_partial_flags)
{
    struct cprof_profile *p = cprof_profile_new();
    struct cprof_symbolizer *s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
    struct cprof_maps maps;
    struct cprof_sym_mapping self;
    uint32_t ms;

    self_mapping(&maps, (uint64_t)(uintptr_t)&sym_target_plain, &self);
    ms = add_map(p, &self);
    add_loc(p, ms, (uint64_t)(uintptr_t)&sym_target_plain);
    /* The ELF header's page: in the mapping's file range, in no function. */
    add_loc(p, ms, self.limit - 1);
    CPROF_ASSERT_EQ(cprof_symbolize_profile(p, s, 0, NULL), 0);
    CPROF_ASSERT_EQ(p->locations[0].nlines, 1);
    CPROF_ASSERT(!p->mappings[ms].has_functions);
    CPROF_ASSERT(!p->mappings[ms].has_inline_frames);
    cprof_maps_release(&maps);
    cprof_symbolizer_free(s);
    cprof_profile_free(p);
}

/* ---- C++ names ---------------------------------------------------------- */

static const char cxx_src[] = "namespace ns {\n"
                              "struct K {\n"
                              "    int m(int x);\n"
                              "};\n"
                              "int K::m(int x)\n"
                              "{\n"
                              "    return x * 5 + 2;\n"
                              "}\n"
                              "}\n"
                              "/* Needs libstdc++, which --as-needed keeps. */\n"
                              "int *cprof_t_new(void);\n"
                              "int *cprof_t_new(void) { return new int(3); }\n";

CPROF_TEST(sym_cxx_demangle)
{
    char dir[] = "/tmp/cprof-sym-XXXXXX", so[300], cmd[400];
    struct cprof_sym_frame fr[4];
    size_t n;

    CPROF_ASSERT(mkdtemp(dir) != NULL);
    if (!build_so(dir, "tiny.cc", cxx_src, "c++")) {
        printf("# skip: no C++ compiler\n");
        return;
    }
    snprintf(so, sizeof(so), "%s/tiny.so", dir);
    if (!demangler_loaded()) {
        /* Created before libstdc++ is loaded: no demangler, names stay mangled. */
        n = lookup_so_with(so, "_ZN2ns1K1mEi", fr, true, 0);
        CPROF_ASSERT_EQ(n, 1);
        CPROF_ASSERT_STR(fr[0].name, "_ZN2ns1K1mEi");
        CPROF_ASSERT_STR(fr[0].system_name, "_ZN2ns1K1mEi");
    } else {
        printf("# a demangler is preloaded: mangled fallback not checked\n");
    }
    /* The plugin brought libstdc++ in locally; RTLD_NOLOAD finds it. */
    n = lookup_so(so, "_ZN2ns1K1mEi", fr);
    CPROF_ASSERT_EQ(n, 1);
    CPROF_ASSERT_STR(fr[0].name, "ns::K::m(int)");
    CPROF_ASSERT_STR(fr[0].system_name, "_ZN2ns1K1mEi");
    CPROF_ASSERT(ends_with(fr[0].file, "tiny.cc"));
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CPROF_ASSERT_EQ(system(cmd), 0);
}

CPROF_TEST(sym_cxx_load_demangler)
{
    char dir[] = "/tmp/cprof-sym-XXXXXX", so[300], cmd[400];
    struct cprof_sym_frame fr[4];

    CPROF_ASSERT(mkdtemp(dir) != NULL);
    if (!build_so(dir, "tiny.cc", cxx_src, "c++")) {
        printf("# skip: no C++ compiler\n");
        return;
    }
    snprintf(so, sizeof(so), "%s/tiny.so", dir);
    /* The tool's way: created before any C++ is loaded, it loads libstdc++. */
    CPROF_ASSERT_EQ(lookup_so_with(so, "_ZN2ns1K1mEi", fr, true, CPROF_SYM_LOAD_DEMANGLER), 1);
    CPROF_ASSERT_STR(fr[0].name, "ns::K::m(int)");
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CPROF_ASSERT_EQ(system(cmd), 0);
}

/* ---- addresses of another process (offline) ------------------------------ */

static const char exe_src[] = "int cprof_t_exported(int x);\n"
                              "int cprof_t_exported(int x)\n"
                              "{\n"
                              "    return x * 7 + 1;\n"
                              "}\n"
                              "int main(int argc, char **argv)\n"
                              "{\n"
                              "    (void)argv;\n"
                              "    return cprof_t_exported(argc);\n"
                              "}\n";

/*
 * The mapping the loader would create for path's executable segment at
 * load base base, and the runtime address of symbol sym in it.
 */
static void synth_mapping(const char *path, uint64_t base, const char *sym,
                          struct cprof_sym_mapping *m, uint64_t *addr)
{
    char cmd[600];
    unsigned long long off, vaddr, value;

    snprintf(cmd, sizeof(cmd), "readelf -lW '%s' | awk '$1 == \"LOAD\" && / E / {print $2, $3}'",
             path);
    CPROF_ASSERT_EQ(sscanf(sh_line(cmd), "%llx %llx", &off, &vaddr), 2);
    snprintf(cmd, sizeof(cmd), "nm '%s' | awk '$3 == \"%s\" {print $1}'", path, sym);
    CPROF_ASSERT_EQ(sscanf(sh_line(cmd), "%llx", &value), 1);
    m->start = base + (vaddr & ~0xfffull);
    m->limit = m->start + 0x100000;
    m->offset = off & ~0xfffull;
    *addr = base + value;
}

CPROF_TEST(sym_offline_exec_and_pie)
{
    char dir[] = "/tmp/cprof-sym-XXXXXX", path[300], cmd[800];
    struct cprof_symbolizer *s;
    struct cprof_sym_mapping m = {0};
    struct cprof_sym_frame fr[4];
    static const char *const kinds[] = {"-no-pie", "-pie -fPIE"};
    size_t n;
    uint64_t addr;

    CPROF_ASSERT(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/exe.c", dir);
    FILE *f = fopen(path, "w");
    CPROF_ASSERT(f != NULL);
    fputs(exe_src, f);
    fclose(f);
    for (int k = 0; k < 2; k++) {
        snprintf(cmd, sizeof(cmd), "cd '%s' && cc %s -O2 -g -o exe exe.c 2>/dev/null", dir,
                 kinds[k]);
        if (system(cmd) != 0) {
            printf("# skip: no C compiler\n");
            return;
        }
        snprintf(path, sizeof(path), "%s/exe", dir);
        /* Non-PIE loads at its link address; PIE at some base. */
        synth_mapping(path, k == 0 ? 0 : 0x555555554000ull, "cprof_t_exported", &m, &addr);
        m.path = path;
        s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
        CPROF_ASSERT_EQ(cprof_symbolizer_lookup(s, &m, addr + 1, fr, 4, &n), 0);
        CPROF_ASSERT_EQ(n, 1);
        CPROF_ASSERT_STR(fr[0].name, "cprof_t_exported");
        CPROF_ASSERT(ends_with(fr[0].file, "exe.c"));
        CPROF_ASSERT_EQ(fr[0].start_line, 2);
        cprof_symbolizer_free(s);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CPROF_ASSERT_EQ(system(cmd), 0);
}

CPROF_TEST(sym_debug_file_by_build_id)
{
    struct cprof_symbolizer *s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
    void *fn = libc_qsort();
    struct cprof_maps maps;
    struct cprof_sym_mapping m;
    struct cprof_sym_frame fr[4];
    char dbg[300];
    size_t n;
    int rc;

    self_mapping(&maps, (uint64_t)(uintptr_t)fn, &m);
    CPROF_ASSERT(strlen(m.build_id) > 2);
    snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%.2s/%s.debug", m.build_id,
             m.build_id + 2);
    /* The binary is not here (a profile from elsewhere); its debug file may be. */
    m.path = "/nonexistent/libc.so.6";
    rc = cprof_symbolizer_lookup(s, &m, (uint64_t)(uintptr_t)fn + 1, fr, 4, &n);
    if (access(dbg, R_OK) == 0) {
        CPROF_ASSERT_EQ(rc, 0);
        CPROF_ASSERT(n >= 1);
        CPROF_ASSERT_STR(fr[n - 1].name, "qsort");
        CPROF_ASSERT(fr[n - 1].file[0] != '\0');
    } else {
        CPROF_ASSERT_EQ(rc, CPROF_ENOTFOUND);
        printf("# no debug file for libc: checked the not-found path only\n");
    }
    cprof_maps_release(&maps);
    cprof_symbolizer_free(s);
}

/* ---- DWARF without .debug_aranges ---------------------------------------- */

/* A loop always inlined into cprof_t_outer: lines 4-5 in inl, called at line 10. */
static const char noar_src[] = "static volatile int g;\n"
                               "static inline __attribute__((always_inline)) int inl(int x)\n"
                               "{\n"
                               "    for (int i = 0; i < x; i++)\n"
                               "        g += i * x;\n"
                               "    return g;\n"
                               "}\n"
                               "__attribute__((noinline)) int cprof_t_outer(int x);\n"
                               "__attribute__((noinline)) int cprof_t_outer(int x)\n"
                               "{\n"
                               "    return inl(x) + 1;\n"
                               "}\n"
                               "int main(int argc, char **argv)\n"
                               "{\n"
                               "    (void)argv;\n"
                               "    return cprof_t_outer(argc);\n"
                               "}\n";

/*
 * Symbolizes every byte of cprof_t_outer in dir/name (a non-PIE
 * executable) into out, one "name file:line start;..." a line, and checks
 * each address: frames known, the source file, lines within the source.
 * Returns how many addresses had the inline frame.
 */
static int dump_outer(const char *dir, const char *name, char *out, size_t cap)
{
    char path[300], cmd[600];
    unsigned long long value, size;
    struct cprof_symbolizer *s = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD);
    struct cprof_sym_mapping m = {0};
    struct cprof_sym_frame fr[4];
    size_t n, len = 0;
    uint64_t addr;
    int inlined = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    synth_mapping(path, 0, "cprof_t_outer", &m, &addr);
    snprintf(cmd, sizeof(cmd), "nm -S '%s' | awk '$4 == \"cprof_t_outer\" {print $1, $2}'", path);
    CPROF_ASSERT_EQ(sscanf(sh_line(cmd), "%llx %llx", &value, &size), 2);
    CPROF_ASSERT(size > 0 && size < 4096);
    m.path = path;
    out[0] = '\0';
    for (uint64_t a = value; a < value + size; a++) {
        CPROF_ASSERT_EQ(cprof_symbolizer_lookup(s, &m, a, fr, 4, &n), 0);
        CPROF_ASSERT(n >= 1 && n <= 2);
        CPROF_ASSERT_STR(fr[n - 1].name, "cprof_t_outer");
        CPROF_ASSERT_EQ(fr[n - 1].start_line, 9);
        for (size_t k = 0; k < n; k++) {
            CPROF_ASSERT(ends_with(fr[k].file, "/t.c"));
            CPROF_ASSERT(fr[k].line >= 2 && fr[k].line <= 12);
            len += (size_t)snprintf(out + len, cap - len, "%s %s:%lld %lld;", fr[k].name,
                                    fr[k].file, (long long)fr[k].line, (long long)fr[k].start_line);
            CPROF_ASSERT(len < cap);
        }
        if (n == 2) {
            CPROF_ASSERT_STR(fr[0].name, "inl");
            CPROF_ASSERT_EQ(fr[0].start_line, 2);
            CPROF_ASSERT_EQ(fr[1].line, 11); /* the call site */
            inlined++;
        }
        len += (size_t)snprintf(out + len, cap - len, "\n");
    }
    cprof_symbolizer_free(s);
    return inlined;
}

/*
 * libdw 0.188 finds CUs by .debug_aranges only, which clang does not emit
 * by default: the same program with and without them (gcc's output with
 * the section removed; clang with and without -gdwarf-aranges) must give
 * the same frames, with lines and inline frames.
 */
CPROF_TEST(sym_no_aranges)
{
    char dir[] = "/tmp/cprof-sym-XXXXXX", path[300], cmd[900];
    static char with[64 * 1024], without[64 * 1024];
    FILE *f;

    CPROF_ASSERT(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/t.c", dir);
    f = fopen(path, "w");
    CPROF_ASSERT(f != NULL);
    fputs(noar_src, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && cc -no-pie -O2 -g -o gcc_ar t.c 2>/dev/null && "
             "objcopy --remove-section=.debug_aranges gcc_ar gcc_noar && "
             "! readelf -S gcc_noar | grep -q debug_aranges",
             dir);
    if (system(cmd) != 0) {
        printf("# skip: no C compiler or objcopy\n");
        return;
    }
    CPROF_ASSERT(dump_outer(dir, "gcc_ar", with, sizeof(with)) > 0);
    CPROF_ASSERT(dump_outer(dir, "gcc_noar", without, sizeof(without)) > 0);
    CPROF_ASSERT_STR(without, with);
    /* Compressed debug sections (inflated by the symbolizer ahead of libdw). */
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && objcopy --compress-debug-sections=zlib-gabi gcc_noar gcc_z && "
             "readelf -SW gcc_z | grep -q 'debug_info .* C '",
             dir);
    CPROF_ASSERT_EQ(system(cmd), 0);
    CPROF_ASSERT(dump_outer(dir, "gcc_z", without, sizeof(without)) > 0);
    CPROF_ASSERT_STR(without, with);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && clang -no-pie -O2 -g -gdwarf-aranges -o clang_ar t.c 2>/dev/null && "
             "clang -no-pie -O2 -g -o clang_noar t.c && "
             "! readelf -S clang_noar | grep -q debug_aranges",
             dir);
    if (system(cmd) == 0) {
        CPROF_ASSERT(dump_outer(dir, "clang_ar", with, sizeof(with)) > 0);
        CPROF_ASSERT(dump_outer(dir, "clang_noar", without, sizeof(without)) > 0);
        CPROF_ASSERT_STR(without, with);
    } else {
        printf("# no clang: checked gcc's output only\n");
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CPROF_ASSERT_EQ(system(cmd), 0);
}
