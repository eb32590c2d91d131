/*
 * Flame graph: one self-contained interactive SVG (inline CSS and
 * JavaScript, no external resources), drawn as Brendan Gregg's FlameGraph
 * draws it: the call tree merged root first by frame name at the chosen
 * granularity, root at the bottom, each frame as wide as its value.
 * Hover shows "name (value, pct%)", a click zooms into a frame, a search
 * highlights matches and shows their share.  Frames narrower than
 * FL_MIN_WIDTH pixels are left out (and counted in the header) so a very
 * large profile still makes a file of a reasonable size.
 */
#include "tool/report/report_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/profile.h"

#define FL_WIDTH     1200 /* image width, pixels (a literal: the script gets it too) */
#define FL_PAD       10   /* left and right margins, pixels (likewise) */
#define FL_FRAME_H   16   /* frame pitch, pixels (rect is one less) */
#define FL_TOP       62   /* first frame row, below the header */
#define FL_BOTTOM    30   /* room for the details line */
#define FL_FONT      12   /* frame label font size, pixels */
#define FL_CHAR_W    7.4  /* conservative average glyph width at FL_FONT, pixels */
#define FL_MIN_WIDTH 0.3  /* narrower frames are omitted, pixels */
#define FL_VBUF      64
#define FL_STR(x)    #x
#define FL_XSTR(x)   FL_STR(x)

/* A call tree node: one frame name under one parent. */
struct fl_node {
    uint32_t name;   /* rep_strs id of the frame name */
    uint32_t parent; /* REP_NONE for the root */
    uint32_t child;  /* first child, REP_NONE for none */
    uint32_t next;   /* next sibling, REP_NONE at the end */
    int64_t cum;     /* value of the samples through this frame */
};

struct fl_tree {
    struct fl_node *n;
    uint32_t nn, cap;
    uint32_t *slots; /* open addressing over (parent, name): index + 1, 0 = empty */
    size_t nslots;   /* power of two */
    uint32_t *names; /* per graph node: its interned printable name, REP_NONE = not yet */
    int64_t dropped; /* value of negative samples, which a flame graph cannot draw */
};

static uint64_t key_hash(uint32_t parent, uint32_t name)
{
    uint64_t h = ((uint64_t)parent << 32 | name) * 0x9e3779b97f4a7c15ull;

    return h ^ (h >> 29);
}

static int tree_grow_slots(struct fl_tree *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : 1024;
    uint32_t *s = calloc(ns, sizeof(*s));

    if (!s)
        return -ENOMEM;
    for (uint32_t i = 0; i < t->nn; i++) {
        size_t j = key_hash(t->n[i].parent, t->n[i].name) & (ns - 1);

        while (s[j])
            j = (j + 1) & (ns - 1);
        s[j] = i + 1;
    }
    free(t->slots);
    t->slots = s;
    t->nslots = ns;
    return 0;
}

/* The child named name of parent, created when missing.  0 or -ENOMEM. */
static int tree_child(struct fl_tree *t, uint32_t parent, uint32_t name, uint32_t *id /* OUT */)
{
    size_t j;

    if ((size_t)(t->nn + 1) * 2 > t->nslots && tree_grow_slots(t))
        return -ENOMEM;
    for (j = key_hash(parent, name) & (t->nslots - 1); t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
        const struct fl_node *n = &t->n[t->slots[j] - 1];

        if (n->parent == parent && n->name == name) {
            *id = t->slots[j] - 1;
            return 0;
        }
    }
    if (cprof__grow32((void **)&t->n, &t->cap, (size_t)t->nn + 1, sizeof(*t->n)))
        return -ENOMEM;
    t->n[t->nn] = (struct fl_node){name, parent, REP_NONE, REP_NONE, 0};
    if (parent != REP_NONE) {
        t->n[t->nn].next = t->n[parent].child;
        t->n[parent].child = t->nn;
    }
    t->slots[j] = t->nn + 1;
    *id = t->nn++;
    return 0;
}

