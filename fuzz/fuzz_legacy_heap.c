/*
 * Fuzz target for the parser of heap text profiles
 * (cprof_legacy_parse_heap, model/legacy.h); the checks are in legacy_check.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "legacy_check.h"
#include "model/legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cprof_fuzz_legacy(cprof_legacy_parse_heap, data, size);
    return 0;
}
