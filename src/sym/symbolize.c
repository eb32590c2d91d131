/*
 * The symbolizer: elfutils (libdwfl offline, one Dwfl per ELF file) turns
 * addresses into frames; a small per-symbolizer cache keeps each file
 * open.  cprof_symbolize_profile() applies it to a whole profile.
 *
 * Addresses are translated from the process's address space to the ELF's
 * own virtual addresses through the mapping (start, offset) and the
 * PT_LOAD program header covering that file offset, which is right for
 * executables, PIE executables and shared libraries alike.
 *
 * Inline chains: the subprogram holding an address is found in a per-CU
 * index of function ranges (built once per CU), then its lexical blocks
 * and inlined subroutines are followed down to the innermost one.
 * dwarf_getscopes() gives the same chains but walks the whole CU on every
 * call (~130 us per address in libc against ~6 us); it remains the
 * fallback when the index has no function for an address.
 *
 * Two gaps of libdw 0.188 are filled here.  It finds the CU of an address
 * through .debug_aranges only, which clang does not emit by default: on a
 * miss, CUs are found by their own ranges (an index built once per
 * module).  And it inflates every compressed debug section with zlib as it
 * opens a file (libc6-dbg's libc: 10 MB, ~80 ms at a profiled program's
 * exit): the sections used are inflated beforehand with libdeflate, the
 * unused ones hidden.
 */
#include "sym/symbolize.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <libdeflate.h>

#include "base/arena.h"
#include "base/err.h"
#include "model/profile.h"
#include "sym/funcstarts.h"
#include "sym/maps.h"

/* Where distributions install separate debug files (DIR/.build-id/xx/yyyy.debug). */
#define DEBUG_DIR "/usr/lib/debug"

/* One PT_LOAD segment: file range [offset, offset + filesz) at vaddr. */
struct load_seg {
    uint64_t offset; /* p_offset */
    uint64_t filesz; /* p_filesz */
    uint64_t vaddr;  /* p_vaddr */
    bool exec;       /* PF_X */
};

/* A function symbol; at one address only the preferred name is kept. */
struct sym_ent {
    uint64_t addr;    /* dwfl address */
    uint64_t size;    /* bytes; 0 = unknown */
    const char *name; /* in the ELF's string table */
    int rank;         /* lower is preferred: global, weak, then local */
};

/* Code range [lo, hi) of a subprogram, in DWARF addresses. */
struct fn_range {
    Dwarf_Addr lo, hi;
    Dwarf_Die die; /* the subprogram; points into the Dwfl's data */
};

/* Code range [lo, hi) of a compilation unit, in DWARF addresses. */
struct cu_range {
    Dwarf_Addr lo, hi;
    Dwarf_Die cu; /* the CU DIE; points into the Dwfl's data */
};

/* The functions of one compilation unit, sorted by lo. */
struct cu_index {
    Dwarf_Off off;      /* the CU DIE's offset: the key */
    struct fn_range *r; /* malloc'd, n entries */
    size_t n;
};

/* A mapped file, opened once. */
struct sym_file {
    char *path;                                /* malloc'd: path as the mapping names it */
    char build_id[2 * CPROF_BUILD_ID_MAX + 1]; /* as the mapping names it; "" = unknown */
    int err;                                   /* nonzero: unusable, not tried again */
    Dwfl *dwfl;                                /* owns the ELF, its DWARF, separate debug files */
    Dwfl_Module *mod;                          /* the one module of dwfl */
    Dwarf_Addr bias;                           /* dwfl address = ELF vaddr + bias */
    struct load_seg *segs;                     /* malloc'd, nsegs entries */
    size_t nsegs;
    bool debug_only;      /* a separate debug file: no file offsets in segs */
    struct sym_ent *syms; /* malloc'd, sorted by addr, built on first use */
    size_t nsyms;
    bool syms_built;
    struct cu_index *cus; /* malloc'd, sorted by off, built per CU on first use */
    size_t ncus, cus_cap;
    struct cu_range *cur; /* malloc'd, sorted by lo: CUs by address, without aranges */
    size_t ncur;
    Dwarf_Addr cur_bias;  /* dwfl address = DWARF address + cur_bias */
    bool cur_built;       /* cur was built (lazily, on the first aranges miss) */
    Dwfl_Module *dmod;    /* where DWARF is read: mod or ddwfl's module; NULL until set up */
    Dwarf_Addr dmod_bias; /* dmod address = ELF vaddr + dmod_bias */
    Dwfl *ddwfl;          /* the separate debug file opened on its own, or NULL */
    uint64_t *fstarts;    /* malloc'd, sorted: function starts (ELF vaddrs) from .eh_frame_hdr */
    size_t nfstarts;
    bool fstarts_built;
    void **zbufs; /* malloc'd: inflated section data, freed after the Dwfls */
    size_t nzbufs;
};

/* __cxa_demangle's signature (Itanium C++ ABI). */
typedef char *(*demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);

struct cprof_symbolizer {
    unsigned flags;           /* enum cprof_sym_flags */
    Dwfl_Callbacks callbacks; /* referenced by every Dwfl: must not move */
    char *debuginfo_path;     /* libdwfl's search path: CPROF_DEBUG_DIRS, then its default */
    char **debug_dirs;        /* malloc'd, NULL-terminated: CPROF_DEBUG_DIRS then DEBUG_DIR */
    struct sym_file *files;   /* cache, nfiles entries; never evicted */
    size_t nfiles, files_cap;
    size_t last;                /* index of the file used last (lookups come in runs) */
    struct cprof_arena scratch; /* demangled names of the current lookup */
    demangle_fn demangle;       /* NULL: names stay mangled */
};

/*
 * Demangler choice.  C++ names are demangled with __cxa_demangle from
 * libstdc++, found with dlsym(RTLD_DEFAULT): any process that runs C++ code
 * has it loaded, so the runtime demangles exactly when its host is C++,
 * without a new build dependency and without loading anything into the
 * host (RTLD_NOLOAD also finds a libstdc++ that a C++ plugin brought in
 * with RTLD_LOCAL).  The tool, a C program, asks for
 * CPROF_SYM_LOAD_DEMANGLER, which dlopens libstdc++.so.6 (present wherever
 * g++ binaries run).  libiberty's cplus_demangle (libiberty-dev) was the
 * alternative: a static archive linked into both binaries for the same
 * result.  Without a demangler, names stay mangled.  The dlopen handle is
 * deliberately never closed: unloading libstdc++ from a live process is
 * not safe, and a NOLOAD reference costs nothing.
 */
