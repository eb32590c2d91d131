#!/bin/sh
# End-to-end tests: run every tests/e2e/t_*.sh (or those named on the command
# line), TAP style.  A test script exits 0 on success; 77 when it cannot run
# here (a missing tool, a sanitizer build), after printing "SKIP: reason",
# which shows as "ok - name # SKIP reason" and counts as skipped, not
# passed; anything else is a failure, and its output is shown.  Prints
# "N passed, N failed, N skipped".
set -u
BUILD=${BUILD:-build}
export BUILD
export CPROF="$(pwd)/$BUILD/cprof"
export CPROF_SRCDIR="$(pwd)"
pass=0
fail=0
skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ $# -gt 0 ]; then
    tests=""
    for t in "$@"; do tests="$tests tests/e2e/t_$t.sh"; done
else
    tests=$(ls tests/e2e/t_*.sh 2>/dev/null)
fi
for t in $tests; do
    name=$(basename "$t" .sh)
    name=${name#t_}
    d="$tmp/$name"
    mkdir -p "$d"
    rc=0
    TMPDIR="$d" WORK="$d" sh "$t" >"$d/out" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
        echo "ok - $name"
    elif [ "$rc" -eq 77 ]; then
        skip=$((skip + 1))
        why=$(sed -n 's/^SKIP: *//p' "$d/out" | head -n 1)
        echo "ok - $name # SKIP ${why:-no reason given}"
    else
        fail=$((fail + 1))
        echo "not ok - $name"
        sed 's/^/#   /' "$d/out" | tail -n 40
    fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
