/*
 * Go's formatting of durations and times, as pprof prints them
 * (time.Duration.String, time.Time.String), and the rune-wise truncation
 * of fmt's "%.Nv" verb.
 */
#ifndef CPROF_TOOL_GOFMT_H
#define CPROF_TOOL_GOFMT_H

#include <stddef.h>
#include <stdint.h>

/* Enough for any formatted duration or time. */
#define CPROF_GOFMT_MAX 80

/* time.Duration(ns).String(): "1h2m3.5s", "1.5ms", "0s". */
void cprof_go_duration(int64_t ns, char out[CPROF_GOFMT_MAX]);

/*
 * time.Unix(0, ns).String() in the local time zone:
 * "2006-01-02 15:04:05.999999999 -0700 MST" (fraction without trailing zeros).
 */
void cprof_go_time(int64_t ns, char out[CPROF_GOFMT_MAX]);

/* Cuts s (UTF-8) after max runes, as fmt's precision does for strings. */
void cprof_go_truncate_runes(char *s, size_t max);

#endif /* CPROF_TOOL_GOFMT_H */
