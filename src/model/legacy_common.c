/*
 * Shared machinery of the legacy parsers: Go-compatible line scanning and
 * number parsing, the intermediate profile, and pprof's memory-map
 * handling (legacy_profile.go's parseProcMapsFromScanner, massageMappings,
 * remapLocationIDs, remapMappingIDs, cleanupDuplicateLocations).
 */
#include "model/legacy_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/lre.h"
#include "model/profile.h"

/* ---- scanning ------------------------------------------------------------ */

void cprof__scan_init(struct cprof__scan *s, const char *buf, size_t len)
{
    memset(s, 0, sizeof(*s));
    s->buf = buf;
    s->len = len;
    s->line = "";
}

bool cprof__scan(struct cprof__scan *s)
{
    const char *nl;
    size_t n;

    s->line = "";
    s->linelen = 0;
    if (s->done || s->pos >= s->len) {
        s->done = true;
        return false;
    }
    nl = memchr(s->buf + s->pos, '\n', s->len - s->pos);
    n = nl ? (size_t)(nl - (s->buf + s->pos)) : s->len - s->pos;
    if (n >= CPROF__SCAN_MAX) {
        s->done = s->too_long = true;
        return false;
    }
    s->line = s->buf + s->pos;
    s->linelen = n;
    s->pos += n + (nl != NULL);
    if (n > 0 && s->line[n - 1] == '\r')
        s->linelen--;
    return true;
}

static bool go_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == 0x85 ||
           c == 0xa0;
}

void cprof__trim(const char **p, size_t *n)
{
    /* Bytes 0x85 and 0xa0 are spaces only as runes; as raw bytes they are not. */
    while (*n > 0 && go_space((unsigned char)**p) && (unsigned char)**p < 0x80) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && go_space((unsigned char)(*p)[*n - 1]) && (unsigned char)(*p)[*n - 1] < 0x80)
        (*n)--;
}

bool cprof__is_space_or_comment(const char *p, size_t n)
{
    cprof__trim(&p, &n);
    return n == 0 || p[0] == '#';
}

static bool contains(const char *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle)) != NULL;
}

bool cprof__is_map_sentinel(const char *p, size_t n)
{
    return contains(p, n, "--- Memory map: ---") || contains(p, n, "MAPPED_LIBRARIES:");
}

bool cprof__has_prefix(const char *p, size_t n, const char *pre)
{
    size_t k = strlen(pre);

    return n >= k && memcmp(p, pre, k) == 0;
}

static int lower(int c)
{
    return c | ('x' - 'X');
}

/* Go's underscoreOK: underscores only between digits or after a base prefix. */
static bool underscore_ok(const char *s, size_t n)
{
    char saw = '^';
    size_t i = 0;
    bool hex = false;

    if (n >= 1 && (s[0] == '-' || s[0] == '+'))
        s++, n--;
    if (n - i >= 2 && s[i] == '0' &&
        (lower(s[i + 1]) == 'b' || lower(s[i + 1]) == 'o' || lower(s[i + 1]) == 'x')) {
        hex = lower(s[i + 1]) == 'x';
        i += 2;
        saw = '0';
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
            saw = '0';
            continue;
        }
        if (c == '_') {
            if (saw != '0')
                return false;
            saw = '_';
            continue;
        }
        if (saw == '_')
            return false;
        saw = '!';
    }
    return saw != '_';
}

