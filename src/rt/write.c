/*
 * The runtime's one profile writer: every sampler (CPU, heap) builds a
 * profile of raw addresses, then hands it here to get the process's
 * mappings and symbols, the gzipped pprof encoding, and its destination.
 */
#include "rt/rt.h"

#include "base/buf.h"
#include "base/file.h"
#include "model/codec.h"
#include "model/profile.h"

int cprof__profile_write(struct cprof_profile *p, int fd, const char *path)
{
    struct cprof_buf buf;
    int err;

    /* Mappings, then symbolization (src/rt/maps.c): the file is useful elsewhere. */
    err = cprof__add_self_mappings(p);
    cprof_buf_init(&buf, 0);
    if (!err)
        err = cprof_profile_encode(p, true, &buf);
    if (!err)
        err = fd >= 0 ? cprof_fd_write_all(fd, buf.data, buf.len)
                      : cprof_file_write_atomic(path, buf.data, buf.len);
    cprof_buf_release(&buf);
    return err;
}
