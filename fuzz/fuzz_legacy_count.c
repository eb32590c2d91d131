/*
 * Fuzz target for the parser of Go count profiles (goroutine, threadcreate)
 * (cprof_legacy_parse_count, model/legacy.h); the checks are in legacy_check.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "legacy_check.h"
#include "model/legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cprof_fuzz_legacy(cprof_legacy_parse_count, data, size);
    return 0;
}
