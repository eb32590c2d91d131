#!/bin/sh
# A program that resets every signal to SIG_DFL (as Python does) keeps
# running and is profiled; one that installs its own handler on every
# real-time signal (the sampler's included) reads back what it set and gets
# exactly its own deliveries, never the sampler's.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
build_prog reset_signals
for t in perf posix itimer; do
    st=0
    CPROF_CPU_TIMER=$t "$CPROF" run -cpu r.pb.gz -hz 1000 -- "$WORK/reset_signals" >out 2>err || st=$?
    [ "$st" -eq 0 ] || { cat out err; fail "reset_signals under $t exited $st"; }
    grep -q "reset_signals ok" out || { cat out; fail "reset_signals under $t"; }
    top=$(summary_top err)
    [ "$top" = burn ] || { cat err; fail "under $t the top function is '$top', want burn"; }
done
echo ok
