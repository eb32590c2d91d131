#!/bin/sh
# Code loaded with dlopen after profiling started, built without frame
# pointers, is walked with refreshed unwind tables: the stack of a qsort
# callback inside the library reaches main.  Both ways dlopen is wrapped:
# by path (called, then a refresh) and by a bare name found along the
# program's RUNPATH (tail-called, so glibc still sees the program as the
# caller; the writer finds the object by polling).
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
cd "$WORK"
mkdir -p plug
cc -std=c11 -D_GNU_SOURCE -O2 -g -fomit-frame-pointer -fPIC -shared -o plug/libplug.so \
    "$PROGS/dl_plug.c" || fail "cannot build libplug.so"
cc -std=c11 -D_GNU_SOURCE -O2 -g -fomit-frame-pointer -Wl,--enable-new-dtags \
    -Wl,-rpath,'$ORIGIN/plug' -o dl_main "$PROGS/dl_main.c" -ldl || fail "cannot build dl_main"
readelf -d dl_main | grep -q RUNPATH || fail "dl_main has no RUNPATH"
names="$WORK/plug/libplug.so libplug.so"
# ASan's own dlopen interceptor makes libasan the caller glibc sees, so a
# bare name is searched along libasan's RUNPATH: not ours to test there.
[ "$SANITIZER" = asan ] && names="$WORK/plug/libplug.so"
for name in $names; do
    echo "== dlopen $name"
    # 300 ms idle after dlopen: the table refresh is asynchronous.
    "$CPROF" run -cpu dl.pb.gz -hz 1000 -- ./dl_main "$name" 0.6 300 >out 2>err ||
        { cat err; fail "dl_main $name exited $?"; }
    grep -q 'dl_main ok' out || fail "dl_main did not finish"
    comments dl.pb.gz
    comments dl.pb.gz | grep -q 'unwind_refreshes=[1-9]' || fail "no unwind-table refresh"
    traces dl.pb.gz >tr
    head -n 3 tr
    share=$(chain_share tr plug_cmp qsort plug_sort run_plugin main)
    echo "plug_cmp stacks reaching main: $share%"
    # Samples taken before the rebuild would have frame pointers only, and
    # the library has none; the idle time above lets the rebuild finish.
    awk -v s="$share" 'BEGIN { exit !(s >= 90) }' || fail "only $share% of plug_cmp stacks reach main"
done
echo ok
