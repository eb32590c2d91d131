#!/bin/sh
# Runs every test suite: unit tests, fuzz corpus replay, end-to-end tests.
# Prints one closing line "N passed, N failed, N skipped" over all suites.
set -u
BUILD=${BUILD:-build}
export CPROF_SRCDIR=$(pwd)
total_pass=0
total_fail=0
total_skip=0
log=$BUILD/test-logs
mkdir -p "$log"

suite() {
    name=$1
    shift
    echo "== $name"
    "$@" >"$log/$name.out" 2>&1
    rc=$?
    cat "$log/$name.out"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/$name.out" | tail -n 1)
    p=$(echo "$line" | awk '{print $1}')
    f=$(echo "$line" | awk '{print $3}')
    k=$(echo "$line" | awk '{print $5}')
    [ -n "$p" ] || p=0
    [ -n "$f" ] || f=0
    [ -n "$k" ] || k=0
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "# suite $name exited $rc"
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    total_skip=$((total_skip + k))
}

suite unit "$BUILD/cprof_unit"
# One replay per corpus: fuzz/corpus/NAME/ through $BUILD/fuzz_replay_NAME.
for dir in fuzz/corpus/*/; do
    name=$(basename "$dir")
    suite "replay_$name" "$BUILD/fuzz_replay_$name" "$dir"
done
suite e2e sh tests/e2e/run.sh
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
