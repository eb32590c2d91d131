/*
 * Bit-state backtracking matcher for the legacy parsers' patterns (see
 * lre.h).  Compilation inserts SPLITs in front of quantified atoms; the
 * matcher explores SPLIT's first branch first, which gives Go's
 * leftmost-first submatches.
 */
#include "model/lre.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

enum { OP_BYTE, OP_CLASS, OP_SPLIT, OP_JMP, OP_SAVE, OP_MATCH, OP_BOT, OP_EOT };

struct comp {
    struct cprof__lre *re;
    const char *p;
    int err;
};

static int emit(struct comp *c, uint8_t op, uint8_t arg, int x, int y)
{
    struct cprof__lre *re = c->re;

    if (re->ninst >= CPROF_LRE_MAX_INST) {
        c->err = CPROF_EUSAGE;
        return 0;
    }
    re->prog[re->ninst] = (struct cprof__lre_inst){op, arg, (int16_t)x, (int16_t)y};
    return re->ninst++;
}

/* Inserts one instruction at pos, shifting [pos, ninst) and their jump targets. */
static void insert_at(struct comp *c, int pos, uint8_t op, int x, int y)
{
    struct cprof__lre *re = c->re;

    if (re->ninst >= CPROF_LRE_MAX_INST) {
        c->err = CPROF_EUSAGE;
        return;
    }
    memmove(&re->prog[pos + 1], &re->prog[pos], (size_t)(re->ninst - pos) * sizeof(re->prog[0]));
    re->ninst++;
    for (int i = pos + 1; i < re->ninst; i++) {
        struct cprof__lre_inst *in = &re->prog[i];
        if (in->op == OP_SPLIT || in->op == OP_JMP) {
            if (in->x >= pos)
                in->x++;
            if (in->y >= pos)
                in->y++;
        }
    }
    re->prog[pos] = (struct cprof__lre_inst){op, 0, (int16_t)x, (int16_t)y};
}

static void set_bit(uint8_t *set, unsigned b)
{
    set[b >> 3] |= (uint8_t)(1u << (b & 7));
}

static void set_range(uint8_t *set, unsigned lo, unsigned hi)
{
    for (unsigned b = lo; b <= hi; b++)
        set_bit(set, b);
}

static void set_space(uint8_t *set)
{
    /* RE2's \s: [\t\n\f\r ] (no \v). */
    set_bit(set, '\t');
    set_bit(set, '\n');
    set_bit(set, '\f');
    set_bit(set, '\r');
    set_bit(set, ' ');
}

static int new_class(struct comp *c)
{
    if (c->re->ncls >= CPROF_LRE_MAX_CLASS) {
        c->err = CPROF_EUSAGE;
        return 0;
    }
    memset(c->re->cls[c->re->ncls], 0, 32);
    return c->re->ncls++;
}

static void negate(uint8_t *set)
{
    for (int i = 0; i < 32; i++)
        set[i] = (uint8_t)~set[i];
}

/* Parses a [...] class body after '['; leaves c->p after ']'. */
static void parse_class(struct comp *c)
{
    int k = new_class(c);
    uint8_t *set = c->re->cls[k];
    bool neg = false;

    if (*c->p == '^') {
        neg = true;
        c->p++;
    }
    while (*c->p && *c->p != ']') {
        unsigned lo;
        if (strncmp(c->p, "[:digit:]", 9) == 0) {
            set_range(set, '0', '9');
            c->p += 9;
            continue;
        }
        if (strncmp(c->p, "[:xdigit:]", 10) == 0) {
            set_range(set, '0', '9');
            set_range(set, 'a', 'f');
            set_range(set, 'A', 'F');
            c->p += 10;
            continue;
        }
        if (*c->p == '\\' && c->p[1] == 's') {
            set_space(set);
            c->p += 2;
            continue;
        }
        if (*c->p == '\\' && c->p[1])
            c->p++;
        lo = (unsigned char)*c->p++;
        if (*c->p == '-' && c->p[1] && c->p[1] != ']') {
            set_range(set, lo, (unsigned char)c->p[1]);
            c->p += 2;
        } else {
            set_bit(set, lo);
        }
    }
    if (*c->p != ']') {
        c->err = CPROF_EUSAGE;
        return;
    }
    c->p++;
    if (neg)
        negate(set);
    emit(c, OP_CLASS, (uint8_t)k, 0, 0);
}

