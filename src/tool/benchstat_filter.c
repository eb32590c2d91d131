/*
 * benchstat's filter and projection expressions (see benchstat_filter.h).
 * A tokenizer shared by both (words, quoted words, /regexps/, the operators
 * ( ) : @ , and - * at the start of a word), a recursive-descent filter
 * parser with a depth bound, and an evaluator that works on one result's
 * measurements at a time: a term on .unit selects measurements, any other
 * term keeps or drops the whole result.
 */
#include "tool/benchstat_filter.h"

#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T_EOF = 0, T_WORD = 'w', T_QUOTED = 'q', T_RE = 'r', T_AND = 'A', T_OR = 'O' };

struct tok {
    int kind;         /* T_*, or the operator character */
    int off;          /* byte offset in the query */
    const char *text; /* word, unquoted word or regexp source (owned by the lexer) */
};

struct lex {
    const char *q;
    int len;
    int err_off; /* first error, -1 if none */
    char err[160];
    char *strs[2048]; /* token texts, freed with the lexer */
    int nstrs;
    bool oom;
};

static void lex_error(struct lex *l, int off, const char *msg)
{
    if (l->err_off >= 0)
        return;
    l->err_off = off;
    snprintf(l->err, sizeof(l->err), "%s", msg);
}

static bool is_op(int c)
{
    return c == '(' || c == ')' || c == ':' || c == '@' || c == ',';
}

static bool is_start_op(int c)
{
    return is_op(c) || c == '-' || c == '*';
}

/* Go's unicode.IsSpace for the ASCII range and U+0085, U+00A0 (UTF-8). */
static int space_len(const char *s, int left)
{
    unsigned char c = (unsigned char)s[0];
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (left >= 2 && c == 0xc2 && ((unsigned char)s[1] == 0x85 || (unsigned char)s[1] == 0xa0))
        return 2;
    return 0;
}

