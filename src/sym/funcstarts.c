/*
 * Function starts from .eh_frame_hdr and JIT symbols from perf maps
 * (sym/funcstarts.h).  Both read untrusted bytes: every read is bounded
 * by the input's length.
 */
#include "sym/funcstarts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"

/* DWARF pointer encodings (the low nibble: format; the high: application). */
#define PE_OMIT           0xff
#define PE_DATAREL_SDATA4 0x3b

/* Bytes of a value in encoding enc (its format nibble); 0 when unsupported. */
static size_t enc_size(uint8_t enc)
{
    switch (enc & 0x0f) {
    case 0x00: /* absptr on a 64-bit target */
    case 0x04: /* udata8 */
    case 0x0c: /* sdata8 */ return 8;
    case 0x02: /* udata2 */
    case 0x0a: /* sdata2 */ return 2;
    case 0x03: /* udata4 */
    case 0x0b: /* sdata4 */ return 4;
    default: return 0;
    }
}

static uint64_t read_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

int cprof_ehhdr_starts(const uint8_t *hdr, size_t n, uint64_t vaddr, uint64_t **starts,
                       size_t *nstarts)
{
    size_t pos = 4, ps, cs, count;
    uint64_t *v;
    bool sorted = true;

    *starts = NULL;
    *nstarts = 0;
    if (n < 4 || hdr[0] != 1 || hdr[1] == PE_OMIT || hdr[2] == PE_OMIT ||
        hdr[3] != PE_DATAREL_SDATA4)
        return CPROF_ECORRUPT;
    ps = enc_size(hdr[1]);
    cs = enc_size(hdr[2]);
    if (!ps || !cs || n - pos < ps + cs)
        return CPROF_ECORRUPT;
    pos += ps;
    count = (size_t)read_le(hdr + pos, cs);
    pos += cs;
    if ((hdr[2] & 0x08) && (int64_t)count < 0)
        return CPROF_ECORRUPT;
    if (count == 0 || count > (n - pos) / 8)
        return CPROF_ECORRUPT;
    v = malloc(count * sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        int32_t rel = (int32_t)(uint32_t)read_le(hdr + pos + 8 * i, 4);

        v[i] = vaddr + (uint64_t)(int64_t)rel;
        if (i > 0 && v[i] < v[i - 1])
            sorted = false;
    }
    if (!sorted)
        qsort(v, count, sizeof(*v), cmp_u64);
    *starts = v;
    *nstarts = count;
    return 0;
}

/* ---- perf maps ---------------------------------------------------------------- */

/* Parses a hex number (optional 0x) at *p, moving *p past it; false when none. */
static bool hex(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    size_t digits = 0;

    if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    for (; s < end; s++, digits++) {
        int d = *s >= '0' && *s <= '9'   ? *s - '0'
                : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
                                         : -1;

        if (d < 0)
            break;
        if (digits >= 16)
            return false; /* more than 64 bits */
        v = v << 4 | (uint64_t)d;
    }
    if (!digits)
        return false;
    *p = s;
    *out = v;
    return true;
}

static int ent_cmp(const void *pa, const void *pb)
{
    const struct cprof_perfmap_ent *a = pa, *b = pb;

    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    /* Equal starts: keep the file's order (names point into the text in order). */
    return a->name < b->name ? -1 : a->name > b->name;
}

int cprof_perfmap_parse(struct cprof_perfmap *m, const char *text, size_t n)
{
    size_t cap = 0;
    char *t, *line, *end;

    memset(m, 0, sizeof(*m));
    t = malloc(n + 1);
    if (!t)
        return -ENOMEM;
    memcpy(t, text, n);
    t[n] = '\0';
    m->text = t;
    end = t + n;
    for (line = t; line < end;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        char *le = nl ? nl : end;
        const char *p = line;
        uint64_t start, size;

        if (le > line && le[-1] == '\r')
            le[-1] = '\0';
        *le = '\0';
        if (hex(&p, le, &start) && p < le && *p == ' ' && (p++, hex(&p, le, &size)) && p < le &&
            *p == ' ' && p[1] && size > 0 && start + size > start) {
            if (m->n == cap) {
                size_t nc = cap ? 2 * cap : 256;
                struct cprof_perfmap_ent *v = realloc(m->v, nc * sizeof(*v));

                if (!v) {
                    cprof_perfmap_release(m);
                    return -ENOMEM;
                }
                m->v = v;
                cap = nc;
            }
            m->v[m->n++] = (struct cprof_perfmap_ent){start, size, (char *)p + 1};
        }
        line = le + 1;
    }
    if (m->n)
        qsort(m->v, m->n, sizeof(*m->v), ent_cmp);
    return 0;
}

int cprof_perfmap_read(struct cprof_perfmap *m, const char *path)
{
    struct cprof_buf b;
    int err;

    memset(m, 0, sizeof(*m));
    cprof_buf_init(&b, (size_t)1 << 30);
    err = cprof_file_read(path, &b);
    if (!err)
        err = cprof_perfmap_parse(m, b.data ? (const char *)b.data : "", b.len);
    cprof_buf_release(&b);
    return err;
}

/* How many earlier entries are checked for an enclosing one (JITs rarely nest). */
#define PERFMAP_BACKTRACK 64

const struct cprof_perfmap_ent *cprof_perfmap_find(const struct cprof_perfmap *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (m->v[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* lo: first entry starting after addr; the best is the last one covering it. */
    for (size_t k = 0; k < PERFMAP_BACKTRACK && k < lo; k++) {
        const struct cprof_perfmap_ent *e = &m->v[lo - 1 - k];

        if (addr - e->start < e->size)
            return e;
    }
    return NULL;
}

void cprof_perfmap_release(struct cprof_perfmap *m)
{
    free(m->v);
    free(m->text);
    memset(m, 0, sizeof(*m));
}