/* The interned printable name of graph node gn.  0 or -ENOMEM. */
static int frame_name(struct rep *r, struct fl_tree *t, uint32_t gn, uint32_t *id /* OUT */)
{
    const char *s = r->nodes[gn].pname;

    if (t->names[gn] == REP_NONE && cprof__rep_intern(&r->strs, s, strlen(s), &t->names[gn]))
        return -ENOMEM;
    *id = t->names[gn];
    return 0;
}

/* Adds one selected sample, root first, with its value v. */
static int tree_add(struct rep *r, struct fl_tree *t, uint32_t sample, int64_t v)
{
    const uint32_t *stk = r->stk + r->s_first[sample];
    uint32_t cur = 0;

    t->n[0].cum += v;
    for (int k = (int)r->s_n[sample] - 1; k >= 0; k--) {
        uint32_t fs, nn = cprof__rep_loc_nodes(r, stk[k], &fs);

        /* Inline frames are stored innermost first: the caller comes first here. */
        for (int j = (int)nn - 1; j >= 0; j--) {
            uint32_t name;

            if (frame_name(r, t, r->locnode[fs + (uint32_t)j], &name) ||
                tree_child(t, cur, name, &cur))
                return -ENOMEM;
            t->n[cur].cum += v;
        }
    }
    return 0;
}

/* Builds the call tree of the selected samples; node 0 is "root". */
static int tree_build(struct rep *r, struct fl_tree *t)
{
    uint32_t root;

    t->names = malloc((r->nnodes + 1) * sizeof(*t->names));
    if (!t->names || cprof__rep_intern(&r->strs, "root", 4, &root) ||
        tree_child(t, REP_NONE, root, &root))
        return -ENOMEM;
    memset(t->names, 0xff, (r->nnodes + 1) * sizeof(*t->names));
    for (size_t i = 0; i < r->nsamples; i++) {
        const struct cprof_sample *s = &r->p->samples[r->samples[i]];
        int64_t v, d;

        cprof__rep_sample_value(r, s, &v, &d);
        if (d != 0)
            v /= d;
        if (v < 0)
            t->dropped -= v;
        if (v <= 0)
            continue;
        if (tree_add(r, t, r->samples[i], v))
            return -ENOMEM;
    }
    return 0;
}

static int cmp_by_name(const void *pa, const void *pb, void *arg)
{
    const struct rep *r = arg;
    const struct fl_node *a = *(struct fl_node *const *)pa, *b = *(struct fl_node *const *)pb;

    return strcmp(r->strs.s[a->name], r->strs.s[b->name]);
}

/* Relinks every sibling list in name order, as FlameGraph sorts frames. */
static int tree_sort(struct rep *r, struct fl_tree *t)
{
    struct fl_node **tmp = malloc((t->nn + 1) * sizeof(*tmp));

    if (!tmp)
        return -ENOMEM;
    for (uint32_t i = 0; i < t->nn; i++) {
        uint32_t k = 0;

        for (uint32_t c = t->n[i].child; c != REP_NONE; c = t->n[c].next)
            tmp[k++] = &t->n[c];
        if (k < 2)
            continue;
        qsort_r(tmp, k, sizeof(*tmp), cmp_by_name, r);
        t->n[i].child = (uint32_t)(tmp[0] - t->n);
        for (uint32_t j = 0; j < k; j++)
            tmp[j]->next = j + 1 < k ? (uint32_t)(tmp[j + 1] - t->n) : REP_NONE;
    }
    free(tmp);
    return 0;
}

/* ---- output -------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (XML text), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    uint32_t c;

    if (s[0] < 0x80)
        return s[0] >= 0x20 || s[0] == '\t' ? 1 : 0;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, c = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, c = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, c = s[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
        return 0;
    return n;
}

/*
 * Writes at most maxch characters of s escaped for XML text and attribute
 * values; bytes that are not valid XML characters become '?'.  Returns the
 * number of characters of s written.
 */
static size_t put_esc(FILE *out, const char *s, size_t maxch)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t nch = 0;

    while (*p && nch < maxch) {
        size_t n = utf8_len(p);

        nch++;
        if (n == 0) {
            putc('?', out);
            p++;
            continue;
        }
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fwrite(p, 1, n, out); break;
        }
        p += n;
    }
    return nch;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

