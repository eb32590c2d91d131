/*
 * Go-style flag parsing (see flags.h).  The messages are Go's flag
 * package's, so scripts written against pprof see the same errors.
 */
#include "tool/flags.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

static const struct cprof_flag *lookup(const struct cprof_flag *flags, size_t n, const char *name,
                                       size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(flags[i].name) == len && memcmp(flags[i].name, name, len) == 0)
            return &flags[i];
    return NULL;
}

/* strconv.ParseBool. */
static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/*
 * strconv.ParseInt(s, 0, 64): optional sign, then 0x/0o/0b or a leading 0
 * (octal), then digits; an underscore may separate digits or follow the
 * prefix.  -EINVAL for syntax, -ERANGE for overflow.
 */
static int parse_int(const char *s, long long *out)
{
    enum { START, PREFIX, DIGIT, UNDERSCORE } prev = START;
    bool neg = false, range = false;
    uint64_t v = 0, limit;
    unsigned base = 10;

    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (s[0] == '0' && s[1] != '\0' && strchr("xXoObB", s[1])) {
        base = s[1] == 'x' || s[1] == 'X' ? 16 : s[1] == 'o' || s[1] == 'O' ? 8 : 2;
        s += 2;
        prev = PREFIX;
    } else if (s[0] == '0' && s[1] != '\0') {
        base = 8;
    }
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        if (*s == '_') {
            if (prev != PREFIX && prev != DIGIT)
                return -EINVAL;
            prev = UNDERSCORE;
            continue;
        }
        unsigned d = (unsigned)digit_value(*s);
        if (d >= base)
            return -EINVAL;
        if (v > (limit - d) / base)
            range = true;
        else
            v = v * base + d;
        prev = DIGIT;
    }
    if (prev != DIGIT)
        return -EINVAL;
    if (range)
        return -ERANGE;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

static int parse_float(const char *s, double *out)
{
    char *end;

    if (*s == '\0' || *s == ' ' || *s == '\t' || *s == '\n')
        return -EINVAL;
    errno = 0;
    *out = strtod(s, &end);
    if (*end != '\0')
        return -EINVAL;
    if (errno == ERANGE && isinf(*out))
        return -ERANGE;
    return 0;
}

static const char *num_error(int rc)
{
    return rc == -ERANGE ? "value out of range" : "parse error";
}

/* Stores value into f; a Go-worded message in diag on failure. */
static int set_value(const struct cprof_flag *f, const char *value, struct cprof_diag *diag)
{
    int rc = 0;

    switch (f->type) {
    case CPROF_FLAG_BOOL:
        if (parse_bool(value, f->ptr) < 0)
            return cprof_diag_set(diag, CPROF_EUSAGE,
                                  "invalid boolean value \"%s\" for -%s: parse error", value,
                                  f->name);
        return 0;
    case CPROF_FLAG_STRING: *(const char **)f->ptr = value; return 0;
    case CPROF_FLAG_INT: rc = parse_int(value, f->ptr); break;
    case CPROF_FLAG_FLOAT: rc = parse_float(value, f->ptr); break;
    }
    if (rc < 0)
        return cprof_diag_set(diag, CPROF_EUSAGE, "invalid value \"%s\" for flag -%s: %s", value,
                              f->name, num_error(rc));
    return 0;
}

/*
 * Parses the flag at argv[*i]; advances *i past it (and its value).
 * 1 when argv[*i] is not a flag (parsing stops), 0 when parsed, else an error.
 */
static int parse_one(const struct cprof_flag *flags, size_t n, int argc, char **argv, int *i,
                     struct cprof_diag *diag)
{
    const char *arg = argv[*i], *name, *eq;
    const struct cprof_flag *f;
    size_t len;

    if (arg[0] != '-' || arg[1] == '\0')
        return 1;
    name = arg + 1;
    if (name[0] == '-') {
        name++;
        if (name[0] == '\0') {
            (*i)++; /* "--" ends the flags */
            return 1;
        }
    }
    if (name[0] == '-' || name[0] == '=')
        return cprof_diag_set(diag, CPROF_EUSAGE, "bad flag syntax: %s", arg);
    eq = strchr(name, '=');
    len = eq ? (size_t)(eq - name) : strlen(name);
    f = lookup(flags, n, name, len);
    if (!f) {
        if ((len == 4 && memcmp(name, "help", 4) == 0) || (len == 1 && name[0] == 'h'))
            return CPROF_FLAGS_HELP;
        return cprof_diag_set(diag, CPROF_EUSAGE, "flag provided but not defined: -%.*s", (int)len,
                              name);
    }
    (*i)++;
    if (eq)
        return set_value(f, eq + 1, diag);
    if (f->type == CPROF_FLAG_BOOL)
        return set_value(f, "true", diag);
    if (*i >= argc)
        return cprof_diag_set(diag, CPROF_EUSAGE, "flag needs an argument: -%.*s", (int)len, name);
    return set_value(f, argv[(*i)++], diag);
}

int cprof_flags_parse(const struct cprof_flag *flags, size_t n, int argc, char **argv,
                      struct cprof_diag *diag)
{
    int i = 0;

    while (i < argc) {
        int rc = parse_one(flags, n, argc, argv, &i, diag);
        if (rc == 1)
            break;
        if (rc < 0)
            return rc;
    }
    return i;
}

void cprof_flags_usage(FILE *f, const struct cprof_flag *flags, size_t n)
{
    static const char *const arg[] = {"", " string", " int", " float"};

    for (size_t i = 0; i < n; i++) {
        int w = fprintf(f, "  -%s%s", flags[i].name, arg[flags[i].type]);
        fprintf(f, "%*s%s\n", w < 22 ? 22 - w : 1, "", flags[i].help);
    }
}
