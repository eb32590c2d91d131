#!/bin/sh
# `cprof -raw F` must print, byte for byte, what `go tool pprof -raw F`
# printed for every Go-produced fixture (golden F.raw, made with TZ=UTC by
# tests/fixtures/regen.sh).  Needs no Go: the goldens are committed.
set -eu

fixtures="$CPROF_SRCDIR/tests/fixtures/go"
TZ=UTC
export TZ

n=0
bad=""
for f in "$fixtures"/*.pb.gz "$fixtures"/*.pb; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    golden="$f.raw"
    if [ ! -f "$golden" ]; then
        echo "FAIL: $name: golden $name.raw is missing (run tests/fixtures/regen.sh -golden)"
        bad="$bad $name"
        continue
    fi
    n=$((n + 1))
    if ! "$CPROF" -raw "$f" >"$WORK/got.raw" 2>"$WORK/err"; then
        echo "FAIL: $name: cprof -raw exited nonzero:"
        cat "$WORK/err"
        bad="$bad $name"
        continue
    fi
    if ! cmp -s "$golden" "$WORK/got.raw"; then
        echo "FAIL: $name: cprof -raw differs from $name.raw (- golden, + cprof):"
        diff -u "$golden" "$WORK/got.raw" | head -n 30 || true
        bad="$bad $name"
        continue
    fi
    echo "ok: $name"
done

[ "$n" -gt 0 ] || { echo "FAIL: no fixtures found in $fixtures"; exit 1; }
if [ -n "$bad" ]; then
    echo "cprof -raw differs from the golden for:$bad"
    exit 1
fi
echo "all $n fixtures match their golden"
