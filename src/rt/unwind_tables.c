/*
 * Unwind-table preparation, outside signal context: walks the loaded
 * objects (dl_iterate_phdr), parses each one's .eh_frame_hdr/.eh_frame
 * CIEs and FDEs, runs the DWARF CFA programs and keeps, per address range,
 * only what a walk needs (CFA from sp or fp, where the return address and
 * the saved frame pointer are) as compact sorted rows.  The result is
 * published through an atomic pointer for the signal-safe walker
 * (sig/unwind.c); a replaced table is unmapped only once no walk is in
 * progress (see cprof__unw_readers).  Table memory comes from mmap, so the
 * tables never go through an interposed malloc; qsort and
 * pthread_getattr_np may still call malloc here.
 */
#include "rt/sig/unwind.h"

#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "rt/sig/unwind_arch.h"
#include "rt/sig/unwind_int.h"

/* ---- growable mmap'd arrays ------------------------------------------- */

struct vec {
    void *p;    /* mapping, or NULL */
    size_t len; /* elements used */
    size_t cap; /* elements that fit in the mapping */
    size_t esz; /* element size, bytes */
};

static size_t vec_bytes(const struct vec *v)
{
    size_t b = v->cap * v->esz;

    return (b + 4095) & ~(size_t)4095;
}

