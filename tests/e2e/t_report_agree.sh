#!/bin/sh
# Report agreement: for every case in tests/fixtures/report/cases.txt, the
# engine's output (through tests/e2e/progs/report_driver.c) must equal the
# committed `go tool pprof` output byte for byte (regen.sh makes them).
# REPORT_AGREE_LIVE=1 compares against a live `go tool pprof` instead.
set -eu
src="$CPROF_SRCDIR"
fix="$src/tests/fixtures/report"
drv="$src/$BUILD/report_driver"
[ -x "$drv" ] || make -s -C "$src" BUILD="$BUILD" "$BUILD/report_driver" >/dev/null
n=0 pass=0 fail=0
grep -v '^#' "$fix/cases.txt" > "$WORK/cases"
while IFS='|' read -r prof kind dopts gflags; do
    n=$((n + 1))
    id=$(printf '%03d' "$n")
    if [ "${REPORT_AGREE_LIVE:-}" = 1 ]; then
        if [ "$kind" = peek ]; then flag=""; else flag="-$kind"; fi
        rc=0
        # shellcheck disable=SC2086
        TZ=UTC go tool pprof $flag $gflags "$src/tests/fixtures/go/$prof" >"$WORK/exp" 2>/dev/null || rc=$?
        echo "$rc" >"$WORK/exp.rc"
    else
        cp "$fix/expected/$id.out" "$WORK/exp"
        cp "$fix/expected/$id.rc" "$WORK/exp.rc"
    fi
    rc=0
    # shellcheck disable=SC2086
    TZ=UTC "$drv" "$kind" $dopts "$src/tests/fixtures/go/$prof" >"$WORK/got" 2>/dev/null || rc=$?
    if [ "$(cat "$WORK/exp.rc")" = 0 ] && [ "$rc" != 0 ]; then ok=0
    elif [ "$(cat "$WORK/exp.rc")" != 0 ] && [ "$rc" = 0 ]; then ok=0
    elif cmp -s "$WORK/exp" "$WORK/got"; then ok=1
    else ok=0; fi
    if [ $ok = 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $id: $kind $gflags $prof (pprof rc $(cat "$WORK/exp.rc"), ours $rc)"
        diff "$WORK/exp" "$WORK/got" | head -n 8 || true
    fi
done < "$WORK/cases"
echo "report agreement: $pass of $n cases"
[ "$fail" -eq 0 ]
