/*
 * The engine's strings: interning (equal contents, equal ids), regular
 * expressions searched as Go's MatchString, and file names cleaned and
 * trimmed as pprof does (Go's filepath.Clean, pprof's trimPath).
 */
#include "tool/report/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/par.h"
#include "model/filter.h"
#include "model/profile.h"

/* ---- strings ------------------------------------------------------------ */

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;

    h ^= 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static int strs_grow(struct rep_strs *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : 1024;
    uint32_t *slots = calloc(ns, sizeof(*slots));

    if (!slots)
        return -ENOMEM;
    for (uint32_t id = 0; id < t->n; id++) {
        size_t i = hash_bytes(t->s[id], t->len[id], 0) & (ns - 1);

        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = id + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
    return 0;
}

int cprof__rep_intern(struct rep_strs *t, const char *s, size_t len, uint32_t *id)
{
    size_t i;
    char *copy;

    if ((size_t)t->n * 2 + 2 > t->nslots && strs_grow(t))
        return -ENOMEM;
    i = hash_bytes(s, len, 0) & (t->nslots - 1);
    for (; t->slots[i]; i = (i + 1) & (t->nslots - 1)) {
        uint32_t k = t->slots[i] - 1;

        if (t->len[k] == len && memcmp(t->s[k], s, len) == 0) {
            *id = k;
            return 0;
        }
    }
    if (t->n == t->cap) {
        uint32_t nc = t->cap ? t->cap * 2 : 1024;
        const char **ns = realloc(t->s, nc * sizeof(*ns));
        uint32_t *nl;

        if (!ns)
            return -ENOMEM;
        t->s = ns;
        nl = realloc(t->len, nc * sizeof(*nl));
        if (!nl)
            return -ENOMEM;
        t->len = nl;
        t->cap = nc;
    }
    copy = cprof_arena_strndup(&t->arena, s, len);
    if (!copy)
        return -ENOMEM;
    t->s[t->n] = copy;
    t->len[t->n] = (uint32_t)len;
    t->slots[i] = t->n + 1;
    *id = t->n++;
    return 0;
}

void cprof__rep_strs_release(struct rep_strs *t)
{
    cprof_arena_release(&t->arena);
    free(t->s);
    free(t->len);
    free(t->slots);
}

const char *cprof__rep_str(const struct rep *r, uint32_t i)
{
    return cprof_profile_str(r->p, i);
}

/* ---- regular expressions -------------------------------------------------- */

int cprof__rep_regcomp(struct rep *r, regex_t *re, const char *what, const char *pattern)
{
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);

    if (rc) {
        char msg[128];

        regerror(rc, re, msg, sizeof(msg));
        return cprof_diag_set(r->diag, CPROF_EUSAGE, "parsing %s regexp: %s", what, msg);
    }
    return 0;
}

bool cprof__rep_match(const regex_t *re, const char *s)
{
    return regexec(re, s, 0, NULL, 0) == 0;
}

/* ---- Go's filepath.Clean ------------------------------------------------- */

char *cprof__rep_clean_path(struct cprof_arena *a, const char *path)
{
    size_t n = strlen(path), w = 0, i = 0, dotdot = 0;
    bool rooted = n > 0 && path[0] == '/';
    char *out = cprof_arena_alloc(a, n + 2);

    if (!out)
        return NULL;
    if (n == 0) {
        strcpy(out, ".");
        return out;
    }
    if (rooted) {
        out[w++] = '/';
        i = 1;
        dotdot = 1;
    }
    while (i < n) {
        if (path[i] == '/') {
            i++;
        } else if (path[i] == '.' && (i + 1 == n || path[i + 1] == '/')) {
            i++;
        } else if (path[i] == '.' && path[i + 1] == '.' && (i + 2 == n || path[i + 2] == '/')) {
            i += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            for (; i < n && path[i] != '/'; i++)
                out[w++] = path[i];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = 0;
    return out;
}

/* pprof's trimPath (report/source.go): applied to every function file name. */
const char *cprof__rep_trim_path(struct cprof_arena *a, const char *path, const char *trim,
                                 const char *search)
{
    if (!trim || !*trim) {
        const char *d = search ? search : "";

        while (*d) {
            const char *end = strchr(d, ':');
            size_t len = end ? (size_t)(end - d) : strlen(d);
            char dir[4096], want[4200];
            const char *base, *hit;

            if (len < sizeof(dir)) {
                memcpy(dir, d, len);
                dir[len] = 0;
                while (len > 1 && dir[len - 1] == '/')
                    dir[--len] = 0;
                base = strrchr(dir, '/');
                base = (base && len > 1) ? base + 1 : (len == 0 ? "." : dir);
                snprintf(want, sizeof(want), "/%s/", base);
                hit = strstr(path, want);
                if (hit)
                    return hit + strlen(want);
            }
            if (!end)
                break;
            d = end + 1;
        }
    }
    {
        const char *d = trim ? trim : "";
        static const char *const fixed[] = {"/proc/self/cwd/./", "/proc/self/cwd/"};

        while (*d) {
            const char *end = strchr(d, ':');
            size_t len = end ? (size_t)(end - d) : strlen(d);
            char *pre = cprof_arena_alloc(a, len + 2);

            if (pre) {
                memcpy(pre, d, len);
                pre[len] = 0;
                if (len == 0 || pre[len - 1] != '/')
                    strcat(pre, "/");
                if (strncmp(path, pre, strlen(pre)) == 0)
                    return path + strlen(pre);
            }
            if (!end)
                break;
            d = end + 1;
        }
        for (int i = 0; i < 2; i++)
            if (strncmp(path, fixed[i], strlen(fixed[i])) == 0)
                return path + strlen(fixed[i]);
    }
    return path;
}