static char *keep(struct lex *l, const char *s, size_t n)
{
    if (l->nstrs == (int)(sizeof(l->strs) / sizeof(l->strs[0]))) {
        lex_error(l, (int)(s - l->q), "expression too complex");
        return NULL;
    }
    char *c = strndup(s, n);
    if (!c) {
        l->oom = true;
        lex_error(l, 0, "out of memory");
        return NULL;
    }
    l->strs[l->nstrs++] = c;
    return c;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Go's strconv.Unquote of a double-quoted string s[0..n) into out; -1 if bad. */
static int unquote(const char *s, int n, char *out)
{
    static const char simple[] = "abfnrtv\\\"";
    static const char value[] = "\a\b\f\n\r\t\v\\\"";
    int o = 0;

    for (int i = 1; i < n - 1; i++) {
        if (s[i] == '\n')
            return -1;
        if (s[i] != '\\') {
            out[o++] = s[i];
            continue;
        }
        if (++i >= n - 1)
            return -1;
        const char *p = strchr(simple, s[i]);
        if (p && s[i]) {
            out[o++] = value[p - simple];
            continue;
        }
        int digits = s[i] == 'x' ? 2 : s[i] == 'u' ? 4 : s[i] == 'U' ? 8 : 0;
        unsigned long v = 0;
        if (s[i] >= '0' && s[i] <= '7') {
            for (int k = 0; k < 3; k++, i++) {
                if (i >= n - 1 || s[i] < '0' || s[i] > '7')
                    return -1;
                v = v * 8 + (unsigned long)(s[i] - '0');
            }
            i--;
            if (v > 255)
                return -1;
            out[o++] = (char)v;
            continue;
        }
        if (!digits)
            return -1;
        for (int k = 0; k < digits; k++) {
            int h = ++i < n - 1 ? hexval(s[i]) : -1;
            if (h < 0)
                return -1;
            v = v * 16 + (unsigned long)h;
        }
        if (digits == 2)
            out[o++] = (char)v;
        else if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
            return -1;
        else
            o += put_utf8(out + o, v);
    }
    out[o] = 0;
    return o;
}

/* End of a regexp starting at s[0] (after the opening '/'): index of the closing '/'. */
static int regexp_end(const char *s, int n)
{
    int cs = 0, cp = 0;
    for (int i = 0; i < n; i++) {
        if (cs == 0 && cp == 0 && s[i] == '/')
            return i;
        switch (s[i]) {
        case '[': cs++; break;
        case ']':
            if (--cs < 0)
                cs = 0;
            break;
        case '(':
            if (cs == 0)
                cp++;
            break;
        case ')':
            if (cs == 0)
                cp--;
            break;
        case '\\': i++; break;
        }
    }
    return -1;
}

/*
 * The next token from *pos.  allow_re: a '/' starts a regexp (values only).
 * On error, returns T_EOF and records the error.
 */
static struct tok lex_next(struct lex *l, int *pos, bool allow_re)
{
    struct tok t = {T_EOF, l->len, ""};
    int p = *pos;

    if (l->err_off >= 0) {
        *pos = l->len;
        return t;
    }
    while (p < l->len) {
        int c = (unsigned char)l->q[p], sp;
        if (is_start_op(c)) {
            t = (struct tok){c, p, ""};
            *pos = p + 1;
            return t;
        }
        if ((sp = space_len(l->q + p, l->len - p)) > 0) {
            p += sp;
            continue;
        }
        if (allow_re && c == '/') {
            int e = regexp_end(l->q + p + 1, l->len - p - 1);
            if (e < 0) {
                lex_error(l, p, "missing close \"/\"");
                *pos = l->len;
                return (struct tok){T_EOF, l->len, ""};
            }
            int after = p + 1 + e + 1;
            if (after < l->len && !space_len(l->q + after, l->len - after) &&
                !is_start_op((unsigned char)l->q[after])) {
                lex_error(l, after,
                          "regexp must be followed by space or an operator (unescaped \"/\"?)");
                *pos = l->len;
                return (struct tok){T_EOF, l->len, ""};
            }
            t = (struct tok){T_RE, p, keep(l, l->q + p + 1, (size_t)e)};
            *pos = after;
            return t.text ? t : (struct tok){T_EOF, l->len, ""};
        }
        if (c == '"') {
            int e = p + 1;
            while (e < l->len && (l->q[e] != '"' || l->q[e - 1] == '\\'))
                e++;
            if (e == l->len) {
                lex_error(l, p, "missing end quote");
                *pos = l->len;
                return (struct tok){T_EOF, l->len, ""};
            }
            char *w = keep(l, l->q + p, (size_t)(e - p + 1));
            if (w && unquote(l->q + p, e - p + 1, w) < 0) {
                lex_error(l, p, "bad escape sequence");
                w = NULL;
            }
            *pos = e + 1;
            return w ? (struct tok){T_QUOTED, p, w} : (struct tok){T_EOF, l->len, ""};
        }
        int e = p;
        while (e < l->len && !space_len(l->q + e, l->len - e) && !is_op((unsigned char)l->q[e]))
            e++;
        char *w = keep(l, l->q + p, (size_t)(e - p));
        *pos = e;
        if (!w)
            return (struct tok){T_EOF, l->len, ""};
        int kind = strcmp(w, "AND") == 0 ? T_AND : strcmp(w, "OR") == 0 ? T_OR : T_WORD;
        return (struct tok){kind, p, w};
    }
    *pos = p;
    t.off = p;
    return t;
}

static void lex_release(struct lex *l)
{
    for (int i = 0; i < l->nstrs; i++)
        free(l->strs[i]);
    l->nstrs = 0;
}

/* Go's SyntaxError text: the message, the query, a caret under the column. */
static void format_error(const struct lex *l, char *err, size_t n)
{
    int col = 0;
    for (int i = 0; i < l->err_off && i < l->len; i++) {
        unsigned char c = (unsigned char)l->q[i];
        if ((c & 0xc0) != 0x80 && c >= 0x20 && c != 0x7f)
            col++;
    }
    snprintf(err, n, "syntax error: %s\n\t%s\n\t%*s^", l->err, l->q, col, "");
}

/* ---- filters ---- */

enum { N_AND, N_OR, N_NOT, N_MATCH };

struct node {
    int op;
    struct node **sub;
    int nsub;
    char *key, *lit; /* N_MATCH: lit, or a regexp */
    bool has_re;
    regex_t re;
    int off; /* N_MATCH: offset of the key in the query */
};

struct bs_filter {
    struct node *root;
};

static void node_free(struct node *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->nsub; i++)
        node_free(n->sub[i]);
    free(n->sub);
    free(n->key);
    free(n->lit);
    if (n->has_re)
        regfree(&n->re);
    free(n);
}

