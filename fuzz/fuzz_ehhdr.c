/*
 * Fuzz target for the .eh_frame_hdr reader (cprof_ehhdr_starts,
 * sym/funcstarts.h): any input is rejected or gives a sorted table no
 * longer than the input allows.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sym/funcstarts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t *v = NULL;
    size_t n = 0;

    if (cprof_ehhdr_starts(data, size, 0x1000, &v, &n) == 0) {
        if (n == 0 || n > size / 8)
            abort();
        for (size_t i = 1; i < n; i++)
            if (v[i] < v[i - 1])
                abort();
    } else if (v || n) {
        abort();
    }
    free(v);
    return 0;
}