static demangle_fn find_demangler(unsigned flags)
{
    void *sym = dlsym(RTLD_DEFAULT, "__cxa_demangle");
    void *h;

    /*
     * C++ code loaded with RTLD_LOCAL (a plugin) brings libstdc++ without
     * putting it in the global scope; RTLD_NOLOAD finds it there and never
     * loads anything.
     */
    if (!sym) {
        h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
        if (!h && (flags & CPROF_SYM_LOAD_DEMANGLER))
            h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
        if (h)
            sym = dlsym(h, "__cxa_demangle");
    }
    return (demangle_fn)sym;
}

char *cprof__sym_demangle(const char *name)
{
    static demangle_fn fn;
    static bool looked;
    char *d;
    int status = -1;

    if (!looked) {
        fn = find_demangler(CPROF_SYM_LOAD_DEMANGLER);
        looked = true;
    }
    if (!fn)
        return NULL;
    d = fn(name, NULL, NULL, &status);
    if (d && status != 0) {
        free(d);
        d = NULL;
    }
    return d;
}

/*
 * The runtime's debug file search: build id, then .gnu_debuglink beside
 * the file and in the debug directories, never a debuginfod server (which
 * libdwfl's standard search asks whenever DEBUGINFOD_URLS is set).
 */
static int find_debuginfo_local(Dwfl_Module *mod, void **userdata, const char *modname,
                                Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                                GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                          debuglink_crc, debuginfo_file_name);
    const char *urls = getenv("DEBUGINFOD_URLS");

    if (fd >= 0 || (urls && *urls))
        return fd;
    return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                        debuglink_crc, debuginfo_file_name);
}

/*
 * The debug directories: CPROF_DEBUG_DIRS (for tests and unusual
 * installs), then /usr/lib/debug; libdwfl's path gets the same list after
 * its "" and ".debug" entries (beside the file, for .gnu_debuglink).
 */
static int set_debug_dirs(struct cprof_symbolizer *s)
{
    const char *env = getenv("CPROF_DEBUG_DIRS");
    size_t n = 2, len = strlen(":.debug:" DEBUG_DIR) + 1;
    char *copy, *cur, *d;

    if (env && *env) {
        len += strlen(env) + 1;
        for (const char *c = env; *c; c++)
            n += *c == ':';
        n++;
    }
    s->debug_dirs = calloc(n, sizeof(*s->debug_dirs));
    s->debuginfo_path = malloc(len);
    if (!s->debug_dirs || !s->debuginfo_path)
        return -ENOMEM;
    strcpy(s->debuginfo_path, ":.debug");
    n = 0;
    if (env && *env) {
        if (!(copy = strdup(env)))
            return -ENOMEM;
        cur = copy;
        while ((d = strsep(&cur, ":")) != NULL) {
            if (d[0] != '/')
                continue; /* relative entries mean something else to libdwfl */
            if (!(s->debug_dirs[n] = strdup(d))) {
                free(copy);
                return -ENOMEM;
            }
            n++;
            strcat(s->debuginfo_path, ":");
            strcat(s->debuginfo_path, d);
        }
        free(copy);
    }
    if (!(s->debug_dirs[n] = strdup(DEBUG_DIR)))
        return -ENOMEM;
    strcat(s->debuginfo_path, ":" DEBUG_DIR);
    return 0;
}

/*
 * The first readable DIR/.build-id/xx/yyyy.debug for build id id (hex)
 * into out (PATH_MAX bytes); false when none.
 */
static bool debug_file_by_id(const struct cprof_symbolizer *s, const char *id, char *out)
{
    if (strlen(id) < 4)
        return false;
    for (size_t i = 0; s->debug_dirs[i]; i++) {
        int n = snprintf(out, PATH_MAX, "%s/.build-id/%.2s/%s.debug", s->debug_dirs[i], id, id + 2);

        if (n > 0 && n < PATH_MAX && access(out, R_OK) == 0)
            return true;
    }
    return false;
}

struct cprof_symbolizer *cprof_symbolizer_new(unsigned flags)
{
    struct cprof_symbolizer *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->flags = flags;
    s->callbacks.find_elf = dwfl_build_id_find_elf;
    /*
     * dwfl_standard_find_debuginfo searches by build id, .gnu_debuglink and
     * the debug directories, then asks debuginfod when DEBUGINFOD_URLS is
     * set; the build-id lookup alone never leaves the machine.
     */
    s->callbacks.find_debuginfo =
        (flags & CPROF_SYM_NO_DEBUGINFOD) ? find_debuginfo_local : dwfl_standard_find_debuginfo;
    s->callbacks.section_address = dwfl_offline_section_address;
    s->callbacks.debuginfo_path = &s->debuginfo_path;
    if (set_debug_dirs(s) != 0) {
        cprof_symbolizer_free(s);
        return NULL;
    }
    cprof_arena_init(&s->scratch);
    s->demangle = find_demangler(flags);
    elf_version(EV_CURRENT);
    return s;
}

static void file_release(struct sym_file *f)
{
    if (f->ddwfl)
        dwfl_end(f->ddwfl);
    if (f->dwfl)
        dwfl_end(f->dwfl);
    for (size_t i = 0; i < f->nzbufs; i++)
        free(f->zbufs[i]);
    free(f->zbufs);
    free(f->segs);
    free(f->syms);
    free(f->fstarts);
    for (size_t i = 0; i < f->ncus; i++)
        free(f->cus[i].r);
    free(f->cus);
    free(f->cur);
    free(f->path);
}

void cprof_symbolizer_free(struct cprof_symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfiles; i++)
        file_release(&s->files[i]);
    free(s->files);
    cprof_arena_release(&s->scratch);
    for (size_t i = 0; s->debug_dirs && s->debug_dirs[i]; i++)
        free(s->debug_dirs[i]);
    free(s->debug_dirs);
    free(s->debuginfo_path);
    free(s);
}