static void parse_seq(struct comp *c);

static void parse_escape(struct comp *c)
{
    char e = *c->p++;
    int k;

    switch (e) {
    case 's':
    case 'S':
    case 'd':
        k = new_class(c);
        if (e == 'd')
            set_range(c->re->cls[k], '0', '9');
        else
            set_space(c->re->cls[k]);
        if (e == 'S')
            negate(c->re->cls[k]);
        emit(c, OP_CLASS, (uint8_t)k, 0, 0);
        break;
    case 'A': emit(c, OP_BOT, 0, 0, 0); break;
    case 'z': emit(c, OP_EOT, 0, 0, 0); break;
    case '\0':
        c->err = CPROF_EUSAGE;
        c->p--;
        break;
    default: emit(c, OP_BYTE, (uint8_t)e, 0, 0); break;
    }
}

static void parse_atom(struct comp *c)
{
    char ch = *c->p++;

    if (ch == '(') {
        int slot = -1;
        if (c->p[0] == '?' && c->p[1] == ':') {
            c->p += 2;
        } else {
            if (c->re->ncap >= CPROF_LRE_MAX_CAP) {
                c->err = CPROF_EUSAGE;
                return;
            }
            slot = c->re->ncap++;
            emit(c, OP_SAVE, (uint8_t)(2 * slot), 0, 0);
        }
        parse_seq(c);
        if (*c->p != ')') {
            c->err = CPROF_EUSAGE;
            return;
        }
        c->p++;
        if (slot >= 0)
            emit(c, OP_SAVE, (uint8_t)(2 * slot + 1), 0, 0);
    } else if (ch == '[') {
        parse_class(c);
    } else if (ch == '\\') {
        parse_escape(c);
    } else if (ch == '^') {
        emit(c, OP_BOT, 0, 0, 0);
    } else if (ch == '|' || ch == '.' || ch == '$' || ch == '{') {
        c->err = CPROF_EUSAGE; /* not in the subset */
    } else {
        emit(c, OP_BYTE, (uint8_t)ch, 0, 0);
    }
}

static void parse_seq(struct comp *c)
{
    while (*c->p && *c->p != ')' && !c->err) {
        int start = c->re->ninst;
        char q;

        parse_atom(c);
        q = *c->p;
        if (q != '?' && q != '*' && q != '+')
            continue;
        c->p++;
        if (q == '+') {
            emit(c, OP_SPLIT, 0, start, c->re->ninst + 1);
        } else if (q == '?') {
            insert_at(c, start, OP_SPLIT, start + 1, c->re->ninst + 1);
        } else {
            /* L0: SPLIT L1, L2; L1: atom; JMP L0; L2: */
            insert_at(c, start, OP_SPLIT, start + 1, c->re->ninst + 2);
            emit(c, OP_JMP, 0, start, 0);
        }
    }
}

/*
 * Collects into re->first the bytes a match can start with, following
 * SPLIT, JMP and SAVE from pc; false when a match may be empty or starts
 * with an assertion (then every start position must be tried).
 */
static bool first_set(struct cprof__lre *re, int pc, uint8_t *seen)
{
    while (!seen[pc]) {
        const struct cprof__lre_inst *in = &re->prog[pc];
        seen[pc] = 1;
        if (in->op == OP_BYTE) {
            set_bit(re->first, in->arg);
            return true;
        }
        if (in->op == OP_CLASS) {
            for (int i = 0; i < 32; i++)
                re->first[i] |= re->cls[in->arg][i];
            return true;
        }
        if (in->op == OP_SPLIT) {
            if (!first_set(re, in->x, seen))
                return false;
            pc = in->y;
        } else if (in->op == OP_JMP) {
            pc = in->x;
        } else if (in->op == OP_SAVE) {
            pc++;
        } else {
            return false;
        }
    }
    return true;
}

int cprof__lre_compile(struct cprof__lre *re, const char *pat)
{
    struct comp c = {re, pat, 0};

    re->ninst = 0;
    re->ncls = 0;
    re->ncap = 1;
    re->anchored = pat[0] == '^' || (pat[0] == '\\' && pat[1] == 'A');
    emit(&c, OP_SAVE, 0, 0, 0);
    parse_seq(&c);
    if (*c.p)
        c.err = CPROF_EUSAGE;
    emit(&c, OP_SAVE, 1, 0, 0);
    emit(&c, OP_MATCH, 0, 0, 0);
    if (!c.err) {
        uint8_t seen[CPROF_LRE_MAX_INST] = {0};
        memset(re->first, 0, sizeof(re->first));
        re->has_first = first_set(re, 0, seen);
    }
    return c.err;
}

