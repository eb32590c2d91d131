#!/bin/sh
# The fallback mechanisms (per-thread POSIX CPU timers, setitimer) also give
# plausible profiles, and say which mechanism ran; no mechanism moves the
# program's rand() sequence.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
cd "$WORK"
for m in posix:posix-thread-cputime itimer:itimer-prof; do
    timer=${m%%:*}
    name=${m#*:}
    CPROF_CPU_TIMER=$timer "$CPROF" run -cpu f.pb.gz -hz 200 -- "$EX/cpu_hot" 0.4 >/dev/null 2>prog.err ||
        fail "$timer: run exited $?"
    comments f.pb.gz | grep -q "sampler=$name hz=200" || fail "$timer: no '$name' comment"
    top=$(pprof_top f.pb.gz | head -n 1)
    echo "$timer: $top"
    case "${top#* }" in hot_loop*) ;; *) fail "$timer: top is '$top'" ;; esac
    # At least a quarter of the 0.4 s of CPU is accounted for, whatever the tick.
    total=$(pprof_top f.pb.gz | awk '{ s += $1 } END { print int(s) }')
    [ "$total" -ge 100 ] || fail "$timer: only ${total} ms of CPU sampled"
done
# The runtime's draws (first expiries of the threads' timers) never touch
# the program's rand() sequence.
build_prog rand_seq
"$WORK/rand_seq" >plain.out || fail "rand_seq exited $?"
for timer in perf posix itimer; do
    CPROF_CPU_TIMER=$timer "$CPROF" run -cpu r.pb.gz -hz 1000 -- "$WORK/rand_seq" >prof.out 2>/dev/null ||
        fail "$timer: rand_seq exited $?"
    cmp -s plain.out prof.out || { diff plain.out prof.out; fail "$timer: the program's rand() sequence moved"; }
done
echo ok