/* FlameGraph's "hot" palette, seeded by a hash of the name so colours are stable. */
static void frame_colour(const char *name, int rgb[3] /* OUT */)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    h ^= h >> 31;
    rgb[0] = 205 + (int)((h >> 8 & 0xff) * 50 / 255);
    rgb[1] = (int)((h >> 16 & 0xff) * 230 / 255);
    rgb[2] = (int)((h >> 24 & 0xff) * 55 / 255);
}

static const char fl_style[] =
    "<style type=\"text/css\"><![CDATA[\n"
    "text{font-family:Verdana,'DejaVu Sans',sans-serif;fill:#000}\n"
    "#title{font-size:17px;font-weight:bold;text-anchor:middle}\n"
    "#subtitle{font-size:12px;fill:#555;text-anchor:middle}\n"
    "#details,#matched{font-size:12px}\n"
    "#matched{text-anchor:end}\n"
    ".button{font-size:12px;cursor:pointer;fill:#333;text-decoration:underline}\n"
    "#search{text-anchor:end}\n"
    ".hide{display:none}\n"
    "#frames text{font-size:12px;pointer-events:none}\n"
    "#frames rect{rx:2px;ry:2px}\n"
    "#frames g{cursor:pointer}\n"
    "#frames g:hover rect{stroke:#000;stroke-width:0.5}\n"
    "#frames g.parent{opacity:0.5}\n"
    "]]></style>\n";

/*
 * The viewer.  Each frame is <g><title>name (value, pct%)</title><rect/>
 * [<text/>]</g>; the script keeps a frame's original geometry in
 * expando properties the first time it moves it.
 */