static void hex_encode(const unsigned char *bits, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[bits[i] >> 4];
        out[2 * i + 1] = hex[bits[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Copies the PT_LOAD program headers of the module's ELF.  0 or an error. */
static int read_segments(struct sym_file *f)
{
    GElf_Addr bias;
    Elf *elf = dwfl_module_getelf(f->mod, &bias);
    size_t n;

    if (!elf || elf_getphdrnum(elf, &n) != 0 || n == 0)
        return CPROF_ENOTFOUND;
    f->bias = bias;
    f->segs = calloc(n, sizeof(*f->segs));
    if (!f->segs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;

        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
            continue;
        f->segs[f->nsegs++] =
            (struct load_seg){ph.p_offset, ph.p_filesz, ph.p_vaddr, (ph.p_flags & PF_X) != 0};
    }
    /* Code with no bytes in the file: a separate debug file. */
    for (size_t i = 0; i < f->nsegs; i++)
        f->debug_only |= f->segs[i].exec && f->segs[i].filesz == 0;
    return f->nsegs ? 0 : CPROF_ENOTFOUND;
}

/*
 * Opens path as the one module of a new Dwfl and checks its build id
 * against want (when want is not empty).  0 or an error; on error nothing
 * stays open.
 */
static int open_elf(struct cprof_symbolizer *s, struct sym_file *f, const char *path,
                    const char *want)
{
    const unsigned char *bits;
    GElf_Addr note_vaddr;
    char have[2 * CPROF_BUILD_ID_MAX + 1];
    int n, err = CPROF_ENOTFOUND;

    f->dwfl = dwfl_begin(&s->callbacks);
    if (!f->dwfl)
        return -ENOMEM;
    dwfl_report_begin(f->dwfl);
    f->mod = dwfl_report_elf(f->dwfl, path, path, -1, 0, false);
    dwfl_report_end(f->dwfl, NULL, NULL);
    if (!f->mod)
        goto out_end;
    if (want[0]) {
        n = dwfl_module_build_id(f->mod, &bits, &note_vaddr);
        if (n <= 0 || n > CPROF_BUILD_ID_MAX)
            goto out_end;
        hex_encode(bits, (size_t)n, have);
        if (strcmp(have, want) != 0)
            goto out_end;
    }
    err = read_segments(f);
    if (err)
        goto out_end;
    return 0;
out_end:
    free(f->segs);
    f->segs = NULL;
    f->nsegs = 0;
    dwfl_end(f->dwfl);
    f->dwfl = NULL;
    f->mod = NULL;
    return err;
}

/*
 * Opens the file for a mapping: the path itself when its build id matches,
 * else the separate debug file with that build id (it has the symbols, the
 * DWARF and the program headers, which is all we need).
 */
static int open_file(struct cprof_symbolizer *s, struct sym_file *f)
{
    char dbg[PATH_MAX];
    int err = open_elf(s, f, f->path, f->build_id);

    if (err != CPROF_ENOTFOUND || !debug_file_by_id(s, f->build_id, dbg))
        return err;
    return open_elf(s, f, dbg, f->build_id);
}

/* ---- DWARF sections, inflated ahead of libdw -------------------------------- */

/*
 * Debug sections the symbolizer never reads (locations, macros, name
 * indexes): hidden from libdw, which would otherwise inflate them too.
 */
static bool unused_debug_section(const char *name)
{
    static const char *const unused[] = {
        ".debug_loc",      ".debug_loclists", ".debug_macro",        ".debug_macinfo",
        ".debug_pubnames", ".debug_pubtypes", ".debug_gnu_pubnames", ".debug_gnu_pubtypes",
    };

    for (size_t i = 0; i < sizeof(unused) / sizeof(unused[0]); i++)
        if (strcmp(name, unused[i]) == 0)
            return true;
    return false;
}

/* Has elf DWARF of its own (a .debug_info with contents)? */
static bool has_debug_info(Elf *elf)
{
    Elf_Scn *scn = NULL;
    size_t shstrndx;

    if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
        return false;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        const char *name;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
            continue;
        name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (name && strcmp(name, ".debug_info") == 0)
            return true;
    }
    return false;
}

/*
 * Prepares the DWARF sections of elf before libdw opens them.  libdw 0.188
 * inflates every compressed debug section (SHF_COMPRESSED, zlib) with zlib
 * as it opens a file, loclists included: for libc's separate debug file
 * (libc6-dbg) that is 10 MB and ~80 ms, for the few libc addresses of a
 * profile.  Here the sections libdw will use are inflated with libdeflate
 * (already linked for the profile codec; ~3x zlib's speed) and installed as
 * the sections' data, uncompressed, and the unused ones are turned into
 * SHT_NOBITS, which libdw skips.  Only libelf's in-memory copy of the
 * section headers changes, never the file.  Any failure leaves a section
 * as it was, for libdw to handle as before.
 */
static void prepare_dwarf_sections(struct sym_file *f, Elf *elf)
{
    struct libdeflate_decompressor *d = NULL;
    size_t chsz = gelf_fsize(elf, ELF_T_CHDR, 1, EV_CURRENT);
    Elf_Scn *scn = NULL;
    size_t shstrndx;

    if (chsz == 0 || elf_getshdrstrndx(elf, &shstrndx) != 0)
        return;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        GElf_Chdr ch;
        Elf_Data *data;
        const char *name;
        void *buf, **v;
        size_t got;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || (sh.sh_flags & SHF_ALLOC))
            continue;
        name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!name || strncmp(name, ".debug_", 7) != 0)
            continue;
        if (unused_debug_section(name)) {
            sh.sh_type = SHT_NOBITS;
            gelf_update_shdr(scn, &sh);
            continue;
        }
        if (!(sh.sh_flags & SHF_COMPRESSED) || !gelf_getchdr(scn, &ch) ||
            ch.ch_type != ELFCOMPRESS_ZLIB || ch.ch_size == 0 || ch.ch_size > (1ull << 32))
            continue;
        data = elf_getdata(scn, NULL);
        if (!data || !data->d_buf || data->d_size <= chsz)
            continue;
        if (!d && !(d = libdeflate_alloc_decompressor()))
            break;
        v = realloc(f->zbufs, (f->nzbufs + 1) * sizeof(*v));
        if (!v)
            break;
        f->zbufs = v;
        buf = malloc(ch.ch_size);
        if (!buf)
            break;
        if (libdeflate_zlib_decompress(d, (const char *)data->d_buf + chsz, data->d_size - chsz,
                                       buf, ch.ch_size, &got) != LIBDEFLATE_SUCCESS ||
            got != ch.ch_size) {
            free(buf);
            continue;
        }
        f->zbufs[f->nzbufs++] = buf;
        data->d_buf = buf;
        data->d_size = ch.ch_size;
        data->d_off = 0;
        data->d_type = ELF_T_BYTE;
        data->d_align = ch.ch_addralign ? ch.ch_addralign : 1;
        sh.sh_flags &= ~(GElf_Xword)SHF_COMPRESSED;
        sh.sh_size = ch.ch_size;
        sh.sh_addralign = data->d_align;
        gelf_update_shdr(scn, &sh);
    }
    libdeflate_free_decompressor(d);
}

