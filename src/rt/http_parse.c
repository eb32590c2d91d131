/*
 * String-level parsing for the /debug/pprof endpoint (see http_parse.h):
 * no connection objects, no allocation, only libc, so the fuzz targets
 * link it alone.
 */
#include "rt/http_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cprof__http_int_value(const char *s, long *v, bool *present)
{
    char *end;

    *present = s != NULL && *s;
    if (!*present)
        return true;
    errno = 0;
    *v = strtol(s, &end, 10);
    return !errno && !*end && end != s;
}

int cprof__http_params_check(const char *seconds, const char *debug, const char *gc, bool cpu,
                             struct cprof_http_params *p, const char **msg)
{
    memset(p, 0, sizeof(*p));
    *msg = NULL;
    if (!cpu && !cprof__http_int_value(debug, &p->debug, &p->has_debug)) {
        *msg = "invalid value for \"debug\" - must be an integer";
        return 400;
    }
    if (!cpu && !cprof__http_int_value(gc, &p->gc, &p->has_gc)) {
        *msg = "invalid value for \"gc\" - must be an integer";
        return 400;
    }
    if (!cprof__http_int_value(seconds, &p->seconds, &p->has_seconds) ||
        (p->has_seconds && p->seconds <= 0)) {
        *msg = "invalid value for \"seconds\" - must be a positive integer";
        return 400;
    }
    if (cpu && !p->has_seconds)
        p->seconds = 30;
    if ((cpu || p->has_seconds) && p->seconds > CPROF_HTTP_MAX_SECONDS) {
        *msg = "profile duration exceeds server's WriteTimeout";
        return 400;
    }
    if (p->has_seconds && p->debug != 0) {
        *msg = "seconds and debug params are incompatible";
        return 400;
    }
    return 0;
}

uint32_t cprof__http_symbol_addrs(char *text, uint64_t *addrs, uint32_t max)
{
    uint32_t n = 0;
    char *save = NULL;

    for (char *tok = strtok_r(text, "+ \r\n", &save); tok && n < max;
         tok = strtok_r(NULL, "+ \r\n", &save)) {
        char *end;
        errno = 0;
        uint64_t a = strtoull(tok, &end, 0);
        if (errno || *end || !a)
            continue;
        addrs[n++] = a;
    }
    return n;
}

bool cprof__http_split_addr(const char *addr, char *host, size_t hn, char *port, size_t pn)
{
    const char *colon = strrchr(addr, ':');
    size_t hl;

    if (!colon || !colon[1] || strlen(colon + 1) >= pn ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return false;
    snprintf(port, pn, "%s", colon + 1);
    hl = (size_t)(colon - addr);
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        addr++;
        hl -= 2;
    }
    if (hl >= hn)
        return false;
    memcpy(host, addr, hl);
    host[hl] = 0;
    return true;
}
