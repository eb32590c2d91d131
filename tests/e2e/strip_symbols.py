#!/usr/bin/env python3
"""strip_symbols.py IN OUT: writes IN's pprof profile without symbols.

Functions go, locations lose their lines and mappings their has_functions,
has_filenames, has_line_numbers and has_inline_frames flags: what a
profiler that does not symbolize would write (addresses and mappings
only).  OUT is gzipped.  Used by t_symbolize_local.sh.
"""
import gzip
import sys

PROFILE_FUNCTION = 5
PROFILE_MAPPING = 3
PROFILE_LOCATION = 4
LOCATION_LINE = 4
MAPPING_FLAGS = (7, 8, 9, 10)


def varint(buf, i):
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, i


def put_varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if not v:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def fields(buf):
    """Yields (field, wire, raw bytes of the whole field, payload or None)."""
    i = 0
    while i < len(buf):
        start = i
        key, i = varint(buf, i)
        wire = key & 7
        payload = None
        if wire == 0:
            _, i = varint(buf, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            n, j = varint(buf, i)
            i = j + n
            payload = buf[j:i]
        else:
            sys.exit("strip_symbols.py: unsupported wire type %d" % wire)
        yield key >> 3, wire, buf[start:i], payload


def without(msg, drop):
    return b"".join(raw for f, _, raw, _ in fields(msg) if f not in drop)


def main():
    src, dst = sys.argv[1:]
    data = open(src, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    out = bytearray()
    for f, wire, raw, payload in fields(data):
        if f == PROFILE_FUNCTION:
            continue
        if wire == 2 and f in (PROFILE_LOCATION, PROFILE_MAPPING):
            sub = without(payload, (LOCATION_LINE,) if f == PROFILE_LOCATION else MAPPING_FLAGS)
            out += put_varint(f << 3 | 2) + put_varint(len(sub)) + sub
            continue
        out += raw
    with open(dst, "wb") as fh:
        fh.write(gzip.compress(bytes(out), mtime=0))


main()
