#!/bin/sh
# Legacy formats: for every fixture F in tests/fixtures/legacy/, `cprof -raw
# F` must print what `go tool pprof -symbolize=none -raw F` printed (golden
# F.raw), and the top report must equal F.top; when pprof rejected F (F.err),
# cprof must reject it with the same reason.  Goldens: regen.sh there.
# Both sides run with -symbolize=none: the fixtures carry addresses only,
# and symbolizing them from this machine's binaries would change the text.
set -eu
fix="$CPROF_SRCDIR/tests/fixtures/legacy"
TZ=UTC
export TZ

top() {
    "$CPROF" -symbolize=none -top "$1" >"$2"
}

n=0
bad=""
for f in "$fix"/*.txt "$fix"/*.prof "$fix"/*.heap; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    n=$((n + 1))
    if [ -f "$f.err" ]; then
        if "$CPROF" -symbolize=none -raw "$f" >"$WORK/got" 2>"$WORK/err"; then
            echo "FAIL: $name: pprof rejects it ($(cat "$f.err")), cprof accepted it"
            bad="$bad $name"
        elif ! grep -qF "$(cat "$f.err")" "$WORK/err"; then
            echo "FAIL: $name: cprof's error differs from pprof's '$(cat "$f.err")':"
            cat "$WORK/err"
            bad="$bad $name"
        else
            echo "ok: $name (rejected like pprof)"
        fi
        continue
    fi
    if ! "$CPROF" -symbolize=none -raw "$f" >"$WORK/got" 2>"$WORK/err"; then
        echo "FAIL: $name: cprof -raw exited nonzero:"
        cat "$WORK/err"
        bad="$bad $name"
        continue
    fi
    if ! cmp -s "$f.raw" "$WORK/got"; then
        echo "FAIL: $name: cprof -raw differs from $name.raw (- pprof, + cprof):"
        diff -u "$f.raw" "$WORK/got" | head -n 30 || true
        bad="$bad $name"
        continue
    fi
    if ! top "$f" "$WORK/top" || ! cmp -s "$f.top" "$WORK/top"; then
        echo "FAIL: $name: top differs from $name.top (- pprof, + cprof):"
        diff -u "$f.top" "$WORK/top" | head -n 30 || true
        bad="$bad $name"
        continue
    fi
    echo "ok: $name"
done
[ "$n" -ge 10 ] || { echo "FAIL: only $n fixtures in $fix"; exit 1; }
if [ -n "$bad" ]; then
    echo "legacy fixtures that disagree with pprof:$bad"
    exit 1
fi
echo "all $n legacy fixtures agree with pprof"
