/*
 * The string-level parsing of the /debug/pprof endpoint (src/rt/http.c),
 * kept apart from libmicrohttpd so it can be tested and fuzzed on plain
 * buffers (fuzz/fuzz_http_params.c): query parameters as Go's handlers
 * validate them, the /symbol request body, and the CPROF_HTTP address.
 */
#ifndef CPROF_RT_HTTP_PARSE_H
#define CPROF_RT_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPROF_HTTP_MAX_SECONDS 3600 /* longest profile or delta asked */

/* The integer parameters of a profile request. */
struct cprof_http_params {
    long seconds;     /* duration: /profile's default 30, else 0 */
    long debug;       /* debug=N, 0 when absent */
    long gc;          /* gc=N, 0 when absent */
    bool has_seconds; /* seconds= was given (non-empty) */
    bool has_debug;   /* debug= was given (non-empty) */
    bool has_gc;      /* gc= was given (non-empty) */
};

/*
 * Parses an optional decimal integer parameter s (NULL or "" = absent).
 * Returns false when present but not an integer (trailing bytes, out of
 * range); *present tells whether it was given, *v its value then.
 */
bool cprof__http_int_value(const char *s, long *v /* OUT */, bool *present /* OUT */);

/*
 * Validates the parameters of a profile request as Go's handlers do:
 * for /profile (cpu true) only seconds (positive, default 30); for a
 * named profile debug, gc and seconds (positive, not with debug).  Each
 * argument is the raw value or NULL.  Returns 0 with p filled, or 400
 * (the HTTP status) with *msg Go's error message (a static string).
 */
int cprof__http_params_check(const char *seconds, const char *debug, const char *gc, bool cpu,
                             struct cprof_http_params *p /* OUT */, const char **msg /* OUT */);

/*
 * Parses a /symbol request: addresses ("0x4005d0", any strtoull base-0
 * form) separated by '+', spaces or line ends.  Tokenizes text in place
 * (it must be NUL-terminated).  Skips tokens that are not a whole
 * non-zero number; stores at most max addresses in addrs, in order.
 * Returns how many it stored.
 */
uint32_t cprof__http_symbol_addrs(char *text, uint64_t *addrs /* OUT */, uint32_t max);

/*
 * Splits a listen address "host:port" / "[v6]:port" / ":port" into host
 * (brackets removed; "" = every interface) and a decimal port.  false
 * when malformed or a part does not fit its buffer.
 */
bool cprof__http_split_addr(const char *addr, char *host /* OUT */, size_t hn, char *port /* OUT */,
                            size_t pn);

#endif /* CPROF_RT_HTTP_PARSE_H */