/* The first PT_LOAD's p_vaddr of elf; false when it has none. */
static bool first_load_vaddr(Elf *elf, uint64_t *vaddr)
{
    size_t n;

    if (elf_getphdrnum(elf, &n) != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;

        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
            *vaddr = ph.p_vaddr;
            return true;
        }
    }
    return false;
}

/*
 * Opens the separate debug file of f's module (by build id, where
 * distributions install them) as the module of a Dwfl of its own, so that
 * its sections can be prepared before libdw reads them.  libdwfl would open
 * the same file, but inside dwfl_module_getdwarf(), too late for that.
 * Only for a file laid out as the module (same first PT_LOAD address).
 */
static void open_debug_file(struct cprof_symbolizer *s, struct sym_file *f, Elf *elf)
{
    char path[PATH_MAX];
    char id[2 * CPROF_BUILD_ID_MAX + 1], have[2 * CPROF_BUILD_ID_MAX + 1];
    const unsigned char *bits;
    GElf_Addr note_vaddr, bias;
    uint64_t v1, v2;
    Dwfl_Module *dm;
    Elf *delf;
    int n = dwfl_module_build_id(f->mod, &bits, &note_vaddr);

    if (n < 2 || n > CPROF_BUILD_ID_MAX || !first_load_vaddr(elf, &v1))
        return;
    hex_encode(bits, (size_t)n, id);
    if (!debug_file_by_id(s, id, path))
        return;
    f->ddwfl = dwfl_begin(&s->callbacks);
    if (!f->ddwfl)
        return;
    dwfl_report_begin(f->ddwfl);
    dm = dwfl_report_elf(f->ddwfl, path, path, -1, 0, false);
    dwfl_report_end(f->ddwfl, NULL, NULL);
    if (!dm || (n = dwfl_module_build_id(dm, &bits, &note_vaddr)) <= 0 || n > CPROF_BUILD_ID_MAX)
        goto fail;
    hex_encode(bits, (size_t)n, have);
    delf = dwfl_module_getelf(dm, &bias);
    if (strcmp(have, id) != 0 || !delf || !first_load_vaddr(delf, &v2) || v1 != v2 ||
        !has_debug_info(delf))
        goto fail;
    prepare_dwarf_sections(f, delf);
    f->dmod = dm;
    f->dmod_bias = bias;
    return;
fail:
    dwfl_end(f->ddwfl);
    f->ddwfl = NULL;
}

/*
 * The module whose DWARF f uses, set up on first use: f's own module when
 * its ELF has DWARF (sections prepared) or when no separate debug file is
 * found by build id (libdwfl then searches as it always did), else the
 * separate debug file opened by open_debug_file().  dmod addresses are
 * ELF vaddrs + f->dmod_bias.
 */
static Dwfl_Module *dwarf_module(struct cprof_symbolizer *s, struct sym_file *f)
{
    GElf_Addr bias;
    Elf *elf;

    if (f->dmod)
        return f->dmod;
    f->dmod = f->mod;
    f->dmod_bias = f->bias;
    elf = dwfl_module_getelf(f->mod, &bias);
    if (!elf)
        return f->dmod;
    if (has_debug_info(elf))
        prepare_dwarf_sections(f, elf);
    else
        open_debug_file(s, f, elf);
    return f->dmod;
}

/*
 * Lowercase hex copy of a build id from a profile (untrusted: it also names
 * a file under a debug directory).  Anything but an even number of hex
 * digits, at most CPROF_BUILD_ID_MAX bytes, is taken as unknown ("").
 */
