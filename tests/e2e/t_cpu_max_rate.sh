#!/bin/sh
# The highest accepted rate (`cprof run -hz 100000`, CPROF_HZ=100000) does
# not stall the program: a fixed amount of work (0.5 s of CPU per thread,
# 1 and 4 threads) ends within 10x its unprofiled time plus slack, and the
# profile accounts for the process's CPU time.  At that rate a sample used
# to cost more CPU than the period and the program made no progress.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
build_prog burn_work
rounds=$(./burn_work calibrate 0.5) || fail "calibration failed"

now() { date +%s.%N; }

# cpu_total FILE: the profile's CPU nanoseconds, summed over its samples.
cpu_total() {
    "$CPROF" -raw "$1" | awk '/^Samples:/ { s = 1; getline; next } /^Locations/ { s = 0 }
        s && $1 ~ /^[0-9]+$/ { t += $2 } END { printf "%.0f\n", t }'
}

for th in 1 4; do
    t0=$(now)
    ./burn_work run "$rounds" "$th" >base.out || fail "unprofiled run exited $?"
    base=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%d\n", (b - a) * 10 + 30 }')
    rm -f p.pb.gz
    t0=$(now)
    rc=0
    timeout -s KILL "$base" env LD_PRELOAD="$LIB" CPROF_CPU=p.pb.gz CPROF_HZ=100000 \
        ./burn_work run "$rounds" "$th" >run.out 2>run.err || rc=$?
    [ "$rc" -eq 0 ] || { cat run.err; fail "$th thread(s) at 100000 Hz: exit status $rc (137: killed at ${base} s)"; }
    took=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f\n", b - a }')
    [ -s p.pb.gz ] || fail "no profile written"
    set -- $(cat run.out)
    cpu=$2
    got=$(cpu_total p.pb.gz)
    "$CPROF" -raw p.pb.gz | sed -n "s/^Comment: cprof: sampler=/sampler=/p"
    echo "$th thread(s): ${took} s (bound ${base} s), profile ${got} ns of CPU, process ${cpu} ns"
    awk -v g="$got" -v c="$cpu" 'BEGIN { r = g / c; exit !(r >= 0.75 && r <= 1.05) }' ||
        fail "$th thread(s): the profile holds $got ns of the process's $cpu ns of CPU"
done
echo ok
