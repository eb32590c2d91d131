#!/bin/sh
# A benchmark program builds from the installed files with pkg-config
# cprof-bench (the library's main) and runs with Go's flags.
set -eu
prefix="$WORK/prefix"
make -s -C "$CPROF_SRCDIR" BUILD="$BUILD" install PREFIX="$prefix" >/dev/null
cat >"$WORK/x.c" <<'C'
#include <cprof/bench.h>
#include <stdlib.h>
CPROF_BENCH(Three) { for (int64_t i = 0; i < b->N; i++) { void *volatile p = malloc(7); free(p); p = malloc(7); free(p); p = malloc(7); free(p); } }
C
PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
# An instrumented install (make asan) needs the sanitizer runtime, and its allocator comes first.
san=""
if nm "$prefix/lib/libcprof-bench.a" 2>/dev/null | grep -q __asan; then
    san="-fsanitize=address,undefined"
    export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0"
fi
cc $san "$WORK/x.c" -o "$WORK/x" $(pkg-config --cflags --libs cprof-bench)
"$WORK/x" -test.bench=. -test.benchtime=100x -test.benchmem -test.cpu=1 >"$WORK/res.txt"
cat "$WORK/res.txt"
[ -z "$san" ] || { grep -q '^BenchmarkThree ' "$WORK/res.txt" && echo "ok (counts not checked under ASan)" && exit 0; }
grep -qP '^BenchmarkThree \t     100\t +[0-9.]+ ns/op\t      21 B/op\t       3 allocs/op$' "$WORK/res.txt" ||
    { echo "bad result line"; exit 1; }
echo ok
