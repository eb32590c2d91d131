/*
 * The disasm report: assembly annotated with samples (pprof's
 * report/report.go, PrintAssembly).  For every function symbol of a
 * mapped binary whose name matches the regexp (or whose range holds the
 * regexp read as an address), in a mapping that has samples of a
 * matching function: a ROUTINE header, the (flat, cum) line and every
 * instruction of the symbol's range with the samples at addresses from
 * it up to the next instruction.  Binaries are read from the mappings'
 * paths (the command line's BINARY stands for the first); symbols come
 * from the ELF symbol table (libelf), instructions from capstone (AT&T
 * syntax as objdump, Intel with intel_syntax), the function and
 * file:line column from the symbolizer (DWARF).
 *
 * Where pprof differs: pprof runs objdump, which also names call targets
 * ("<foo>") and pads differently; the instructions and the layout are
 * the same.  x86-64 and AArch64 binaries only.  Capstone is loaded on
 * first use (dlopen), so only -disasm needs it installed.
 */
#include "tool/report/report_int.h"

#include <capstone/capstone.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "model/profile.h"
#include "sym/symbolize.h"

/* One function symbol to show. */
struct dsym {
    const char *name;    /* in the engine arena */
    uint64_t start, end; /* object addresses */
    uint32_t mapping;    /* profile mapping position */
    uint64_t base;       /* sample address - base = object address */
};

/* Capstone's entry points, from dlopen. */
static struct {
    cs_err (*open)(cs_arch, cs_mode, csh *);
    cs_err (*option)(csh, cs_opt_type, size_t);
    size_t (*disasm)(csh, const uint8_t *, size_t, uint64_t, size_t, cs_insn **);
    void (*free)(cs_insn *, size_t);
    cs_err (*close)(csh *);
} cap;

/* Loads capstone once; 0 or CPROF_ENOTFOUND with the reason in r's diag. */
static int load_capstone(struct rep *r)
{
    void *h;

    if (cap.open)
        return 0;
    h = dlopen("libcapstone.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        h = dlopen("libcapstone.so", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return cprof_diag_set(r->diag, CPROF_ENOTFOUND,
                              "disasm: capstone not available (install libcapstone4): %s",
                              dlerror());
    *(void **)&cap.option = dlsym(h, "cs_option");
    *(void **)&cap.disasm = dlsym(h, "cs_disasm");
    *(void **)&cap.free = dlsym(h, "cs_free");
    *(void **)&cap.close = dlsym(h, "cs_close");
    *(void **)&cap.open = dlsym(h, "cs_open");
    if (!cap.option || !cap.disasm || !cap.free || !cap.close || !cap.open) {
        cap.open = NULL;
        return cprof_diag_set(r->diag, CPROF_ENOTFOUND, "disasm: capstone lacks cs_disasm");
    }
    return 0;
}

struct dlist {
    struct dsym *v;
    size_t n, cap;
};

static int push(struct rep *r, struct dlist *l, const struct dsym *s)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        struct dsym *v = realloc(l->v, ncap * sizeof(*v));

        if (!v)
            return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        l->v = v;
        l->cap = ncap;
    }
    l->v[l->n++] = *s;
    return 0;
}

/*
 * pprof's GetBase for a user-space mapping: load address minus link
 * address of the loadable segment that maps m's file offset.
 */
static uint64_t elf_base(Elf *e, const struct cprof_mapping *m)
{
    size_t nph;
    GElf_Ehdr eh;

    if (!gelf_getehdr(e, &eh) || elf_getphdrnum(e, &nph))
        return 0;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;

        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
            continue;
        if (m->offset >= (ph.p_offset & ~(uint64_t)0xfff) &&
            m->offset < ph.p_offset + ph.p_filesz) {
            /* start maps offset; link address of offset is p_vaddr + (offset - p_offset). */
            return m->start - (ph.p_vaddr + m->offset - ph.p_offset);
        }
    }
    return eh.e_type == ET_EXEC ? 0 : m->start - m->offset;
}

/* Adds the matching function symbols of mapping mi's binary to out. */
static int find_symbols(struct rep *r, Elf *e, uint32_t mi, const regex_t *rx,
                        const uint64_t *address, struct dlist *out)
{
    const struct cprof_mapping *m = &r->p->mappings[mi];
    uint64_t base = elf_base(e, m);
    Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
    int err = 0;

    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;

        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_type == SHT_SYMTAB)
            symtab = scn;
        else if (sh.sh_type == SHT_DYNSYM)
            dynsym = scn;
    }
    scn = symtab ? symtab : dynsym;
    if (!scn)
        return 0;
    GElf_Shdr sh;
    Elf_Data *d = elf_getdata(scn, NULL);

    if (!gelf_getshdr(scn, &sh) || !d || !sh.sh_entsize)
        return 0;
    for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && !err; i++) {
        GElf_Sym s;
        const char *name;
        bool dup = false;

        if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC || s.st_size == 0 ||
            s.st_shndx == SHN_UNDEF)
            continue;
        name = elf_strptr(e, sh.sh_link, s.st_name);
        if (!name || !*name)
            continue;
        if (!cprof__rep_match(rx, name) &&
            !(address && *address - base >= s.st_value && *address - base < s.st_value + s.st_size))
            continue;
        /* Aliases of one range are shown once (pprof prints them as AKA). */
        for (size_t k = 0; k < out->n && !dup; k++)
            dup = out->v[k].mapping == mi && out->v[k].start == s.st_value;
        if (dup)
            continue;
        struct dsym ds = {cprof_arena_strndup(&r->arena, name, strlen(name)), s.st_value,
                          s.st_value + s.st_size, mi, base};

        if (!ds.name)
            return cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        err = push(r, out, &ds);
    }
    return err;
}

