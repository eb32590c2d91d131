#!/bin/bash
# Heap profiler overhead on a two-thread malloc/free-heavy workload
# (bench/heap_workload.c: 8 B - 64 KiB, a live set, some realloc): the
# work's CPU time (user + system of all threads, start-up and exit
# excluded, so not the profile writing) under each profiler over the same
# allocator unprofiled.  The machine is shared and noisy: the
# configurations of a group run alternately RUNS times; each time is the
# median of its runs, and each ratio the median of the per-round ratios
# (a run over the baseline run just before it, which saw the same machine
# load); wall time is shown beside.  cprof at its default rate
# (512 KiB; target <= 1.10) and recording every allocation
# (CPROF_MEMRATE=1); heaptrack and gperftools' heap profiler (tcmalloc with
# HEAPPROFILE, against tcmalloc unprofiled) as anchors, on fewer operations
# because they are much slower.  heaptrack's CPU figure leaves out its
# separate heaptrack_interpret process; its wall figure does not.  A
# benchmark, not a test.
#
#   BUILD=build bash bench/heap.sh     (OPS=1000000 per thread, RUNS=15)
set -eu

BUILD=${BUILD:-build}
OPS=${OPS:-1000000}
RUNS=${RUNS:-15}
SMALL=$((OPS / 20))
dir="$BUILD/bench"
lib="$(pwd)/$BUILD/libcprof.so"
tcm=/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4
mkdir -p "$dir"
w="$(pwd)/$dir/heap_workload"
cc -std=c11 -D_GNU_SOURCE -O2 -g -o "$w" bench/heap_workload.c -lpthread
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# group OPS NAME=COMMAND...: runs the commands (env-style prefixes of the
# workload) alternately RUNS times; leaves "$tmp/NAME.cpu" and ".wall".
group() {
    local n=$1 i c name
    shift
    for c in "$@"; do : >"$tmp/${c%%=*}.cpu"; : >"$tmp/${c%%=*}.wall"; done
    for ((i = 0; i < RUNS; i++)); do
        for c in "$@"; do
            name=${c%%=*}
            rm -rf "$tmp/out"*
            (cd "$tmp" && eval "env ${c#*=} \"$w\" $n" 2>/dev/null) >"$tmp/run.out" || true
            sed -n 's/^cpu_ms //p' "$tmp/run.out" >>"$tmp/$name.cpu"
            sed -n 's/^ms //p' "$tmp/run.out" >>"$tmp/$name.wall"
        done
    done
}

median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'
}

# ratio NAME BASE KIND: the median of NAME's per-round ratios over BASE.
ratio() {
    paste "$tmp/$1.$3" "$tmp/$2.$3" | awk '$2 > 0 { print $1 / $2 }' >"$tmp/ratios"
    median "$tmp/ratios"
}

# line LABEL OPS NAME BASE: one row, NAME's medians and ratios over BASE.
line() {
    awk -v l="$1" -v ops="$2" -v c="$(median "$tmp/$3.cpu")" -v rc="$(ratio "$3" "$4" cpu)" \
        -v w="$(median "$tmp/$3.wall")" -v rw="$(ratio "$3" "$4" wall)" 'BEGIN {
        if (c == 0) { printf "%-36s %8d ops/thr   (failed)\n", l, ops; exit }
        printf "%-36s %8d ops/thr  cpu %8.1f ms  x%-6.3f  wall %8.1f ms  x%.2f\n",
            l, ops, c, rc, w, rw }'
}

echo "# heap profiler overhead: $RUNS alternating rounds; ms = median, xN = median per-round ratio to the same allocator unprofiled"
group "$OPS" base=X=1 off="LD_PRELOAD=$lib" \
    rate="LD_PRELOAD=$lib CPROF_HEAP=$tmp/out.pb.gz"
line "glibc malloc (baseline)" "$OPS" base base
line "cprof preloaded, heap off" "$OPS" off base
line "cprof heap, default rate 524288" "$OPS" rate base

anchors=(sbase=X=1 rate1="LD_PRELOAD=$lib CPROF_HEAP=$tmp/out.pb.gz CPROF_MEMRATE=1")
have_ht=0
have_tc=0
if command -v heaptrack >/dev/null 2>&1; then
    anchors+=(ht="heaptrack -o $tmp/out.ht")
    have_ht=1
fi
if [ -f "$tcm" ]; then
    anchors+=(tbase="LD_PRELOAD=$tcm" gperf="LD_PRELOAD=$tcm HEAPPROFILE=$tmp/out.hprof")
    have_tc=1
fi
group "$SMALL" "${anchors[@]}"
line "glibc malloc (baseline, fewer ops)" "$SMALL" sbase sbase
line "cprof heap, CPROF_MEMRATE=1" "$SMALL" rate1 sbase
if [ $have_ht = 1 ]; then
    line "heaptrack" "$SMALL" ht sbase
else
    echo "heaptrack: not installed (scripts/deps.sh bench)"
fi
if [ $have_tc = 1 ]; then
    line "tcmalloc (baseline, fewer ops)" "$SMALL" tbase tbase
    line "gperftools HEAPPROFILE" "$SMALL" gperf tbase
else
    echo "gperftools: libtcmalloc not installed (scripts/deps.sh bench)"
fi
