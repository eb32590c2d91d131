#!/bin/sh
# The fallback mechanisms (per-thread POSIX CPU timers, setitimer) also give
# plausible profiles, and say which mechanism ran.
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
echo ok