static void *vec_push(struct vec *v)
{
    if (v->len == v->cap) {
        size_t old = v->p ? vec_bytes(v) : 0;
        size_t ncap = v->cap ? v->cap * 2 : 4096 / v->esz;
        size_t nbytes = ((ncap * v->esz) + 4095) & ~(size_t)4095;
        void *p =
            old ? mremap(v->p, old, nbytes, MREMAP_MAYMOVE)
                : mmap(NULL, nbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
        v->p = p;
        v->cap = nbytes / v->esz;
    }
    return (char *)v->p + v->len++ * v->esz;
}

static void vec_release(struct vec *v)
{
    if (v->p)
        munmap(v->p, vec_bytes(v));
    v->p = NULL;
    v->len = v->cap = 0;
}

/* ---- bounded byte reader ---------------------------------------------- */

struct rd {
    const uint8_t *p;   /* next byte */
    const uint8_t *end; /* one past the last readable byte */
    bool bad;           /* a read ran past end or met an unsupported encoding */
};

static bool rd_take(struct rd *r, void *out, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        memset(out, 0, n);
        return false;
    }
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

static uint8_t rd_u8(struct rd *r)
{
    uint8_t v;

    rd_take(r, &v, 1);
    return v;
}

/* Reads LEB128 bits; *shift and *last say where it ended, for sign extension. */
static uint64_t rd_leb(struct rd *r, unsigned *shift, uint8_t *last)
{
    uint64_t v = 0;
    uint8_t b;

    *shift = 0;
    do {
        b = rd_u8(r);
        if (*shift < 64)
            v |= (uint64_t)(b & 0x7f) << *shift;
        *shift += 7;
    } while ((b & 0x80) && !r->bad);
    *last = b;
    return v;
}

static uint64_t rd_uleb(struct rd *r)
{
    unsigned shift;
    uint8_t last;

    return rd_leb(r, &shift, &last);
}

static int64_t rd_sleb(struct rd *r)
{
    unsigned shift;
    uint8_t last;
    uint64_t v = rd_leb(r, &shift, &last);

    if (shift < 64 && (last & 0x40))
        v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

#define DW_EH_PE_omit    0xff
#define DW_EH_PE_pcrel   0x10
#define DW_EH_PE_datarel 0x30

/*
 * Reads a pointer in DW_EH_PE encoding enc.  data_base is the base of
 * datarel values (the .eh_frame_hdr start).  Indirect pointers are returned
 * unresolved: only personality routines use them, and we skip those.
 */
static uintptr_t rd_ptr(struct rd *r, uint8_t enc, uintptr_t data_base)
{
    uintptr_t at = (uintptr_t)r->p, v;

    switch (enc & 0x0f) {
    case 0x00:
    case 0x04:
    case 0x0c: {
        uint64_t x;
        rd_take(r, &x, 8);
        v = (uintptr_t)x;
        break;
    }
    case 0x01: v = (uintptr_t)rd_uleb(r); break;
    case 0x09: v = (uintptr_t)rd_sleb(r); break;
    case 0x02: {
        uint16_t x;
        rd_take(r, &x, 2);
        v = x;
        break;
    }
    case 0x0a: {
        int16_t x;
        rd_take(r, &x, 2);
        v = (uintptr_t)(intptr_t)x;
        break;
    }
    case 0x03: {
        uint32_t x;
        rd_take(r, &x, 4);
        v = x;
        break;
    }
    case 0x0b: {
        int32_t x;
        rd_take(r, &x, 4);
        v = (uintptr_t)(intptr_t)x;
        break;
    }
    default: r->bad = true; return 0;
    }
    switch (enc & 0x70) {
    case 0: break;
    case DW_EH_PE_pcrel: v += at; break;
    case DW_EH_PE_datarel: v += data_base; break;
    default: r->bad = true;
    }
    return v;
}

/* ---- the loaded object being parsed ----------------------------------- */

#define MAX_SEGS 16

struct seg {
    uintptr_t lo, hi; /* runtime address range */
    bool exec;        /* PF_X */
};

struct obj {
    struct seg segs[MAX_SEGS]; /* its PT_LOAD segments */
    int nsegs;
    uintptr_t hdr; /* runtime address of .eh_frame_hdr */
};

/* A reader for [p, end of p's segment), or a bad reader. */
static struct rd obj_reader(const struct obj *o, uintptr_t p)
{
    struct rd r = {NULL, NULL, true};

    for (int i = 0; i < o->nsegs; i++)
        if (p >= o->segs[i].lo && p < o->segs[i].hi) {
            r.p = (const uint8_t *)p;
            r.end = (const uint8_t *)o->segs[i].hi;
            r.bad = false;
        }
    return r;
}

static bool obj_is_code(const struct obj *o, uintptr_t lo, uintptr_t hi)
{
    for (int i = 0; i < o->nsegs; i++)
        if (o->segs[i].exec && lo >= o->segs[i].lo && hi <= o->segs[i].hi && lo < hi)
            return true;
    return false;
}

/* ---- CIE and FDE ------------------------------------------------------ */

struct cie {
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_reg;
    uint8_t fde_enc;      /* pointer encoding of FDE pc fields */
    bool has_aug_data;    /* 'z': FDEs carry an augmentation length */
    const uint8_t *insns; /* initial instructions */
    const uint8_t *end;
};

/* Reads an entry's length; *end is one past the entry.  False at a terminator or on error. */
static bool entry_bounds(struct rd *r, const uint8_t **end)
{
    uint32_t len32;
    uint64_t len;

    rd_take(r, &len32, 4);
    len = len32;
    if (len32 == 0xffffffffu)
        rd_take(r, &len, 8);
    if (r->bad || len == 0 || len > (uint64_t)(r->end - r->p))
        return false;
    *end = r->p + len;
    return true;
}

static bool parse_cie(const struct obj *o, uintptr_t at, struct cie *c)
{
    struct rd r = obj_reader(o, at);
    const uint8_t *end;
    const char *aug;
    uint32_t id;
    uint8_t version;

    if (!entry_bounds(&r, &end))
        return false;
    r.end = end;
    rd_take(&r, &id, 4);
    version = rd_u8(&r);
    if (r.bad || id != 0 || (version != 1 && version != 3))
        return false;
    aug = (const char *)r.p;
    while (rd_u8(&r) != 0 && !r.bad)
        ;
    c->code_align = rd_uleb(&r);
    c->data_align = rd_sleb(&r);
    c->ra_reg = version == 1 ? rd_u8(&r) : rd_uleb(&r);
    c->fde_enc = 0;
    c->has_aug_data = aug[0] == 'z';
    if (c->has_aug_data) {
        uint64_t alen = rd_uleb(&r);
        struct rd a = {r.p, r.p + (alen < (uint64_t)(r.end - r.p) ? alen : 0), false};
        for (const char *s = aug + 1; *s && !a.bad; s++) {
            if (*s == 'R')
                c->fde_enc = rd_u8(&a);
            else if (*s == 'L')
                rd_u8(&a);
            else if (*s == 'P')
                rd_ptr(&a, rd_u8(&a), 0);
            else if (*s != 'S' && *s != 'B')
                a.bad = true;
        }
        if (a.bad || alen > (uint64_t)(r.end - r.p))
            return false;
        r.p += alen;
    } else if (aug[0] != 0) {
        return false; /* an augmentation we cannot skip */
    }
    c->insns = r.p;
    c->end = end;
    return !r.bad && c->ra_reg == CPROF_UNW_DW_RA;
}

/* An FDE in the object: where it starts in memory and the code it covers. */
struct fde {
    uintptr_t pc_lo; /* first covered address */
    uintptr_t addr;  /* runtime address of the FDE */
};

struct fde_info {
    struct cie cie;
    uintptr_t pc_lo, pc_hi;
    const uint8_t *insns, *end;
};

/* Parses the FDE at at; false if malformed, a CIE, or not covering this object's code. */
static bool parse_fde(const struct obj *o, uintptr_t at, struct fde_info *f)
{
    struct rd r = obj_reader(o, at);
    const uint8_t *end, *id_at;
    uint32_t id;

    if (!entry_bounds(&r, &end))
        return false;
    r.end = end;
    id_at = r.p;
    rd_take(&r, &id, 4);
    if (r.bad || id == 0 || !parse_cie(o, (uintptr_t)id_at - id, &f->cie))
        return false;
    f->pc_lo = rd_ptr(&r, f->cie.fde_enc, o->hdr);
    f->pc_hi = f->pc_lo + rd_ptr(&r, f->cie.fde_enc & 0x0f, 0);
    if (f->cie.has_aug_data) {
        uint64_t alen = rd_uleb(&r);
        if (alen > (uint64_t)(r.end - r.p))
            return false;
        r.p += alen;
    }
    f->insns = r.p;
    f->end = end;
    return !r.bad && obj_is_code(o, f->pc_lo, f->pc_hi);
}

/* ---- the CFA program interpreter -------------------------------------- */

enum rule_kind { RULE_SAME = 0, RULE_OFFSET, RULE_EXPR_SP, RULE_UNDEF, RULE_OTHER };

struct rule {
    uint8_t kind; /* enum rule_kind */
    int64_t off;  /* RULE_OFFSET: CFA + off; RULE_EXPR_SP: sp + off */
};

struct cfa_state {
    uint8_t cfa_rule; /* enum cprof__unw_cfa */
    uint64_t cfa_reg; /* CFA_SP/CFA_FP before mapping: the DWARF register */
    int64_t cfa_off;
    uint8_t aux;
    struct rule fp, bx, ra;
};

#define STATE_STACK 16

struct interp {
    struct cfa_state st, init;           /* current and after the CIE */
    struct cfa_state saved[STATE_STACK]; /* remember/restore_state */
    int nsaved;
    uintptr_t loc; /* address the current state starts at */
};

static struct rule *reg_rule(struct cfa_state *s, uint64_t reg)
{
    if (reg == CPROF_UNW_DW_FP)
        return &s->fp;
    if (reg == CPROF_UNW_DW_BX)
        return &s->bx;
    if (reg == CPROF_UNW_DW_RA)
        return &s->ra;
    return NULL;
}

static void set_rule(struct cfa_state *s, uint64_t reg, uint8_t kind, int64_t off)
{
    struct rule *rule = reg_rule(s, reg);

    if (rule) {
        rule->kind = kind;
        rule->off = off;
    }
}

/* Recognises the two CFA expressions compilers and glibc emit on x86-64. */
static void cfa_expression(struct cfa_state *s, const uint8_t *e, uint64_t len)
{
    struct rd r = {e, e + len, false};
    uint8_t op = rd_u8(&r);
    int64_t off = rd_sleb(&r);

    s->cfa_rule = CPROF_UNW_CFA_UNKNOWN;
    if (r.bad || (op != 0x70 + CPROF_UNW_DW_SP && op != 0x70 + CPROF_UNW_DW_FP))
        return;
    s->cfa_off = off;
    if (r.end - r.p == 1 && r.p[0] == 0x06) { /* DW_OP_deref: signal frame, realigned stack */
        s->cfa_rule =
            op == 0x70 + CPROF_UNW_DW_SP ? CPROF_UNW_CFA_DEREF_SP : CPROF_UNW_CFA_DEREF_FP;
        return;
    }
    /* Lazy PLT: breg7 N; breg16 0; lit15; and; litB; ge; lit3; shl; plus */
    static const uint8_t plt_head[] = {0x80, 0x00, 0x3f, 0x1a};
    static const uint8_t plt_tail[] = {0x2a, 0x33, 0x24, 0x22};
    if (op == 0x70 + CPROF_UNW_DW_SP && r.end - r.p == 9 && !memcmp(r.p, plt_head, 4) &&
        r.p[4] >= 0x30 && r.p[4] <= 0x4f && !memcmp(r.p + 5, plt_tail, 4)) {
        s->cfa_rule = CPROF_UNW_CFA_PLT;
        s->aux = (uint8_t)(r.p[4] - 0x30);
    }
}

/* A register rule given by DW_CFA_expression: only "at sp + N" is followed. */
static void reg_expression(struct cfa_state *s, uint64_t reg, const uint8_t *e, uint64_t len)
{
    struct rd r = {e, e + len, false};
    uint8_t op = rd_u8(&r);
    int64_t off = rd_sleb(&r);

    if (!r.bad && r.p == r.end && op == 0x70 + CPROF_UNW_DW_SP)
        set_rule(s, reg, RULE_EXPR_SP, off);
    else
        set_rule(s, reg, RULE_OTHER, 0);
}

static void def_cfa(struct cfa_state *s, uint64_t reg, int64_t off)
{
    s->cfa_reg = reg;
    s->cfa_off = off;
    s->cfa_rule = reg == CPROF_UNW_DW_SP   ? CPROF_UNW_CFA_SP
                  : reg == CPROF_UNW_DW_FP ? CPROF_UNW_CFA_FP
                  : reg == CPROF_UNW_DW_BX ? CPROF_UNW_CFA_BX
                                           : CPROF_UNW_CFA_UNKNOWN;
}

typedef bool (*emit_fn)(void *ctx, uintptr_t loc, const struct cfa_state *s);

/* Executes one CFA instruction; emits the current row before any advance. */
static bool exec_insn(struct interp *in, struct rd *r, const struct cie *c, emit_fn emit, void *ctx)
{
    struct cfa_state *s = &in->st;
    uint8_t op = rd_u8(r), low = op & 0x3f;
    uint64_t reg, delta = 0;

    switch (op & 0xc0) {
    case 0x40: delta = low; goto advance;
    case 0x80: set_rule(s, low, RULE_OFFSET, (int64_t)rd_uleb(r) * c->data_align); return !r->bad;
    case 0xc0:
        if (reg_rule(s, low))
            *reg_rule(s, low) = *reg_rule(&in->init, low);
        return true;
    }
    switch (op) {
    case 0x00: /* nop */ return true;
    case 0x02: delta = rd_u8(r); goto advance;
    case 0x03: {
        uint16_t d;
        rd_take(r, &d, 2);
        delta = d;
        goto advance;
    }
    case 0x04: {
        uint32_t d;
        rd_take(r, &d, 4);
        delta = d;
        goto advance;
    }
    case 0x05: /* offset_extended */
        reg = rd_uleb(r);
        set_rule(s, reg, RULE_OFFSET, (int64_t)rd_uleb(r) * c->data_align);
        return !r->bad;
    case 0x06: /* restore_extended */
        reg = rd_uleb(r);
        if (reg_rule(s, reg))
            *reg_rule(s, reg) = *reg_rule(&in->init, reg);
        return !r->bad;
    case 0x07: /* undefined */ set_rule(s, rd_uleb(r), RULE_UNDEF, 0); return !r->bad;
    case 0x08: /* same_value */ set_rule(s, rd_uleb(r), RULE_SAME, 0); return !r->bad;
    case 0x09: /* register */
        reg = rd_uleb(r);
        rd_uleb(r);
        set_rule(s, reg, RULE_OTHER, 0);
        return !r->bad;
    case 0x0a: /* remember_state */
        if (in->nsaved == STATE_STACK)
            return false;
        in->saved[in->nsaved++] = *s;
        return true;
    case 0x0b: /* restore_state: the CFA rule too, as libgcc does */
        if (in->nsaved == 0)
            return false;
        *s = in->saved[--in->nsaved];
        return true;
    case 0x0c: /* def_cfa */
        reg = rd_uleb(r);
        def_cfa(s, reg, (int64_t)rd_uleb(r));
        return !r->bad;
    case 0x0d: /* def_cfa_register */ def_cfa(s, rd_uleb(r), s->cfa_off); return !r->bad;
    case 0x0e: /* def_cfa_offset */ def_cfa(s, s->cfa_reg, (int64_t)rd_uleb(r)); return !r->bad;
    case 0x0f: { /* def_cfa_expression */
        uint64_t len = rd_uleb(r);
        if (r->bad || len > (uint64_t)(r->end - r->p))
            return false;
        cfa_expression(s, r->p, len);
        r->p += len;
        return true;
    }
    case 0x10: { /* expression */
        reg = rd_uleb(r);
        uint64_t len = rd_uleb(r);
        if (r->bad || len > (uint64_t)(r->end - r->p))
            return false;
        reg_expression(s, reg, r->p, len);
        r->p += len;
        return true;
    }
    case 0x11: /* offset_extended_sf */
        reg = rd_uleb(r);
        set_rule(s, reg, RULE_OFFSET, rd_sleb(r) * c->data_align);
        return !r->bad;
    case 0x12: /* def_cfa_sf */
        reg = rd_uleb(r);
        def_cfa(s, reg, rd_sleb(r) * c->data_align);
        return !r->bad;
    case 0x13: /* def_cfa_offset_sf */
        def_cfa(s, s->cfa_reg, rd_sleb(r) * c->data_align);
        return !r->bad;
    case 0x14: /* val_offset */
    case 0x15: /* val_offset_sf */
        reg = rd_uleb(r);
        op == 0x14 ? (void)rd_uleb(r) : (void)rd_sleb(r);
        set_rule(s, reg, RULE_OTHER, 0);
        return !r->bad;
    case 0x16: { /* val_expression */
        reg = rd_uleb(r);
        uint64_t len = rd_uleb(r);
        if (r->bad || len > (uint64_t)(r->end - r->p))
            return false;
        set_rule(s, reg, RULE_OTHER, 0);
        r->p += len;
        return true;
    }
    case 0x2e: /* GNU_args_size */ rd_uleb(r); return !r->bad;
    case 0x2f: /* GNU_negative_offset_extended */
        reg = rd_uleb(r);
        set_rule(s, reg, RULE_OFFSET, -(int64_t)rd_uleb(r) * c->data_align);
        return !r->bad;
    default: /* DW_CFA_set_loc and vendor opcodes: give up on this FDE */ return false;
    }
advance:
    if (r->bad)
        return false;
    if (emit && !emit(ctx, in->loc, s))
        return false;
    in->loc += delta * c->code_align;
    return true;
}

static bool run_program(struct interp *in, const uint8_t *p, const uint8_t *end,
                        const struct cie *c, emit_fn emit, void *ctx)
{
    struct rd r = {p, end, false};

    while (r.p < r.end)
        if (!exec_insn(in, &r, c, emit, ctx))
            return false;
    return true;
}

/* ---- rows ------------------------------------------------------------- */

struct builder {
    struct vec rows;  /* struct cprof__unw_row, all objects */
    struct vec objs;  /* struct cprof__unw_object */
    struct vec fdes;  /* struct fde, scratch for the current object */
    struct vec pages; /* uint32_t, the page index of all objects */
    size_t obj_first; /* first row of the current object */
    uintptr_t obj_lo; /* current object's lo */
    uintptr_t fde_hi; /* end of the FDE being emitted */
    bool nomem;
    bool abandoned; /* an object may have been unloaded: try again later */
};

static bool fits16(int64_t v)
{
    return v >= INT16_MIN && v <= INT16_MAX;
}

static uint8_t saved_rule(const struct rule *r, int16_t *off)
{
    *off = (int16_t)(fits16(r->off) ? r->off : 0);
    if (r->kind == RULE_SAME)
        return CPROF_UNW_FP_SAME;
    if (r->kind == RULE_OFFSET && fits16(r->off))
        return CPROF_UNW_FP_CFA;
    if (r->kind == RULE_EXPR_SP && fits16(r->off))
        return CPROF_UNW_FP_SP;
    return CPROF_UNW_FP_UNKNOWN;
}

static void to_row(const struct cfa_state *s, struct cprof__unw_row *row)
{
    memset(row, 0, sizeof(*row));
    row->cfa_rule = s->cfa_rule;
    row->cfa_off = (int32_t)s->cfa_off;
    row->aux = s->aux;
    if (s->cfa_off < INT32_MIN || s->cfa_off > INT32_MAX)
        row->cfa_rule = CPROF_UNW_CFA_UNKNOWN;
    row->ra_rule = s->ra.kind == RULE_OFFSET && fits16(s->ra.off)    ? CPROF_UNW_RA_CFA
                   : s->ra.kind == RULE_EXPR_SP && fits16(s->ra.off) ? CPROF_UNW_RA_SP
                   : s->ra.kind == RULE_UNDEF                        ? CPROF_UNW_RA_UNDEF
                                                                     : CPROF_UNW_RA_UNKNOWN;
    row->ra_off = (int16_t)(fits16(s->ra.off) ? s->ra.off : 0);
    row->fp_rule = saved_rule(&s->fp, &row->fp_off);
    row->bx_rule = saved_rule(&s->bx, &row->bx_off);
}

/* Appends a row for [loc, ...) to the current object, keeping rows sorted and minimal. */
static bool add_row(struct builder *b, uintptr_t loc, const struct cprof__unw_row *proto)
{
    struct cprof__unw_row *rows = b->rows.p, *row;
    uint32_t pc = (uint32_t)(loc - b->obj_lo);
    size_t n;

    /* An FDE overlapping the previous one wins from its start. */
    while (b->rows.len > b->obj_first && rows[b->rows.len - 1].pc > pc)
        b->rows.len--;
    n = b->rows.len - b->obj_first;
    if (n && rows[b->rows.len - 1].pc == pc) {
        row = &rows[b->rows.len - 1];
    } else {
        if (n) {
            struct cprof__unw_row tmp = *proto;
            tmp.pc = rows[b->rows.len - 1].pc;
            if (!memcmp(&tmp, &rows[b->rows.len - 1], sizeof(tmp)))
                return true; /* same rule as the row before */
        }
        row = vec_push(&b->rows);
        if (!row) {
            b->nomem = true;
            return false;
        }
    }
    *row = *proto;
    row->pc = pc;
    return true;
}

static bool emit_row(void *ctx, uintptr_t loc, const struct cfa_state *s)
{
    struct builder *b = ctx;
    struct cprof__unw_row row;

    if (loc >= b->fde_hi)
        return true;
    to_row(s, &row);
    return add_row(b, loc, &row);
}

/* Turns one FDE into rows, followed by an end-of-coverage row. */
static void add_fde(struct builder *b, const struct fde_info *f)
{
    struct interp in;
    struct cprof__unw_row end;
    size_t mark = b->rows.len;

    memset(&in, 0, sizeof(in));
    in.loc = f->pc_lo;
    b->fde_hi = f->pc_hi;
    if (!run_program(&in, f->cie.insns, f->cie.end, &f->cie, NULL, NULL))
        return;
    in.init = in.st;
    in.nsaved = 0;
    in.loc = f->pc_lo;
    if (!run_program(&in, f->insns, f->end, &f->cie, emit_row, b) || !emit_row(b, in.loc, &in.st)) {
        if (!b->nomem && b->rows.len > mark)
            b->rows.len = mark; /* drop a half-parsed FDE: FP fallback covers it */
        return;
    }
    memset(&end, 0, sizeof(end));
    end.cfa_rule = CPROF_UNW_CFA_NONE;
    add_row(b, f->pc_hi, &end);
}

/* ---- objects ---------------------------------------------------------- */

/*
 * Copied objects are parsed with no loader lock held, so one could be
 * unmapped under the parser.  Our dlclose and dlopen wrappers (a failed
 * dlopen unmaps what it mapped) bracket the real call with
 * cprof__unwind_unload_begin/end: begin counts the call in `unloading`
 * and `unloads`, then waits for the object being parsed now (obj_lock is
 * held across each object's parse, never longer); the builder checks both
 * counters under obj_lock before each object and gives the build up when
 * an unload ran or runs since it listed the objects (the next writer tick
 * tries again).  So an unload waits for one object's parse at most.
 */
static pthread_mutex_t obj_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int unloading;         /* calls between begin and end */
static _Atomic unsigned long unloads; /* calls ever begun */

static int cmp_fde(const void *a, const void *b)
{
    uintptr_t x = ((const struct fde *)a)->pc_lo, y = ((const struct fde *)b)->pc_lo;

    return x < y ? -1 : x > y;
}

static int cmp_obj(const void *a, const void *b)
{
    uintptr_t x = ((const struct cprof__unw_object *)a)->lo;
    uintptr_t y = ((const struct cprof__unw_object *)b)->lo;

    return x < y ? -1 : x > y;
}

static bool push_fde(struct builder *b, const struct obj *o, uintptr_t at)
{
    struct fde_info f;
    struct fde *e;

    if (!parse_fde(o, at, &f))
        return true;
    e = vec_push(&b->fdes);
    if (!e)
        return false;
    e->pc_lo = f.pc_lo;
    e->addr = at;
    return true;
}

/* Lists the object's FDEs: from the binary-search table, else by scanning .eh_frame. */
static bool collect_fdes(struct builder *b, const struct obj *o)
{
    struct rd r = obj_reader(o, o->hdr);
    uint8_t version = rd_u8(&r), ptr_enc = rd_u8(&r), count_enc = rd_u8(&r), table_enc = rd_u8(&r);
    uintptr_t eh_frame = rd_ptr(&r, ptr_enc, o->hdr);

    if (r.bad || version != 1)
        return true;
    if (count_enc != DW_EH_PE_omit && table_enc == 0x3b) { /* datarel | sdata4 */
        uint64_t count = rd_ptr(&r, count_enc, o->hdr);
        for (uint64_t i = 0; i < count && !r.bad; i++) {
            int32_t ent[2];
            if (rd_take(&r, ent, sizeof(ent)) &&
                !push_fde(b, o, o->hdr + (uintptr_t)(intptr_t)ent[1]))
                return false;
        }
        return true;
    }
    struct rd s = obj_reader(o, eh_frame);
    while (!s.bad && s.p < s.end) {
        const uint8_t *at = s.p, *end;
        if (!entry_bounds(&s, &end))
            break;
        if (!push_fde(b, o, (uintptr_t)at))
            return false;
        s.p = end;
    }
    return true;
}

/* Appends the object's page index (see CPROF_UNW_PAGE_SHIFT). */
static bool add_pages(struct builder *b, struct cprof__unw_object *ob)
{
    const struct cprof__unw_row *rows = (const struct cprof__unw_row *)b->rows.p + ob->first;
    size_t npages = ((ob->hi - ob->lo) >> CPROF_UNW_PAGE_SHIFT) + 2, r = 0;

    ob->page0 = b->pages.len;
    for (size_t k = 0; k < npages; k++) {
        uint32_t *e = vec_push(&b->pages);
        uint64_t start = (uint64_t)k << CPROF_UNW_PAGE_SHIFT;
        if (!e)
            return false;
        while (r + 1 < ob->n && rows[r + 1].pc <= start)
            r++;
        *e = (uint32_t)r;
    }
    return true;
}

/*
 * The loader's list is only read under its lock, and a fork while any
 * thread holds that lock leaves the child unable to dlopen (or to start
 * a thread that loads libgcc_s, ...).  So inside dl_iterate_phdr we only
 * copy each object's segments into an array mapped before the call (no
 * malloc, no parsing), and parse the copies after the loader's lock is
 * released.  Our every call of dl_iterate_phdr goes through
 * cprof__dl_iterate, whose lock the fork handlers take: no thread of ours
 * is ever inside the loader's lock when the program forks.
 */
static pthread_mutex_t phdr_lock = PTHREAD_MUTEX_INITIALIZER;

int cprof__dl_iterate(int (*cb)(struct dl_phdr_info *, size_t, void *), void *ctx)
{
    int r;

    pthread_mutex_lock(&phdr_lock);
    r = dl_iterate_phdr(cb, ctx);
    pthread_mutex_unlock(&phdr_lock);
    return r;
}

void cprof__dl_own_begin(void)
{
    pthread_mutex_lock(&phdr_lock);
}

void cprof__dl_own_end(void)
{
    pthread_mutex_unlock(&phdr_lock);
}

/* Copies of the loaded objects' segments, filled inside dl_iterate_phdr. */
struct obj_list {
    struct obj *objs; /* cap entries, mapped before the walk */
    size_t n, cap;
    bool overflow; /* more objects than cap: walk again with a bigger array */
};

static int count_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)info;
    (void)size;
    ++*(size_t *)ctx;
    return 0;
}

