/*
 * cprof attach: unwind tables for the target's objects.  Each ELF file
 * mapped executable in /proc/PID/maps is read (through /proc/PID/root, so
 * a target in another mount namespace works; a deleted file through
 * /proc/PID/map_files) into a private image laid out as the loader laid
 * it out, and the runtime's CFI table builder (rt/unwind_tables.c) runs
 * over the images, placing each at the target's address.  The files are
 * read, never the target's memory: perf_event_open needs only ptrace
 * "read" access, which Yama does not restrict.
 */
#include "tool/attach.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "rt/sig/unwind.h"

#define MAX_PHNUM 256
#define MAX_IMAGE (4ull << 30) /* largest span of PT_LOAD segments accepted */

void cprof_attach_image_release(struct cprof_attach_obj *obj)
{
    if (obj->mem)
        munmap(obj->mem, obj->len);
    free(obj->phdr);
    obj->mem = NULL;
    obj->phdr = NULL;
    obj->len = 0;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    size_t done = 0;

    while (done < n) {
        ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return CPROF_ECORRUPT;
        done += (size_t)r;
    }
    return 0;
}

/* Validates the header and reads the program headers into obj->phdr. */
static int read_phdrs(int fd, uint64_t fsize, struct cprof_attach_obj *obj)
{
    Elf64_Ehdr eh;
    size_t bytes;
    int err;

    if (fsize < sizeof(eh) || (err = read_at(fd, &eh, sizeof(eh), 0)) != 0)
        return fsize < sizeof(eh) ? CPROF_ECORRUPT : err;
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 ||
        (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(Elf64_Phdr) ||
        eh.e_phnum == 0 || eh.e_phnum > MAX_PHNUM)
        return CPROF_ECORRUPT;
    bytes = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
    if (eh.e_phoff > fsize || fsize - eh.e_phoff < bytes)
        return CPROF_ECORRUPT;
    obj->phdr = malloc(bytes);
    if (!obj->phdr)
        return -ENOMEM;
    obj->phnum = eh.e_phnum;
    return read_at(fd, obj->phdr, bytes, eh.e_phoff);
}

int cprof_attach_image_read(int fd, struct cprof_attach_obj *obj)
{
    struct stat st;
    uint64_t lo = UINT64_MAX, hi = 0;
    const Elf64_Phdr *ph;
    int err;

    obj->mem = NULL;
    obj->phdr = NULL;
    obj->len = 0;
    if (fstat(fd, &st) != 0)
        return -errno;
    err = read_phdrs(fd, (uint64_t)st.st_size, obj);
    if (err)
        goto fail;
    ph = obj->phdr;
    for (int i = 0; i < obj->phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        if (ph[i].p_memsz > MAX_IMAGE || ph[i].p_vaddr > UINT64_MAX - MAX_IMAGE ||
            ph[i].p_filesz > ph[i].p_memsz) {
            err = CPROF_ECORRUPT;
            goto fail;
        }
        if ((ph[i].p_vaddr & ~4095ull) < lo)
            lo = ph[i].p_vaddr & ~4095ull;
        if (ph[i].p_vaddr + ph[i].p_memsz > hi)
            hi = ph[i].p_vaddr + ph[i].p_memsz;
    }
    err = CPROF_ECORRUPT;
    if (lo >= hi || hi - lo > MAX_IMAGE)
        goto fail;
    obj->len = (size_t)((hi - lo + 4095) & ~4095ull);
    /* Zero-filled: what is not read from the file (bss, writable data) reads as 0. */
    obj->mem = mmap(NULL, obj->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (obj->mem == MAP_FAILED) {
        obj->mem = NULL;
        err = -ENOMEM;
        goto fail;
    }
    for (int i = 0; i < obj->phnum; i++) {
        /* Unwind info is read-only data: writable segments are left as zeros. */
        if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_R) || (ph[i].p_flags & PF_W) ||
            ph[i].p_filesz == 0)
            continue;
        if (ph[i].p_offset > (uint64_t)st.st_size ||
            (uint64_t)st.st_size - ph[i].p_offset < ph[i].p_filesz)
            continue; /* truncated file: that segment stays zeros */
        err = read_at(fd, (char *)obj->mem + (ph[i].p_vaddr - lo), ph[i].p_filesz, ph[i].p_offset);
        if (err)
            goto fail;
    }
    mprotect(obj->mem, obj->len, PROT_READ);
    obj->local_bias = (uintptr_t)obj->mem - (uintptr_t)lo;
    return 0;
fail:
    cprof_attach_image_release(obj);
    return err;
}

bool cprof_attach_image_bias(const struct cprof_attach_obj *obj, uint64_t start, uint64_t offset,
                             uintptr_t *bias)
{
    const Elf64_Phdr *ph = obj->phdr;

    for (int i = 0; i < obj->phnum; i++) {
        uint64_t off0 = ph[i].p_offset & ~4095ull;
        if (ph[i].p_type == PT_LOAD && offset >= off0 && offset < ph[i].p_offset + ph[i].p_filesz) {
            /* start maps file offset `offset`, which the segment puts at p_vaddr + (offset -
             * p_offset). */
            *bias = (uintptr_t)(start - (ph[i].p_vaddr + offset - ph[i].p_offset));
            return true;
        }
    }
    return false;
}

