/*
 * Measurement units, as pprof's internal/measurement knows them: bytes
 * (powers of 1024), time (ns to hours) and GCU, with their aliases.  Used
 * to bring profiles to a common unit before merging and to compare
 * numeric label values written in different units.
 */
#ifndef CPROF_MODEL_UNITS_H
#define CPROF_MODEL_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * pprof's measurement.Scale: value, in unit from, expressed in unit to.
 * to may be "minimum" or "auto" (the largest unit that keeps the value at
 * least 1).  *unit gets the canonical name of the unit of the result
 * ("B", "ms", ...); for a from unit pprof does not know, the value is
 * returned unchanged and *unit is "" for to = count, sample, unit,
 * minimum or auto, and to itself otherwise.  *unit points to static
 * storage or into to.
 * Context: any thread.
 */
double cprof_units_scale(int64_t value, const char *from, const char *to,
                         const char **unit /* OUT */);

/* True when units a and b are both known and of the same kind (bytes, time, GCU). */
bool cprof_units_same_kind(const char *a, const char *b);

#endif /* CPROF_MODEL_UNITS_H */
