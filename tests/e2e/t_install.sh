#!/bin/sh
# `make install PREFIX=...` installs the tool, the runtime, the header and a
# pkg-config file that a C program can build against.
set -eu
prefix="$WORK/prefix"
make -s -C "$CPROF_SRCDIR" BUILD="$BUILD" install PREFIX="$prefix" >/dev/null
for f in bin/cprof lib/libcprof.so include/cprof.h lib/pkgconfig/cprof.pc; do
    [ -f "$prefix/$f" ] || { echo "missing $f"; exit 1; }
done
cat >"$WORK/use.c" <<'C'
#include <cprof.h>
#include <stdio.h>
int main(void) { printf("%s|%s\n", cprof_version(), cprof_strerror(CPROF_EBUSY)); return 0; }
C
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" 
export PKG_CONFIG_PATH
cc $(pkg-config --cflags cprof) "$WORK/use.c" -o "$WORK/use" $(pkg-config --libs cprof)
out=$(LD_LIBRARY_PATH="$prefix/lib" ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 "$WORK/use")
case "$out" in
*"|already in use") ;;
*) echo "unexpected output: $out"; exit 1 ;;
esac
"$prefix/bin/cprof" -version | grep -q "cprof" || { echo "installed cprof -version failed"; exit 1; }
echo ok
