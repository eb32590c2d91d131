/*
 * Fuzz target for the HTTP text parsers outside of the response parser:
 * the tool's URL parser (cprof_url_adjust, tool/fetch.h) and the runtime
 * endpoint's query parameter validation, /symbol body parser and listen
 * address splitter (rt/http_parse.h).  Every input goes through all of
 * them: as a URL or address, its query ("?seconds=5&debug=1") as the
 * request's parameters, and the whole as a /symbol body
 * ("0x4005d0+0x400600").  Checks: no crash or overflow, and each result
 * keeps its contract (bounds, NUL termination, Go's validation rules).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "rt/http_parse.h"
#include "tool/fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_http_params: check failed: %s\n", #c);                           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static bool terminated(const char *s, size_t n)
{
    return memchr(s, 0, n) != NULL;
}

static void check_url(const char *s, long long seconds, size_t textsz)
{
    struct cprof_url url;
    struct cprof_diag diag = {0};
    char *text = malloc(textsz);
    int rc;

    CHECK(text);
    rc = cprof_url_adjust(s, seconds, &url, text, textsz, &diag);
    CHECK(rc == 0 || rc == 1 || (rc < 0 && diag.msg[0]));
    CHECK(cprof_fetch_is_url(s) == (rc != 0));
    if (rc == 1) {
        CHECK(terminated(url.host, sizeof(url.host)) && url.host[0]);
        CHECK(terminated(url.port, sizeof(url.port)) && url.port[0]);
        CHECK(strspn(url.port, "0123456789") == strlen(url.port) && atoi(url.port) <= 65535);
        CHECK(terminated(url.path, sizeof(url.path)) && url.path[0] == '/');
        CHECK(terminated(text, textsz));
        if (seconds > 0) {
            char want[32];
            snprintf(want, sizeof(want), "seconds=%lld", seconds);
            /* set_seconds appends it last, unless the path left no room */
            CHECK(strstr(url.path, want) || strlen(url.path) >= sizeof(url.path) - 24);
        }
    }
    free(text);
}

/* The first value of key in query "k=v&k=v" (as MHD's lookup), into val; NULL if absent. */
static const char *query_value(const char *query, const char *key, char *val, size_t n)
{
    size_t kl = strlen(key);

    for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        size_t l = strcspn(p, "&");
        if (l >= kl && !strncmp(p, key, kl) && (p[kl] == '=' || l == kl)) {
            const char *v = l == kl ? "" : p + kl + 1;
            size_t vl = l == kl ? 0 : l - kl - 1;
            snprintf(val, n, "%.*s", (int)vl, v);
            return val;
        }
    }
    return NULL;
}

static void check_params(const char *s)
{
    const char *q = strchr(s, '?') ? strchr(s, '?') + 1 : s;
    char sb[256], db[256], gb[256];
    const char *sec = query_value(q, "seconds", sb, sizeof(sb));
    const char *dbg = query_value(q, "debug", db, sizeof(db));
    const char *gc = query_value(q, "gc", gb, sizeof(gb));

    for (int cpu = 0; cpu < 2; cpu++) {
        struct cprof_http_params p;
        const char *msg = "unset";
        int rc = cprof__http_params_check(sec, dbg, gc, cpu, &p, &msg);
        CHECK(rc == 0 || (rc == 400 && msg && msg[0]));
        if (rc)
            continue;
        CHECK(msg == NULL);
        CHECK(p.has_seconds == (sec && *sec));
        if (cpu || p.has_seconds)
            CHECK(p.seconds >= 1 && p.seconds <= CPROF_HTTP_MAX_SECONDS);
        if (p.has_seconds)
            CHECK(p.debug == 0);
        if (cpu)
            CHECK(!p.has_debug && !p.has_gc);
    }
}

static void check_symbols(const uint8_t *data, size_t size)
{
    static uint64_t addrs[4096];
    char *body = malloc(size + 1);

    CHECK(body);
    for (uint32_t max = 3; max <= 4096; max += 4093) {
        memcpy(body, data, size);
        body[size] = 0;
        uint32_t n = cprof__http_symbol_addrs(body, addrs, max);
        CHECK(n <= max);
        for (uint32_t i = 0; i < n; i++)
            CHECK(addrs[i] != 0);
    }
    free(body);
}

static void check_addr(const char *s)
{
    char host[200], port[16];

    if (cprof__http_split_addr(s, host, sizeof(host), port, sizeof(port))) {
        CHECK(terminated(host, sizeof(host)) && terminated(port, sizeof(port)));
        CHECK(port[0] && strspn(port, "0123456789") == strlen(port));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    check_url(s, 0, 2400);
    check_url(s, 30, 2400);
    check_url(s, 5, 8);
    check_params(s);
    check_addr(s);
    check_symbols(data, size);
    free(s);
    return 0;
}