int cprof__parse_uint(const char *s, size_t n, int base, uint64_t *out)
{
    const char *s0 = s;
    size_t n0 = n;
    bool base0 = base == 0, underscores = false;
    uint64_t v = 0;

    if (n == 0)
        return -EINVAL;
    if (base0) {
        base = 10;
        if (s[0] == '0') {
            if (n >= 3 && lower(s[1]) == 'b')
                base = 2, s += 2, n -= 2;
            else if (n >= 3 && lower(s[1]) == 'o')
                base = 8, s += 2, n -= 2;
            else if (n >= 3 && lower(s[1]) == 'x')
                base = 16, s += 2, n -= 2;
            else
                base = 8, s += 1, n -= 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i], d;
        if (c == '_' && base0) {
            underscores = true;
            continue;
        }
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (lower(c) >= 'a' && lower(c) <= 'z')
            d = lower(c) - 'a' + 10;
        else
            return -EINVAL;
        if (d >= base)
            return -EINVAL;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -ERANGE;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (underscores && !underscore_ok(s0, n0))
        return -EINVAL;
    *out = v;
    return 0;
}

int cprof__parse_int(const char *s, size_t n, int base, int64_t *out)
{
    bool neg = false;
    uint64_t u;
    int rc;

    if (n == 0)
        return -EINVAL;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        s++, n--;
    }
    rc = cprof__parse_uint(s, n, base, &u);
    if (rc)
        return rc;
    if (!neg && u > (uint64_t)INT64_MAX)
        return -ERANGE;
    if (neg && u > (uint64_t)INT64_MAX + 1)
        return -ERANGE;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

/* ---- the intermediate profile -------------------------------------------- */

void cprof__lp_init(struct cprof__lp *lp, const struct cprof_limits *lim)
{
    memset(lp, 0, sizeof(*lp));
    lp->lim = lim;
    cprof_htab_init(&lp->addr_idx);
}

void cprof__lp_release(struct cprof__lp *lp)
{
    for (size_t i = 0; i < lp->nmaps; i++) {
        free(lp->maps[i].file);
        free(lp->maps[i].build_id);
    }
    if (lp->names)
        for (size_t i = 0; i < lp->naddrs; i++)
            free(lp->names[i]);
    free(lp->names);
    free(lp->maps);
    free(lp->samples);
    free(lp->stack);
    free(lp->addrs);
    cprof_htab_release(&lp->addr_idx);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    return cprof__grow(arr, cap, need, elem);
}

int cprof__lp_sample(struct cprof__lp *lp, const int64_t *values, uint32_t n,
                     struct cprof_diag *diag)
{
    struct cprof__lp_sample *s;
    int rc;

    if (lp->nsamples >= lp->lim->max_samples)
        return cprof_diag_set(diag, CPROF_ETOOBIG, "more than %zu samples", lp->lim->max_samples);
    rc = grow((void **)&lp->samples, &lp->samples_cap, lp->nsamples + 1, sizeof(*lp->samples));
    if (rc)
        return cprof_diag_set(diag, rc, "out of memory");
    s = &lp->samples[lp->nsamples++];
    memset(s, 0, sizeof(*s));
    memcpy(s->values, values, n * sizeof(*values));
    s->nvalues = n;
    s->first = lp->nstack;
    return 0;
}

struct addr_key {
    const struct cprof__lp *lp;
    uint64_t addr;
    const char *name;
    size_t n;
};

static bool addr_eq(const void *ctx, uint32_t pos)
{
    const struct addr_key *k = ctx;

    if (k->name)
        return strlen(k->lp->names[pos]) == k->n && memcmp(k->lp->names[pos], k->name, k->n) == 0;
    return k->lp->addrs[pos] == k->addr;
}

static int add_loc(struct cprof__lp *lp, const struct addr_key *k, struct cprof_diag *diag)
{
    struct cprof__lp_sample *s = &lp->samples[lp->nsamples - 1];
    uint64_t h = k->name ? cprof_hash_bytes(k->name, k->n, 7) : cprof_hash_u64(7, k->addr);
    uint32_t pos;
    int rc;

    if (s->nlocs >= lp->lim->max_depth)
        return cprof_diag_set(diag, CPROF_ETOOBIG, "a stack deeper than %zu frames",
                              lp->lim->max_depth);
    if (lp->naddrs >= lp->lim->max_locations)
        return cprof_diag_set(diag, CPROF_ETOOBIG, "more than %zu locations",
                              lp->lim->max_locations);
    rc = cprof_htab_lookup(&lp->addr_idx, h, addr_eq, k, (uint32_t)lp->naddrs, &pos);
    if (rc < 0)
        return cprof_diag_set(diag, rc, "out of memory");
    if (rc == 0) {
        size_t cap = lp->addrs_cap;
        rc = grow((void **)&lp->addrs, &lp->addrs_cap, lp->naddrs + 1, sizeof(*lp->addrs));
        if (!rc && k->name) {
            /* names grows in step with addrs */
            char **nn = realloc(lp->names, lp->addrs_cap * sizeof(*nn));
            if (!nn)
                rc = -ENOMEM;
            else
                lp->names = nn;
            if (!rc && !(lp->names[lp->naddrs] = strndup(k->name, k->n)))
                rc = -ENOMEM;
        }
        (void)cap;
        if (rc)
            return cprof_diag_set(diag, rc, "out of memory");
        lp->addrs[lp->naddrs++] = k->addr;
    }
    rc = grow((void **)&lp->stack, &lp->stack_cap, lp->nstack + 1, sizeof(*lp->stack));
    if (rc)
        return cprof_diag_set(diag, rc, "out of memory");
    lp->stack[lp->nstack++] = pos;
    s->nlocs++;
    return 0;
}

int cprof__lp_loc(struct cprof__lp *lp, uint64_t addr, struct cprof_diag *diag)
{
    struct addr_key k = {lp, addr, NULL, 0};

    return add_loc(lp, &k, diag);
}

int cprof__lp_loc_name(struct cprof__lp *lp, const char *name, size_t n, struct cprof_diag *diag)
{
    struct addr_key k = {lp, 0, name, n};

    lp->by_name = true;
    return add_loc(lp, &k, diag);
}

/* ---- memory maps ---------------------------------------------------------- */

#define SPACE_DIGITS      "\\s+[[:digit:]]+"
#define HEX_PAIR          "\\s+[[:xdigit:]]+:[[:xdigit:]]+"
#define C_HEX             "(?:0x)?([[:xdigit:]]+)"
#define C_HEX_RANGE       "\\s*" C_HEX "[\\s-]?\\s*" C_HEX ":?"
#define C_SPACE_STRING    "(?:\\s+(\\S+))?"
#define C_SPACE_HEX       "(?:\\s+([[:xdigit:]]+))?"
#define C_SPACE_AT_OFFSET "(?:\\s+\\(@([[:xdigit:]]+)\\))?"
#define C_PERM            "(?:\\s+([-rwxp]+))?"

static const char proc_maps_re[] =
    "^" C_HEX_RANGE C_PERM C_SPACE_HEX HEX_PAIR SPACE_DIGITS C_SPACE_STRING;
static const char brief_maps_re[] =
    "^" C_HEX_RANGE C_PERM C_SPACE_STRING C_SPACE_AT_OFFSET C_SPACE_HEX;
static const char log_info_re[] = "^[^\\[\\]]+:[0-9]+]\\s";

/* Longest line after $attr substitution, and most attributes remembered. */
#define MAPS_LINE_MAX  (1u << 18)
#define MAPS_ATTRS_MAX 256

struct maps_ctx {
    struct cprof__lre proc, brief, loginfo;
    char *keys[MAPS_ATTRS_MAX], *vals[MAPS_ATTRS_MAX];
    size_t nattrs;
    char *line; /* substituted line, MAPS_LINE_MAX + 1 bytes */
};

/* strings.NewReplacer(attrs...).Replace: at each position the first key (in order) wins. */
static int substitute(struct maps_ctx *m, const char *p, size_t n, size_t *outlen)
{
    size_t o = 0, i = 0;

    while (i < n) {
        size_t k;
        for (k = 0; k < m->nattrs; k++) {
            size_t kl = strlen(m->keys[k]);
            if (kl <= n - i && memcmp(p + i, m->keys[k], kl) == 0)
                break;
        }
        if (k < m->nattrs) {
            size_t vl = strlen(m->vals[k]);
            if (o + vl > MAPS_LINE_MAX)
                return CPROF_ETOOBIG;
            memcpy(m->line + o, m->vals[k], vl);
            o += vl;
            i += strlen(m->keys[k]);
            /* an empty key matches everywhere: Go then copies one byte */
            if (strlen(m->keys[k]) > 0)
                continue;
        }
        if (o + 1 > MAPS_LINE_MAX)
            return CPROF_ETOOBIG;
        m->line[o++] = p[i++];
    }
    *outlen = o;
    return 0;
}

static char *cap_dup(const char *s, const size_t *caps, int g)
{
    if (caps[2 * g] == SIZE_MAX)
        return strdup("");
    return strndup(s + caps[2 * g], caps[2 * g + 1] - caps[2 * g]);
}

static size_t cap_len(const size_t *caps, int g)
{
    return caps[2 * g] == SIZE_MAX ? 0 : caps[2 * g + 1] - caps[2 * g];
}

/* parseMappingEntry: 1 = mapping appended, 0 = skipped, UNRECOGNIZED, or an error. */
static int mapping_entry(struct cprof__lp *lp, struct maps_ctx *m, const char *l, size_t n,
                         struct cprof_diag *diag)
{
    size_t caps[2 * CPROF_LRE_MAX_CAP];
    int g_start = 1, g_end = 2, g_perm = 3, g_off = 4, g_file = 5, g_bid = -1;
    struct cprof__lp_map map = {0};
    int rc;

    rc = cprof__lre_find(&m->proc, l, n, caps);
    if (rc == 1) {
        g_off = 4;
        g_file = 5;
    } else if (rc == 0 && (rc = cprof__lre_find(&m->brief, l, n, caps)) == 1) {
        g_file = 4;
        g_off = 5;
        g_bid = 6;
    }
    if (rc < 0)
        return cprof_diag_set(diag, rc, "out of memory");
    if (rc == 0)
        return CPROF__LEGACY_UNRECOGNIZED;
    if (cap_len(caps, g_perm) && !memchr(l + caps[2 * g_perm], 'x', cap_len(caps, g_perm)))
        return 0;
    if (cprof__parse_uint(l + caps[2 * g_start], cap_len(caps, g_start), 16, &map.start) ||
        cprof__parse_uint(l + caps[2 * g_end], cap_len(caps, g_end), 16, &map.limit))
        return CPROF__LEGACY_UNRECOGNIZED;
    if (cap_len(caps, g_off) &&
        cprof__parse_uint(l + caps[2 * g_off], cap_len(caps, g_off), 16, &map.offset))
        return CPROF__LEGACY_UNRECOGNIZED;
    if (lp->nmaps >= lp->lim->max_locations)
        return cprof_diag_set(diag, CPROF_ETOOBIG, "more than %zu mappings",
                              lp->lim->max_locations);
    if (grow((void **)&lp->maps, &lp->maps_cap, lp->nmaps + 1, sizeof(*lp->maps)))
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    map.file = cap_dup(l, caps, g_file);
    map.build_id = g_bid > 0 ? cap_dup(l, caps, g_bid) : strdup("");
    if (!map.file || !map.build_id) {
        free(map.file);
        free(map.build_id);
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    }
    lp->maps[lp->nmaps++] = map;
    return 1;
}

/* Remembers "key = value" as a $key substitution for later lines. */
static int add_attr(struct maps_ctx *m, const char *l, size_t n, struct cprof_diag *diag)
{
    const char *eq = memchr(l, '=', n), *k = l, *v;
    size_t kn, vn;

    if (!eq)
        return 0;
    if (m->nattrs >= MAPS_ATTRS_MAX)
        return cprof_diag_set(diag, CPROF_ETOOBIG, "more than %d memory map attributes",
                              MAPS_ATTRS_MAX);
    /* The substitution buffer, only once there is something to substitute. */
    if (!m->line && !(m->line = malloc(MAPS_LINE_MAX + 1)))
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    kn = (size_t)(eq - l);
    v = eq + 1;
    vn = n - kn - 1;
    cprof__trim(&k, &kn);
    cprof__trim(&v, &vn);
    m->keys[m->nattrs] = malloc(kn + 2);
    m->vals[m->nattrs] = strndup(v, vn);
    if (!m->keys[m->nattrs] || !m->vals[m->nattrs]) {
        free(m->keys[m->nattrs]);
        free(m->vals[m->nattrs]);
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    }
    m->keys[m->nattrs][0] = '$';
    memcpy(m->keys[m->nattrs] + 1, k, kn);
    m->keys[m->nattrs][kn + 1] = '\0';
    m->nattrs++;
    return 0;
}

static int maps_lines(struct cprof__lp *lp, struct maps_ctx *m, struct cprof__scan *s,
                      struct cprof_diag *diag)
{
    size_t caps[2 * CPROF_LRE_MAX_CAP];
    int rc = 0;

    while (rc >= 0 && cprof__scan(s)) {
        const char *l = s->line;
        size_t n = s->linelen;

        rc = cprof__lre_find(&m->loginfo, l, n, caps);
        if (rc < 0)
            break;
        if (rc == 1) {
            l += caps[1];
            n -= caps[1];
        }
        if (m->nattrs > 0) {
            rc = substitute(m, l, n, &n);
            if (rc) {
                rc = cprof_diag_set(diag, rc, "a memory map line longer than %u bytes",
                                    MAPS_LINE_MAX);
                break;
            }
            l = m->line;
        }
        rc = mapping_entry(lp, m, l, n, diag);
        if (rc == CPROF__LEGACY_UNRECOGNIZED)
            rc = add_attr(m, l, n, diag);
    }
    if (rc < 0)
        return rc == -ENOMEM ? cprof_diag_set(diag, rc, "out of memory") : rc;
    if (s->too_long)
        return cprof_diag_set(diag, CPROF_ECORRUPT, "bufio.Scanner: token too long");
    return 0;
}

int cprof__lp_parse_maps(struct cprof__lp *lp, struct cprof__scan *s, struct cprof_diag *diag)
{
    struct maps_ctx *m = calloc(1, sizeof(*m));
    int rc;

    if (!m)
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    if (cprof__lre_compile(&m->proc, proc_maps_re) ||
        cprof__lre_compile(&m->brief, brief_maps_re) ||
        cprof__lre_compile(&m->loginfo, log_info_re))
        rc = cprof_diag_set(diag, CPROF_EUSAGE, "internal: bad memory map pattern");
    else
        rc = maps_lines(lp, m, s, diag);
    for (size_t i = 0; i < m->nattrs; i++) {
        free(m->keys[i]);
        free(m->vals[i]);
    }
    free(m->line);
    free(m);
    return rc;
}

int cprof__lp_additional_sections(struct cprof__lp *lp, struct cprof__scan *s,
                                  struct cprof_diag *diag)
{
    while (!cprof__is_map_sentinel(s->line, s->linelen) && cprof__scan(s))
        ;
    if (s->too_long)
        return cprof_diag_set(diag, CPROF_ECORRUPT, "bufio.Scanner: token too long");
    return cprof__lp_parse_maps(lp, s, diag);
}

/* ---- finishing: pprof's mapping heuristics, then the cprof profile ------- */

static bool adjacent(const struct cprof__lp_map *a, const struct cprof__lp_map *b)
{
    if (a->file[0] && b->file[0] && strcmp(a->file, b->file) != 0)
        return false;
    if (a->build_id[0] && b->build_id[0] && strcmp(a->build_id, b->build_id) != 0)
        return false;
    if (a->limit != b->start)
        return false;
    if (a->offset != 0 && b->offset != 0 && a->offset + (a->limit - a->start) != b->offset)
        return false;
    return true;
}

/* libRx `([.]so$|[.]so[._][0-9]+)` */
static bool is_lib(const char *f, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++) {
        if (memcmp(f + i, ".so", 3) != 0)
            continue;
        if (i + 3 == n)
            return true;
        if ((f[i + 3] == '.' || f[i + 3] == '_') && i + 4 < n && f[i + 4] >= '0' && f[i + 4] <= '9')
            return true;
    }
    return false;
}