struct parser {
    struct lex *l;
    int depth;
};

static struct node *new_node(struct parser *p, int op)
{
    struct node *n = calloc(1, sizeof(*n));
    if (!n) {
        p->l->oom = true;
        lex_error(p->l, 0, "out of memory");
    }
    if (n)
        n->op = op;
    return n;
}

static int add_sub(struct parser *p, struct node *n, struct node *s)
{
    struct node **v = realloc(n->sub, sizeof(*v) * (size_t)(n->nsub + 1));
    if (!v) {
        p->l->oom = true;
        lex_error(p->l, 0, "out of memory");
        node_free(s);
        return -1;
    }
    n->sub = v;
    n->sub[n->nsub++] = s;
    return 0;
}

static struct node *mk_match(struct parser *p, const struct tok *key, const struct tok *val)
{
    struct node *n = new_node(p, N_MATCH);
    if (!n)
        return NULL;
    n->off = key->off;
    n->key = strdup(key->text);
    if (val->kind == T_RE) {
        int rc = regcomp(&n->re, val->text, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char msg[128], full[160];
            regerror(rc, &n->re, msg, sizeof(msg));
            snprintf(full, sizeof(full), "error parsing regexp: %s", msg);
            lex_error(p->l, val->off, full);
            free(n->key);
            free(n);
            return NULL;
        }
        n->has_re = true;
    } else {
        n->lit = strdup(val->text);
    }
    if (!n->key || (!n->has_re && !n->lit)) {
        p->l->oom = true;
        lex_error(p->l, 0, "out of memory");
        node_free(n);
        return NULL;
    }
    return n;
}

static struct node *expr(struct parser *p, int *pos);

/* key ":" "(" value {"OR" value} ")" after the "(" */
static struct node *value_list(struct parser *p, int *pos, const struct tok *key)
{
    struct node *n = new_node(p, N_OR);
    for (;;) {
        int at = *pos;
        struct tok v = lex_next(p->l, pos, true);
        if (v.kind != T_WORD && v.kind != T_QUOTED && v.kind != T_RE) {
            lex_error(p->l, at, "expected value");
            break;
        }
        struct node *m = mk_match(p, key, &v);
        if (!m || !n || add_sub(p, n, m))
            break;
        at = *pos;
        struct tok sep = lex_next(p->l, pos, true);
        if (sep.kind == ')')
            return n;
        if (sep.kind != T_OR) {
            lex_error(p->l, at, "value list must be separated by OR");
            break;
        }
    }
    node_free(n);
    return NULL;
}

static struct node *match(struct parser *p, int *pos)
{
    int start = *pos;
    struct tok t = lex_next(p->l, pos, false);

    if (p->l->err_off >= 0)
        return NULL;
    if (t.kind == '(' || t.kind == '-') {
        if (++p->depth > BS_FILTER_MAX_DEPTH) {
            lex_error(p->l, t.off, "expression nested too deeply");
            return NULL;
        }
        struct node *q;
        if (t.kind == '(') {
            q = expr(p, pos);
            int at = *pos;
            struct tok c = lex_next(p->l, pos, false);
            if (q && c.kind != ')') {
                lex_error(p->l, at, "missing \")\"");
                node_free(q);
                q = NULL;
            }
        } else {
            struct node *s = match(p, pos);
            q = s ? new_node(p, N_NOT) : NULL;
            if (q && add_sub(p, q, s)) {
                node_free(q);
                q = NULL;
            } else if (!q) {
                node_free(s);
            }
        }
        p->depth--;
        return q;
    }
    if (t.kind == '*')
        return new_node(p, N_AND);
    if (t.kind == T_WORD || t.kind == T_QUOTED) {
        const struct tok *key = &t;
        struct tok c = lex_next(p->l, pos, false);
        if (c.kind != ':') {
            lex_error(p->l, start, "expected key:value");
            return NULL;
        }
        struct tok v = lex_next(p->l, pos, true);
        if (v.kind == T_WORD || v.kind == T_QUOTED || v.kind == T_RE)
            return mk_match(p, key, &v);
        if (v.kind == '(')
            return value_list(p, pos, key);
        lex_error(p->l, start, "expected key:value");
        return NULL;
    }
    lex_error(p->l, start, "expected key:value or subexpression");
    return NULL;
}