static const char fl_script[] =
    "<script type=\"text/ecmascript\"><![CDATA[\n"
    "'use strict';\n"
    "var W = " FL_XSTR(FL_WIDTH) ", PAD = " FL_XSTR(
        FL_PAD) ", CHW = 7;\n"
                "var frames, details, matched, unzoombtn, searchbtn, zoomed = null, term = null, "
                "ctx = null;\n"
                "function init() {\n"
                "  frames = document.getElementById('frames');\n"
                "  details = document.getElementById('details').firstChild;\n"
                "  matched = document.getElementById('matched');\n"
                "  unzoombtn = document.getElementById('unzoom');\n"
                "  searchbtn = document.getElementById('search');\n"
                "  frames.addEventListener('click', function (e) {\n"
                "    var g = frame_of(e.target); if (g) zoom(g);\n"
                "  });\n"
                "  frames.addEventListener('mouseover', function (e) {\n"
                "    var g = frame_of(e.target);\n"
                "    if (g) details.nodeValue = 'Frame: ' + g.firstChild.textContent;\n"
                "  });\n"
                "  frames.addEventListener('mouseout', function () { details.nodeValue = ' '; });\n"
                "  unzoombtn.addEventListener('click', unzoom);\n"
                "  searchbtn.addEventListener('click', search_button);\n"
                "  try {\n"
                "    var cs = getComputedStyle(frames.querySelector('text') || "
                "details.parentNode);\n"
                "    ctx = document.createElementNS('http://www.w3.org/1999/xhtml', 'canvas')\n"
                "      .getContext('2d');\n"
                "    ctx.font = '12px ' + cs.fontFamily;\n"
                "  } catch (e) { ctx = null; }\n"
                "  /* Labels were cut with a conservative glyph width: refit them to the font. */\n"
                "  var gs = frames.children;\n"
                "  for (var i = 0; i < gs.length; i++) {\n"
                "    var t = gs[i].childNodes[2];\n"
                "    if (t && t.textContent.slice(-2) === '..') label(gs[i]);\n"
                "  }\n"
                "  window.addEventListener('keydown', function (e) {\n"
                "    var f = e.key === 'f' || e.key === 'F' || e.keyCode === 70;\n"
                "    if (e.key === 'F3' || e.keyCode === 114 || ((e.ctrlKey || e.metaKey) && f)) "
                "{\n"
                "      e.preventDefault(); search_prompt();\n"
                "    } else if (e.key === 'Escape' || e.keyCode === 27) { unzoom(); "
                "reset_search(); }\n"
                "  });\n"
                "}\n"
                "window.addEventListener('load', init);\n"
                "function frame_of(e) {\n"
                "  while (e && e !== frames) {\n"
                "    if (e.parentNode === frames) return e;\n"
                "    e = e.parentNode;\n"
                "  }\n"
                "  return null;\n"
                "}\n"
                "function name_of(g) {\n"
                "  if (g._name === undefined) {\n"
                "    var t = g.firstChild.textContent, i = t.lastIndexOf(' (');\n"
                "    g._name = i >= 0 ? t.substring(0, i) : t;\n"
                "  }\n"
                "  return g._name;\n"
                "}\n"
                "function orig(g) {\n"
                "  var r = g.childNodes[1];\n"
                "  if (g._ox === undefined) {\n"
                "    g._ox = parseFloat(r.getAttribute('x'));\n"
                "    g._ow = parseFloat(r.getAttribute('width'));\n"
                "    g._oy = parseFloat(r.getAttribute('y'));\n"
                "  }\n"
                "  return r;\n"
                "}\n"
                "/*\n"
                " * Text widths come from a canvas with the labels' font: measuring an SVG\n"
                " * text forces a layout per call, which made zooming a big graph slow.\n"
                " */\n"
                "function text_width(t, s) {\n"
                "  if (ctx) return ctx.measureText(s).width;\n"
                "  t.textContent = s;\n"
                "  return t.getComputedTextLength();\n"
                "}\n"
                "function label(g) {\n"
                "  var r = g.childNodes[1], t = g.childNodes[2];\n"
                "  var w = parseFloat(r.getAttribute('width')) - 6, name = name_of(g), s = '';\n"
                "  if (!t) {\n"
                "    if (w < 3 * CHW) return;\n"
                "    t = document.createElementNS('http://www.w3.org/2000/svg', 'text');\n"
                "    t.setAttribute('y', (parseFloat(r.getAttribute('y')) + 11.5).toString());\n"
                "    g.appendChild(t);\n"
                "  }\n"
                "  t.setAttribute('x', (parseFloat(r.getAttribute('x')) + 3).toFixed(2));\n"
                "  if (w >= 3 * CHW) {\n"
                "    if (text_width(t, name) <= w) {\n"
                "      s = name;\n"
                "    } else {\n"
                "      var lo = 0, hi = name.length;\n"
                "      while (lo < hi) {\n"
                "        var mid = (lo + hi + 1) >> 1;\n"
                "        if (text_width(t, name.substring(0, mid) + '..') <= w) lo = mid; else hi "
                "= mid - 1;\n"
                "      }\n"
                "      if (lo > 0) s = name.substring(0, lo) + '..';\n"
                "    }\n"
                "  }\n"
                "  t.textContent = s;\n"
                "}\n"
                "function zoom(node) {\n"
                "  var nr = orig(node), xmin = node._ox, width = node._ow, ymin = node._oy;\n"
                "  var ratio = (W - 2 * PAD) / width, eps = 0.01, gs = frames.children;\n"
                "  zoomed = node;\n"
                "  unzoombtn.classList.remove('hide');\n"
                "  for (var i = 0; i < gs.length; i++) {\n"
                "    var g = gs[i], r = orig(g), ex = g._ox, ew = g._ow;\n"
                "    var show = false;\n"
                "    g.classList.remove('parent');\n"
                "    if (g._oy > ymin) {\n"
                "      if (ex <= xmin + eps && ex + ew >= xmin + width - eps) {\n"
                "        g.classList.add('parent');\n"
                "        r.setAttribute('x', PAD); r.setAttribute('width', W - 2 * PAD);\n"
                "        show = true;\n"
                "      }\n"
                "    } else if (ex >= xmin - eps && ex + ew <= xmin + width + eps) {\n"
                "      r.setAttribute('x', ((ex - xmin) * ratio + PAD).toFixed(2));\n"
                "      r.setAttribute('width', (ew * ratio).toFixed(2));\n"
                "      show = true;\n"
                "    }\n"
                "    if (show) { g.classList.remove('hide'); label(g); } else "
                "g.classList.add('hide');\n"
                "  }\n"
                "  document.documentElement.setAttribute('data-zoomed', name_of(node));\n"
                "  if (term) search(term);\n"
                "}\n"
                "function unzoom() {\n"
                "  var gs = frames.children;\n"
                "  if (!zoomed) return;\n"
                "  zoomed = null;\n"
                "  unzoombtn.classList.add('hide');\n"
                "  for (var i = 0; i < gs.length; i++) {\n"
                "    var g = gs[i], r = g.childNodes[1];\n"
                "    g.classList.remove('hide'); g.classList.remove('parent');\n"
                "    if (g._ox === undefined) continue;\n"
                "    r.setAttribute('x', g._ox.toFixed(2)); r.setAttribute('width', "
                "g._ow.toFixed(2));\n"
                "    label(g);\n"
                "  }\n"
                "  document.documentElement.removeAttribute('data-zoomed');\n"
                "  if (term) search(term);\n"
                "}\n"
                "function search_button() {\n"
                "  if (term) reset_search(); else search_prompt();\n"
                "}\n"
                "function search_prompt() {\n"
                "  var t = prompt('Search for frames (a regular expression):', term || '');\n"
                "  if (t) search(t);\n"
                "}\n"
                "function reset_search() {\n"
                "  var gs = frames.children;\n"
                "  term = null;\n"
                "  for (var i = 0; i < gs.length; i++) {\n"
                "    var r = gs[i].childNodes[1];\n"
                "    if (gs[i]._fill !== undefined) r.setAttribute('fill', gs[i]._fill);\n"
                "  }\n"
                "  matched.textContent = ' ';\n"
                "  searchbtn.textContent = 'Search';\n"
                "  document.documentElement.removeAttribute('data-matched');\n"
                "}\n"
                "function search(t) {\n"
                "  var re, gs = frames.children, spans = {}, xs = [], sum = 0, end = 0;\n"
                "  try { re = new RegExp(t); } catch (e) { alert('bad regular expression: ' + e); "
                "return; }\n"
                "  reset_search();\n"
                "  term = t;\n"
                "  for (var i = 0; i < gs.length; i++) {\n"
                "    var g = gs[i], r = g.childNodes[1];\n"
                "    if (g.classList.contains('hide') || !re.test(name_of(g))) continue;\n"
                "    if (g._fill === undefined) g._fill = r.getAttribute('fill');\n"
                "    r.setAttribute('fill', 'rgb(200,40,220)');\n"
                "    if (g.classList.contains('parent')) continue;\n"
                "    var x = parseFloat(r.getAttribute('x')), w = "
                "parseFloat(r.getAttribute('width'));\n"
                "    if (spans[x] === undefined) xs.push(x);\n"
                "    if (spans[x] === undefined || w > spans[x]) spans[x] = w;\n"
                "  }\n"
                "  /* Nested matches count once: merge the spans left to right. */\n"
                "  xs.sort(function (a, b) { return a - b; });\n"
                "  for (var j = 0; j < xs.length; j++) {\n"
                "    var s = Math.max(xs[j], end), e = xs[j] + spans[xs[j]];\n"
                "    if (e > s) { sum += e - s; end = e; }\n"
                "  }\n"
                "  var pct = (100 * sum / (W - 2 * PAD)).toFixed(2);\n"
                "  searchbtn.textContent = 'Reset Search';\n"
                "  matched.textContent = 'Matched: ' + pct + '%';\n"
                "  document.documentElement.setAttribute('data-matched', pct);\n"
                "}\n"
                "]]></script>\n";

