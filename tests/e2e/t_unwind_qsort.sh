#!/bin/sh
# The runtime's unwinder through qsort's callback, in a program built with
# and without frame pointers, by gcc and (when installed) clang: see
# tests/e2e/progs/unwind_qsort.c for what is checked.
set -eu
src=${CPROF_SRCDIR:-$(pwd)}
case $BUILD in /*) build=$BUILD ;; *) build=$src/$BUILD ;; esac
objs="$build/obj/src/rt/unwind_tables.o $build/obj/src/rt/sig/unwind.o"
for o in $objs; do [ -f "$o" ] || { echo "missing $o: run make first"; exit 1; }; done
# Objects of a sanitizer build (make asan) would bring ASan's qsort
# interceptor and its frames into the very stacks this compares with libc's.
if nm $objs 2>/dev/null | grep -q __asan_init; then
    echo "SKIP: sanitizer build"
    exit 77
fi
compilers=gcc
command -v clang >/dev/null 2>&1 && compilers="gcc clang"
# Sanitizer builds (make asan): ASan intercepts qsort, so the stacks this
# test expects do not exist there; the plain build runs it.  The unwinder's
# unit tests do run under the sanitizers.
if nm "$build/obj/src/rt/sig/unwind.o" | grep -q __asan_init; then
    echo "SKIP: ASan replaces qsort; checked in the plain build"
    exit 77
fi
for cc in $compilers; do
    for flags in "-O0 -fno-omit-frame-pointer" "-O2 -fomit-frame-pointer"; do
        echo "== $cc $flags"
        # shellcheck disable=SC2086
        $cc -std=c11 -D_GNU_SOURCE -g $flags -rdynamic -I"$src/src" -o "$WORK/unwind_qsort" \
            "$src/tests/e2e/progs/unwind_qsort.c" $objs -ldl -lpthread
        "$WORK/unwind_qsort"
    done
done
