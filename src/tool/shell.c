/*
 * The interactive report shell (tool/shell.h): pprof's interactive.go,
 * our way.  Lines come from libedit's readline interface (editing and
 * history); each line is an assignment (name=value, a choice name such
 * as "lines" or "cum", a sample type name), a shell command (o, help,
 * quit) or a report command with one-off arguments.
 */
#include "tool/shell.h"

#include <editline/readline.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"

/* Options of the command line that are not part of pprof's shell config. */
static const char *const not_config[] = {
    "base", "diff_base", "seconds",   "timeout",       "symbolize", "version", "granularity",
    "cum",  "flat",      "functions", "filefunctions", "files",     "lines",   "addresses"};
/* pprof's choice fields: granularity and sort. */
static const char *const gran_choices[] = {"addresses", "filefunctions", "files", "functions",
                                           "lines"};
static const char *const sort_choices[] = {"cum", "flat"};
/* Report commands that take a regexp. */
static const char *const param_cmds[] = {"list", "peek", "disasm"};

/* Shell state: the host and the strings the options point to. */
struct shell {
    const struct cprof_shell_host *h;
    char **keep; /* strings owned by the shell, freed at the end */
    size_t nkeep, capkeep;
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Copies s and keeps it for the shell's lifetime; NULL when out of memory. */
static char *keep(struct shell *sh, const char *s, size_t len)
{
    char *c;

    if (sh->nkeep == sh->capkeep) {
        size_t cap = sh->capkeep ? sh->capkeep * 2 : 16;
        char **k = realloc(sh->keep, cap * sizeof(*k));

        if (!k)
            return NULL;
        sh->keep = k;
        sh->capkeep = cap;
    }
    c = strndup(s, len);
    if (c)
        sh->keep[sh->nkeep++] = c;
    return c;
}

static const struct cprof_flag *find_flag(const struct cprof_flag *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

/* A configurable option of pprof's shell config (choices excluded). */
static const struct cprof_flag *config_flag(const struct shell *sh, const char *name)
{
    if (in_list(name, not_config, NELEM(not_config)))
        return NULL;
    return find_flag(sh->h->options, sh->h->noptions, name);
}

static bool is_configurable(const struct shell *sh, const char *name)
{
    return config_flag(sh, name) || strcmp(name, "granularity") == 0 || strcmp(name, "sort") == 0 ||
           in_list(name, gran_choices, NELEM(gran_choices)) ||
           in_list(name, sort_choices, NELEM(sort_choices));
}

static bool is_bool_config(const struct shell *sh, const char *name)
{
    const struct cprof_flag *f = config_flag(sh, name);

    if (f)
        return f->type == CPROF_FLAG_BOOL;
    return in_list(name, gran_choices, NELEM(gran_choices)) ||
           in_list(name, sort_choices, NELEM(sort_choices));
}

/* Sets flag f from text through the flag parser; prints the error. */
static int set_flag(struct shell *sh, const struct cprof_flag *f, const char *value)
{
    struct cprof_diag diag = {0};
    char *arg;
    size_t len = strlen(f->name) + strlen(value) + 3;
    int rc;

    arg = malloc(len);
    if (!arg)
        return -ENOMEM;
    snprintf(arg, len, "-%s=%s", f->name, value);
    /* String flags keep a pointer into argv: hand them a kept copy. */
    char *kept = keep(sh, arg, len);
    free(arg);
    if (!kept)
        return -ENOMEM;
    rc = cprof_flags_parse(f, 1, 1, &kept, &diag);
    if (rc < 0) {
        fprintf(stderr, "%s\n", diag.msg);
        return rc;
    }
    return 0;
}

/* Go's stringToBool: "" and "t"/"true"/"yes"... as pprof's shell reads them. */
static int bool_value(const char *v, bool *out)
{
    if (!*v || !strcasecmp(v, "true") || !strcasecmp(v, "t") || !strcasecmp(v, "yes") ||
        !strcmp(v, "1")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(v, "false") || !strcasecmp(v, "f") || !strcasecmp(v, "no") || !strcmp(v, "0")) {
        *out = false;
        return 0;
    }
    return -1;
}

/*
 * Resolves a sample_index value (an index or a type name, as pprof's
 * SampleIndexByName) to its type name; NULL after printing the error.
 */
static const char *sample_type_of(const struct shell *sh, const char *v)
{
    const struct cprof_shell_host *h = sh->h;
    char *end;
    long long i = strtoll(v, &end, 10);

    if (*v && !*end) {
        if (i >= 0 && (size_t)i < h->nsample_types)
            return h->sample_types[i];
        fprintf(stderr, "sample_index %s is outside the range [0..%zu]\n", v,
                h->nsample_types ? h->nsample_types - 1 : 0);
        return NULL;
    }
    for (size_t k = 0; k < h->nsample_types; k++)
        if (strcmp(h->sample_types[k], v) == 0)
            return h->sample_types[k];
    if (strncmp(v, "inuse_", 6) == 0)
        for (size_t k = 0; k < h->nsample_types; k++)
            if (strcmp(h->sample_types[k], v + 6) == 0)
                return h->sample_types[k];
    fprintf(stderr, "sample_index \"%s\" must be one of: [", v);
    for (size_t k = 0; k < h->nsample_types; k++)
        fprintf(stderr, "%s%s", k ? " " : "", h->sample_types[k]);
    fprintf(stderr, "]\n");
    return NULL;
}

/* pprof's configure(name, value); prints errors.  -ENOMEM is the only fatal one. */
static int configure(struct shell *sh, const char *name, const char *value)
{
    const struct cprof_flag *cum = find_flag(sh->h->options, sh->h->noptions, "cum");
    const struct cprof_flag *gran = find_flag(sh->h->options, sh->h->noptions, "granularity");
    const struct cprof_flag *f;
    bool b;
    int rc;

    if (strcmp(name, "sort") == 0 || strcmp(name, "granularity") == 0) {
        bool sort = name[0] == 's';

        if (!(sort ? in_list(value, sort_choices, 2)
                   : in_list(value, gran_choices, NELEM(gran_choices)))) {
            fprintf(stderr, "invalid \"%s\" value \"%s\"\n", name, value);
            return 0;
        }
        if (sort)
            return set_flag(sh, cum, strcmp(value, "cum") == 0 ? "true" : "false") == -ENOMEM
                       ? -ENOMEM
                       : 0;
        return set_flag(sh, gran, value) == -ENOMEM ? -ENOMEM : 0;
    }
    if (in_list(name, sort_choices, 2) || in_list(name, gran_choices, NELEM(gran_choices))) {
        if (bool_value(value, &b)) {
            fprintf(stderr, "strconv.ParseBool: parsing \"%s\": invalid syntax\n", value);
            return 0;
        }
        if (!b) /* pprof: setting a choice to false leaves the field alone */
            return 0;
        return configure(sh, in_list(name, sort_choices, 2) ? "sort" : "granularity", name);
    }
    f = config_flag(sh, name);
    if (!f)
        return 0;
    if (f->type == CPROF_FLAG_BOOL) {
        if (bool_value(value, &b)) {
            fprintf(stderr, "strconv.ParseBool: parsing \"%s\": invalid syntax\n", value);
            return 0;
        }
        value = b ? "true" : "false";
    }
    if (strcmp(name, "sample_index") == 0) {
        value = sample_type_of(sh, value);
        if (!value)
            return 0;
    }
    rc = set_flag(sh, f, value);
    return rc == -ENOMEM ? rc : 0;
}

/* Go's %v of a float64: the shortest text that reads back the same. */
static void fmt_float(char *buf, size_t n, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* pprof's printCurrentOptions: "  name = value //: comment", sorted. */
static int print_options(struct shell *sh)
{
    const struct cprof_shell_host *h = sh->h;
    char **lines = calloc(h->noptions + 2, sizeof(*lines));
    size_t n = 0;
    int rc = 0;

    if (!lines)
        return -ENOMEM;
    for (size_t i = 0; i <= h->noptions + 1 && rc == 0; i++) {
        char val[128], comment[512] = "";
        const char *name, *v = val;
        char *line = NULL;

        if (i == h->noptions) { /* granularity */
            const char *g = *(const char **)find_flag(h->options, h->noptions, "granularity")->ptr;

            name = "granularity";
            v = g && *g ? g : "functions";
            snprintf(comment, sizeof(comment),
                     "//: [addresses | filefunctions | files | "
                     "functions | lines]");
        } else if (i == h->noptions + 1) {
            name = "sort";
            v = *(bool *)find_flag(h->options, h->noptions, "cum")->ptr ? "cum" : "flat";
            snprintf(comment, sizeof(comment), "//: [cum | flat]");
        } else {
            const struct cprof_flag *f = &h->options[i];

            name = f->name;
            if (!config_flag(sh, name) || strcmp(name, "source_path") == 0)
                continue;
            switch (f->type) {
            case CPROF_FLAG_BOOL: v = *(bool *)f->ptr ? "true" : "false"; break;
            case CPROF_FLAG_STRING:
                v = *(const char **)f->ptr;
                if (!v)
                    v = "";
                break;
            case CPROF_FLAG_INT: snprintf(val, sizeof(val), "%lld", *(long long *)f->ptr); break;
            case CPROF_FLAG_FLOAT: fmt_float(val, sizeof(val), *(double *)f->ptr); break;
            }
            if (strcmp(name, "sample_index") == 0) {
                size_t off = 0;

                if (!*v && h->nsample_types)
                    v = h->sample_types[h->nsample_types - 1];
                off += (size_t)snprintf(comment, sizeof(comment), "//: [");
                for (size_t k = 0; k < h->nsample_types && off < sizeof(comment); k++)
                    off += (size_t)snprintf(comment + off, sizeof(comment) - off, "%s%s",
                                            k ? " | " : "", h->sample_types[k]);
                if (off < sizeof(comment))
                    snprintf(comment + off, sizeof(comment) - off, "]");
            } else if (strcmp(name, "nodecount") == 0 && strcmp(v, "-1") == 0) {
                snprintf(comment, sizeof(comment), "//: default");
            } else if (!*v) {
                v = "\"\"";
            }
        }
        if (asprintf(&line, "  %-25s = %-20s %s", name, v, comment) < 0)
            rc = -ENOMEM;
        else
            lines[n++] = line;
    }
    qsort(lines, n, sizeof(*lines), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            fprintf(stderr, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return rc;
}

/* pprof's commandHelp. */
static void help(const struct shell *sh, const char *arg)
{
    const struct cprof_shell_host *h = sh->h;
    const struct cprof_flag *f;

    if (!*arg) {
        fprintf(stderr, "  Commands:\n");
        for (size_t i = 0; i < h->nformats; i++)
            fprintf(stderr, "    %-12s %s\n", h->formats[i].name, h->formats[i].help);
        fprintf(stderr, "    %-12s %s\n", "o/options", "List options and their current values");
        fprintf(stderr, "    %-12s %s\n", "quit/exit/^D", "Exit pprof");
        fprintf(stderr, "\n  Options:\n");
        for (size_t i = 0; i < h->noptions; i++)
            if (config_flag(sh, h->options[i].name))
                fprintf(stderr, "    %-12s %s\n", h->options[i].name, h->options[i].help);
        fprintf(stderr, "    %-12s %s\n", "granularity",
                "Aggregate at: addresses, filefunctions, files, functions or lines");
        fprintf(stderr, "    %-12s %s\n", "sort", "Sort entries: cum or flat");
        fprintf(stderr, "\n  :   Clear focus/ignore/hide/tagfocus/tagignore\n\n"
                        "  type \"help <cmd|option>\" for more information\n");
        return;
    }
    f = find_flag(h->formats, h->nformats, arg);
    if (!f)
        f = config_flag(sh, arg);
    if (f) {
        fprintf(stderr, "%s\n", f->help);
        if (find_flag(h->formats, h->nformats, arg))
            fprintf(stderr,
                    "  Usage:\n    %s%s [n] [focus_regex]* [-ignore_regex]* [-cum] [>file]\n", arg,
                    in_list(arg, param_cmds, NELEM(param_cmds)) ? "<func_regex|address>" : "");
        return;
    }
    fprintf(stderr, "Unknown command: %s\n", arg);
}

/* Appends b to *a with "|" (pprof's catRegex). */
static int cat_regex(struct shell *sh, const char **a, const char *b)
{
    size_t la = *a ? strlen(*a) : 0, lb = strlen(b);
    char *buf = malloc(la + lb + 2);
    const char *k;

    if (!buf)
        return -ENOMEM;
    snprintf(buf, la + lb + 2, "%s%s%s", *a ? *a : "", la && lb ? "|" : "", b);
    k = keep(sh, buf, strlen(buf));
    free(buf);
    if (!k)
        return -ENOMEM;
    *a = k;
    return 0;
}

/* pprof's parseCommandLine and generateReport for one command's tokens. */
static int command(struct shell *sh, char **tok, size_t ntok)
{
    const struct cprof_shell_host *h = sh->h;
    struct cprof_shell_cmd c = {0};
    char name[64], digits[32] = "";
    size_t i = 1, len = strlen(tok[0]);
    int rc;

    /* top10: split the trailing digits off an unknown command. */
    snprintf(name, sizeof(name), "%s", tok[0]);
    if (!find_flag(h->formats, h->nformats, name)) {
        size_t d = len;

        while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
            d--;
        if (d > 0 && d < len && len - d < sizeof(digits)) {
            snprintf(digits, sizeof(digits), "%s", name + d);
            name[d] = '\0';
        }
    }
    if (!find_flag(h->formats, h->nformats, name)) {
        if (config_flag(sh, tok[0]))
            fprintf(stderr, "did you mean: %s=%s\n", tok[0], ntok > 1 ? tok[1] : "<val>");
        else
            fprintf(stderr, "unrecognized command: \"%s\"\n", tok[0]);
        return 0;
    }
    c.name = find_flag(h->formats, h->nformats, name)->name;
    if (in_list(name, param_cmds, NELEM(param_cmds))) {
        if (digits[0])
            c.param = digits;
        else if (i < ntok)
            c.param = tok[i++];
        else {
            fprintf(stderr, "command %s requires an argument\n", name);
            return 0;
        }
        digits[0] = '\0';
    }
    if (digits[0]) {
        c.has_nodecount = true;
        c.nodecount = strtoll(digits, NULL, 10);
    }
    for (; i < ntok; i++) {
        const char *t = tok[i];
        char *end;
        long long n = strtoll(t, &end, 10);

        if (*t && !*end && n >= -2147483648LL && n <= 2147483647LL) {
            c.has_nodecount = true;
            c.nodecount = n;
            continue;
        }
        if (t[0] == '>') {
            if (t[1])
                c.output = t + 1;
            else if (i + 1 < ntok)
                c.output = tok[++i];
            else {
                fprintf(stderr, "unexpected end of line after >\n");
                return 0;
            }
        } else if (t[0] == '-') {
            if (strcmp(t, "-cum") == 0 || strcmp(t, "--cum") == 0)
                c.cum = true;
            else if ((rc = cat_regex(sh, &c.ignore, t + 1)))
                return rc;
        } else if ((rc = cat_regex(sh, &c.focus, t))) {
            return rc;
        }
    }
    if (!c.has_nodecount && (strcmp(name, "top") == 0 || strcmp(name, "text") == 0) &&
        *(long long *)find_flag(h->options, h->noptions, "nodecount")->ptr == -1) {
        c.has_nodecount = true;
        c.nodecount = 10;
    }
    h->report(h->ctx, &c);
    fflush(stdout);
    return 0;
}

/* Splits s on blanks in place (strings.Fields); returns the count. */
static size_t fields(char *s, char **tok, size_t max)
{
    size_t n = 0;

    for (char *t = strtok(s, " \t\r\n\v\f"); t && n < max; t = strtok(NULL, " \t\r\n\v\f"))
        tok[n++] = t;
    return n;
}

/* One input (after shortcut expansion); 1 to quit, 0, or -ENOMEM. */
static int one(struct shell *sh, char *input)
{
    char *eq = strchr(input, '='), *tok[64], name[128];
    size_t ntok;

    /* name=value, or a lone configurable name. */
    {
        const char *s = input, *e = eq ? eq : input + strlen(input);

        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        snprintf(name, sizeof(name), "%.*s", (int)(e - s), s);
    }
    if (is_configurable(sh, name)) {
        char *value = (char *)"";

        if (!eq && !is_bool_config(sh, name)) {
            fprintf(stderr, "please specify a value, e.g. %s=<val>\n", name);
            return 0;
        }
        if (eq) {
            char *cm, *end;

            value = eq + 1;
            /* "//:" starts a comment (o's output can be pasted back). */
            for (cm = strstr(value, "//:"); cm && strstr(cm + 1, "//:"); cm = strstr(cm + 1, "//:"))
                ;
            if (cm)
                *cm = '\0';
            while (*value == ' ' || *value == '\t')
                value++;
            end = value + strlen(value);
            while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
                *--end = '\0';
        }
        return configure(sh, name, value);
    }
    ntok = fields(input, tok, NELEM(tok));
    if (ntok == 0)
        return 0;
    if (!strcmp(tok[0], "o") || !strcmp(tok[0], "options"))
        return print_options(sh);
    if (!strcmp(tok[0], "exit") || !strcmp(tok[0], "quit") || !strcmp(tok[0], "q"))
        return 1;
    if (!strcmp(tok[0], "help")) {
        char arg[256] = "";

        for (size_t i = 1; i < ntok; i++)
            snprintf(arg + strlen(arg), sizeof(arg) - strlen(arg), "%s%s", i > 1 ? " " : "",
                     tok[i]);
        help(sh, arg);
        return 0;
    }
    return command(sh, tok, ntok);
}

/* pprof's shortcuts: ":" and the sample type names; 1 to quit, 0, or -ENOMEM. */
static int line(struct shell *sh, char *input)
{
    const struct cprof_shell_host *h = sh->h;
    char *s = input, *e;
    char buf[512];
    int rc;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    if (strcmp(s, ":") == 0) {
        static const char *const clear[] = {"focus", "ignore", "hide", "tagfocus", "tagignore"};

        for (size_t i = 0; i < NELEM(clear); i++)
            if ((rc = configure(sh, clear[i], "")))
                return rc;
        return 0;
    }
    for (size_t k = 0; k < h->nsample_types; k++) {
        const char *t = h->sample_types[k];
        const char *mean = NULL;

        if (strcmp(s, t) == 0)
            mean = "";
        else if (strncmp(s, "total_", 6) == 0 && strcmp(s + 6, t) == 0)
            mean = "false";
        else if (strncmp(s, "mean_", 5) == 0 && strcmp(s + 5, t) == 0)
            mean = "true";
        if (mean) {
            if (*mean && (rc = configure(sh, "mean", mean)))
                return rc;
            snprintf(buf, sizeof(buf), "sample_index=%s", t);
            return one(sh, buf);
        }
    }
    return one(sh, s);
}

/*
 * The lines typed are kept across sessions in $HOME/.cprof_history (the
 * last 1000); without HOME, or if the file cannot be read or written, the
 * shell works without it.
 */
static char *history_path(void)
{
    const char *home = getenv("HOME");
    char *path = NULL;

    if (!home || !*home || asprintf(&path, "%s/.cprof_history", home) < 0)
        return NULL;
    return path;
}

/*
 * A line of commands piped in ("echo top | cprof p.pb.gz"): pprof prints
 * its prompt to stdout whatever stdin is, and readline would not.  NULL at
 * end of input.
 */
static char *piped_line(void)
{
    char *in = NULL;
    size_t cap = 0;
    ssize_t n;

    fputs("(pprof) ", stdout);
    fflush(stdout);
    n = getline(&in, &cap, stdin);
    if (n < 0) {
        free(in);
        return NULL;
    }
    if (n > 0 && in[n - 1] == '\n')
        in[n - 1] = '\0';
    return in;
}

int cprof_shell_run(const struct cprof_shell_host *h)
{
    struct shell sh = {.h = h};
    bool interactive = isatty(STDIN_FILENO);
    char *hist = interactive ? history_path() : NULL;
    int rc = 0;

    stifle_history(1000);
    if (hist)
        read_history(hist);
    h->greet(h->ctx);
    fprintf(stderr, "Entering interactive mode (type \"help\" for commands, \"o\" for options)\n");
    for (;;) {
        char *in;

        fflush(stdout);
        in = interactive ? readline("(pprof) ") : piped_line();
        if (!in)
            break;
        if (*in && interactive)
            add_history(in);
        rc = line(&sh, in);
        free(in);
        if (rc)
            break;
    }
    if (rc == 1)
        rc = 0;
    if (hist)
        write_history(hist);
    free(hist);
    for (size_t i = 0; i < sh.nkeep; i++)
        free(sh.keep[i]);
    free(sh.keep);
    return rc;
}
