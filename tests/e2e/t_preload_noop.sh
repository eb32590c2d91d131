#!/bin/sh
# With no CPROF_* variable set, preloading libcprof.so changes nothing a
# program does: same stdout, same stderr, same exit status.
set -eu
lib="$CPROF_SRCDIR/$BUILD/libcprof.so"
[ -f "$lib" ] || { echo "missing $lib"; exit 1; }
# Under ASan the sanitizer runtime must come first in the preload list.
pre="$lib"
if nm -D "$lib" | grep -q __asan_init; then
    pre="$(cc -print-file-name=libasan.so):$lib"
fi
# Under TSan likewise (make tsan): its runtime first, or the program crashes.
if nm -D "$lib" | grep -q __tsan_init; then
    pre="$(ldd "$lib" | awk '/libtsan/ { print $3 }'):$lib"
fi
check() {
    set +e
    "$@" >"$WORK/a.out" 2>"$WORK/a.err"
    a=$?
    env LD_PRELOAD="$pre" ASAN_OPTIONS=detect_leaks=0 "$@" >"$WORK/b.out" 2>"$WORK/b.err"
    b=$?
    set -e
    [ "$a" = "$b" ] || { echo "exit status differs for '$*': $a vs $b"; exit 1; }
    cmp -s "$WORK/a.out" "$WORK/b.out" || { echo "stdout differs for '$*'"; diff "$WORK/a.out" "$WORK/b.out" | head; exit 1; }
    cmp -s "$WORK/a.err" "$WORK/b.err" || { echo "stderr differs for '$*'"; diff "$WORK/a.err" "$WORK/b.err" | head; exit 1; }
}
check sh -c 'echo out; echo err >&2; exit 3'
check ls -la "$CPROF_SRCDIR/src" /usr/include/linux
check sort -n "$CPROF_SRCDIR/README.md"
check sh -c 'ls /nonexistent-dir'
echo ok
