/*
 * pprof's demangling modes on top of __cxa_demangle.  pprof demangles with
 * a Go port of libiberty's demangler and asks it to leave out parameters,
 * template arguments or clone suffixes; __cxa_demangle has no such
 * options, so its full text is cut here instead: the parameter list and
 * qualifiers after the last top-level ')', a return type before the name,
 * and every <...> group, with operator names (operator<<, operator(),
 * operator->) taken as names, never as brackets.  The standard
 * abbreviations (std::string, std::istream, ...) are printed as pprof's
 * demangler prints them.  Checked against go tool pprof on libstdc++'s
 * exported names (tests/e2e/t_demangle.sh).
 */
#include "sym/demangle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/profile.h"
#include "sym/symbolize.h"

static bool is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

/*
 * Length of the operator symbol at s (after the keyword "operator"), the
 * longest of C++'s operator spellings; 0 when s starts with none.
 */
static size_t op_len(const char *s)
{
    static const char *const ops[] = {
        "<<=", ">>=", "<=>", "->*", "()", "[]", "<<", ">>", "<=", ">=", "==", "!=", "&&",
        "||",  "++",  "--",  "->",  "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "+",
        "-",   "*",   "/",   "%",   "^",  "&",  "|",  "~",  "!",  "=",  "<",  ">",  ",",
    };

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t n = strlen(ops[i]);

        if (strncmp(s, ops[i], n) == 0)
            return n;
    }
    return 0;
}

/*
 * If s + i starts the keyword "operator" (as a word), the length of the
 * keyword and its symbol ("operator<<", "operator new[]"); else 0.  For a
 * conversion operator ("operator int") only the keyword and its space.
 */
static size_t operator_at(const char *s, size_t i)
{
    size_t n;

    if (strncmp(s + i, "operator", 8) != 0 || (i > 0 && is_ident(s[i - 1])))
        return 0;
    n = 8;
    if (s[i + n] == ' ') {
        n++;
        if (strncmp(s + i + n, "new", 3) == 0 || strncmp(s + i + n, "delete", 6) == 0) {
            n += s[i + n] == 'n' ? 3 : 6;
            if (strncmp(s + i + n, "[]", 2) == 0)
                n += 2;
        }
        return n;
    }
    if (is_ident(s[i + n]))
        return 0; /* an identifier such as "operator_x" */
    return n + op_len(s + i + n);
}

/* Removes every " [clone .x]" suffix (pprof's NoClones). */
static void strip_clones(char *s)
{
    char *c;

    while ((c = strstr(s, " [clone ")) != NULL) {
        char *e = strchr(c, ']');

        if (!e)
            return;
        memmove(c, e + 1, strlen(e + 1) + 1);
    }
}

/*
 * The standard substitutions (Ss, Si, So, Sd) as pprof's demangler prints
 * them: abbreviated everywhere but as the class of their own constructor
 * or destructor.  A mangled name that spells the class out (through
 * template parameters) prints it in full, which is told by the spelling.
 */
static void abbreviate(const char *sys, char *s)
{
    static const struct {
        const char *full, *abbr, *ctor, *spelled;
    } subs[] = {
        {"std::basic_string<char, std::char_traits<char>, std::allocator<char> >", "std::string",
         "basic_string", "SbI"},
        {"std::basic_istream<char, std::char_traits<char> >", "std::istream", "basic_istream",
         "St13basic_istream"},
        {"std::basic_ostream<char, std::char_traits<char> >", "std::ostream", "basic_ostream",
         "St13basic_ostream"},
        {"std::basic_iostream<char, std::char_traits<char> >", "std::iostream", "basic_iostream",
         "St14basic_iostream"},
    };

    for (size_t k = 0; k < sizeof(subs) / sizeof(subs[0]); k++) {
        size_t fl = strlen(subs[k].full), al = strlen(subs[k].abbr), cl = strlen(subs[k].ctor);
        char *p = s;

        if (strstr(sys, subs[k].spelled) || (k == 0 && strstr(sys, "St12basic_string")))
            continue;
        while ((p = strstr(p, subs[k].full)) != NULL) {
            const char *after = p + fl, *t = after;

            if (p > s && is_ident(p[-1])) {
                p += fl;
                continue;
            }
            if (strncmp(t, "::", 2) == 0) {
                t += 2;
                if (*t == '~')
                    t++;
                if (strncmp(t, subs[k].ctor, cl) == 0 && !is_ident(t[cl])) {
                    p += fl; /* a constructor's or destructor's class stays spelled out */
                    continue;
                }
            }
            memcpy(p, subs[k].abbr, al);
            memmove(p + al, after, strlen(after) + 1);
            p += al;
        }
    }
}

static bool has_prefix(const char *s, const char *pre)
{
    return strncmp(s, pre, strlen(pre)) == 0;
}

/* Special names ("vtable for X", thunks): pprof keeps their parameters. */
static bool special_name(const char *s)
{
    static const char *const pre[] = {
        "non-virtual thunk to ",
        "virtual thunk to ",
        "covariant return thunk to ",
        "transaction clone for ",
        "construction vtable for ",
        "vtable for ",
        "VTT for ",
        "typeinfo for ",
        "typeinfo name for ",
        "guard variable for ",
        "reference temporary ",
        "TLS init function for ",
        "TLS wrapper function for ",
        "hidden alias for ",
        "java Class for ",
    };

    for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
        if (has_prefix(s, pre[i]))
            return true;
    return false;
}