/* Inside the loader's lock: copies, bounded, nothing else. */
static int copy_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
    struct obj_list *l = ctx;
    struct obj *o;

    (void)size;
    if (l->n == l->cap) {
        l->overflow = true;
        return 1;
    }
    o = &l->objs[l->n];
    o->nsegs = 0;
    o->hdr = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && o->nsegs < MAX_SEGS && (ph->p_flags & PF_R)) {
            o->segs[o->nsegs].lo = info->dlpi_addr + ph->p_vaddr;
            o->segs[o->nsegs].hi = o->segs[o->nsegs].lo + ph->p_memsz;
            o->segs[o->nsegs++].exec = (ph->p_flags & PF_X) != 0;
        } else if (ph->p_type == PT_GNU_EH_FRAME) {
            o->hdr = info->dlpi_addr + ph->p_vaddr;
        }
    }
    if (o->hdr) /* nothing to parse otherwise */
        l->n++;
    return 0;
}

/* dl_iterate_phdr, or another list of objects given as dl_phdr_info (see cprof_unwind_table_build).
 */
typedef int (*iterate_fn)(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data, void *ctx);

/* Fills l with the loaded objects that have unwind info; 0 or -ENOMEM.  Unmap l->objs after. */
static int list_objects(iterate_fn iterate, void *ictx, struct obj_list *l)
{
    size_t count = 0;

    memset(l, 0, sizeof(*l));
    iterate(count_object, &count, ictx);
    for (int tries = 0; tries < 4; tries++) {
        l->cap = count + 16 + count / 4; /* room for objects loaded meanwhile */
        l->objs = mmap(NULL, l->cap * sizeof(*l->objs), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (l->objs == MAP_FAILED) {
            l->objs = NULL;
            return -ENOMEM;
        }
        l->n = 0;
        l->overflow = false;
        iterate(copy_object, l, ictx);
        if (!l->overflow)
            return 0;
        munmap(l->objs, l->cap * sizeof(*l->objs));
        l->objs = NULL;
        count = 2 * l->cap;
    }
    return -ENOMEM;
}

/* Parses one object's copied segments into the builder; false when out of memory. */
static bool add_object(struct builder *b, const struct obj *o)
{
    struct cprof__unw_object *ob;
    struct fde *fdes;

    b->fdes.len = 0;
    if (!collect_fdes(b, o))
        return false;
    if (b->fdes.len == 0)
        return true;
    fdes = b->fdes.p;
    qsort(fdes, b->fdes.len, sizeof(*fdes), cmp_fde);
    b->obj_first = b->rows.len;
    b->obj_lo = fdes[0].pc_lo;
    for (size_t i = 0; i < b->fdes.len && !b->nomem; i++) {
        struct fde_info f;
        /* Row pcs are 32-bit offsets from the object's lo. */
        if (parse_fde(o, fdes[i].addr, &f) && f.pc_hi - b->obj_lo <= UINT32_MAX)
            add_fde(b, &f);
    }
    if (b->nomem)
        return false;
    if (b->rows.len == b->obj_first)
        return true;
    ob = vec_push(&b->objs);
    if (!ob)
        return false;
    ob->lo = b->obj_lo;
    ob->first = b->obj_first;
    ob->n = b->rows.len - b->obj_first;
    ob->hi = b->obj_lo + ((struct cprof__unw_row *)b->rows.p)[b->rows.len - 1].pc;
    return add_pages(b, ob);
}

/* Drops objects overlapping an earlier one, so lookups see disjoint ranges. */
static void sort_objects(struct builder *b)
{
    struct cprof__unw_object *o = b->objs.p;
    size_t n = 0;

    if (!b->objs.len)
        return;
    qsort(o, b->objs.len, sizeof(*o), cmp_obj);
    for (size_t i = 0; i < b->objs.len; i++)
        if (n == 0 || o[i].lo >= o[n - 1].hi)
            o[n++] = o[i];
    b->objs.len = n;
}

static int build_table(iterate_fn iterate, void *ictx, struct cprof__unw_table **out)
{
    struct obj_list l;
    struct builder b;
    int err = -ENOMEM;
    struct cprof__unw_table *t;

    memset(&b, 0, sizeof(b));
    b.rows.esz = sizeof(struct cprof__unw_row);
    b.objs.esz = sizeof(struct cprof__unw_object);
    b.fdes.esz = sizeof(struct fde);
    b.pages.esz = sizeof(uint32_t);
    /*
     * The copies are parsed with no loader lock held.  An object the
     * program dlcloses meanwhile would vanish under the parser: see
     * obj_lock.  An object unmapped by a route we do not wrap (a
     * tail-called dlopen that fails, libc's own dlclose of iconv
     * modules) is not covered.
     */
    unsigned long gen = atomic_load(&unloads);
    if (list_objects(iterate, ictx, &l) != 0)
        b.nomem = true;
    for (size_t i = 0; i < l.n && !b.nomem && !b.abandoned; i++) {
        pthread_mutex_lock(&obj_lock);
        if (atomic_load(&unloading) || atomic_load(&unloads) != gen)
            b.abandoned = true;
        else if (!add_object(&b, &l.objs[i]))
            b.nomem = true;
        pthread_mutex_unlock(&obj_lock);
    }
    if (l.objs)
        munmap(l.objs, l.cap * sizeof(*l.objs));
    vec_release(&b.fdes);
    if (b.abandoned) {
        err = -EAGAIN;
        goto fail;
    }
    if (b.nomem)
        goto fail;
    sort_objects(&b);
    t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED)
        goto fail;
    t->objs = b.objs.p;
    t->nobjs = b.objs.len;
    t->rows = b.rows.p;
    t->nrows = b.rows.len;
    t->retired_next = NULL;
    t->maps[0] = b.objs.p;
    t->map_lens[0] = b.objs.p ? vec_bytes(&b.objs) : 0;
    t->maps[1] = b.rows.p;
    t->map_lens[1] = b.rows.p ? vec_bytes(&b.rows) : 0;
    t->pages = b.pages.p;
    t->npages = b.pages.len;
    t->maps[2] = b.pages.p;
    t->map_lens[2] = b.pages.p ? vec_bytes(&b.pages) : 0;
    t->map_lens[3] = CPROF_UNW_CACHE_SIZE * sizeof(*t->cache);
    t->maps[3] =
        mmap(NULL, t->map_lens[3], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t->maps[3] == MAP_FAILED) {
        munmap(t, sizeof(*t));
        goto fail;
    }
    /* Zero-filled: all entries empty.  Row indexes must fit the entry. */
    t->cache = t->nrows < CPROF_UNW_CACHE_NOROW ? t->maps[3] : NULL;
    *out = t;
    return 0;
fail:
    vec_release(&b.pages);
    vec_release(&b.rows);
    vec_release(&b.objs);
    return err;
}