struct fl_out {
    struct rep *r;
    struct fl_tree *t;
    int64_t *off;    /* per tree node: value to its left edge */
    uint32_t *depth; /* per tree node: 0 for the root */
    bool *shown;     /* per tree node: wide enough, and so are its ancestors */
    double scale;    /* pixels per value unit */
    uint32_t maxdepth, nshown;
};

/* Places every frame: parents come before their children in the node array. */
static void layout(struct fl_out *o)
{
    struct fl_tree *t = o->t;

    o->off[0] = 0;
    o->depth[0] = 0;
    o->shown[0] = t->n[0].cum > 0;
    o->nshown = o->shown[0];
    o->scale = t->n[0].cum > 0 ? (double)(FL_WIDTH - 2 * FL_PAD) / (double)t->n[0].cum : 0;
    for (uint32_t i = 0; i < t->nn; i++) {
        int64_t x = o->off[i];

        for (uint32_t c = t->n[i].child; c != REP_NONE; c = t->n[c].next) {
            o->off[c] = x;
            o->depth[c] = o->depth[i] + 1;
            o->shown[c] = o->shown[i] && (double)t->n[c].cum * o->scale >= FL_MIN_WIDTH;
            if (o->shown[c]) {
                o->nshown++;
                if (o->depth[c] > o->maxdepth)
                    o->maxdepth = o->depth[c];
            }
            x += t->n[c].cum;
        }
    }
}

