#!/usr/bin/env python3
"""strip_symbols.py IN OUT: writes IN's pprof profile without symbols.

Functions go, locations lose their lines and mappings their has_functions,
has_filenames, has_line_numbers and has_inline_frames flags: what a
profiler that does not symbolize would write (addresses and mappings
only).  OUT is gzipped.  Used by t_symbolize_local.sh.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pbwire import bytes_field, fields, read_profile, write_profile  # noqa: E402

PROFILE_FUNCTION = 5
PROFILE_MAPPING = 3
PROFILE_LOCATION = 4
LOCATION_LINE = 4
MAPPING_FLAGS = (7, 8, 9, 10)
WHO = "strip_symbols.py"


def without(msg, drop):
    return b"".join(raw for f, _, raw, _ in fields(msg, WHO) if f not in drop)


def main():
    src, dst = sys.argv[1:]
    out = bytearray()
    for f, wire, raw, payload in fields(read_profile(src), WHO):
        if f == PROFILE_FUNCTION:
            continue
        if wire == 2 and f in (PROFILE_LOCATION, PROFILE_MAPPING):
            drop = (LOCATION_LINE,) if f == PROFILE_LOCATION else MAPPING_FLAGS
            out += bytes_field(f, without(payload, drop))
            continue
        out += raw
    write_profile(dst, out)


main()