static void free_table(struct cprof__unw_table *t)
{
    for (int i = 0; i < 4; i++)
        if (t->maps[i])
            munmap(t->maps[i], t->map_lens[i]);
    munmap(t, sizeof(*t));
}

/* ---- publishing ------------------------------------------------------- */

static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cprof__unw_table *retired; /* replaced tables not yet freed; under build_lock */

/*
 * Frees the replaced tables once no walk is in progress.  A walk that
 * starts after the new pointer was published reads the new table, so one
 * moment with zero readers proves nobody holds an old one.  Waits up to
 * ~50 ms; if walks never pause, the tables wait for the next refresh.
 */
static void reclaim_locked(void)
{
    struct timespec ts = {0, 100 * 1000};

    for (int i = 0; i < 500 && retired; i++) {
        if (atomic_load(&cprof__unw_readers) == 0) {
            while (retired) {
                struct cprof__unw_table *t = retired;
                retired = t->retired_next;
                free_table(t);
            }
            return;
        }
        nanosleep(&ts, NULL);
    }
}

static int iterate_loaded(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data, void *ctx)
{
    (void)ctx;
    return cprof__dl_iterate(cb, data);
}

static int rebuild(void)
{
    struct cprof__unw_table *t, *old;
    int err;

    pthread_mutex_lock(&build_lock);
    err = build_table(iterate_loaded, NULL, &t);
    if (!err) {
        old = atomic_exchange(&cprof__unw_current, t);
        if (old) {
            old->retired_next = retired;
            retired = old;
        }
        reclaim_locked();
    }
    pthread_mutex_unlock(&build_lock);
    return err;
}