/* Removes the parameters, the qualifiers after them and a return type (NoParams). */
static void strip_params(char *s)
{
    static const char *const quals[] = {" const", " volatile", " &&",
                                        " &",     " noexcept", " restrict"};
    size_t n = strlen(s), last_space = 0, i;
    int depth = 0;
    bool again = true;

    while (again) {
        again = false;
        for (size_t q = 0; q < sizeof(quals) / sizeof(quals[0]); q++) {
            size_t ql = strlen(quals[q]);

            if (n > ql && strcmp(s + n - ql, quals[q]) == 0) {
                n -= ql;
                s[n] = '\0';
                again = true;
            }
        }
    }
    if (n == 0 || s[n - 1] != ')')
        return;
    for (i = n; i-- > 0;) {
        if (s[i] == ')')
            depth++;
        else if (s[i] == '(' && --depth == 0)
            break;
    }
    if (depth != 0 || i == 0)
        return;
    s[i] = '\0';
    /* A return type ends at the last space outside brackets before the name. */
    depth = 0;
    for (i = 0; s[i]; i++) {
        size_t op = depth == 0 ? operator_at(s, i) : 0;

        if (op)
            break; /* the rest is the operator's name */
        switch (s[i]) {
        case '<':
        case '(':
        case '[':
        case '{': depth++; break;
        case '>':
        case ')':
        case ']':
        case '}': depth--; break;
        case ' ':
            if (depth == 0)
                last_space = i + 1;
            break;
        }
    }
    if (last_space)
        memmove(s, s + last_space, strlen(s + last_space) + 1);
}

/* Removes every <...> group, operator names excepted (NoTemplateParams). */
static void strip_templates(char *s)
{
    size_t r = 0, w = 0;
    int depth = 0;

    while (s[r]) {
        size_t op = depth == 0 ? operator_at(s, r) : 0;

        if (op && s[r + op - 1] != ' ') {
            memmove(s + w, s + r, op);
            w += op;
            r += op;
            continue;
        }
        if (s[r] == '<') {
            if (depth == 0 && w > 0 && s[w - 1] == ' ')
                w--; /* "operator< <int>" */
            depth++;
        } else if (s[r] == '>' && depth > 0) {
            depth--;
        } else if (depth == 0) {
            s[w++] = s[r];
        }
        r++;
    }
    s[w] = '\0';
}

/* pprof's removeMatching: drops nested start..end groups; name unchanged on a mismatch. */
static void remove_matching(char *name, char start, char end)
{
    size_t n = strlen(name), first = 0, cur = 0;
    int nesting = 0;

    while (cur < n) {
        if (name[cur] == start) {
            if (++nesting == 1)
                first = cur;
        } else if (name[cur] == end) {
            if (--nesting < 0)
                return;
            if (nesting == 0) {
                memmove(name + first, name + cur + 1, n - cur);
                n -= cur + 1 - first;
                cur = first;
                continue;
            }
        }
        cur++;
    }
}

/* pprof's looksLikeDemangledCPlusPlus. */
static bool looks_demangled(const char *s)
{
    if (strstr(s, ".<") || strstr(s, "])."))
        return false;
    return strpbrk(s, "<>[]") != NULL || strstr(s, "::") != NULL;
}

char *cprof_demangle_name(const char *sys, enum cprof_demangle_mode mode)
{
    bool no_params = mode == CPROF_DEMANGLE_DEFAULT || mode == CPROF_DEMANGLE_TEMPLATES;
    char *d = NULL, *out;

    if (sys[0] == '_' && sys[1] == 'Z')
        d = cprof__sym_demangle(sys);
    if (!d) {
        /* Not demangled: pprof's heuristics for names demangled already. */
        if (!(out = strdup(sys)))
            return NULL;
        if (no_params && looks_demangled(out)) {
            remove_matching(out, '(', ')');
            if (mode == CPROF_DEMANGLE_DEFAULT)
                remove_matching(out, '<', '>');
        }
        return out;
    }
    abbreviate(sys, d);
    if (mode != CPROF_DEMANGLE_NONE)
        strip_clones(d);
    if (no_params && !special_name(d))
        strip_params(d);
    if (mode == CPROF_DEMANGLE_DEFAULT)
        strip_templates(d);
    return d;
}

int cprof_demangle_profile(struct cprof_profile *p, bool force, enum cprof_demangle_mode mode)
{
    bool changed = false;
    int err = 0;

    for (uint32_t i = 0; i < p->nfunctions && !err; i++) {
        struct cprof_function *f = &p->functions[i];
        char *d;

        /*
         * pprof takes every system name back; C++ names here (mangled,
         * or demangled ones pprof's heuristics shortened), while a C
         * function's name stays
         * (glibc's "__GI___clock_gettime" keeps showing as
         * "__clock_gettime", as the symbolizer names it).
         */
        if (force && f->name && f->system_name &&
            (strncmp(cprof_profile_str(p, f->system_name), "_Z", 2) == 0 ||
             looks_demangled(cprof_profile_str(p, f->system_name))))
            f->name = f->system_name;
        if (f->name &&
            strcmp(cprof_profile_str(p, f->name), cprof_profile_str(p, f->system_name)) != 0)
            continue; /* demangled already */
        if (!(d = cprof_demangle_name(cprof_profile_str(p, f->system_name), mode)))
            return -ENOMEM;
        err = cprof_profile_intern_cstr(p, d, &f->name);
        free(d);
        changed = true;
    }
    if (changed) {
        /* A function's name is part of its identity: the intern index is stale. */
        cprof_htab_release(&p->func_idx);
        cprof_htab_init(&p->func_idx);
        p->func_indexed = 0;
    }
    return err;
}
