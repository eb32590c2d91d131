#!/bin/sh
# -collapsed: one line per distinct stack, "root;...;leaf value", sorted as
# strings (byte order) and summed; the values add up to the profile total.
set -eu
. "$CPROF_SRCDIR/tests/e2e/cli_lib.sh"
cd "$WORK"
G="$CPROF_SRCDIR/tests/fixtures/go"
for prof in cpu2.pb.gz heap.pb.gz goroutine.pb.gz merged.pb.gz; do
    expect 0 "$CPROF" -collapsed "$G/$prof"
    [ -s out ] || { echo "$prof: empty"; exit 1; }
    sed 's/ -\{0,1\}[0-9]*$//' out >stacks
    LC_ALL=C sort -c -u stacks || { echo "$prof: not sorted or not summed"; exit 1; }
    sum=$(awk '{ s += $NF } END { printf "%d", s }' out)
    expect 0 "$CPROF" -top -unit=ns "$G/$prof"
    total=$(awk '/^Showing nodes accounting for/ { v = $(NF-1); print v; exit }' out)
    [ "$(printf '%s' "$total" | tr -dc 0-9)" = "$sum" ] || { echo "$prof: sum $sum, total $total"; exit 1; }
done
# cprof's own profile, at several granularities: hundreds of stacks with
# long shared prefixes (the multikey sort's partitions and insertion sort).
C="$CPROF_SRCDIR/tests/fixtures/cprof/cpu.pb.gz"
for g in -functions -lines -addresses; do
    expect 0 "$CPROF" -collapsed $g "$C"
    [ "$(wc -l <out)" -ge 100 ] || { echo "cprof cpu $g: only $(wc -l <out) stacks"; exit 1; }
    sed 's/ -\{0,1\}[0-9]*$//' out >stacks
    LC_ALL=C sort -c -u stacks || { echo "cprof cpu $g: not sorted or not summed"; exit 1; }
done
# The root comes first, the leaf last.
expect 0 "$CPROF" -collapsed "$G/cpu2.pb.gz"
grep -q '^runtime\.main;main\.main;.*;main\.burnHash [0-9]*$' out
# Granularity and filters apply.
expect 0 "$CPROF" -collapsed -focus=burnHash "$G/cpu2.pb.gz"
! grep -v burnHash out
expect 0 "$CPROF" -collapsed -lines "$G/cpu2.pb.gz"
grep -q 'main\.burnHash cprof\.example/fixtures/gen/main\.go:[0-9]* [0-9]*$' out
echo ok
