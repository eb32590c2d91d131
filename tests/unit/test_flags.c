/*
 * Tests of the Go-style flag parser (src/tool/flags.c).
 */
#include "tool/flags.h"

#include <stdbool.h>

#include "base/err.h"
#include "unit.h"

struct opts {
    bool raw, proto;
    const char *output;
    long long nodecount;
    double frac;
};

#define TABLE(o)                                                                                   \
    {                                                                                              \
        {"raw", CPROF_FLAG_BOOL, &(o).raw, "raw dump"},                                            \
            {"proto", CPROF_FLAG_BOOL, &(o).proto, "protobuf"},                                    \
            {"output", CPROF_FLAG_STRING, &(o).output, "output file"},                             \
            {"nodecount", CPROF_FLAG_INT, &(o).nodecount, "max nodes"},                            \
            {"nodefraction", CPROF_FLAG_FLOAT, &(o).frac, "fraction"},                             \
    }

/* Parses the NULL-terminated args; returns cprof_flags_parse's result. */
static int parse(struct opts *o, struct cprof_diag *d, char **args)
{
    struct cprof_flag t[] = TABLE(*o);
    int argc = 0;

    while (args[argc])
        argc++;
    d->msg[0] = '\0';
    return cprof_flags_parse(t, sizeof(t) / sizeof(t[0]), argc, args, d);
}

#define ARGS(...) ((char **)(const char *[]){__VA_ARGS__, NULL})

CPROF_TEST(flags_syntax_variants)
{
    struct opts o = {0};
    struct cprof_diag d;

    CPROF_ASSERT_EQ(
        parse(&o, &d,
              ARGS("-raw", "--proto", "-output=x.pb", "--nodecount", "12", "file1", "-raw")),
        5);
    CPROF_ASSERT(o.raw && o.proto);
    CPROF_ASSERT_STR(o.output, "x.pb");
    CPROF_ASSERT_EQ(o.nodecount, 12);

    o = (struct opts){0};
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("--output", "-raw", "-nodefraction=0.25", "f")), 3);
    CPROF_ASSERT_STR(o.output, "-raw"); /* a non-bool flag takes the next argument as is */
    CPROF_ASSERT(!o.raw);
    CPROF_ASSERT(o.frac == 0.25);
}

CPROF_TEST(flags_stop_at_non_flag_and_double_dash)
{
    struct opts o = {0};
    struct cprof_diag d;

    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-raw", "--", "-proto")), 2);
    CPROF_ASSERT(o.raw && !o.proto);
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-", "-proto")), 0);
    CPROF_ASSERT(!o.proto);
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("run", "-proto")), 0);
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-raw")), 1);
}

CPROF_TEST(flags_bool_values)
{
    struct opts o = {0};
    struct cprof_diag d;

    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-raw=true", "-proto=1")), 2);
    CPROF_ASSERT(o.raw && o.proto);
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-raw=false", "--proto=F")), 2);
    CPROF_ASSERT(!o.raw && !o.proto);
    /* A bool flag never takes the next argument. */
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-raw", "false")), 1);
    CPROF_ASSERT(o.raw);
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-raw=yes")), CPROF_EUSAGE);
    CPROF_ASSERT_STR(d.msg, "invalid boolean value \"yes\" for -raw: parse error");
}

CPROF_TEST(flags_errors_use_go_messages)
{
    struct opts o = {0};
    struct cprof_diag d;

    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-x")), CPROF_EUSAGE);
    CPROF_ASSERT_STR(d.msg, "flag provided but not defined: -x");
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("--bogus=3")), CPROF_EUSAGE);
    CPROF_ASSERT_STR(d.msg, "flag provided but not defined: -bogus");
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-raw", "-output")), CPROF_EUSAGE);
    CPROF_ASSERT_STR(d.msg, "flag needs an argument: -output");
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("---raw")), CPROF_EUSAGE);
    CPROF_ASSERT_STR(d.msg, "bad flag syntax: ---raw");
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-=1")), CPROF_EUSAGE);
    CPROF_ASSERT_STR(d.msg, "bad flag syntax: -=1");
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-nodecount=abc")), CPROF_EUSAGE);
    CPROF_ASSERT_STR(d.msg, "invalid value \"abc\" for flag -nodecount: parse error");
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-nodecount", "99999999999999999999")), CPROF_EUSAGE);
    CPROF_ASSERT_STR(d.msg,
                     "invalid value \"99999999999999999999\" for flag -nodecount: value out of "
                     "range");
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-nodefraction=1x")), CPROF_EUSAGE);
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-h")), CPROF_FLAGS_HELP);
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("--help")), CPROF_FLAGS_HELP);
}

CPROF_TEST(flags_int_syntax_like_go)
{
    struct opts o = {0};
    struct cprof_diag d;
    static const struct {
        const char *in;
        long long want; /* -1 = rejected */
    } cases[] = {
        {"0", 0},
        {"017", 15},
        {"0x1F", 31},
        {"0o17", 15},
        {"0b101", 5},
        {"-12", -12},
        {"+7", 7},
        {"1_000", 1000},
        {"0x_ff", 255},
        {"9223372036854775807", 9223372036854775807LL},
        {"_1", -1},
        {"1__0", -1},
        {"1_", -1},
        {"08", -1},
        {"0x", -1},
        {"", -1},
        {" 1", -1},
        {"1.5", -1},
        {"9223372036854775808", -1},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char arg[64];
        snprintf(arg, sizeof(arg), "-nodecount=%s", cases[i].in);
        o.nodecount = -1;
        int rc = parse(&o, &d, ARGS(arg));
        if (cases[i].want == -1) {
            CPROF_ASSERT_EQ(rc, CPROF_EUSAGE);
        } else {
            CPROF_ASSERT_EQ(rc, 1);
            CPROF_ASSERT_EQ(o.nodecount, cases[i].want);
        }
    }
    CPROF_ASSERT_EQ(parse(&o, &d, ARGS("-nodecount=-9223372036854775808")), 1);
    CPROF_ASSERT(o.nodecount == (-9223372036854775807LL - 1));
}

CPROF_TEST(flags_usage_lists_every_flag)
{
    struct opts o = {0};
    struct cprof_flag t[] = TABLE(o);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    CPROF_ASSERT(f != NULL);
    cprof_flags_usage(f, t, sizeof(t) / sizeof(t[0]));
    fclose(f);
    CPROF_ASSERT(strstr(text, "  -raw ") != NULL);
    CPROF_ASSERT(strstr(text, "  -output string ") != NULL);
    CPROF_ASSERT(strstr(text, "  -nodecount int ") != NULL);
    CPROF_ASSERT(strstr(text, "output file\n") != NULL);
    free(text);
}
