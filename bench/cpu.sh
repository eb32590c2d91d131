#!/bin/sh
# CPU profiler capture ratio: CPU time the profile accounts for over the
# process's own CPU time (getrusage), at 100, 1000 and 4000 Hz, 1 and 2
# threads, for cprof (each mechanism) and gperftools' libprofiler.so (the
# anchor: setitimer, capped by the kernel tick).  A benchmark, not a test:
# it prints figures, it does not judge them.
#
#   BUILD=build sh bench/cpu.sh        (SECONDS=1 per run by default)
set -eu

BUILD=${BUILD:-build}
SECS=${SECONDS_PER_RUN:-1}
dir="$BUILD/bench"
lib="$(pwd)/$BUILD/libcprof.so"
gperf=/usr/lib/x86_64-linux-gnu/libprofiler.so
mkdir -p "$dir"
w="$dir/cpu_workload"
cc -std=c11 -D_GNU_SOURCE -O2 -g -o "$w" bench/cpu_workload.c -lpthread
command -v go >/dev/null 2>&1 || { echo "bench/cpu.sh: go is missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# total_ms FILE: the profile's total CPU time in ms, read by go tool pprof.
total_ms() {
    go tool pprof -top -unit=ms -sample_index=cpu "$w" "$1" 2>/dev/null |
        sed -n 's/.* of \([0-9.]*\)ms total.*/\1/p' | head -n 1
}

# row NAME HZ THREADS ENV...: runs the workload under ENV, prints one line.
row() {
    name=$1 hz=$2 th=$3
    shift 3
    rm -f "$tmp/p"
    out=$(env "$@" "$w" "$SECS" "$th")
    real_ns=${out#rusage_ns }
    ms=$(total_ms "$tmp/p")
    [ -n "$ms" ] || ms=0
    awk -v n="$name" -v hz="$hz" -v th="$th" -v ms="$ms" -v real="$real_ns" 'BEGIN {
        printf "%-22s %5d Hz %d thr  sampled %8.1f ms  real %8.1f ms  ratio %.3f\n",
            n, hz, th, ms, real / 1e6, ms * 1e6 / real }'
}

echo "# capture ratio = sampled CPU / getrusage CPU ($SECS s of CPU per thread)"
for th in 1 2; do
    for hz in 100 1000 4000; do
        for m in perf posix itimer; do
            row "cprof $m" $hz $th LD_PRELOAD="$lib" CPROF_CPU="$tmp/p" CPROF_HZ=$hz \
                CPROF_CPU_TIMER=$m
        done
        if [ -f "$gperf" ]; then
            row "gperftools" $hz $th LD_PRELOAD="$gperf" CPUPROFILE="$tmp/p" \
                CPUPROFILE_FREQUENCY=$hz
        fi
    done
done
