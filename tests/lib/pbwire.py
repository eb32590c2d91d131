"""Protocol buffer wire format helpers for the test scripts that rewrite
pprof profiles byte by byte (tests/e2e/strip_symbols.py,
tests/fixtures/scale/relabel.py): read and write a (gzipped) profile,
walk a message's fields and encode one.  No schema: fields are numbers.
"""
import gzip
import sys


def varint(buf, i):
    """The varint at buf[i:] and the position after it."""
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


def fields(buf, who="pbwire"):
    """Yields (field, wire, raw bytes of the whole field, payload or None).

    payload is the content of a length-delimited (wire type 2) field.
    Exits with "<who>: unsupported wire type N" on groups.
    """
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
            sys.exit("%s: unsupported wire type %d" % (who, wire))
        yield key >> 3, wire, buf[start:i], payload


def bytes_field(field, payload):
    """Encodes a length-delimited field."""
    return put_varint(field << 3 | 2) + put_varint(len(payload)) + payload


def read_profile(path):
    """The encoded profile in path, gunzipped when it is gzipped."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def write_profile(path, data):
    """Writes data to path gzipped, with mtime 0 (reproducible bytes)."""
    with open(path, "wb") as fh:
        fh.write(gzip.compress(bytes(data), mtime=0))