void cprof_attach_objs_init(struct cprof_attach_objs *o, int pid)
{
    memset(o, 0, sizeof(*o));
    o->pid = pid;
    cprof_maps_init(&o->maps);
}

void cprof_attach_objs_release(struct cprof_attach_objs *o)
{
    for (size_t i = 0; i < o->n; i++) {
        cprof_attach_image_release(&o->v[i]);
        free(o->v[i].path);
    }
    free(o->v);
    cprof_unwind_table_free(o->table);
    cprof_maps_release(&o->maps);
    memset(o, 0, sizeof(*o));
}

/* Opens the file the target maps at m, as the target sees it. */
static int open_mapped(int pid, const struct cprof_map *m)
{
    char p[4200];
    int fd;

    snprintf(p, sizeof(p), "/proc/%d/root%s", pid, m->path);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)m->start,
                 (unsigned long long)m->limit);
        fd = open(p, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        fd = open(m->path, O_RDONLY | O_CLOEXEC);
    return fd;
}

static bool have_obj(const struct cprof_attach_objs *o, const char *path, uintptr_t start)
{
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->v[i].path, path)) {
            const Elf64_Phdr *ph = o->v[i].phdr;
            /* Same file mapped again elsewhere (dlopen after dlclose): a new object. */
            for (int k = 0; ph && k < o->v[i].phnum; k++)
                if (ph[k].p_type == PT_LOAD &&
                    start - o->v[i].bias - ph[k].p_vaddr < ((ph[k].p_memsz + 4095) & ~4095ull))
                    return true;
            if (!o->v[i].mem)
                return true; /* a file we could not read: do not retry */
        }
    return false;
}

/* Loads the object mapped at m; false only when out of memory. */
static bool add_obj(struct cprof_attach_objs *o, const struct cprof_map *m)
{
    struct cprof_attach_obj obj = {0};
    int fd;

    if (m->path[0] != '/' || have_obj(o, m->path, (uintptr_t)m->start))
        return true;
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 32;
        struct cprof_attach_obj *v = realloc(o->v, cap * sizeof(*v));
        if (!v)
            return false;
        o->v = v;
        o->cap = cap;
    }
    obj.path = strdup(m->path);
    if (!obj.path)
        return false;
    fd = open_mapped(o->pid, m);
    if (fd < 0 || cprof_attach_image_read(fd, &obj) != 0 ||
        !cprof_attach_image_bias(&obj, m->start, m->offset, &obj.bias)) {
        cprof_attach_image_release(&obj); /* kept, empty: not retried */
        o->skipped++;
    }
    if (fd >= 0)
        close(fd);
    o->v[o->n++] = obj;
    return true;
}

int cprof_attach_objs_refresh(struct cprof_attach_objs *o)
{
    struct cprof_maps maps;
    struct cprof_unwind_image *im;
    struct cprof__unw_table *t;
    size_t n = 0;
    int err;

    cprof_maps_init(&maps);
    err = cprof_maps_read(&maps, o->pid, 0);
    if (err) {
        cprof_maps_release(&maps);
        return err;
    }
    cprof_maps_release(&o->maps);
    o->maps = maps;
    for (size_t i = 0; i < o->maps.n; i++)
        if (!add_obj(o, &o->maps.v[i]))
            return -ENOMEM;
    im = calloc(o->n ? o->n : 1, sizeof(*im));
    if (!im)
        return -ENOMEM;
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].mem)
            im[n++] = (struct cprof_unwind_image){.phdr = o->v[i].phdr,
                                                  .phnum = o->v[i].phnum,
                                                  .local_bias = o->v[i].local_bias,
                                                  .bias = o->v[i].bias};
    err = cprof_unwind_table_build(im, n, &t);
    free(im);
    if (err)
        return err;
    cprof_unwind_table_free(o->table);
    o->table = t;
    return 0;
}

bool cprof_attach_objs_knows(const struct cprof_attach_objs *o, uint64_t pc)
{
    return cprof_maps_find(&o->maps, pc) != NULL;
}

int cprof_attach_unwind(const struct cprof_attach_objs *o, uintptr_t pc, uintptr_t sp,
                        const uintptr_t *fp_bx, const void *copy, size_t copy_len, uintptr_t *pcs,
                        int max)
{
    struct cprof_unwind_remote r = {
        .pc = pc,
        .sp = sp,
        .fp = fp_bx ? fp_bx[0] : 0,
        .bx = fp_bx ? fp_bx[1] : 0,
        .regs_known = fp_bx != NULL,
        .copy = copy,
        .lo = sp,
        .hi = sp + copy_len,
        .pid = o->pid,
    };
    bool truncated;

    if (copy_len == 0) { /* no stack: the pc alone */
        if (max < 1)
            return 0;
        pcs[0] = pc;
        return 1;
    }
    return cprof_unwind_remote_sigsafe(o->table, &r, pcs, max, &truncated);
}
