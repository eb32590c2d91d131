/*
 * Go's duration and time formatting (see gofmt.h), rewritten from the
 * behaviour of Go 1.19's time package.
 */
#include "tool/gofmt.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Writes v / 10^prec's fraction (no trailing zeros, no '.' if zero) before buf[w]. */
static size_t fmt_frac(char *buf, size_t w, uint64_t *v, int prec)
{
    bool print = false;

    for (int i = 0; i < prec; i++) {
        unsigned digit = (unsigned)(*v % 10);
        print = print || digit != 0;
        if (print)
            buf[--w] = (char)('0' + digit);
        *v /= 10;
    }
    if (print)
        buf[--w] = '.';
    return w;
}

static size_t fmt_int(char *buf, size_t w, uint64_t v)
{
    if (v == 0)
        buf[--w] = '0';
    for (; v > 0; v /= 10)
        buf[--w] = (char)('0' + v % 10);
    return w;
}

void cprof_go_duration(int64_t d, char out[CPROF_GOFMT_MAX])
{
    char buf[32];
    size_t w = sizeof(buf);
    uint64_t u = (uint64_t)d;
    bool neg = d < 0;

    if (neg)
        u = 0 - u;
    if (u < 1000000000u) {
        int prec;
        if (u == 0) {
            strcpy(out, "0s");
            return;
        }
        buf[--w] = 's';
        if (u < 1000u) {
            prec = 0;
            buf[--w] = 'n';
        } else if (u < 1000000u) {
            prec = 3;
            w -= 2;
            memcpy(buf + w, "\xc2\xb5", 2); /* U+00B5 micro sign */
        } else {
            prec = 6;
            buf[--w] = 'm';
        }
        w = fmt_frac(buf, w, &u, prec);
        w = fmt_int(buf, w, u);
    } else {
        buf[--w] = 's';
        w = fmt_frac(buf, w, &u, 9);
        w = fmt_int(buf, w, u % 60);
        u /= 60;
        if (u > 0) {
            buf[--w] = 'm';
            w = fmt_int(buf, w, u % 60);
            u /= 60;
            if (u > 0) {
                buf[--w] = 'h';
                w = fmt_int(buf, w, u);
            }
        }
    }
    if (neg)
        buf[--w] = '-';
    memcpy(out, buf + w, sizeof(buf) - w);
    out[sizeof(buf) - w] = '\0';
}

void cprof_go_time(int64_t ns, char out[CPROF_GOFMT_MAX])
{
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    char fbuf[16];
    struct tm tm;
    time_t t;
    long off;

    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    t = (time_t)sec;
    tzset();
    if (!localtime_r(&t, &tm)) {
        snprintf(out, CPROF_GOFMT_MAX, "%" PRId64 ".%09" PRId64, sec, frac);
        return;
    }
    /* ".999999999": up to 9 digits, trailing zeros and a bare '.' dropped. */
    fbuf[0] = '\0';
    if (frac) {
        snprintf(fbuf, sizeof(fbuf), ".%09" PRId64, frac);
        for (size_t n = strlen(fbuf); fbuf[n - 1] == '0'; n--)
            fbuf[n - 1] = '\0';
    }
    off = tm.tm_gmtoff / 60;
    snprintf(out, CPROF_GOFMT_MAX, "%04d-%02d-%02d %02d:%02d:%02d%s %c%02ld%02ld %s",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fbuf,
             off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60,
             tm.tm_zone ? tm.tm_zone : "");
}

void cprof_go_truncate_runes(char *s, size_t max)
{
    size_t runes = 0;

    for (char *p = s; *p; p++) {
        /* A byte that does not continue a UTF-8 sequence starts a rune. */
        if (((unsigned char)*p & 0xc0) != 0x80) {
            if (runes == max) {
                *p = '\0';
                return;
            }
            runes++;
        }
    }
}