static void put_frame(struct fl_out *o, uint32_t i)
{
    struct rep *r = o->r;
    const struct fl_node *n = &o->t->n[i];
    const char *name = r->strs.s[n->name];
    double x = FL_PAD + (double)o->off[i] * o->scale, w = (double)n->cum * o->scale;
    int y = FL_TOP + (int)(o->maxdepth - o->depth[i]) * FL_FRAME_H, rgb[3];
    char v[FL_VBUF], pct[FL_VBUF], *ps = pct;
    size_t fit = w > 6 ? (size_t)((w - 6) / FL_CHAR_W) : 0, len = utf8_chars(name);

    cprof__rep_fmt(r, v, sizeof(v), n->cum);
    cprof__rep_percentage(pct, sizeof(pct), n->cum, r->total);
    while (*ps == ' ')
        ps++;
    frame_colour(name, rgb);
    fputs("<g><title>", r->out);
    put_esc(r->out, name, SIZE_MAX);
    fprintf(r->out,
            " (%s, %s)</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
            "fill=\"rgb(%d,%d,%d)\"/>",
            v, ps, x, y, w, FL_FRAME_H - 1, rgb[0], rgb[1], rgb[2]);
    if (fit >= 3) {
        fprintf(r->out, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + 11.5);
        if (len <= fit) {
            put_esc(r->out, name, SIZE_MAX);
        } else {
            put_esc(r->out, name, fit - 2);
            fputs("..", r->out);
        }
        fputs("</text>", r->out);
    }
    fputs("</g>\n", r->out);
}

/* n with thousands separators, as "5,897,411". */
static char *group_digits(char *buf, size_t size, uint32_t n)
{
    char tmp[16];
    int len = snprintf(tmp, sizeof(tmp), "%u", n), w = 0;

    for (int i = 0; i < len && (size_t)w + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[w++] = ',';
        buf[w++] = tmp[i];
    }
    buf[w] = 0;
    return buf;
}

