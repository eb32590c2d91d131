/*
 * Executable mappings from /proc/<pid>/maps, and GNU build ids from ELF
 * notes.  Parsing is by hand over a bounded text (each line at most
 * CPROF_MAPS_LINE_MAX bytes); build ids come from libelf/libdwelf.
 */
#include "sym/maps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>
#include <libelf.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"

void cprof_maps_init(struct cprof_maps *m)
{
    m->v = NULL;
    m->n = 0;
    m->cap = 0;
}

void cprof_maps_release(struct cprof_maps *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].path);
    free(m->v);
    cprof_maps_init(m);
}

/* A view of the text still to be parsed on one line. */
struct cursor {
    const char *p;
    const char *end;
};

/* Next space-separated field; skips the spaces after it (Go's next()). */
static bool next_field(struct cursor *c, const char **f, size_t *flen)
{
    const char *s = c->p;

    while (c->p < c->end && *c->p != ' ')
        c->p++;
    *f = s;
    *flen = (size_t)(c->p - s);
    while (c->p < c->end && *c->p == ' ')
        c->p++;
    return *flen > 0;
}

/* Parses exactly n hex digits (1..16) into *v. */
static bool parse_hex(const char *s, size_t n, uint64_t *v)
{
    uint64_t x = 0;

    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        unsigned d;

        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            d = (unsigned)(ch - 'A' + 10);
        else
            return false;
        x = x << 4 | d;
    }
    *v = x;
    return true;
}

static int push_map(struct cprof_maps *m, const struct cprof_map *e, const char *path, size_t plen)
{
    struct cprof_map *d;

    if (m->n >= CPROF_MAPS_MAX)
        return CPROF_ETOOBIG;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct cprof_map *v = realloc(m->v, cap * sizeof(*v));

        if (!v)
            return -ENOMEM;
        m->v = v;
        m->cap = cap;
    }
    d = &m->v[m->n];
    *d = *e;
    d->path = malloc(plen + 1);
    if (!d->path)
        return -ENOMEM;
    memcpy(d->path, path, plen);
    d->path[plen] = '\0';
    m->n++;
    return 0;
}

/*
 * Parses one line (without its newline).  Returns 0 when the line was kept
 * or skipped, an error only when appending failed.
 */
static int parse_line(struct cprof_maps *m, const char *line, size_t len, unsigned flags)
{
    static const char deleted[] = " (deleted)";
    struct cursor c = {line, line + len};
    struct cprof_map e = {0};
    const char *f, *dash, *path;
    size_t flen, plen;
    int err;

    if (!next_field(&c, &f, &flen))
        return 0;
    dash = memchr(f, '-', flen);
    if (!dash || !parse_hex(f, (size_t)(dash - f), &e.start) ||
        !parse_hex(dash + 1, flen - (size_t)(dash - f) - 1, &e.limit) || e.limit <= e.start)
        return 0;
    if (!next_field(&c, &f, &flen) || flen < 4 || f[2] != 'x')
        return 0;
    if (!next_field(&c, &f, &flen) || !parse_hex(f, flen, &e.offset))
        return 0;
    if (!next_field(&c, &f, &flen)) /* device */
        return 0;
    if (!next_field(&c, &f, &flen)) /* inode */
        return 0;
    path = c.p;
    plen = (size_t)(c.end - c.p);
    if (plen >= sizeof(deleted) - 1 &&
        memcmp(path + plen - (sizeof(deleted) - 1), deleted, sizeof(deleted) - 1) == 0)
        plen -= sizeof(deleted) - 1;
    /* Anonymous (huge-page text fragments, JIT code): nothing to name it by. */
    if (plen == 0 || memchr(path, '\0', plen))
        return 0;
    err = push_map(m, &e, path, plen);
    if (err)
        return err;
    if ((flags & CPROF_MAPS_BUILD_IDS) && path[0] == '/') {
        struct cprof_map *d = &m->v[m->n - 1];

        if (cprof_build_id_read(d->path, d->build_id, sizeof(d->build_id)) != 0)
            d->build_id[0] = '\0';
    }
    return 0;
}

int cprof_maps_parse(struct cprof_maps *m, const char *text, size_t len, unsigned flags)
{
    const char *p = text, *end = text + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);
        int err;

        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n <= CPROF_MAPS_LINE_MAX) {
            err = parse_line(m, p, n, flags);
            if (err)
                return err;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

int cprof_maps_read(struct cprof_maps *m, int pid, unsigned flags)
{
    char path[64];
    struct cprof_buf b;
    int fd, err;

    if (pid > 0)
        snprintf(path, sizeof(path), "/proc/%d/maps", pid);
    else
        snprintf(path, sizeof(path), "/proc/self/maps");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    cprof_buf_init(&b, CPROF_MAPS_TEXT_MAX);
    err = cprof_fd_read_all(fd, &b);
    close(fd);
    if (!err)
        err = cprof_maps_parse(m, (const char *)b.data, b.len, flags);
    cprof_buf_release(&b);
    return err;
}

const struct cprof_map *cprof_maps_find(const struct cprof_maps *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (addr < m->v[mid].start)
            hi = mid;
        else if (addr >= m->v[mid].limit)
            lo = mid + 1;
        else
            return &m->v[mid];
    }
    return NULL;
}

int cprof_build_id_read(const char *path, char *out, size_t outsz)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *id;
    Elf *elf;
    ssize_t n;
    int fd, err;

    if (outsz)
        out[0] = '\0';
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    elf_version(EV_CURRENT);
    elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!elf || elf_kind(elf) != ELF_K_ELF) {
        err = CPROF_ECORRUPT;
        goto out_elf;
    }
    n = dwelf_elf_gnu_build_id(elf, (const void **)&id);
    if (n <= 0) {
        err = n < 0 ? CPROF_ECORRUPT : CPROF_ENOTFOUND;
        goto out_elf;
    }
    if ((size_t)n > CPROF_BUILD_ID_MAX || outsz < 2 * (size_t)n + 1) {
        err = CPROF_ETOOBIG;
        goto out_elf;
    }
    for (ssize_t i = 0; i < n; i++) {
        out[2 * i] = hex[id[i] >> 4];
        out[2 * i + 1] = hex[id[i] & 15];
    }
    out[2 * n] = '\0';
    err = 0;
out_elf:
    elf_end(elf);
    close(fd);
    return err;
}