static void unexpected(struct parser *p, int at, const struct tok *t)
{
    char msg[160];
    char tok[2] = {(char)t->kind, 0};
    const char *s = t->kind == T_EOF ? "" : t->text && *t->text ? t->text : tok;
    snprintf(msg, sizeof(msg), "unexpected \"%.100s\"", s);
    lex_error(p->l, at, msg);
}

static struct node *and_expr(struct parser *p, int *pos)
{
    struct node *first = match(p, pos), *n = NULL;
    if (!first)
        return NULL;
    for (;;) {
        int at = *pos;
        struct tok t = lex_next(p->l, pos, false);
        if (t.kind == T_AND)
            continue;
        if (t.kind == '(' || t.kind == '-' || t.kind == '*' || t.kind == T_WORD ||
            t.kind == T_QUOTED) {
            *pos = at;
            struct node *m = match(p, pos);
            if (!m)
                goto fail;
            if (!n) {
                n = new_node(p, N_AND);
                if (!n || add_sub(p, n, first)) {
                    first = NULL;
                    node_free(m);
                    goto fail;
                }
                first = NULL;
            }
            if (add_sub(p, n, m))
                goto fail;
            continue;
        }
        *pos = at;
        if (t.kind == ')' || t.kind == T_OR || t.kind == T_EOF) {
            if (p->l->err_off >= 0)
                goto fail;
            return n ? n : first;
        }
        unexpected(p, at, &t);
        goto fail;
    }
fail:
    node_free(first);
    node_free(n);
    return NULL;
}

static struct node *expr(struct parser *p, int *pos)
{
    struct node *first = and_expr(p, pos), *n = NULL;
    if (!first)
        return NULL;
    for (;;) {
        int at = *pos;
        struct tok t = lex_next(p->l, pos, false);
        if (t.kind != T_OR) {
            *pos = at;
            return n ? n : first;
        }
        struct node *m = and_expr(p, pos);
        if (!m)
            break;
        if (!n) {
            n = new_node(p, N_OR);
            if (!n || add_sub(p, n, first)) {
                first = NULL;
                node_free(m);
                break;
            }
            first = NULL;
        }
        if (add_sub(p, n, m))
            break;
    }
    node_free(first);
    node_free(n);
    return NULL;
}

/* Keys a filter may name (besides config keys and /sub-name keys). */
static int check_keys(struct lex *l, const struct node *n)
{
    for (int i = 0; i < n->nsub; i++)
        if (check_keys(l, n->sub[i]))
            return -1;
    if (n->op != N_MATCH || n->key[0] != '.')
        return 0;
    if (strcmp(n->key, ".config") == 0) {
        lex_error(l, n->off, ".config is only allowed in projections");
        return -1;
    }
    if (strcmp(n->key, ".name") && strcmp(n->key, ".fullname") && strcmp(n->key, ".file") &&
        strcmp(n->key, ".unit")) {
        char msg[160];
        snprintf(msg, sizeof(msg), "unknown key %.100s", n->key);
        lex_error(l, n->off, msg);
        return -1;
    }
    return 0;
}

static int lex_init(struct lex *l, const char *q, char *err, size_t errlen)
{
    memset(l, 0, sizeof(*l));
    l->q = q;
    l->err_off = -1;
    size_t n = strlen(q);
    if (n > BS_FILTER_MAX_LEN) {
        snprintf(err, errlen, "expression longer than %d bytes", BS_FILTER_MAX_LEN);
        return -1;
    }
    l->len = (int)n;
    return 0;
}