/* The file name with every "(deleted)" removed and spaces trimmed, is it the main binary? */
static bool looks_main(const char *file)
{
    char *tmp = strdup(file), *w = tmp;
    const char *p = file, *t;
    size_t n;
    bool ok;

    if (!tmp)
        return false;
    while (*p) {
        if (strncmp(p, "(deleted)", 9) == 0) {
            p += 9;
            continue;
        }
        *w++ = *p++;
    }
    *w = '\0';
    t = tmp;
    n = strlen(tmp);
    cprof__trim(&t, &n);
    ok = n > 0 && !is_lib(t, n) && t[0] != '[';
    free(tmp);
    return ok;
}

static void massage_mappings(struct cprof__lp *lp)
{
    size_t keep = 0;

    for (size_t i = 0; i < lp->nmaps; i++) {
        struct cprof__lp_map *m = &lp->maps[i];
        if (keep > 0 && adjacent(&lp->maps[keep - 1], m)) {
            struct cprof__lp_map *lm = &lp->maps[keep - 1];
            lm->limit = m->limit;
            if (m->file[0]) {
                free(lm->file);
                lm->file = m->file;
                m->file = NULL;
            }
            if (m->build_id[0]) {
                free(lm->build_id);
                lm->build_id = m->build_id;
                m->build_id = NULL;
            }
            free(m->file);
            free(m->build_id);
            continue;
        }
        lp->maps[keep++] = *m;
    }
    lp->nmaps = keep;
    for (size_t i = 0; i < lp->nmaps; i++) {
        if (!looks_main(lp->maps[i].file))
            continue;
        struct cprof__lp_map t = lp->maps[0];
        lp->maps[0] = lp->maps[i];
        lp->maps[i] = t;
        break;
    }
}

