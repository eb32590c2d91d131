#!/bin/sh
# Report agreement: for every case in tests/fixtures/report/cases.txt,
# `cprof FLAGS PROFILE` must print exactly what `go tool pprof FLAGS
# PROFILE` printed (the committed expected/ID.out, made by regen.sh), and
# fail exactly when pprof failed.  Cases run in tests/fixtures/go.
# REPORT_AGREE_LIVE=1 compares against a live `go tool pprof` instead.
set -eu
. "$CPROF_SRCDIR/tests/lib/golden.sh"
fix="$CPROF_SRCDIR/tests/fixtures/report"
cprof=$(cd "$(dirname "$CPROF")" && pwd)/$(basename "$CPROF")
n=0 pass=0 fail=0
grep -v '^#' "$fix/cases.txt" > "$WORK/cases"
cd "$CPROF_SRCDIR/tests/fixtures/go"
while IFS='|' read -r prof flags; do
    n=$((n + 1))
    id=$(golden_id "$prof|$flags")
    if [ "${REPORT_AGREE_LIVE:-}" = 1 ]; then
        rc=0
        # shellcheck disable=SC2086
        TZ=UTC go tool pprof $flags $prof >"$WORK/exp" 2>/dev/null || rc=$?
        echo "$rc" >"$WORK/exp.rc"
    else
        cp "$fix/expected/$id.out" "$WORK/exp"
        cp "$fix/expected/$id.rc" "$WORK/exp.rc"
    fi
    rc=0
    # shellcheck disable=SC2086
    TZ=UTC "$cprof" $flags $prof >"$WORK/got" 2>"$WORK/err" || rc=$?
    if [ "$(cat "$WORK/exp.rc")" = 0 ] && [ "$rc" != 0 ]; then ok=0
    elif [ "$(cat "$WORK/exp.rc")" != 0 ] && [ "$rc" = 0 ]; then ok=0
    elif cmp -s "$WORK/exp" "$WORK/got"; then ok=1
    else ok=0; fi
    if [ $ok = 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $id: cprof $flags $prof (pprof rc $(cat "$WORK/exp.rc"), ours $rc)"
        head -n 2 "$WORK/err"
        diff "$WORK/exp" "$WORK/got" | head -n 8 || true
    fi
done < "$WORK/cases"
echo "report agreement: $pass of $n cases"
[ "$fail" -eq 0 ]
