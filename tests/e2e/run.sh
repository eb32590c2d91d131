#!/bin/sh
# End-to-end tests: run every tests/e2e/t_*.sh (or those named on the command
# line).  Each test script exits 0 on success; its output is shown on
# failure.  Prints "N passed, N failed".
set -u
BUILD=${BUILD:-build}
export BUILD
export CPROF="$(pwd)/$BUILD/cprof"
export CPROF_SRCDIR="$(pwd)"
pass=0
fail=0
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
    if TMPDIR="$d" WORK="$d" sh "$t" >"$d/out" 2>&1; then
        pass=$((pass + 1))
        echo "ok - $name"
    else
        fail=$((fail + 1))
        echo "not ok - $name"
        sed 's/^/#   /' "$d/out" | tail -n 40
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
