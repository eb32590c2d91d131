#!/bin/sh
# -raw and -proto write the profile after pprof's applyFocus: for every case
# of tests/fixtures/filter/cases.txt, `cprof -raw FLAGS PROFILE` must print
# byte for byte what `go tool pprof -raw FLAGS PROFILE` printed (stdout,
# stderr notes such as "Focus expression matched no samples" and exit
# status, from the goldens made by tests/fixtures/filter/regen.sh), and
# `cprof -proto FLAGS PROFILE` read back must equal pprof's own -proto read
# back.  The read-back uses `go tool pprof -raw` when Go is installed,
# `cprof -raw` otherwise (checked against pprof by t_raw_golden.sh).
set -eu
. "$CPROF_SRCDIR/tests/lib/golden.sh"
cases="$CPROF_SRCDIR/tests/fixtures/filter/cases.txt"
exp="$CPROF_SRCDIR/tests/fixtures/filter/expected"
fix="$CPROF_SRCDIR/tests/fixtures/go"
export TZ=UTC
reader="$CPROF -raw"
if command -v go >/dev/null 2>&1; then
    export GOCACHE="$WORK/gocache" GOFLAGS= GOTOOLCHAIN=local
    reader="go tool pprof -raw"
fi
cd "$fix"
n=0
bad=0
grep -v '^#' "$cases" >"$WORK/cases"
while IFS='|' read -r prof flags; do
    n=$((n + 1))
    id=$(golden_id "$prof|$flags")
    [ -f "$exp/$id.raw" ] || { echo "FAIL: $id: no golden (run tests/fixtures/filter/regen.sh)"; exit 1; }
    rc=0
    # shellcheck disable=SC2086
    "$CPROF" -raw $flags $prof >"$WORK/out" 2>"$WORK/err" || rc=$?
    if [ "$rc" != "$(cat "$exp/$id.rc")" ]; then
        echo "FAIL: $id ($prof $flags): exit status $rc, pprof's $(cat "$exp/$id.rc")"
        head -3 "$WORK/err"
        bad=$((bad + 1))
        continue
    fi
    if ! cmp -s "$WORK/out" "$exp/$id.raw"; then
        echo "FAIL: $id ($prof $flags): -raw differs (- pprof, + cprof)"
        diff -u "$exp/$id.raw" "$WORK/out" | head -20 || true
        bad=$((bad + 1))
        continue
    fi
    # cprof prefixes its errors with "cprof: "; notes are printed as pprof prints them.
    sed 's/^cprof: //' "$WORK/err" >"$WORK/err2"
    if ! cmp -s "$WORK/err2" "$exp/$id.err"; then
        echo "FAIL: $id ($prof $flags): stderr differs (- pprof, + cprof)"
        diff -u "$exp/$id.err" "$WORK/err2" || true
        bad=$((bad + 1))
        continue
    fi
    if [ "$rc" -eq 0 ]; then
        # shellcheck disable=SC2086
        "$CPROF" -proto $flags $prof >"$WORK/p.pb.gz" 2>/dev/null
        $reader "$WORK/p.pb.gz" >"$WORK/back" 2>/dev/null
        if ! cmp -s "$WORK/back" "$exp/$id.proto"; then
            echo "FAIL: $id ($prof $flags): -proto read back differs (- pprof, + cprof)"
            diff -u "$exp/$id.proto" "$WORK/back" | head -20 || true
            bad=$((bad + 1))
            continue
        fi
    fi
    echo "ok: $id $prof $flags"
done <"$WORK/cases"
[ "$n" -gt 40 ] || { echo "FAIL: only $n cases read from $cases"; exit 1; }
[ "$bad" -eq 0 ] || { echo "$bad of $n cases differ from go tool pprof"; exit 1; }
echo "all $n cases match go tool pprof"