/* remapMappingIDs' fixes of the main mapping. */
static void fix_first_mapping(struct cprof__lp *lp)
{
    if (lp->nmaps > 1 && strncmp(lp->maps[0].file, "/anon_hugepage", 14) == 0 &&
        lp->maps[0].limit == lp->maps[1].start) {
        free(lp->maps[0].file);
        free(lp->maps[0].build_id);
        memmove(&lp->maps[0], &lp->maps[1], (lp->nmaps - 1) * sizeof(lp->maps[0]));
        lp->nmaps--;
    }
    if (lp->nmaps > 0 && lp->maps[0].start - lp->maps[0].offset == 0x400000) {
        lp->maps[0].start = 0x400000;
        lp->maps[0].offset = 0;
    }
}

/* The mapping of addr, as remapMappingIDs picks it; nmaps means "the fake one". */
static size_t find_mapping(struct cprof__lp *lp, uint64_t a)
{
    for (size_t i = 0; i < lp->nmaps; i++)
        if (lp->maps[i].start <= a && a < lp->maps[i].limit)
            return i;
    for (size_t i = 0; i < lp->nmaps; i++) {
        struct cprof__lp_map *m = &lp->maps[i];
        if (m->offset != 0 && m->start - m->offset <= a && a < m->start) {
            m->start -= m->offset;
            m->offset = 0;
            return i;
        }
    }
    return SIZE_MAX;
}