/* ---- matching ------------------------------------------------------------ */

struct job {
    int pc;     /* instruction, or -1 - slot for a capture restore */
    size_t pos; /* position, or the saved capture value */
};

struct run {
    const struct cprof__lre *re;
    const char *s;
    size_t n;
    uint8_t *visited; /* ninst * (n + 1) bits */
    struct job *stack;
    size_t top, cap;
    size_t *caps;
};

static int push(struct run *r, int pc, size_t pos)
{
    if (r->top == r->cap) {
        size_t ncap = r->cap ? 2 * r->cap : 64;
        struct job *ns = realloc(r->stack, ncap * sizeof(*ns));
        if (!ns)
            return -ENOMEM;
        r->stack = ns;
        r->cap = ncap;
    }
    r->stack[r->top++] = (struct job){pc, pos};
    return 0;
}

static bool should_visit(struct run *r, int pc, size_t pos)
{
    size_t bit = (size_t)pc * (r->n + 1) + pos;

    if (r->visited[bit >> 3] & (1u << (bit & 7)))
        return false;
    r->visited[bit >> 3] |= (uint8_t)(1u << (bit & 7));
    return true;
}

/* Runs one thread list from (pc, pos); 1 on a match, 0 none, -ENOMEM. */
static int try_from(struct run *r, size_t start)
{
    const struct cprof__lre *re = r->re;
    int rc;

    rc = push(r, 0, start);
    while (rc == 0 && r->top > 0) {
        struct job j = r->stack[--r->top];
        int pc = j.pc;
        size_t pos = j.pos;

        if (pc < 0) {
            r->caps[-1 - pc] = pos;
            continue;
        }
        for (;;) {
            const struct cprof__lre_inst *in = &re->prog[pc];
            if (!should_visit(r, pc, pos))
                break;
            if (in->op == OP_BYTE) {
                if (pos >= r->n || (uint8_t)r->s[pos] != in->arg)
                    break;
                pos++, pc++;
            } else if (in->op == OP_CLASS) {
                uint8_t b;
                if (pos >= r->n)
                    break;
                b = (uint8_t)r->s[pos];
                if (!(re->cls[in->arg][b >> 3] & (1u << (b & 7))))
                    break;
                pos++, pc++;
            } else if (in->op == OP_SPLIT) {
                rc = push(r, in->y, pos);
                if (rc)
                    return rc;
                pc = in->x;
            } else if (in->op == OP_JMP) {
                pc = in->x;
            } else if (in->op == OP_SAVE) {
                rc = push(r, -1 - in->arg, r->caps[in->arg]);
                if (rc)
                    return rc;
                r->caps[in->arg] = pos;
                pc++;
            } else if (in->op == OP_BOT) {
                if (pos != 0)
                    break;
                pc++;
            } else if (in->op == OP_EOT) {
                if (pos != r->n)
                    break;
                pc++;
            } else {
                return 1; /* OP_MATCH */
            }
        }
    }
    return rc;
}

static bool starts(const struct cprof__lre *re, uint8_t b)
{
    return re->first[b >> 3] & (1u << (b & 7));
}

int cprof__lre_find(const struct cprof__lre *re, const char *s, size_t n,
                    size_t caps[2 * CPROF_LRE_MAX_CAP])
{
    struct run r = {re, s, n, NULL, NULL, 0, 0, caps};
    size_t bits = (size_t)re->ninst * (n + 1);
    int rc = 0;

    r.visited = calloc(bits / 8 + 1, 1);
    if (!r.visited)
        return -ENOMEM;
    for (size_t start = 0; start <= n; start++) {
        if (re->has_first && !re->anchored) {
            /* skip to the next byte that can start a match */
            while (start < n && !starts(re, (uint8_t)s[start]))
                start++;
            if (start == n)
                break;
        }
        for (int i = 0; i < 2 * CPROF_LRE_MAX_CAP; i++)
            caps[i] = SIZE_MAX;
        r.top = 0;
        rc = try_from(&r, start);
        if (rc != 0 || re->anchored)
            break;
    }
    free(r.stack);
    free(r.visited);
    return rc;
}
