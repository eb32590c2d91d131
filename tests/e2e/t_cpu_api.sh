#!/bin/sh
# cprof_cpu_start/stop from a program linked with libcprof.so: the profile
# goes to the given fd, a second start is CPROF_EBUSY, pprof reads it.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
cd "$WORK"
build_prog api -L"$CPROF_SRCDIR/$BUILD" -lcprof
LD_LIBRARY_PATH="$CPROF_SRCDIR/$BUILD" ./api api.pb.gz >prog.out 2>prog.err || { cat prog.out prog.err; fail "api exited $?"; }
grep -q 'api ok' prog.out || fail "api did not finish"
[ ! -s prog.err ] || { cat prog.err; fail "stderr not empty"; }
top=$(pprof_top api.pb.gz | head -n 1)
echo "top: $top"
case "${top#* }" in burn*) ;; *) fail "top is '$top'" ;; esac
echo ok