int bs_filter_parse(const char *query, struct bs_filter **out, char *err, size_t errlen)
{
    struct lex l;
    struct parser p = {&l, 0};
    int pos = 0;

    *out = NULL;
    if (lex_init(&l, query, err, errlen))
        return -1;
    struct node *root = expr(&p, &pos);
    if (root) {
        int at = pos;
        struct tok t = lex_next(&l, &pos, false);
        if (t.kind != T_EOF)
            unexpected(&p, at, &t);
        else if (l.err_off < 0)
            check_keys(&l, root);
    }
    if (l.err_off >= 0 || !root) {
        int rc = l.oom ? -ENOMEM : -1;
        if (l.err_off < 0)
            lex_error(&l, pos, "expected key:value or subexpression");
        format_error(&l, err, errlen);
        node_free(root);
        lex_release(&l);
        return rc;
    }
    lex_release(&l);
    *out = calloc(1, sizeof(**out));
    if (!*out) {
        node_free(root);
        return -ENOMEM;
    }
    (*out)->root = root;
    return 0;
}

void bs_filter_free(struct bs_filter *f)
{
    if (!f)
        return;
    node_free(f->root);
    free(f);
}

static bool str_match(const struct node *n, const char *s)
{
    return n->has_re ? regexec(&n->re, s, 0, NULL, 0) == 0 : strcmp(n->lit, s) == 0;
}

/*
 * m[i]: whether measurement i matches.  A whole-result term sets all of m
 * alike, which gives benchproc's results: AND/OR/NOT of masks per
 * measurement, and of booleans per result.
 */
static void eval(const struct node *n, const struct bs_fres *r, uint8_t *m)
{
    uint8_t sub[BS_MAX_VALUES];
    char buf[4096];

    switch (n->op) {
    case N_MATCH:
        if (strcmp(n->key, ".unit") == 0) {
            for (int i = 0; i < r->nvals; i++)
                m[i] = str_match(n, r->units[i]) || str_match(n, r->ounits[i]);
        } else {
            bool x = str_match(n, r->get(r->ctx, n->key, buf, sizeof(buf)));
            memset(m, x, (size_t)r->nvals);
        }
        break;
    case N_NOT:
        eval(n->sub[0], r, m);
        for (int i = 0; i < r->nvals; i++)
            m[i] = !m[i];
        break;
    case N_AND:
    case N_OR:
        memset(m, n->op == N_AND, (size_t)r->nvals);
        for (int k = 0; k < n->nsub; k++) {
            eval(n->sub[k], r, sub);
            for (int i = 0; i < r->nvals; i++)
                m[i] = n->op == N_AND ? (m[i] && sub[i]) : (m[i] || sub[i]);
        }
        break;
    }
}

int bs_filter_match(const struct bs_filter *f, const struct bs_fres *r, bool *keep)
{
    uint8_t m[BS_MAX_VALUES];
    int n = 0;

    if (r->nvals <= 0 || r->nvals > BS_MAX_VALUES)
        return 0;
    eval(f->root, r, m);
    for (int i = 0; i < r->nvals; i++)
        n += (keep[i] = m[i] != 0);
    return n;
}

/* ---- projections ---- */

void bs_proj_free(struct bs_pfield *fields, int n)
{
    for (int i = 0; i < n; i++) {
        free(fields[i].key);
        for (int k = 0; k < fields[i].nfixed; k++)
            free(fields[i].fixed[k]);
        free(fields[i].fixed);
    }
    free(fields);
}

static int proj_order(struct lex *l, int *pos, struct bs_pfield *f)
{
    int at = *pos;
    struct tok t = lex_next(l, pos, false);
    if (t.kind == T_WORD || t.kind == T_QUOTED) {
        if (strcmp(t.text, "alpha") == 0)
            f->order = BS_ORDER_ALPHA;
        else if (strcmp(t.text, "num") == 0)
            f->order = BS_ORDER_NUM;
        else if (strcmp(t.text, "first") == 0)
            f->order = BS_ORDER_FIRST;
        else {
            char msg[160];
            snprintf(msg, sizeof(msg), "unknown order \"%.100s\"", t.text);
            lex_error(l, t.off, msg);
            return -1;
        }
        return 0;
    }
    if (t.kind != '(') {
        lex_error(l, at, "expected order");
        return -1;
    }
    if (strcmp(f->key, ".config") == 0) {
        lex_error(l, t.off, "fixed order not allowed for .config");
        return -1;
    }
    f->order = BS_ORDER_FIXED;
    for (;;) {
        at = *pos;
        t = lex_next(l, pos, false);
        if (t.kind == ')' && f->nfixed > 0)
            return 0;
        if (t.kind != T_WORD && t.kind != T_QUOTED) {
            lex_error(l, at, "expected word");
            return -1;
        }
        char **v = realloc(f->fixed, sizeof(char *) * (size_t)(f->nfixed + 1));
        if (!v || !(v[f->nfixed] = strdup(t.text))) {
            if (v)
                f->fixed = v;
            l->oom = true;
            lex_error(l, 0, "out of memory");
            return -1;
        }
        f->fixed = v;
        f->nfixed++;
    }
}