/* Copies the bytes of [start, end) from the executable section that holds them. */
static unsigned char *code_of(Elf *e, uint64_t start, uint64_t end)
{
    Elf_Scn *scn = NULL;

    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        Elf_Data *d;
        unsigned char *buf;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
            !(sh.sh_flags & SHF_EXECINSTR) || start < sh.sh_addr || end > sh.sh_addr + sh.sh_size)
            continue;
        d = elf_getdata(scn, NULL);
        if (!d || !d->d_buf || d->d_size < sh.sh_size)
            return NULL;
        buf = malloc(end - start + 1);
        if (buf)
            memcpy(buf, (const unsigned char *)d->d_buf + (start - sh.sh_addr), end - start);
        return buf;
    }
    return NULL;
}

static int cmp_sym(const void *pa, const void *pb)
{
    const struct dsym *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);

    if (c)
        return c;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* pprof's valueOrDot. */
static const char *value_or_dot(const struct rep *r, char *buf, size_t n, int64_t v)
{
    return v == 0 ? "." : cprof__rep_fmt(r, buf, n, v);
}

/* objdump's spacing of an AT&T instruction: mnemonic padded to 6, operands without blanks. */
static void inst_text(char *out, size_t n, const cs_insn *in, bool att)
{
    char ops[256];
    size_t k = 0;

    for (const char *s = in->op_str; *s && k + 1 < sizeof(ops); s++) {
        if (att && s[0] == ' ' && s > in->op_str && s[-1] == ',')
            continue;
        ops[k++] = *s;
    }
    ops[k] = '\0';
    if (k)
        snprintf(out, n, "%-6s %s", in->mnemonic, ops);
    else
        snprintf(out, n, "%s", in->mnemonic);
}

/* Prints one symbol's annotated instructions. */
static int print_symbol(struct rep *r, Elf *e, csh cs, bool att, const struct dsym *s,
                        struct cprof_symbolizer *sz)
{
    const struct cprof_mapping *m = &r->p->mappings[s->mapping];
    struct cprof_sym_mapping sm = {m->start, m->limit, m->offset, cprof__rep_str(r, m->filename),
                                   cprof__rep_str(r, m->build_id)};
    uint32_t obj = r->map_id[s->mapping];
    int64_t flat = 0, cum = 0;
    char a[64], b[64], pct[64];
    char fn[512] = "", file[512] = "";
    int64_t line = 0;
    unsigned char *code = code_of(e, s->start, s->end);
    cs_insn *insn = NULL;
    size_t ninsn;

    if (!code)
        return cprof_diag_set(r->diag, CPROF_ENOTFOUND, "%s: no code for %s", sm.path, s->name);
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct rep_node *n = &r->nodes[i];

