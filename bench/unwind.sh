#!/bin/sh
# Unwinder microbenchmark (bench/unwind_bench.c): ns per 30- and 60-frame
# stack, cprof's unwinder against glibc backtrace(), warm.  Called by
# bench/run.sh; runs alone too: BUILD=build sh bench/unwind.sh [iterations]
set -eu
BUILD=${BUILD:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) build=$BUILD ;; *) build=$src/$BUILD ;; esac
out=$build/bench
mkdir -p "$out"
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -I"$src/src" -o "$out/unwind_bench" \
    "$src/bench/unwind_bench.c" "$build/obj/src/rt/unwind_tables.o" \
    "$build/obj/src/rt/sig/unwind.o" -ldl -lpthread
"$out/unwind_bench" "$@"
