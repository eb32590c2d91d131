/*
 * Fuzz target for cprof attach's reading of the target's ELF files
 * (cprof_attach_image_read, cprof_attach_image_bias, tool/attach.h) and the
 * runtime's CFI table builder and walker run over the image at another
 * address, as attach does.  The input is the file's content.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rt/sig/unwind.h"
#include "tool/attach.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cprof_attach_obj obj;
    struct cprof__unw_table *t = NULL;
    int fd = memfd_create("fuzz_attach_elf", MFD_CLOEXEC);

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size || cprof_attach_image_read(fd, &obj) != 0) {
        close(fd);
        return 0;
    }
    close(fd);
    uintptr_t bias = 0;
    if (!cprof_attach_image_bias(&obj, 0x7f0000000000ull, 0, &bias))
        bias = 0x7f0000000000ull;
    struct cprof_unwind_image im = {obj.phdr, obj.phnum, obj.local_bias, bias};
    if (cprof_unwind_table_build(&im, 1, &t) == 0) {
        /* A walk over a small made-up stack whose slots point into the object. */
        uintptr_t stack[64], pcs[32];
        bool truncated;
        for (size_t i = 0; i < 64; i++)
            stack[i] = bias + 0x1000 + i * 0x37;
        struct cprof_unwind_remote r = {.pc = bias + 0x1234,
                                        .sp = 0x10000,
                                        .fp = 0x10040,
                                        .regs_known = true,
                                        .copy = stack,
                                        .lo = 0x10000,
                                        .hi = 0x10000 + sizeof(stack),
                                        .pid = (int)getpid()};
        cprof_unwind_remote_sigsafe(t, &r, pcs, 32, &truncated);
        cprof_unwind_table_free(t);
    }
    cprof_attach_image_release(&obj);
    return 0;
}