int cprof_unwind_init(void)
{
    cprof_unwind_thread_init();
    return rebuild();
}

int cprof_unwind_refresh(void)
{
    return rebuild();
}

void cprof_unwind_thread_init(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;

    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        /* A handler on this thread may run between the stores: keep [lo, hi) empty meanwhile. */
        cprof__unw_stack.hi = 0;
        atomic_signal_fence(memory_order_seq_cst);
        cprof__unw_stack.lo = (uintptr_t)addr;
        atomic_signal_fence(memory_order_seq_cst);
        cprof__unw_stack.hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&attr);
}

/* ---- tables for another process's objects (cprof attach) -------------- */

struct images {
    const struct cprof_unwind_image *v;
    size_t n;
};

/* Presents each image to the builder as the loader would, at its local address. */
static int iterate_images(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data, void *ctx)
{
    const struct images *im = ctx;

    for (size_t i = 0; i < im->n; i++) {
        struct dl_phdr_info info;
        memset(&info, 0, sizeof(info));
        info.dlpi_addr = im->v[i].local_bias;
        info.dlpi_name = "";
        info.dlpi_phdr = im->v[i].phdr;
        info.dlpi_phnum = (ElfW(Half))im->v[i].phnum;
        if (cb(&info, sizeof(info), data))
            return 1;
    }
    return 0;
}