static void normalize_build_id(const char *in, char *out)
{
    size_t n = 0;

    out[0] = '\0';
    if (!in)
        return;
    for (; in[n]; n++) {
        char c = in[n];

        if (n >= 2 * CPROF_BUILD_ID_MAX ||
            !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            out[0] = '\0';
            return;
        }
        out[n] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    out[n] = '\0';
    if (n % 2)
        out[0] = '\0';
}

/* The cache entry for (path, build id), opened on first use. */
static int get_file(struct cprof_symbolizer *s, const char *path, const char *build_id,
                    struct sym_file **out)
{
    char id[2 * CPROF_BUILD_ID_MAX + 1];
    struct sym_file *f;
    size_t i;

    normalize_build_id(build_id, id);
    build_id = id;
    for (i = 0; i < s->nfiles; i++) {
        size_t k = (s->last + i) % s->nfiles;

        f = &s->files[k];
        if (strcmp(f->build_id, build_id) == 0 && strcmp(f->path, path) == 0) {
            s->last = k;
            *out = f;
            return f->err;
        }
    }
    if (s->nfiles == s->files_cap) {
        size_t cap = s->files_cap ? 2 * s->files_cap : 16;
        struct sym_file *v = realloc(s->files, cap * sizeof(*v));

        if (!v)
            return -ENOMEM;
        s->files = v;
        s->files_cap = cap;
    }
    f = &s->files[s->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    if (!f->path)
        return -ENOMEM;
    strcpy(f->build_id, build_id);
    f->err = open_file(s, f);
    if (f->err == -ENOMEM) {
        free(f->path);
        return -ENOMEM;
    }
    s->last = s->nfiles++;
    *out = f;
    return f->err;
}

/*
 * A separate debug file keeps the program headers but zeroes p_offset and
 * p_filesz, so file offsets mean nothing there.  The kernel maps an
 * executable segment from the page holding its start, so the mapping's
 * start is that page of the one PF_X segment.
 */
static bool debug_file_vaddr(const struct sym_file *f, const struct cprof_sym_mapping *m,
                             uint64_t addr, uint64_t *vaddr)
{
    const struct load_seg *x = NULL;

    for (size_t i = 0; i < f->nsegs; i++) {
        if (!f->segs[i].exec)
            continue;
        if (x)
            return false; /* several: no way to tell which one m maps */
        x = &f->segs[i];
    }
    if (!x)
        return false;
    *vaddr = addr - m->start + (x->vaddr & ~(uint64_t)0xfff);
    return true;
}

/* ELF virtual address for an address in m, through the PT_LOAD covering its file offset. */
static bool to_vaddr(const struct sym_file *f, const struct cprof_sym_mapping *m, uint64_t addr,
                     uint64_t *vaddr)
{
    const struct load_seg *best = NULL;
    uint64_t off = addr - m->start + m->offset;

    if (f->debug_only)
        return debug_file_vaddr(f, m, addr, vaddr);

    for (size_t i = 0; i < f->nsegs; i++) {
        const struct load_seg *g = &f->segs[i];
        /* The kernel maps from the page holding p_offset. */
        uint64_t lo = g->offset & ~(uint64_t)0xfff;

        if (off < lo || off >= g->offset + g->filesz)
            continue;
        if (!best || (g->exec && !best->exec))
            best = g;
    }
    if (!best)
        return false;
    *vaddr = off - best->offset + best->vaddr;
    return true;
}

/* Demangles a C++ linkage name into the scratch arena; NULL when it is not one. */
static const char *demangle(struct cprof_symbolizer *s, const char *name)
{
    const char *res = NULL;
    char *d;
    int status = -1;

    if (!s->demangle || name[0] != '_' || name[1] != 'Z')
        return NULL;
    d = s->demangle(name, NULL, NULL, &status);
    if (d && status == 0)
        res = cprof_arena_strndup(&s->scratch, d, strlen(d));
    free(d);
    return res;
}

/*
 * Sets a frame's names from a linkage name and a plain name (either NULL).
 * A C++ linkage name gives the demangled name; any other linkage name
 * (an asm label such as glibc's "__GI_qsort") stays the system name only,
 * and the plain name is shown.
 */
static bool set_names(struct cprof_symbolizer *s, struct cprof_sym_frame *fr, const char *linkage,
                      const char *plain)
{
    const char *d;

    if (linkage && linkage[0]) {
        d = demangle(s, linkage);
        fr->system_name = linkage;
        fr->name = d                                                                  ? d
                   : (plain && plain[0] && !(linkage[0] == '_' && linkage[1] == 'Z')) ? plain
                                                                                      : linkage;
        return true;
    }
    if (plain && plain[0]) {
        fr->system_name = plain;
        fr->name = plain;
        return true;
    }
    return false;
}

/* Names of a subprogram or inlined subroutine, through abstract origin and specification. */
static bool die_names(struct cprof_symbolizer *s, Dwarf_Die *die, struct cprof_sym_frame *fr)
{
    Dwarf_Attribute a;
    const char *linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));

    if (!linkage)
        linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
    return set_names(s, fr, linkage, dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a)));
}

static int64_t decl_line(Dwarf_Die *die)
{
    int line = 0;

    if (dwarf_decl_line(die, &line) != 0)
        return 0;
    return line;
}

/* The call site (file, line) recorded on an inlined subroutine. */
static void call_site(Dwarf_Die *cu, Dwarf_Die *inl, const char **file, int64_t *line)
{
    Dwarf_Attribute a;
    Dwarf_Word idx, ln;
    Dwarf_Files *files;
    size_t nfiles;
    const char *name;

    *file = "";
    *line = 0;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &ln) == 0)
        *line = (int64_t)ln;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &idx) == 0 &&
        dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && idx < nfiles) {
        name = dwarf_filesrc(files, idx, NULL, NULL);
        if (name)
            *file = name;
    }
}

