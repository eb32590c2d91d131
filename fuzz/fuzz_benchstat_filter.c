/*
 * Fuzz target for benchstat's expression parsers (benchstat_filter.c): the
 * input as a -filter query and as a projection.  A filter that parses is
 * evaluated on a few synthetic results.  Invariants: no crash; a parse
 * error always comes with a message; a kept-count never exceeds the
 * measurements; "*" keeps every measurement.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tool/benchstat_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *get(void *ctx, const char *key, char *buf, size_t n)
{
    (void)buf;
    (void)n;
    if (strcmp(key, ".name") == 0)
        return "Encode";
    if (strcmp(key, ".fullname") == 0)
        return "Encode/format=json-48";
    if (strcmp(key, "/format") == 0)
        return "json";
    if (strcmp(key, "goos") == 0)
        return ctx ? "linux" : "darwin";
    return "";
}

static void check_filter(const char *q)
{
    static const char *const units[] = {"sec/op", "B/op", "allocs/op"};
    static const char *const ounits[] = {"ns/op", "B/op", "allocs/op"};
    struct bs_filter *f = NULL;
    char err[8192] = "";
    bool keep[3];

    int rc = bs_filter_parse(q, &f, err, sizeof(err));
    if (rc == 0) {
        for (int v = 0; v <= 3; v++) {
            struct bs_fres r = {get, v & 1 ? (void *)1 : NULL, v, units, ounits};
            if (bs_filter_match(f, &r, keep) > v)
                abort();
        }
    } else if (rc == -1 && !err[0]) {
        abort();
    }
    bs_filter_free(f);
}

static void check_proj(const char *q)
{
    struct bs_pfield *fields = NULL;
    char err[8192] = "";
    int n = 0, rc = bs_proj_parse(q, &fields, &n, err, sizeof(err));
    double d;

    if (rc == -1 && !err[0])
        abort();
    for (int i = 0; rc == 0 && i < n; i++) {
        if (!fields[i].key[0] && fields[i].order != BS_ORDER_FIXED)
            abort();
        for (int k = 0; k < fields[i].nfixed; k++)
            (void)bs_num_value(fields[i].fixed[k], &d);
    }
    bs_proj_free(fields, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = malloc(size + 1);

    if (!q)
        return 0;
    memcpy(q, data, size);
    q[size] = 0;
    check_filter(q);
    check_proj(q);
    free(q);
    /* "*" keeps everything, whatever the result */
    struct bs_filter *f = NULL;
    char err[256];
    bool keep[2];
    static const char *const u[] = {"a", "b"};
    struct bs_fres r = {get, NULL, 2, u, u};
    if (bs_filter_parse("*", &f, err, sizeof(err)) || bs_filter_match(f, &r, keep) != 2)
        abort();
    bs_filter_free(f);
    return 0;
}
