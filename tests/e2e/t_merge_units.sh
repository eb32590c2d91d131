#!/bin/sh
# Profiles whose sample types differ only in the unit (microseconds and
# nanoseconds, "ns" and "nanoseconds", kilobytes and bytes, milliseconds)
# are brought to the finest unit before merging, as pprof's
# measurement.ScaleProfiles does, also against -base and -diff_base: for
# every case of tests/fixtures/scale/cases.txt cprof prints what
# `go tool pprof` printed (goldens made by tests/fixtures/scale/regen.sh)
# and exits with its status.  Units of different kinds still refuse to merge.
set -eu
. "$CPROF_SRCDIR/tests/lib/golden.sh"
dir="$CPROF_SRCDIR/tests/fixtures/scale"
export TZ=UTC
cd "$CPROF_SRCDIR/tests/fixtures/go"
grep -v '^#' "$dir/cases.txt" >"$WORK/cases"
n=0
bad=0
while IFS='|' read -r profs flags; do
    n=$((n + 1))
    id=$(golden_id "$profs|$flags")
    rc=0
    # shellcheck disable=SC2086
    "$CPROF" $flags $profs >"$WORK/out" 2>"$WORK/err" || rc=$?
    want=$(cat "$dir/expected/$id.rc")
    if [ "$rc" != "$want" ]; then
        echo "FAIL: $id ($flags $profs): exit status $rc, pprof's $want"
        head -3 "$WORK/err"
        bad=$((bad + 1))
    elif ! cmp -s "$WORK/out" "$dir/expected/$id.out"; then
        echo "FAIL: $id ($flags $profs): output differs (- pprof, + cprof)"
        diff -u "$dir/expected/$id.out" "$WORK/out" | head -20 || true
        bad=$((bad + 1))
    elif [ "$rc" -eq 0 ] && ! cmp -s "$WORK/err" "$dir/expected/$id.err"; then
        echo "FAIL: $id ($flags $profs): stderr differs"
        cat "$WORK/err"
        bad=$((bad + 1))
    elif [ "$rc" -ne 0 ] && ! grep -q "^cprof: merging profiles: incompatible period types cpu/nanoseconds and cpu/bytes$" "$WORK/err"; then
        echo "FAIL: $id ($flags $profs): unexpected error: $(cat "$WORK/err")"
        bad=$((bad + 1))
    else
        echo "ok: $id $flags $profs"
    fi
done <"$WORK/cases"
[ "$n" -ge 13 ] || { echo "FAIL: only $n cases in $dir/cases.txt"; exit 1; }
[ "$bad" -eq 0 ] || { echo "$bad of $n cases differ from go tool pprof"; exit 1; }
echo "all $n cases match go tool pprof"