/* The image whose local segments hold addr, or NULL. */
static const struct cprof_unwind_image *image_of(const struct images *im, uintptr_t addr)
{
    for (size_t i = 0; i < im->n; i++) {
        const ElfW(Phdr) *ph = im->v[i].phdr;
        for (int k = 0; k < im->v[i].phnum; k++)
            if (ph[k].p_type == PT_LOAD &&
                addr - im->v[i].local_bias - ph[k].p_vaddr < ph[k].p_memsz)
                return &im->v[i];
    }
    return NULL;
}

int cprof_unwind_table_build(const struct cprof_unwind_image *v, size_t n,
                             struct cprof__unw_table **out)
{
    struct images im = {v, n};
    struct cprof__unw_object *o;
    struct cprof__unw_table *t;
    size_t k = 0;
    int err = build_table(iterate_images, &im, &t);

    if (err)
        return err;
    /* Rows are relative to their object's lo: moving an object is moving lo and hi. */
    o = (struct cprof__unw_object *)t->objs;
    for (size_t i = 0; i < t->nobjs; i++) {
        const struct cprof_unwind_image *img = image_of(&im, o[i].lo);
        if (!img)
            continue;
        o[k] = o[i];
        o[k].lo = o[i].lo - img->local_bias + img->bias;
        o[k].hi = o[i].hi - img->local_bias + img->bias;
        k++;
    }
    if (k)
        qsort(o, k, sizeof(*o), cmp_obj);
    t->nobjs = 0;
    for (size_t i = 0; i < k; i++) /* overlapping images: the first wins */
        if (t->nobjs == 0 || o[i].lo >= o[t->nobjs - 1].hi)
            o[t->nobjs++] = o[i];
    *out = t;
    return 0;
}