static bool is_function_scope(Dwarf_Die *die)
{
    int tag = dwarf_tag(die);

    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

/* Longest chain of function scopes (real function plus inlined calls) followed. */
#define CHAIN_MAX 256

/* Orders fn_range and cu_range entries, which both start with lo. */
static int range_cmp(const void *pa, const void *pb)
{
    Dwarf_Addr a = *(const Dwarf_Addr *)pa, b = *(const Dwarf_Addr *)pb;

    return a < b ? -1 : a > b;
}

static int off_cmp(const void *pa, const void *pb)
{
    Dwarf_Off a = *(const Dwarf_Off *)pa, b = *(const Dwarf_Off *)pb;

    return a < b ? -1 : a > b;
}

/*
 * The sorted CU DIE offsets that .debug_aranges covers (malloc'd, *n
 * entries), or NULL when there are none or on ENOMEM.
 */
static Dwarf_Off *aranges_cus(Dwarf *dw, size_t *n)
{
    Dwarf_Aranges *ar;
    size_t nar, k = 0;
    Dwarf_Off *v;

    *n = 0;
    if (dwarf_getaranges(dw, &ar, &nar) != 0 || nar == 0 || !(v = malloc(nar * sizeof(*v))))
        return NULL;
    for (size_t i = 0; i < nar; i++) {
        Dwarf_Off cu;

        if (dwarf_getarangeinfo(dwarf_onearange(ar, i), NULL, NULL, &cu) == 0)
            v[k++] = cu;
    }
    qsort(v, k, sizeof(*v), off_cmp);
    *n = k;
    return v;
}

/*
 * The CU index by address, for DWARF without .debug_aranges (clang's
 * default).  libdw 0.188 finds the CU of an address through the aranges
 * only (dwarf_addrdie, dwfl_module_addrdie, dwfl_module_getsrc; newer
 * elfutils scans the CUs itself), so such modules would get names from
 * the symbol table but no lines and no inline frames.  This index is
 * built once per module, on its first aranges miss, from the CU DIEs' own
 * ranges (DW_AT_low_pc/high_pc or DW_AT_ranges): one pass over the unit
 * headers, never into the CUs' children.  Best effort: on ENOMEM it keeps
 * what it has.
 */
static void build_cu_ranges(struct sym_file *f)
{
    Dwarf *dw = dwfl_module_getdwarf(f->dmod, &f->cur_bias);
    Dwarf_CU *unit = NULL;
    Dwarf_Die cudie;
    Dwarf_Off *covered = NULL;
    uint8_t type;
    size_t cap = 0, ncovered = 0;

    f->cur_built = true;
    if (!dw)
        return;
    covered = aranges_cus(dw, &ncovered);
    while (dwarf_get_units(dw, unit, &unit, NULL, &type, &cudie, NULL) == 0) {
        Dwarf_Addr base, lo, hi;
        ptrdiff_t off = 0;
        Dwarf_Off key = dwarf_dieoffset(&cudie);

        if (type == DW_UT_type || type == DW_UT_split_type)
            continue;
        /* Covered by the aranges: libdwfl finds it (and not reading its
         * attributes saves its abbreviations: 10 ms over libc's CUs). */
        if (covered && bsearch(&key, covered, ncovered, sizeof(*covered), off_cmp))
            continue;
        while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0) {
            if (hi <= lo)
                continue;
            if (f->ncur == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                struct cu_range *v = realloc(f->cur, ncap * sizeof(*v));

                if (!v)
                    goto out;
                f->cur = v;
                cap = ncap;
            }
            f->cur[f->ncur++] = (struct cu_range){lo, hi, cudie};
        }
    }
out:
    free(covered);
    if (f->ncur > 1) /* f->cur is NULL when no CU was added */
        qsort(f->cur, f->ncur, sizeof(*f->cur), range_cmp);
}

/*
 * The CU holding address a of f->dmod, from the aranges (libdwfl) or else
 * from the CU ranges; sets *dbias (a = DWARF address + *dbias).
 * NULL when no CU covers a.
 */
static Dwarf_Die *find_cu(struct sym_file *f, Dwarf_Addr a, Dwarf_Addr *dbias)
{
    Dwarf_Die *cu = dwfl_module_addrdie(f->dmod, a, dbias);
    Dwarf_Addr pc;
    size_t lo = 0, hi;

    if (cu)
        return cu;
    if (!f->cur_built)
        build_cu_ranges(f);
    pc = a - f->cur_bias;
    hi = f->ncur;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (f->cur[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* CU ranges do not overlap in practice; look a few entries back anyway. */
    for (size_t k = lo; k > 0 && lo - k < 8; k--) {
        if (pc < f->cur[k - 1].hi) {
            *dbias = f->cur_bias;
            return &f->cur[k - 1].cu;
        }
    }
    return NULL;
}

/*
 * The source file and line at address a of f->dmod (NULL, *lineno
 * untouched, when unknown).  libdwfl's lookup goes through the aranges; without them
 * the line table of cu (found by find_cu() when NULL) is searched.
 */
static const char *src_line(struct sym_file *f, Dwarf_Die *cu, Dwarf_Addr dbias, Dwarf_Addr a,
                            int *lineno)
{
    Dwfl_Line *ln = dwfl_module_getsrc(f->dmod, a);
    Dwarf_Line *dl;

    if (ln)
        return dwfl_lineinfo(ln, NULL, lineno, NULL, NULL, NULL);
    if (!cu)
        cu = find_cu(f, a, &dbias);
    if (!cu || !(dl = dwarf_getsrc_die(cu, a - dbias)))
        return NULL;
    if (dwarf_lineno(dl, lineno) != 0)
        *lineno = 0;
    return dwarf_linesrc(dl, NULL, NULL);
}

/*
 * Frames from a chain of function DIEs, innermost first, the last being
 * the real function.  When max is short, the innermost max - 1 and the real
 * function are kept.  Returns how many were written.
 */
static size_t emit_frames(struct cprof_symbolizer *s, struct sym_file *f, Dwarf_Addr a,
                          Dwarf_Die *cu, Dwarf_Addr dbias, Dwarf_Die *chain, size_t nchain,
                          struct cprof_sym_frame *frames, size_t max)
{
    int lineno = 0;
    const char *file = src_line(f, cu, dbias, a, &lineno);
    size_t n = nchain < max ? nchain : max;

    for (size_t k = 0; k < n; k++) {
        struct cprof_sym_frame *fr = &frames[k];
        size_t c = (k == n - 1) ? nchain - 1 : k; /* the real function stays last */

        if (!die_names(s, &chain[c], fr))
            set_names(s, fr, "??", NULL);
        if (c == 0) {
            fr->file = file ? file : "";
            fr->line = lineno;
        } else {
            call_site(cu, &chain[c - 1], &fr->file, &fr->line);
        }
        fr->start_line = decl_line(&chain[c]);
    }
    return n;
}

/*
 * The chain of function scopes at pc the slow way: dwarf_getscopes() walks
 * the whole CU.  It follows an inlined subroutine to its abstract origin's
 * scopes, so the concrete chain of callers (inlined ones, then the real
 * function) comes from dwarf_getscopes_die() on it.  Used when the
 * function index has no answer.
 */
static size_t chain_by_scopes(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *chain)
{
    Dwarf_Die *scopes = NULL, *inner = NULL;
    int nscopes = dwarf_getscopes(cu, pc, &scopes);
    size_t n = 0;

    for (int i = 0; i < nscopes; i++) {
        if (!is_function_scope(&scopes[i]))
            continue;
        if (dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine) {
            int nchain = dwarf_getscopes_die(&scopes[i], &inner);

            if (nchain > 0) {
                free(scopes);
                scopes = inner;
                nscopes = nchain;
            }
        }
        break;
    }
    for (int i = 0; i < nscopes && n < CHAIN_MAX; i++) {
        if (!is_function_scope(&scopes[i]))
            continue;
        chain[n++] = scopes[i];
        if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram)
            break;
    }
    free(scopes);
    return n;
}

/* Adds the code ranges of a subprogram to the index. */
static int index_ranges(struct cu_index *ci, Dwarf_Die *die, size_t *cap)
{
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;

    while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
        if (hi <= lo)
            continue;
        if (ci->n == *cap) {
            size_t ncap = *cap ? 2 * *cap : 64;
            struct fn_range *r = realloc(ci->r, ncap * sizeof(*r));

            if (!r)
                return -ENOMEM;
            ci->r = r;
            *cap = ncap;
        }
        ci->r[ci->n++] = (struct fn_range){lo, hi, *die};
    }
    return 0;
}

