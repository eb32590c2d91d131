/*
 * A small regular-expression matcher for the legacy profile parsers.
 *
 * pprof recognises its legacy text formats with Go regexps; matching them
 * with the same (leftmost-first, Perl-like) submatch rules is what makes
 * cprof accept and split the same lines.  The syntax is the subset those
 * patterns use: literals, \s \S \d \A \z ^ and escaped punctuation,
 * [classes] with ranges, negation and [:digit:]/[:xdigit:], (capturing)
 * and (?:plain) groups, greedy ? * +.  No alternation.
 *
 * Matching is a bit-state backtracker (as in Go's regexp/backtrack.go):
 * every (instruction, position) pair is explored at most once, so time is
 * linear in the input times the program size, whatever the input.
 */
#ifndef CPROF_MODEL_LRE_H
#define CPROF_MODEL_LRE_H

#include <stddef.h>
#include <stdint.h>

#define CPROF_LRE_MAX_INST  160
#define CPROF_LRE_MAX_CLASS 24
#define CPROF_LRE_MAX_CAP   10 /* capture groups, group 0 (the whole match) included */

struct cprof__lre_inst {
    uint8_t op;  /* enum in lre.c */
    uint8_t arg; /* byte, class index or capture slot */
    int16_t x;   /* jump targets */
    int16_t y;
};

struct cprof__lre {
    struct cprof__lre_inst prog[CPROF_LRE_MAX_INST];
    uint8_t cls[CPROF_LRE_MAX_CLASS][32]; /* 256-bit byte sets */
    int ninst;
    int ncls;
    int ncap;      /* capture groups including group 0 */
    int anchored;  /* pattern starts with ^ or \A */
    int has_first; /* first[] holds every byte a match can start with */
    uint8_t first[32];
};

/*
 * Compiles pat (one of our own constant patterns) into re.  0, or
 * CPROF_EUSAGE when the pattern is outside the supported subset or too big.
 */
int cprof__lre_compile(struct cprof__lre *re, const char *pat);

/*
 * Finds the leftmost-first match of re in s[0..n).  On a match returns 1
 * and fills caps[2*i], caps[2*i+1] (byte offsets) for each group i <
 * re->ncap; an unset group has both set to SIZE_MAX.  0 when nothing
 * matches, -ENOMEM when the scratch bitset cannot be allocated.
 */
int cprof__lre_find(const struct cprof__lre *re, const char *s, size_t n,
                    size_t caps[2 * CPROF_LRE_MAX_CAP] /* OUT */);

#endif /* CPROF_MODEL_LRE_H */
