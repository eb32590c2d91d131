#!/bin/sh
# Two threads spend CPU time in two known functions; the profile's shares
# match the program's own thread-CPU-clock measurements within 3 points.
# Sixteen threads burning CPU in sixteen functions all show up, each with
# a fair part of its expected share.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
cd "$WORK"
check_shares() {
    pprof_top th.pb.gz >top
    cat top
    awk -v tol=3 '
        NR == FNR { own[$1] = $2; next }
        { name = $2; sub(/\..*/, "", name); prof[name] += $1 }
        END {
            ot = own["work_a"] + own["work_b"]; pt = prof["work_a"] + prof["work_b"]
            if (ot <= 0 || pt <= 0) { print "no data"; exit 1 }
            da = 100 * own["work_a"] / ot - 100 * prof["work_a"] / pt
            printf "work_a share: program %.1f%%, profile %.1f%% (diff %.1f)\n",
                100 * own["work_a"] / ot, 100 * prof["work_a"] / pt, da
            if (da > tol || da < -tol) exit 1
        }' own top
}
for hz in 100 1000; do
    "$CPROF" run -cpu th.pb.gz -hz $hz -- "$EX/threads" 0.5 0.25 >own 2>prog.err || fail "run exited $?"
    check_shares || fail "shares differ at $hz Hz"
done
build_prog threads16
for m in perf posix; do
    CPROF_CPU_TIMER=$m "$CPROF" run -cpu t16.pb.gz -hz 1000 -- "$WORK/threads16" 0.05 >out 2>err ||
        { cat err; fail "threads16 exited $?"; }
    pprof_top t16.pb.gz -nodefraction=0 >top
    awk -v m=$m '
        $2 ~ /^worker_[0-9]+$/ { ms[$2] = $1; tot += $1 }
        END {
            for (i = 0; i < 16; i++) {
                v = ms["worker_" i] + 0
                printf "%s worker_%d %.0f ms\n", m, i, v
                if (tot <= 0 || v < tot / 16 / 4) bad = 1
            }
            exit bad
        }' top || { cat err; comments t16.pb.gz; fail "a thread is missing or far below its share under $m"; }
done
echo ok
