#!/bin/sh
# Cost of an idle /debug/pprof endpoint: the same fixed work run with
# libcprof.so preloaded and the endpoint off, and with CPROF_HTTP on (no
# requests), interleaved, RUNS times each; prints the medians of wall and
# CPU time and the slowdown.  Target: under 0.5%.  A benchmark, not a test.
#
#   BUILD=build sh bench/http.sh        (RUNS=11, ITERS=2000 by default)
set -eu

BUILD=${BUILD:-build}
RUNS=${RUNS:-11}
ITERS=${ITERS:-2000}
dir="$BUILD/bench"
lib="$(pwd)/$BUILD/libcprof.so"
mkdir -p "$dir"
w="$dir/http_workload"
cc -std=c11 -D_GNU_SOURCE -O2 -g -o "$w" bench/http_workload.c
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for i in $(seq "$RUNS"); do
    env LD_PRELOAD="$lib" "$w" "$ITERS" >>"$tmp/off"
    env LD_PRELOAD="$lib" CPROF_HTTP=127.0.0.1:0 "$w" "$ITERS" >>"$tmp/on" 2>/dev/null
done

# median FILE FIELD: the median of a column, in ms.
median() {
    awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) / 1e6 }' "$1" |
        sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for field in wall_ns cpu_ns; do
    off=$(median "$tmp/off" "$field")
    on=$(median "$tmp/on" "$field")
    awk -v f="$field" -v off="$off" -v on="$on" -v n="$RUNS" 'BEGIN {
        printf "%-8s endpoint off %9.2f ms   idle endpoint on %9.2f ms   slowdown %+.2f%%  (median of %d)\n",
            f, off, on, 100 * (on - off) / off, n }'
done