struct emit_ctx {
    struct cprof__lp *lp;
    struct cprof_profile *p;
    uint32_t *order; /* location index -> position in the profile, or CPROF_NONE */
    size_t *loc_map; /* location index -> mapping index, SIZE_MAX = none */
    size_t nreal;    /* mappings before the fake one */
    bool fake;
};

static int emit_mappings(struct emit_ctx *e)
{
    struct cprof_profile *p = e->p;
    size_t n = e->nreal + (e->fake ? 1 : 0);
    int rc;

    rc = cprof__grow32((void **)&p->mappings, &p->mappings_cap, n, sizeof(*p->mappings));
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct cprof_mapping *m = &p->mappings[i];
        memset(m, 0, sizeof(*m));
        m->id = i + 1;
        if (i == e->nreal) {
            m->limit = UINT64_MAX;
        } else {
            struct cprof__lp_map *lm = &e->lp->maps[i];
            m->start = lm->start;
            m->limit = lm->limit;
            m->offset = lm->offset;
            rc = cprof_profile_intern_cstr(p, lm->file, &m->filename);
            if (!rc)
                rc = cprof_profile_intern_cstr(p, lm->build_id, &m->build_id);
            if (rc)
                return rc;
        }
    }
    p->nmappings = (uint32_t)n;
    p->max_map_id = n;
    return 0;
}

