#!/bin/sh
# cprof attach on a program started without cprof (progs/attach_target.c:
# two busy threads, a nanosleep loop, a poll loop, main in join):
# - the CPU profile's shares of hot_alpha and hot_beta match the threads'
#   CPU time (schedstat before/after) within 12 points, and the CPU
#   sampled is within 15% of what the process used while sampling (its
#   /proc stat, read by attach around the sampling: the profile's comment);
# - stacks through qsort (libc, no frame pointers) reach run_alpha and
#   start_thread; main's wall stack reaches main through __libc_start_main;
# - -wall gives the sleeping thread its time in clock_nanosleep, labelled
#   state=syscall:clock_nanosleep;
# - a thread created after attach started (progs/attach_target.c's "late",
#   started through a FIFO) is sampled, once, its CPU not counted twice;
# - the target sees no EINTR and exits 0 with its normal output;
# - as another user, attach is refused with a message naming what allows it.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
# (Sanitizer builds: the target runs without cprof, the tool is checked.)
build_prog attach_target
cd "$WORK"

mkfifo go.fifo
# At most 120 s: "q" through the FIFO ends it once the measurements are done.
"$WORK/attach_target" 120 go.fifo >target.out 2>&1 &
tpid=$!
for _ in $(seq 1 100); do grep -q ready target.out 2>/dev/null && break; sleep 0.05; done
grep -q ready target.out || fail "target did not start"
sleep 0.3

tid_of() { # NAME: the tid of the target's thread called NAME
    for t in /proc/$tpid/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = "$1" ] && { basename "$t"; return; }
    done
}
ta=$(tid_of alpha)
tb=$(tid_of beta)
[ -n "$ta" ] && [ -n "$tb" ] || fail "thread names not found"
run_ns() { awk '{ print $1 }' "/proc/$tpid/task/$1/schedstat"; }
a0=$(run_ns "$ta")
b0=$(run_ns "$tb")
"$CPROF" attach -seconds 2.5 -hz 1000 -cpu cpu.pb.gz -wall wall.pb.gz "$tpid" 2>attach.err &
apid=$!
for _ in $(seq 1 200); do grep -q "sampling process" attach.err && break; sleep 0.05; done
sleep 0.3
echo g >go.fifo
wait $apid || { cat attach.err; fail "cprof attach failed"; }
a1=$(run_ns "$ta")
b1=$(run_ns "$tb")
cat attach.err
echo q >go.fifo
wait $tpid && st=0 || st=$?
cat target.out
[ "$st" -eq 0 ] || fail "target exited with $st (3: a system call saw EINTR)"
grep -q '^eintr=0$' target.out || fail "target saw EINTR"

# Shares: the profile's vs the threads' CPU time meanwhile.
traces cpu.pb.gz >traces.txt
awk -v a0="$a0" -v a1="$a1" -v b0="$b0" -v b1="$b1" '
    / hot_alpha(;|$)/ || /;hot_alpha;/ { pa += $1 }
    /;hot_beta;/ || / hot_beta;/ { pb += $1 }
    { all += $1 }
    END {
        ua = (a1 - a0) / 1e6; ub = (b1 - b0) / 1e6
        if (pa + pb == 0 || ua + ub == 0) { print "no samples"; exit 1 }
        sp = 100 * pa / (pa + pb); su = 100 * ua / (ua + ub)
        printf "alpha share: profile %.1f%%, schedstat %.1f%%\n", sp, su
        d = sp - su; if (d < 0) d = -d
        if (d > 12) { print "shares differ by more than 12 points"; exit 1 }
    }' traces.txt || fail "CPU shares do not match the threads' CPU time"
comments cpu.pb.gz | tr ' ' '\n' | awk -F= '
    $1 == "cpu_ns" { s = $2 } $1 == "process_cpu_ns" { u = $2 }
    END {
        printf "sampled %.0f ms of %.0f ms the process used\n", s / 1e6, u / 1e6
        if (u <= 0 || s < 0.85 * u || s > 1.15 * u) exit 1
    }' || fail "CPU sampled is not within 15% of what the process used"

# The thread started after the events were opened.
grep -q ";run_late;" traces.txt || grep -q " hot_late;" traces.txt ||
    fail "the thread created after attach started was not sampled"
comments cpu.pb.gz | grep -q "late_threads=[1-9]" || fail "no thread found by a rescan"

