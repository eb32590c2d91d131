#!/usr/bin/env python3
"""Structural checks of a cprof flame graph SVG (used by t_flamegraph*.sh).

    flame_check.py FILE.svg [--collapsed FOLDED] [NAME=WIDTH_PERCENT ...]

Parses the SVG with a strict XML parser, then checks the layout: one root
frame at the bottom that spans the full 1180 px, every other frame inside a
frame of the row below it (its parent), no two frames of a row overlapping,
every frame titled "name (value, pct%)", and no external references.
With --collapsed, the frames must be exactly the call tree of the folded
stacks (the -collapsed report of the same profile and options): each
frame as wide as its stack prefix's share, and every prefix wide enough
to be drawn (0.3 px) present.  Each NAME=PCT asserts that the frame titled NAME is PCT% of the width.
Prints "frames N" and exits 1 with a reason on the first failure.
"""
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
FULL = 1180.0
EPS = 0.02


def fail(msg):
    print("flame_check: " + msg)
    sys.exit(1)


def frames_of(path):
    text = open(path, encoding="utf-8").read()
    if re.search(r'(href|src)\s*=\s*"(http|//|file:)', text):
        fail("external reference")
    root = ET.fromstring(text)
    fr = root.find(".//%sg[@id='frames']" % NS)
    if fr is None:
        fail("no <g id=frames>")
    out = []
    for g in fr.findall(NS + "g"):
        title = g.find(NS + "title").text
        m = re.fullmatch(r"(.*) \((-?[0-9.]+[a-zA-Z*]*), ([0-9.e+-]+)%\)", title)
        if not m:
            fail("bad title %r" % title)
        r = g.find(NS + "rect")
        out.append({"name": m.group(1), "x": float(r.get("x")), "y": float(r.get("y")),
                    "w": float(r.get("width"))})
    return out


def check(frames):
    if not frames:
        fail("no frames")
    bottom = max(f["y"] for f in frames)
    roots = [f for f in frames if f["y"] == bottom]
    if len(roots) != 1 or roots[0]["name"] != "root" or abs(roots[0]["w"] - FULL) > EPS:
        fail("want one full-width root frame at the bottom, got %r" % roots)
    rows = {}
    for f in frames:
        rows.setdefault(f["y"], []).append(f)
    for y, row in rows.items():
        row.sort(key=lambda f: f["x"])
        for a, b in zip(row, row[1:]):
            if a["x"] + a["w"] > b["x"] + EPS:
                fail("frames overlap: %r %r" % (a, b))
        if y == bottom:
            continue
        below = rows.get(y + 16)
        if not below:
            fail("row %g floats" % y)
        for f in row:
            if not any(p["x"] - EPS <= f["x"] and f["x"] + f["w"] <= p["x"] + p["w"] + EPS
                       for p in below):
                fail("frame %r has no parent" % f)


def paths_of(frames):
    """Gives every frame its stack (root excluded) from the geometry."""
    bottom = max(f["y"] for f in frames)
    for f in sorted(frames, key=lambda f: -f["y"]):
        if f["y"] == bottom:
            f["path"] = ()
            continue
        p = next(p for p in frames if p["y"] == f["y"] + 16 and
                 p["x"] - EPS <= f["x"] and f["x"] + f["w"] <= p["x"] + p["w"] + EPS)
        f["path"] = p["path"] + (f["name"],)


def check_collapsed(frames, folded):
    tree = {}
    total = 0
    for line in open(folded, encoding="utf-8", errors="replace"):
        stack, v = line.rstrip("\n").rsplit(" ", 1)
        v = int(v)
        if v <= 0:
            continue
        total += v
        names = tuple(stack.split(";"))
        for i in range(1, len(names) + 1):
            tree[names[:i]] = tree.get(names[:i], 0) + v
    paths_of(frames)
    got = {f["path"]: f["w"] for f in frames if f["path"]}
    for path, w in got.items():
        want = tree.get(path, 0) * FULL / total
        if abs(w - want) > EPS:
            fail("frame %r is %.2f px, want %.2f" % (path, w, want))
    for path, v in tree.items():
        if v * FULL / total >= 0.3 and path not in got:
            fail("stack %r (%.2f px) not drawn" % (path, v * FULL / total))


def main():
    args = sys.argv[1:]
    frames = frames_of(args.pop(0))
    check(frames)
    if args[:1] == ["--collapsed"]:
        check_collapsed(frames, args[1])
        args = args[2:]
    for want in args:
        name, pct = want.rsplit("=", 1)
        got = [f for f in frames if f["name"] == name]
        if not got:
            fail("no frame %r" % name)
        w = sum(f["w"] for f in got) / FULL * 100
        if abs(w - float(pct)) > 0.01:
            fail("frame %r is %.3f%% wide, want %s%%" % (name, w, pct))
    print("frames %d" % len(frames))


main()