/* Locations in first-use order, each with its mapping; then the mappings. */
static int emit_locations(struct emit_ctx *e)
{
    struct cprof__lp *lp = e->lp;
    int rc;

    for (size_t i = 0; i < lp->naddrs; i++)
        e->order[i] = CPROF_NONE;
    /* First pass: decide mappings (which may add the fake one) in first-use order. */
    for (size_t s = 0; s < lp->nsamples; s++) {
        struct cprof__lp_sample *sm = &lp->samples[s];
        for (uint32_t j = 0; j < sm->nlocs; j++) {
            uint32_t li = lp->stack[sm->first + j];
            if (e->order[li] != CPROF_NONE)
                continue;
            e->order[li] = 0;
            e->loc_map[li] = SIZE_MAX;
            if (lp->by_name || lp->addrs[li] == 0)
                continue;
            e->loc_map[li] = find_mapping(lp, lp->addrs[li]);
            if (e->loc_map[li] == SIZE_MAX) {
                e->fake = true;
                e->loc_map[li] = e->nreal;
            }
        }
    }
    rc = emit_mappings(e);
    for (size_t i = 0; i < lp->naddrs; i++)
        e->order[i] = CPROF_NONE;
    for (size_t s = 0; !rc && s < lp->nsamples; s++) {
        struct cprof__lp_sample *sm = &lp->samples[s];
        for (uint32_t j = 0; !rc && j < sm->nlocs; j++) {
            uint32_t li = lp->stack[sm->first + j], m = CPROF_NONE;
            struct cprof_line line = {0, 0, 0};
            if (e->order[li] != CPROF_NONE)
                continue;
            if (e->loc_map[li] != SIZE_MAX)
                m = (uint32_t)e->loc_map[li];
            if (lp->by_name) {
                struct cprof_function f = {0, 0, 0, 0, 0};
                rc = cprof_profile_intern_cstr(e->p, lp->names[li], &f.name);
                f.system_name = f.name;
                if (!rc)
                    rc = cprof_profile_add_function(e->p, &f, &line.func);
                if (!rc)
                    rc = cprof_profile_add_location(e->p, m, 0, &line, 1, false, &e->order[li]);
            } else {
                rc = cprof_profile_add_location(e->p, m, lp->addrs[li], NULL, 0, false,
                                                &e->order[li]);
            }
        }
    }
    return rc;
}