# Through qsort's libc frames (no frame pointers) to the thread's start.
share=$(chain_share traces.txt compare_alpha qsort hot_alpha run_alpha start_thread)
echo "compare_alpha stacks reaching start_thread through qsort: $share%"
awk -v s="$share" 'BEGIN { exit !(s >= 90) }' || fail "stacks through qsort break ($share%)"

# Wall clock: the sleeper's time in clock_nanosleep, labelled.
"$CPROF" -top -unit=ms -sample_index=wall -focus=sleeper_wait \
    -tagfocus=state=syscall:clock_nanosleep wall.pb.gz >sleep.top 2>&1 || fail "wall report"
cat sleep.top
ms=$(awk '/Total samples =/ { for (i = 1; i <= NF; i++) if ($i == "of") { v = $(i + 1); sub(/ms.*/, "", v); print v } }' sleep.top)
[ -n "$ms" ] || ms=$(awk '/Showing nodes accounting for/ { v = $5; sub(/ms.*/, "", v); print v; exit }' sleep.top)
echo "sleeper in clock_nanosleep: ${ms} ms"
awk -v v="$ms" 'BEGIN { exit !(v >= 1200 && v <= 2600) }' ||
    fail "sleeper's wall time in clock_nanosleep is ${ms} ms, want about 2000"
grep -q "sleeper_wait" sleep.top || fail "no sleeper_wait in the wall profile"
"$CPROF" -top -unit=ms -sample_index=wall -nodecount=200 -focus='^main$' \
    -tagfocus=state=syscall:futex wall.pb.gz >main.top 2>&1 || fail "wall report (main)"
grep -q "__libc_start_main" main.top || { cat main.top; fail "main's wall stack does not reach __libc_start_main"; }

# Refusals: another user may not look at this process.
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    sleep 5 &
    spid=$!
    if setpriv --reuid=65534 --regid=65534 --clear-groups "$CPROF" attach -seconds 1 "$spid" \
        >refuse.out 2>&1; then
        kill $spid
        fail "attach to another user's process succeeded"
    fi
    kill $spid 2>/dev/null || true
    cat refuse.out
    grep -q "not allowed" refuse.out || fail "refusal message does not say why"
    grep -q "root\|CAP_" refuse.out || fail "refusal message does not say what would allow it"
    # ...but an unprivileged user may profile its own process (perf_event_paranoid <= 2).
    if [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 2 ]; then
        nb=$(mktemp -d /tmp/cprof-attach.XXXXXX)
        chmod 755 "$nb"
        chown 65534 "$nb"
        cp "$WORK/attach_target" "$nb/"
        setpriv --reuid=65534 --regid=65534 --clear-groups "$nb/attach_target" 60 >"$nb/out" 2>&1 &
        npid=$!
        for _ in $(seq 1 100); do grep -q ready "$nb/out" 2>/dev/null && break; sleep 0.05; done
        if (cd "$nb" && setpriv --reuid=65534 --regid=65534 --clear-groups \
            "$CPROF" attach -seconds 1 -cpu "$nb/c.pb.gz" -wall "$nb/w.pb.gz" "$npid") \
            >nobody.err 2>&1; then
            ok_nobody=1
        else
            ok_nobody=0
        fi
        kill $npid 2>/dev/null; wait $npid 2>/dev/null || true
        rm -rf "$nb"
        [ $ok_nobody = 1 ] || { cat nobody.err; fail "an unprivileged user cannot attach to its own process"; }
        grep -q "hot_alpha\|compare_alpha\|burn_beta" nobody.err || { cat nobody.err; fail "unprivileged profile lacks the hot functions"; }
    else
        echo "SKIP: unprivileged attach (perf_event_paranoid > 2)"
    fi
else
    echo "SKIP: refusal as another user (needs root and setpriv)"
fi
# Bad input: clear errors, exit 2 for usage, 1 for a missing process.
"$CPROF" attach >/dev/null 2>&1 && fail "attach without PID succeeded"
"$CPROF" attach -hz 0 1 >/dev/null 2>&1 && fail "attach -hz 0 succeeded"
"$CPROF" attach -seconds 1 999999999 2>missing.err && fail "attach to a missing process succeeded"
grep -q "no such process" missing.err || { cat missing.err; fail "missing process not reported"; }
echo "ok"
