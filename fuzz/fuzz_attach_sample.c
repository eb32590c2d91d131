/*
 * Fuzz target for the parser of perf sample records that cprof attach
 * reads from its ring buffers (cprof_attach_sample_parse, tool/attach.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tool/attach.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cprof_attach_sample s;
    uint8_t *copy = malloc(size ? size : 1); /* exact size: ASan sees reads past the end */
    volatile uint8_t sink = 0;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (cprof_attach_sample_parse(copy, size, &s) == 0)
        for (uint64_t i = 0; i < s.stack_len; i++)
            sink ^= s.stack[i];
    (void)sink;
    free(copy);
    return 0;
}
