#!/bin/sh
# A forking server under -http -cpu: busy threads, a thread that loads and
# unloads a library (so the writer rebuilds its unwind tables all the
# time), and a fork loop whose children look a user up (NSS), dlopen,
# throw a C++ exception and _exit.  No child may hang: a fork must never
# copy a loader lock held by one of the runtime's threads (before the fix
# the first children hung in _dl_add_to_namespace_list in 10 of 10 runs).
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
command -v g++ >/dev/null || fail "g++ is missing"
cc -std=c11 -D_GNU_SOURCE -O2 -g -fPIC -shared -o libplug.so "$PROGS/dl_plug.c" || fail "cannot build libplug.so"
g++ -O2 -g -o fork_dlopen "$PROGS/fork_dlopen.cc" -lpthread -ldl || fail "cannot build fork_dlopen"
for i in 1 2 3; do
    # Each child has 10 s; the whole run is bounded too.
    rc=0
    timeout 240 "$CPROF" run -http 127.0.0.1:0 -cpu f.pb.gz -- ./fork_dlopen "$WORK/libplug.so" 30 10000 \
        >out 2>err || rc=$?
    grep -q 'fork_dlopen ok' out || { tail -n 5 err; fail "run $i: exit $rc, a child hung or failed"; }
    [ -s f.pb.gz ] || fail "run $i: no profile"
done
echo ok