/* cleanupDuplicateLocations: a leaf repeated as its caller (adjusted by -1). */
static void dedup_leaves(struct cprof__lp *lp)
{
    for (size_t s = 0; s < lp->nsamples; s++) {
        struct cprof__lp_sample *sm = &lp->samples[s];
        uint32_t *st = &lp->stack[sm->first];
        if (sm->nlocs > 1 && lp->addrs[st[0]] == lp->addrs[st[1]] + 1) {
            memmove(&st[1], &st[2], (sm->nlocs - 2) * sizeof(*st));
            sm->nlocs--;
        }
    }
}

static int emit_samples(struct emit_ctx *e)
{
    struct cprof__lp *lp = e->lp;
    uint32_t *locs = NULL;
    uint32_t key;
    size_t cap = 0;
    int rc;

    rc = cprof_profile_intern_cstr(e->p, "bytes", &key);
    for (size_t s = 0; !rc && s < lp->nsamples; s++) {
        struct cprof__lp_sample *sm = &lp->samples[s];
        struct cprof_label lab = {key, 0, sm->bytes, 0};
        rc = grow((void **)&locs, &cap, sm->nlocs + 1, sizeof(*locs));
        for (uint32_t j = 0; !rc && j < sm->nlocs; j++)
            locs[j] = e->order[lp->stack[sm->first + j]];
        if (!rc)
            rc = cprof_profile_add_sample(e->p, locs, sm->nlocs, sm->values, &lab,
                                          sm->has_bytes ? 1 : 0, lp->merge ? CPROF_ADD_MERGE : 0);
    }
    free(locs);
    return rc;
}

static int emit_header(struct cprof__lp *lp, struct cprof_profile *p)
{
    int rc = 0;

    for (uint32_t i = 0; !rc && i < lp->ntypes; i++)
        rc = cprof_profile_add_sample_type(p, lp->types[i][0], lp->types[i][1]);
    if (!rc && lp->period_type[0])
        rc = cprof_profile_intern_cstr(p, lp->period_type[0], &p->period_type.type);
    if (!rc && lp->period_type[1])
        rc = cprof_profile_intern_cstr(p, lp->period_type[1], &p->period_type.unit);
    if (!rc && lp->drop_frames)
        rc = cprof_profile_intern_cstr(p, lp->drop_frames, &p->drop_frames);
    if (!rc && lp->keep_frames)
        rc = cprof_profile_intern_cstr(p, lp->keep_frames, &p->keep_frames);
    p->period = lp->period;
    p->duration_nanos = lp->duration_nanos;
    return rc;
}

int cprof__lp_finish(struct cprof__lp *lp, bool dedup_leaf, struct cprof_profile **out,
                     struct cprof_diag *diag)
{
    struct emit_ctx e = {lp, NULL, NULL, NULL, 0, false};
    int rc = -ENOMEM;

    massage_mappings(lp);
    fix_first_mapping(lp);
    e.nreal = lp->nmaps;
    e.p = cprof_profile_new();
    e.order = malloc((lp->naddrs + 1) * sizeof(*e.order));
    e.loc_map = malloc((lp->naddrs + 1) * sizeof(*e.loc_map));
    if (e.p && e.order && e.loc_map) {
        rc = emit_header(lp, e.p);
        if (!rc)
            rc = emit_locations(&e);
        if (!rc && dedup_leaf)
            dedup_leaves(lp);
        if (!rc)
            rc = emit_samples(&e);
    }
    free(e.order);
    free(e.loc_map);
    if (rc) {
        cprof_profile_free(e.p);
        return cprof_diag_set(diag, rc, "building the profile: %s", cprof_strerror(rc));
    }
    rc = cprof_profile_check(e.p, diag);
    if (rc) {
        cprof_profile_free(e.p);
        return rc;
    }
    *out = e.p;
    return 0;
}
