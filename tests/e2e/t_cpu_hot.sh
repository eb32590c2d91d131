#!/bin/sh
# The hot function of a single-threaded program is the top flat entry, in
# cprof run's summary and in `go tool pprof -top`; the profile has the
# pprof CPU profile structure; stdout stays the program's.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
cd "$WORK"
"$CPROF" run -cpu hot.pb.gz -hz 500 -- "$EX/cpu_hot" 0.5 >prog.out 2>prog.err || fail "cprof run exited $?"
cat prog.err
grep -q '^cpu_hot: ' prog.out || fail "program stdout lost"
[ "$(wc -l <prog.out)" -eq 1 ] || fail "something else wrote to stdout"
grep -q 'hot.pb.gz' prog.err || fail "summary does not name the file"
case "$(summary_top prog.err)" in hot_loop*) ;; *) fail "summary top is '$(summary_top prog.err)'" ;; esac
top=$(pprof_top hot.pb.gz | head -n 1)
echo "pprof top: $top"
case "${top#* }" in hot_loop*) ;; *) fail "pprof top is '$top'" ;; esac
# The whole summary agrees with go tool pprof -top run with the summary's
# trimming (10 nodes, default node fraction): same functions with flat
# time, in the same order, with the same flat times.
summary_rows prog.err >sum
pprof_top hot.pb.gz -nodecount=10 | awk '$1 > 0' | head -n "$(wc -l <sum)" >ptop
# (Names may have several words, as "cpu_seconds (inline)".)
awk 'NR == FNR { v[FNR] = $1; $1 = ""; n[FNR] = $0; next }
     { w = $1; $1 = ""; print v[FNR] n[FNR] " | " w $0; rows++
       if (n[FNR] != $0) bad = 1; d = v[FNR] - w; if (d > 10 || d < -10) bad = 1 }
     END { exit bad || rows < 2 }' sum ptop || fail "summary and pprof -top disagree"
raw=$(go tool pprof -raw hot.pb.gz)
echo "$raw" | grep -q '^PeriodType: cpu nanoseconds' || fail "period type"
echo "$raw" | grep -q '^Period: 2000000$' || fail "period"
echo "$raw" | grep -q '^samples/count cpu/nanoseconds' || fail "sample types"
comments hot.pb.gz | grep -q 'sampler=perf-task-clock hz=500' || fail "no sampler comment"
# Default file name: cprof.<program>.<pid>.cpu.pb.gz in the current directory.
"$CPROF" run -- "$EX/cpu_hot" 0.1 >/dev/null 2>err2 || fail "default run"
ls cprof.cpu_hot.*.cpu.pb.gz >/dev/null || fail "no default-named profile"
# The program's exit status comes back; 128+signal when killed.
set +e
"$CPROF" run -cpu x.pb.gz -- sh -c 'exit 7' 2>/dev/null
[ $? -eq 7 ] || fail "exit status not passed through"
"$CPROF" run -cpu y.pb.gz -- sh -c 'kill -TERM $$' 2>/dev/null
[ $? -eq 143 ] || fail "signal status not 128+15"
echo ok
