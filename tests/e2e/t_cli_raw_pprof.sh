#!/bin/sh
# `cprof -raw F` is byte for byte `go tool pprof -raw F` (TZ=UTC): against
# the committed goldens (tests/fixtures/go/F.raw, and tests/e2e/data/cli/F.raw
# for crafted profiles: labels with mixed units, inline frames, drop_frames
# pruning, no mappings), and against a live `go tool pprof` when Go is installed.
set -eu
. "$CPROF_SRCDIR/tests/e2e/cli_lib.sh"
export TZ=UTC
n=0
for golden in "$CPROF_SRCDIR"/tests/fixtures/go/*.raw "$CPROF_SRCDIR"/tests/e2e/data/cli/*.raw; do
    [ -f "$golden" ] || continue
    f=${golden%.raw}
    expect 0 "$CPROF" -raw "$f"
    cmp -s "$WORK/out" "$golden" || { echo "differs from golden: $f"; diff "$WORK/out" "$golden" | head; exit 1; }
    n=$((n + 1))
done
if command -v go >/dev/null 2>&1; then
    export GOCACHE="$WORK/gocache" GOFLAGS= GOTOOLCHAIN=local
    for f in "$FIX"/go-* "$CPROF_SRCDIR"/tests/e2e/data/cli/*.pb*; do
        case $f in *.raw) continue ;; esac
        go tool pprof -raw "$f" >"$WORK/go.raw" 2>/dev/null || continue
        expect 0 "$CPROF" -raw "$f"
        cmp -s "$WORK/out" "$WORK/go.raw" || { echo "differs from go tool pprof: $f"; diff "$WORK/out" "$WORK/go.raw" | head; exit 1; }
        n=$((n + 1))
    done
    # Merges: pprof's Merge, several files on one command line.
    for pair in "go-heap.pb.gz go-heap-plain.pb" "go-cpu.pb.gz go-cpu.pb.gz"; do
        set -- $pair
        go tool pprof -raw "$FIX/$1" "$FIX/$2" >"$WORK/go.raw" 2>/dev/null || continue
        expect 0 "$CPROF" -raw "$FIX/$1" "$FIX/$2"
        cmp -s "$WORK/out" "$WORK/go.raw" || { echo "merge differs from go tool pprof: $pair"; diff "$WORK/out" "$WORK/go.raw" | head; exit 1; }
        n=$((n + 1))
    done
fi
echo "$n profiles compared"
[ "$n" -gt 0 ] || { echo "SKIP: no goldens and no go"; exit 77; }
echo ok