static int proj_key_ok(struct lex *l, const struct tok *t)
{
    const char *k = t->text;
    if (strcmp(k, ".unit") == 0) {
        lex_error(l, t->off, ".unit is only allowed in filters");
        return -1;
    }
    if (k[0] == '.' && strcmp(k, ".name") && strcmp(k, ".fullname") && strcmp(k, ".file") &&
        strcmp(k, ".config")) {
        char msg[160];
        snprintf(msg, sizeof(msg), "unknown key %.100s", k);
        lex_error(l, t->off, msg);
        return -1;
    }
    if (!*k || (k[0] == '/' && !k[1])) {
        lex_error(l, t->off, "empty key");
        return -1;
    }
    return 0;
}

int bs_proj_parse(const char *expr_, struct bs_pfield **fields, int *n, char *err, size_t errlen)
{
    struct lex l;
    struct bs_pfield *f = NULL;
    int nf = 0, pos = 0;

    *fields = NULL;
    *n = 0;
    if (lex_init(&l, expr_, err, errlen))
        return -1;
    for (;;) {
        int at = pos;
        struct tok t = lex_next(&l, &pos, false);
        if (t.kind == ',' && nf > 0)
            t = lex_next(&l, &pos, false), at = t.off;
        if (t.kind == T_EOF)
            break;
        if (t.kind != T_WORD && t.kind != T_QUOTED) {
            lex_error(&l, at, "expected key");
            break;
        }
        if (proj_key_ok(&l, &t))
            break;
        struct bs_pfield *g = realloc(f, sizeof(*g) * (size_t)(nf + 1));
        if (!g) {
            l.oom = true;
            lex_error(&l, 0, "out of memory");
            break;
        }
        f = g;
        memset(&f[nf], 0, sizeof(f[nf]));
        if (!(f[nf].key = strdup(t.text))) {
            l.oom = true;
            lex_error(&l, 0, "out of memory");
            break;
        }
        nf++;
        at = pos;
        t = lex_next(&l, &pos, false);
        if (t.kind == '@') {
            if (proj_order(&l, &pos, &f[nf - 1]))
                break;
        } else {
            pos = at;
        }
        if (nf > 256) {
            lex_error(&l, at, "too many keys");
            break;
        }
    }
    if (l.err_off >= 0) {
        int rc = l.oom ? -ENOMEM : -1;
        format_error(&l, err, errlen);
        bs_proj_free(f, nf);
        lex_release(&l);
        return rc;
    }
    lex_release(&l);
    *fields = f;
    *n = nf;
    return 0;
}

bool bs_num_value(const char *s, double *v)
{
    static const struct {
        const char *p;
        double f;
    } pre[] = {{"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50},
               {"Ei", 0x1p60}, {"k", 1e3},     {"K", 1e3},     {"M", 1e6},     {"G", 1e9},
               {"T", 1e12},    {"P", 1e15},    {"E", 1e18},    {"m", 1e-3},    {"µ", 1e-6},
               {"u", 1e-6},    {"n", 1e-9},    {"p", 1e-12}};
    char *end;

    if (!*s)
        return false;
    double x = strtod(s, &end);
    if (end == s)
        return false;
    for (size_t i = 0; *end && i < sizeof(pre) / sizeof(pre[0]); i++) {
        size_t l = strlen(pre[i].p);
        if (strncmp(end, pre[i].p, l) == 0) {
            x *= pre[i].f;
            end += l;
            break;
        }
    }
    *v = x;
    return true;
}