/* Indexes the subprograms under parent, looking into namespaces and types. */
static int index_scope(struct cu_index *ci, Dwarf_Die *parent, size_t *cap, int depth)
{
    Dwarf_Die child;
    int err = 0;

    if (depth > 32 || dwarf_child(parent, &child) != 0)
        return 0;
    do {
        switch (dwarf_tag(&child)) {
        case DW_TAG_subprogram: err = index_ranges(ci, &child, cap); break;
        case DW_TAG_namespace:
        case DW_TAG_class_type:
        case DW_TAG_structure_type:
        case DW_TAG_union_type:
        case DW_TAG_module: err = index_scope(ci, &child, cap, depth + 1); break;
        default: break;
        }
    } while (!err && dwarf_siblingof(&child, &child) == 0);
    return err;
}

/*
 * The function index of a CU, built on first use: one walk over the CU
 * instead of one per lookup (dwarf_getscopes cost ~100 us per address in
 * libc).  NULL on ENOMEM.
 */
static struct cu_index *get_cu_index(struct sym_file *f, Dwarf_Die *cu)
{
    Dwarf_Off off = dwarf_dieoffset(cu);
    size_t lo = 0, hi = f->ncus, cap = 0;
    struct cu_index *ci;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (f->cus[mid].off == off)
            return &f->cus[mid];
        if (f->cus[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (f->ncus == f->cus_cap) {
        size_t ncap = f->cus_cap ? 2 * f->cus_cap : 16;
        struct cu_index *v = realloc(f->cus, ncap * sizeof(*v));

        if (!v)
            return NULL;
        f->cus = v;
        f->cus_cap = ncap;
    }
    memmove(&f->cus[lo + 1], &f->cus[lo], (f->ncus - lo) * sizeof(*f->cus));
    f->ncus++;
    ci = &f->cus[lo];
    *ci = (struct cu_index){.off = off};
    if (index_scope(ci, cu, &cap, 0) != 0) {
        free(ci->r); /* keep the entry, empty: lookups fall back to scopes */
        ci->r = NULL;
        ci->n = 0;
        return ci;
    }
    if (ci->n > 1)
        qsort(ci->r, ci->n, sizeof(*ci->r), range_cmp);
    return ci;
}

/* The subprogram whose code holds pc, from the CU's index. */
static bool find_function(const struct cu_index *ci, Dwarf_Addr pc, Dwarf_Die *out)
{
    size_t lo = 0, hi = ci->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ci->r[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Ranges rarely overlap (nested functions); look a few entries back. */
    for (size_t k = lo; k > 0 && lo - k < 8; k--) {
        if (pc < ci->r[k - 1].hi) {
            *out = ci->r[k - 1].die;
            return true;
        }
    }
    return false;
}

static bool is_block_scope(int tag)
{
    return tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
           tag == DW_TAG_try_block || tag == DW_TAG_catch_block || tag == DW_TAG_with_stmt;
}

/*
 * From the real function fn, follows the blocks holding pc down to the
 * innermost inlined call; writes the chain innermost first.
 */
static size_t chain_from_function(Dwarf_Die *fn, Dwarf_Addr pc, Dwarf_Die *chain)
{
    Dwarf_Die outer[CHAIN_MAX]; /* real function first */
    Dwarf_Die cur = *fn, child;
    size_t n = 0;

    outer[n++] = cur;
    for (int depth = 0; depth < 4 * CHAIN_MAX && n < CHAIN_MAX; depth++) {
        bool found = false;

        if (dwarf_child(&cur, &child) != 0)
            break;
        do {
            int tag = dwarf_tag(&child);

            if (is_block_scope(tag) && dwarf_haspc(&child, pc) == 1) {
                if (tag == DW_TAG_inlined_subroutine)
                    outer[n++] = child;
                cur = child;
                found = true;
                break;
            }
        } while (dwarf_siblingof(&child, &child) == 0);
        if (!found)
            break;
    }
    for (size_t i = 0; i < n; i++)
        chain[i] = outer[n - 1 - i];
    return n;
}

/*
 * Frames from DWARF at dwfl address a (of f->mod).  Returns how many were written
 * (0: no DWARF function covers a).
 */
static size_t dwarf_frames(struct cprof_symbolizer *s, struct sym_file *f, Dwarf_Addr a,
                           struct cprof_sym_frame *frames, size_t max)
{
    Dwarf_Addr dbias = 0;
    Dwarf_Die chain[CHAIN_MAX], fn, *cu;
    struct cu_index *ci;
    size_t n = 0;

    if (max == 0 || !dwarf_module(s, f))
        return 0;
    a = a - f->bias + f->dmod_bias; /* from here on a dmod address */
    cu = find_cu(f, a, &dbias);
    if (!cu)
        return 0;
    ci = get_cu_index(f, cu);
    if (ci && find_function(ci, a - dbias, &fn))
        n = chain_from_function(&fn, a - dbias, chain);
    else
        n = chain_by_scopes(cu, a - dbias, chain);
    return n ? emit_frames(s, f, a, cu, dbias, chain, n, frames, max) : 0;
}

/* Ranks a symbol: global, weak, then local; fewer leading underscores first. */
static int sym_rank(const GElf_Sym *sym, const char *name)
{
    int bind = GELF_ST_BIND(sym->st_info);
    int r = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
    int u = 0;

    while (name[u] == '_' && u < 3)
        u++;
    return r * 4 + u;
}

static int sym_cmp(const void *pa, const void *pb)
{
    const struct sym_ent *a = pa, *b = pb;

    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank - b->rank;
    return strcmp(a->name, b->name);
}

/*
 * Builds the file's sorted function symbols (.symtab, else .dynsym, as
 * libdwfl picks them).  libdwfl's own lookup returns any alias at an
 * address (glibc's "__GI_qsort" for qsort); this table prefers the
 * exported name.  0 or -ENOMEM.
 */
static int build_syms(struct sym_file *f)
{
    int n = dwfl_module_getsymtab(f->mod);
    size_t k = 0;

    f->syms_built = true;
    if (n <= 1)
        return 0;
    f->syms = calloc((size_t)n, sizeof(*f->syms));
    if (!f->syms)
        return -ENOMEM;
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(f->mod, i, &sym, &addr, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info);

        if (!name || !name[0] || shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_GNU_IFUNC))
            continue;
        f->syms[f->nsyms++] = (struct sym_ent){addr, sym.st_size, name, sym_rank(&sym, name)};
    }
    qsort(f->syms, f->nsyms, sizeof(*f->syms), sym_cmp);
    /* Keep the preferred entry per address, with the largest size seen. */
    for (size_t i = 0; i < f->nsyms; i++) {
        if (k > 0 && f->syms[k - 1].addr == f->syms[i].addr) {
            if (f->syms[i].size > f->syms[k - 1].size)
                f->syms[k - 1].size = f->syms[i].size;
            continue;
        }
        f->syms[k++] = f->syms[i];
    }
    f->nsyms = k;
    return 0;
}

/* The function symbol containing dwfl address a, or NULL. */
static const char *find_sym(struct sym_file *f, Dwarf_Addr a)
{
    size_t lo = 0, hi = f->nsyms;
    const struct sym_ent *e;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (f->syms[mid].addr <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    e = &f->syms[lo - 1];
    if (e->size ? a - e->addr < e->size : lo < f->nsyms)
        return e->name;
    return NULL;
}

/* One frame from the ELF symbol table (and line table if any). */
static size_t symtab_frame(struct cprof_symbolizer *s, struct sym_file *f, Dwarf_Addr a,
                           struct cprof_sym_frame *fr)
{
    GElf_Off off;
    GElf_Sym sym;
    const char *name;
    int lineno = 0;
    const char *file = NULL;

    if (!f->syms_built && build_syms(f) != 0)
        return 0;
    name = find_sym(f, a);
    /* libdwfl's lookup scans the whole table: only when ours has no functions. */
    if (!name && f->nsyms == 0)
        name = dwfl_module_addrinfo(f->mod, a, &off, &sym, NULL, NULL, NULL);
    if (!name || !set_names(s, fr, name, NULL))
        return 0;
    if (dwarf_module(s, f))
        file = src_line(f, NULL, 0, a - f->bias + f->dmod_bias, &lineno);
    fr->file = file ? file : "";
    fr->line = lineno;
    fr->start_line = 0;
    return 1;
}

/* Reads the function starts of f's .eh_frame_hdr (PT_GNU_EH_FRAME) once. */
static void build_fstarts(struct sym_file *f)
{
    GElf_Addr bias;
    Elf *elf = dwfl_module_getelf(f->mod, &bias);
    size_t n;

    f->fstarts_built = true;
    if (!elf || elf_getphdrnum(elf, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        Elf_Data *d;

        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME || !ph.p_filesz)
            continue;
        d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_BYTE);
        if (d && d->d_buf)
            cprof_ehhdr_starts(d->d_buf, d->d_size, ph.p_vaddr, &f->fstarts, &f->nfstarts);
        return;
    }
}

/*
 * A frame for code no symbol covers: named by the start of the unwind-table
 * entry (FDE) before it, as an ELF address of the file
 * ("liblzma.so.5+0x15b80").  Compilers give every function (and each cold
 * part) an FDE, so each stripped function gets a name of its own.  0 when
 * the file has no .eh_frame_hdr or a is before its first entry.
 */
static size_t fde_frame(struct cprof_symbolizer *s, struct sym_file *f,
                        const struct cprof_sym_mapping *m, Dwarf_Addr a, struct cprof_sym_frame *fr)
{
    uint64_t v = a - f->bias, start;
    const char *base = strrchr(m->path, '/');
    size_t lo = 0, hi;
    char *name;
    int len;

    if (!f->fstarts_built)
        build_fstarts(f);
    hi = f->nfstarts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (f->fstarts[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    start = f->fstarts[lo - 1];
    base = base ? base + 1 : m->path;
    len = snprintf(NULL, 0, "%s+0x%" PRIx64, base, start);
    name = len > 0 ? cprof_arena_alloc(&s->scratch, (size_t)len + 1) : NULL;
    if (!name)
        return 0;
    snprintf(name, (size_t)len + 1, "%s+0x%" PRIx64, base, start);
    *fr = (struct cprof_sym_frame){.name = name, .system_name = name, .file = "", .unnamed = true};
    return 1;
}

int cprof_symbolizer_lookup(struct cprof_symbolizer *s, const struct cprof_sym_mapping *m,
                            uint64_t addr, struct cprof_sym_frame *frames, size_t max,
                            size_t *nframes)
{
    struct sym_file *f;
    uint64_t vaddr;
    Dwarf_Addr a;
    int err;

    *nframes = 0;
    cprof_arena_release(&s->scratch);
    if (!m->path || !m->path[0])
        return CPROF_ENOTFOUND;
    err = get_file(s, m->path, m->build_id, &f);
    if (err)
        return err;
    if (addr < m->start || (m->limit > m->start && addr >= m->limit) || max == 0)
        return 0;
    if (!to_vaddr(f, m, addr, &vaddr))
        return 0;
    a = vaddr + f->bias;
    *nframes = dwarf_frames(s, f, a, frames, max);
    if (*nframes == 0)
        *nframes = symtab_frame(s, f, a, frames);
    for (size_t i = 0; i < *nframes; i++)
        frames[i].unnamed = false;
    if (*nframes == 0 && (s->flags & CPROF_SYM_FDE_NAMES))
        *nframes = fde_frame(s, f, m, a, frames);
    return 0;
}