static void put_header(struct fl_out *o, int height)
{
    struct rep *r = o->r;
    char v[FL_VBUF];
    uint32_t omitted = o->t->nn - o->nshown - (o->t->n[0].cum > 0 ? 0 : 1);

    fprintf(r->out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            FL_WIDTH, height, FL_WIDTH, height);
    fputs(fl_style, r->out);
    fputs(fl_script, r->out);
    fputs("<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
          "<stop stop-color=\"#f8f8f8\" offset=\"5%\"/><stop stop-color=\"#eeeeb0\" "
          "offset=\"95%\"/></linearGradient></defs>\n",
          r->out);
    fprintf(r->out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"url(#bg)\"/>\n",
            FL_WIDTH, height);
    fprintf(r->out, "<text id=\"title\" x=\"%d\" y=\"24\">Flame Graph</text>\n", FL_WIDTH / 2);
    fprintf(r->out, "<text id=\"subtitle\" x=\"%d\" y=\"44\">", FL_WIDTH / 2);
    if (r->p->nmappings > 0) {
        const char *f = cprof__rep_str(r, r->p->mappings[0].filename), *b = strrchr(f, '/');

        if (*f) {
            fputs("File: ", r->out);
            put_esc(r->out, b && b[1] ? b + 1 : f, SIZE_MAX);
            fputs("  \xc2\xb7  ", r->out);
        }
    }
    fputs("Type: ", r->out);
    put_esc(r->out, r->sample_type, SIZE_MAX);
    fprintf(r->out, "  \xc2\xb7  Total: %s", cprof__rep_fmt(r, v, sizeof(v), r->total));
    if (o->t->n[0].cum != r->total)
        fprintf(r->out, "  \xc2\xb7  Shown: %s", cprof__rep_fmt(r, v, sizeof(v), o->t->n[0].cum));
    if (omitted)
        fprintf(r->out, "  \xc2\xb7  %s frame%s narrower than %.1f px omitted",
                group_digits(v, sizeof(v), omitted), omitted == 1 ? "" : "s", FL_MIN_WIDTH);
    if (o->t->dropped)
        fprintf(r->out, "  \xc2\xb7  negative values not drawn: %s",
                cprof__rep_fmt(r, v, sizeof(v), o->t->dropped));
    fputs("</text>\n", r->out);
    fprintf(r->out,
            "<text id=\"unzoom\" class=\"button hide\" x=\"%d\" y=\"24\">Reset Zoom</text>\n"
            "<text id=\"search\" class=\"button\" x=\"%d\" y=\"24\">Search</text>\n"
            "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n"
            "<text id=\"matched\" x=\"%d\" y=\"%d\"> </text>\n",
            FL_PAD, FL_WIDTH - FL_PAD, FL_PAD, height - 10, FL_WIDTH - FL_PAD, height - 10);
}

/* pprof's minimum unit choice, over the frames of the tree. */
static void select_unit(struct rep *r, const struct fl_tree *t)
{
    int64_t minv = 0;

    for (uint32_t i = 0; i < t->nn; i++) {
        int64_t m = t->n[i].cum;

        for (uint32_t c = t->n[i].child; c != REP_NONE; c = t->n[c].next)
            m -= t->n[c].cum; /* self */
        if (m == 0)
            m = t->n[i].cum;
        if (m > 0 && (minv == 0 || m < minv))
            minv = m;
    }
    cprof__rep_choose_unit(r, minv);
}

static int write_svg(struct rep *r, struct fl_tree *t)
{
    struct fl_out o = {r, t, NULL, NULL, NULL, 0, 0, 0};
    int height, err = 0;

    o.off = malloc((t->nn + 1) * sizeof(*o.off));
    o.depth = malloc((t->nn + 1) * sizeof(*o.depth));
    o.shown = malloc((t->nn + 1) * sizeof(*o.shown));
    if (!o.off || !o.depth || !o.shown) {
        err = cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        goto out;
    }
    layout(&o);
    height = FL_TOP + (int)(o.maxdepth + 1) * FL_FRAME_H + FL_BOTTOM;
    put_header(&o, height);
    fputs("<g id=\"frames\">\n", r->out);
    for (uint32_t i = 0; i < t->nn; i++)
        if (o.shown[i])
            put_frame(&o, i);
    fputs("</g>\n</svg>\n", r->out);
out:
    free(o.off);
    free(o.depth);
    free(o.shown);
    return err;
}

int cprof__rep_flamegraph(struct rep *r)
{
    struct fl_tree t;
    int err;

    memset(&t, 0, sizeof(t));
    if (tree_build(r, &t) || tree_sort(r, &t)) {
        err = cprof_diag_set(r->diag, -ENOMEM, "out of memory");
        goto out;
    }
    select_unit(r, &t);
    err = write_svg(r, &t);
out:
    free(t.n);
    free(t.slots);
    free(t.names);
    return err;
}

int cprof_report_flamegraph(const struct cprof_profile *p, const struct cprof_report_opts *o,
                            FILE *out, struct cprof_diag *diag)
{
    return cprof_report_run(p, CPROF_REPORT_FLAMEGRAPH, o, out, diag);
}