        if (n->obj == obj && n->addr - s->base >= s->start && n->addr - s->base < s->end) {
            flat += cprof__rep_flat(n);
            cum += cprof__rep_cum(n);
        }
    }
    ninsn = cap.disasm(cs, code, s->end - s->start, s->start, 0, &insn);
    fprintf(r->out, "ROUTINE ======================== %s\n", s->name);
    fprintf(r->out, "%10s %10s (flat, cum) %s of Total\n", cprof__rep_fmt(r, a, sizeof(a), flat),
            cprof__rep_fmt(r, b, sizeof(b), cum),
            cprof__rep_percentage(pct, sizeof(pct), cum, r->total));
    for (size_t k = 0; k < ninsn; k++) {
        uint64_t at = insn[k].address, next = k + 1 < ninsn ? insn[k + 1].address : s->end;
        int64_t f = 0, c = 0;
        struct cprof_sym_frame fr[CPROF_SYM_MAX_FRAMES];
        size_t nfr = 0;
        char text[320], loc[1100] = "";

        /* Samples from this instruction up to the next one. */
        for (uint32_t i = 0; i < r->nnodes; i++) {
            const struct rep_node *n = &r->nodes[i];

            if (n->obj == obj && n->addr - s->base >= at && n->addr - s->base < next) {
                f += cprof__rep_flat(n);
                c += cprof__rep_cum(n);
            }
        }
        inst_text(text, sizeof(text), &insn[k], att);
        if (cprof_symbolizer_lookup(sz, &sm, at + s->base, fr, CPROF_SYM_MAX_FRAMES, &nfr) == 0 &&
            nfr > 0) {
            const char *base = strrchr(fr[0].file, '/');

            base = base ? base + 1 : fr[0].file;
            if (strcmp(fn, fr[0].name) || strcmp(file, base) || line != fr[0].line) {
                snprintf(fn, sizeof(fn), "%s", fr[0].name);
                snprintf(file, sizeof(file), "%s", base);
                line = fr[0].line;
                snprintf(loc, sizeof(loc), "%s%s%s", fn, *fn ? " " : "", file);
                if (*file && line)
                    snprintf(loc + strlen(loc), sizeof(loc) - strlen(loc), ":%lld",
                             (long long)line);
            }
        }
        if (!loc[0])
            fprintf(r->out, "%10s %10s %10llx: %s\n", value_or_dot(r, a, sizeof(a), f),
                    value_or_dot(r, b, sizeof(b), c), (unsigned long long)at, text);
        else if (strlen(text) < 40)
            fprintf(r->out, "%10s %10s %10llx: %-40s;%s\n", value_or_dot(r, a, sizeof(a), f),
                    value_or_dot(r, b, sizeof(b), c), (unsigned long long)at, text, loc);
        else
            fprintf(r->out, "%74s;%s\n%10s %10s %10llx: %s\n", "", loc,
                    value_or_dot(r, a, sizeof(a), f), value_or_dot(r, b, sizeof(b), c),
                    (unsigned long long)at, text);
    }
    if (insn)
        cap.free(insn, ninsn);
    free(code);
    return 0;
}

int cprof__rep_disasm(struct rep *r)
{
    const struct cprof_profile *p = r->p;
    struct dlist syms = {0};
    struct cprof_symbolizer *sz = NULL;
    uint64_t address, *addrp = NULL;
    char tot[64], *end;
    regex_t rx;
    int err;

    if ((err = cprof__rep_regcomp(r, &rx, "argument", r->o->symbol)))
        return err;
    errno = 0;
    address = strtoull(r->o->symbol, &end, 0);
    if (!errno && *r->o->symbol && !*end)
        addrp = &address;
    if ((err = cprof__rep_build(r, true)))
        goto out;
    fprintf(r->out, "Total: %s\n", cprof__rep_fmt(r, tot, sizeof(tot), r->total));
    elf_version(EV_CURRENT);
    sz = cprof_symbolizer_new(CPROF_SYM_NO_DEBUGINFOD | CPROF_SYM_LOAD_DEMANGLER);
    if (!sz) {
        err = cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t mi = 0; mi < p->nmappings && !err; mi++) {
        const struct cprof_mapping *m = &p->mappings[mi];
        bool has = false;
        size_t first = syms.n;
        int fd;
        Elf *e;
        csh cs;
        GElf_Ehdr eh;

        for (uint32_t i = 0; i < r->nnodes && !has; i++)
            has = r->nodes[i].obj == r->map_id[mi] && r->map_id[mi] != 0 &&
                  cprof__rep_match(&rx, r->nodes[i].pname ? r->nodes[i].pname
                                                          : r->strs.s[r->nodes[i].name]);
        if (!has && !(addrp && m->start <= address && address <= m->limit))
            continue;
        fd = open(cprof__rep_str(r, m->filename), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
            if (e)
                elf_end(e);
            close(fd);
            continue;
        }
        err = find_symbols(r, e, mi, &rx, addrp, &syms);
        if (!err && syms.n > first)
            err = load_capstone(r);
        if (!err && syms.n > first) {
            bool att = eh.e_machine == EM_X86_64;

            if (eh.e_machine != EM_X86_64 && eh.e_machine != EM_AARCH64) {
                err = cprof_diag_set(r->diag, CPROF_EUSAGE, "disasm: unsupported machine %u in %s",
                                     eh.e_machine, cprof__rep_str(r, m->filename));
            } else if (cap.open(att ? CS_ARCH_X86 : CS_ARCH_ARM64, att ? CS_MODE_64 : CS_MODE_ARM,
                                &cs) != CS_ERR_OK) {
                err = cprof_diag_set(r->diag, -ENOMEM, "disasm: capstone failed");
            } else {
                if (att && r->o->intel_syntax)
                    att = false;
                else if (att)
                    cap.option(cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
                qsort(syms.v + first, syms.n - first, sizeof(*syms.v), cmp_sym);
                for (size_t k = first; k < syms.n && !err; k++)
                    err = print_symbol(r, e, cs, att, &syms.v[k], sz);
                cap.close(&cs);
            }
        }
        elf_end(e);
        close(fd);
    }
    if (!err && syms.n == 0)
        err = cprof_diag_set(r->diag, CPROF_ENOTFOUND, "no matches found for regexp: %s",
                             r->o->symbol);
out:
    cprof_symbolizer_free(sz);
    free(syms.v);
    regfree(&rx);
    return err;
}
