#!/bin/sh
# Round trip: for every Go-produced fixture F, `cprof -proto` must write a
# profile that `go tool pprof -raw` prints exactly as it prints F (the Time:
# line aside).  pprof -raw shows every sample, label, location, function and
# mapping after pprof's own merge/compaction, so this checks the decoder and
# the encoder against the reference without depending on our id numbering.
set -eu

fixtures="$CPROF_SRCDIR/tests/fixtures/go"
if ! command -v go >/dev/null 2>&1; then
    echo "SKIP: go is not installed (scripts/deps.sh test installs golang-go)"
    exit 77
fi

# pprof prints Time: in local time; the line is dropped anyway, but keep
# everything else about the environment fixed.
TZ=UTC
export TZ

raw() { # raw FILE OUT: pprof's dump of FILE without the Time: line
    go tool pprof -raw "$1" >"$WORK/raw.tmp" 2>"$WORK/raw.err" || {
        echo "FAIL: go tool pprof -raw $1 failed:"
        cat "$WORK/raw.err"
        return 1
    }
    grep -v '^Time: ' "$WORK/raw.tmp" >"$2" || true
}

n=0
bad=""
for f in "$fixtures"/*.pb.gz "$fixtures"/*.pb; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    n=$((n + 1))
    out="$WORK/out.pb.gz"
    rm -f "$out"
    if ! "$CPROF" -proto -output "$out" "$f" >"$WORK/cprof.log" 2>&1; then
        echo "FAIL: $name: cprof -proto -output exited nonzero:"
        cat "$WORK/cprof.log"
        bad="$bad $name"
        continue
    fi
    if [ ! -s "$out" ]; then
        echo "FAIL: $name: cprof -proto wrote no output file"
        bad="$bad $name"
        continue
    fi
    raw "$f" "$WORK/want.txt" || { bad="$bad $name"; continue; }
    raw "$out" "$WORK/got.txt" || { bad="$bad $name"; continue; }
    if ! cmp -s "$WORK/want.txt" "$WORK/got.txt"; then
        echo "FAIL: $name: pprof -raw differs after cprof -proto (- original, + cprof):"
        diff -u "$WORK/want.txt" "$WORK/got.txt" | head -n 30 || true
        bad="$bad $name"
        continue
    fi
    echo "ok: $name"
done

[ "$n" -gt 0 ] || { echo "FAIL: no fixtures found in $fixtures"; exit 1; }
if [ -n "$bad" ]; then
    echo "round trip failed for:$bad"
    exit 1
fi
echo "all $n fixtures round-trip"