void cprof_unwind_table_free(struct cprof__unw_table *t)
{
    if (t)
        free_table(t);
}

void cprof__unwind_unload_begin(void)
{
    atomic_fetch_add(&unloads, 1);
    atomic_fetch_add(&unloading, 1);
    /* The object being parsed now, if any, is finished before we go on. */
    pthread_mutex_lock(&obj_lock);
    pthread_mutex_unlock(&obj_lock);
}

void cprof__unwind_unload_end(void)
{
    atomic_fetch_sub(&unloading, 1);
}

/*
 * Fork: prepare takes phdr_lock, so no thread of ours is inside the
 * loader's lock when the process forks (a copy or a generation check takes
 * microseconds).  The child has only the forking thread: a rebuild that
 * was running on another thread is gone, and its half-built table leaks.
 */
void cprof__unwind_fork_prepare(void)
{
    pthread_mutex_lock(&phdr_lock);
}

void cprof__unwind_fork_parent(void)
{
    pthread_mutex_unlock(&phdr_lock);
}

void cprof__unwind_fork_child(void)
{
    pthread_mutex_init(&phdr_lock, NULL);
    pthread_mutex_init(&obj_lock, NULL);
    atomic_store(&unloading, 0); /* calls of other threads, gone */
    pthread_mutex_init(&build_lock, NULL);
    retired = NULL; /* may have been half-edited by the vanished thread: leaked */
}
