#!/usr/bin/env python3
"""Pixel statistics of a flame graph screenshot (t_flamegraph_chromium.sh).

    png_stats.py FILE.png

Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)
with the standard library only, and prints one line of counts:

    size WxH frame N fullrows N dark_header N

frame: saturated frame-palette pixels (red >= 190, blue <= 70; the
background, dimmed ancestor frames and text are not); fullrows: pixel rows
in which at least 90% of x in [12, W-12) are frame pixels (a full-width
frame is about 15 of them); dark_header: dark (text) pixels in the top 50
rows (the title).
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("png_stats: not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise SystemExit("png_stats: unsupported PNG (depth %d, type %d)" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    w, h, bpp, rows = decode(sys.argv[1])
    frame = fullrows = dark = 0
    for y, line in enumerate(rows):
        inrow = 0
        for x in range(w):
            r, g, b = line[x * bpp], line[x * bpp + 1], line[x * bpp + 2]
            if r >= 190 and b <= 70:
                frame += 1
                if 12 <= x < w - 12:
                    inrow += 1
            elif y < 50 and r < 90 and g < 90 and b < 90:
                dark += 1
        if inrow >= 0.9 * (w - 24):
            fullrows += 1
    print("size %dx%d frame %d fullrows %d dark_header %d" % (w, h, frame, fullrows, dark))


main()
