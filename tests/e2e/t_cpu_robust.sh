#!/bin/sh
# Programs that fork, exec, posix_spawn, own SIGPROF or block every signal
# run to a normal exit under the profiler.  A forked child is followed: it
# writes FILE.<pid> with its own samples when it leaves through exit()
# (one that leaves with _exit writes nothing); exec'd children write
# FILE.<pid>.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
cd "$WORK"
for p in fork exec child own_sigprof block_signals many_threads; do build_prog $p; done
run() {
    name=$1
    shift
    "$CPROF" run -cpu "$name.pb.gz" -hz 1000 -- "$@" >"$name.out" 2>"$name.err" ||
        { cat "$name.err"; fail "$name exited $?"; }
    grep -q "$name ok" "$name.out" || fail "$name did not finish"
    [ -s "$name.pb.gz" ] || fail "$name wrote no profile"
    # The summary is pprof's top: header lines, then rows (a row starts with a
    # digit when its value fills the column, as in pprof).
    ! grep -v '^cprof: \|^ \|^[-0-9]\|^$\|^File: \|^Build ID: \|^Type: \|^Time: \|^Duration: \|^Showing \|^Dropped \|^Active filters:' \
        "$name.err" | grep -q . || { cat "$name.err"; fail "$name: stray stderr"; }
}
run fork "$WORK/fork"
[ "$(ls fork.pb.gz.* 2>/dev/null | wc -l)" -eq 1 ] || fail "want one forked child profile: $(ls)"
# The child's profile holds its own 0.4 s of burn (less the first 100 ms
# of its life, before its timers are armed), not the parent's 0.2 s.
ms=$(pprof_top fork.pb.gz.* | awk '$2 == "burn" { print $1 }')
echo "forked child: burn ${ms:-0} ms"
awk -v m="${ms:-0}" 'BEGIN { exit !(m >= 150 && m <= 450) }' || fail "forked child: burn ${ms:-0} ms, want 300-400"
run exec "$WORK/exec" "$WORK/child"
[ "$(ls exec.pb.gz.* 2>/dev/null | wc -l)" -eq 2 ] || fail "want two exec'd child profiles: $(ls)"
run own_sigprof "$WORK/own_sigprof"
run block_signals "$WORK/block_signals"
run many_threads "$WORK/many_threads"
for t in posix itimer; do
    CPROF_CPU_TIMER=$t "$CPROF" run -cpu b.pb.gz -- "$WORK/block_signals" >/dev/null 2>&1 ||
        fail "block_signals under $t"
    CPROF_CPU_TIMER=$t "$CPROF" run -cpu e.pb.gz -- "$WORK/exec" "$WORK/child" >/dev/null 2>&1 ||
        fail "exec under $t"
    CPROF_CPU_TIMER=$t "$CPROF" run -cpu m.pb.gz -hz 4000 -- "$WORK/many_threads" >/dev/null 2>&1 ||
        fail "many_threads under $t"
done
echo ok
