#!/bin/sh
# Heap profiler overhead on a two-thread malloc/free-heavy workload
# (bench/heap_workload.c: 8 B - 64 KiB, a live set, some realloc): wall
# time of the work under each profiler over the same allocator unprofiled,
# best of RUNS.  cprof at its default rate (512 KiB; target <= 1.10) and
# recording every allocation; heaptrack and gperftools' heap profiler
# (tcmalloc with HEAPPROFILE, against tcmalloc unprofiled) as anchors, on
# fewer operations because they are much slower.  A benchmark, not a test.
#
#   BUILD=build sh bench/heap.sh     (OPS=2000000 per thread, RUNS=3)
set -eu

BUILD=${BUILD:-build}
OPS=${OPS:-2000000}
RUNS=${RUNS:-3}
SMALL=$((OPS / 20))
dir="$BUILD/bench"
lib="$(pwd)/$BUILD/libcprof.so"
tcm=/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4
mkdir -p "$dir"
w="$(pwd)/$dir/heap_workload"
cc -std=c11 -D_GNU_SOURCE -O2 -g -o "$w" bench/heap_workload.c -lpthread
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# best OPS ENV...: the smallest "ms" of RUNS runs.
best() {
    n=$1
    shift
    b=""
    i=0
    while [ $i -lt "$RUNS" ]; do
        rm -rf "$tmp/out"*
        ms=$(cd "$tmp" && env "$@" "$w" "$n" 2>/dev/null | sed -n 's/^ms //p')
        if [ -z "$b" ] || awk -v a="$ms" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$ms; fi
        i=$((i + 1))
    done
    echo "$b"
}

line() {
    awk -v n="$1" -v ops="$2" -v ms="$3" -v base="$4" 'BEGIN {
        printf "%-34s %8d ops/thr %9.1f ms  x%.2f\n", n, ops, ms, ms / base }'
}

echo "# heap profiler overhead: wall ms of 2 threads' work, best of $RUNS; xN = over the same allocator unprofiled"
base=$(best "$OPS")
line "glibc malloc (baseline)" "$OPS" "$base" "$base"
line "cprof preloaded, heap off" "$OPS" "$(best "$OPS" LD_PRELOAD="$lib")" "$base"
line "cprof heap, default rate 524288" "$OPS" \
    "$(best "$OPS" LD_PRELOAD="$lib" CPROF_HEAP="$tmp/out.pb.gz")" "$base"
line "cprof heap, CPROF_MEMRATE=1" "$OPS" \
    "$(best "$OPS" LD_PRELOAD="$lib" CPROF_HEAP="$tmp/out.pb.gz" CPROF_MEMRATE=1)" "$base"
sbase=$(best "$SMALL")
line "glibc malloc (baseline, fewer ops)" "$SMALL" "$sbase" "$sbase"
if command -v heaptrack >/dev/null 2>&1; then
    line "heaptrack" "$SMALL" "$(best "$SMALL" heaptrack -o "$tmp/out.ht")" "$sbase"
else
    echo "heaptrack: not installed (scripts/deps.sh bench)"
fi
if [ -f "$tcm" ]; then
    tbase=$(best "$SMALL" LD_PRELOAD="$tcm")
    line "tcmalloc (baseline, fewer ops)" "$SMALL" "$tbase" "$tbase"
    line "gperftools HEAPPROFILE" "$SMALL" \
        "$(best "$SMALL" LD_PRELOAD="$tcm" HEAPPROFILE="$tmp/out.hprof")" "$tbase"
else
    echo "gperftools: libtcmalloc not installed (scripts/deps.sh bench)"
fi
