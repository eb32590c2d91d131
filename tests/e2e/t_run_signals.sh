#!/bin/sh
# A program killed by SIGINT or SIGTERM still writes its CPU profile, and
# ends with the same status as without cprof (128 + signal); a program
# that handles SIGTERM itself keeps its own ending.  cprof run never
# presents an older file as the new profile (SIGSEGV with and without a
# stale file), says how the program ended, refuses an output directory it
# cannot write before starting anything, and passes SIGTERM sent to it on
# to the program (which must not outlive it).
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
build_prog sig_burn
P="$WORK/sig_burn"
pids=""
# On failure, nothing of ours keeps burning (a pid is killed only while it is still ours).
cleanup() {
    for p in $pids; do
        if grep -q sig_burn /proc/$p/cmdline 2>/dev/null; then kill -9 $p 2>/dev/null || true; fi
    done
}
trap cleanup EXIT

# wait_ready OUTFILE: waits (up to 60 s) for the program's "ready PID" line; prints PID.
# (Remove OUTFILE before starting the program: its old line would do.)
wait_ready() {
    i=0
    while ! grep -q '^ready ' "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 600 ] || fail "program did not start: $(cat "$1" "${1%.out}.err" 2>/dev/null)"
        sleep 0.1
    done
    sed -n 's/^ready //p' "$1"
}

# Background jobs of a script start with SIGINT ignored; env gives the
# program (and cprof run) the default action back, as in a terminal.
env --default-signal=INT true 2>/dev/null || fail "env lacks --default-signal (coreutils >= 8.31)"

# The reference: the status of the program killed without cprof.
for sig in INT TERM; do
    rm -f plain.out
    env --default-signal=INT "$P" >plain.out &
    pid=$!
    pids="$pids $pid"
    wait_ready plain.out >/dev/null
    kill -$sig $pid
    st=0
    wait $pid || st=$?
    eval plain_$sig=$st
done
[ "$plain_INT" = 130 ] && [ "$plain_TERM" = 143 ] || fail "plain statuses $plain_INT $plain_TERM"

# 1. The runtime alone (no cprof run): the signal sent to the program itself.
for sig in INT TERM; do
    rm -f rt.pb.gz rt.out
    CPROF_CPU="$WORK/rt.pb.gz" LD_PRELOAD="$LIB${LD_PRELOAD:+:$LD_PRELOAD}" \
        env --default-signal=INT "$P" >rt.out 2>rt.err &
    pid=$!
    pids="$pids $pid"
    wait_ready rt.out >/dev/null
    sleep 0.5
    kill -$sig $pid
    st=0
    wait $pid || st=$?
    eval want=\$plain_$sig
    [ "$st" = "$want" ] || { cat rt.err; fail "runtime, SIG$sig: status $st, want $want"; }
    [ -s rt.pb.gz ] || { cat rt.err; fail "runtime, SIG$sig: no profile"; }
    "$CPROF" -top rt.pb.gz >rt.top 2>&1 || { cat rt.top; fail "runtime, SIG$sig: bad profile"; }
    grep -q burn rt.top || { cat rt.top; fail "runtime, SIG$sig: no burn in the profile"; }
done

# 2. Under cprof run, the signal sent to cprof run (forwarded) or to the program.
for sig in INT TERM; do
    for target in run prog; do
        rm -f r.pb.gz r.out
        env --default-signal=INT "$CPROF" run -cpu r.pb.gz -- "$P" >r.out 2>r.err &
        rpid=$!
        pids="$pids $rpid"
        ppid=$(wait_ready r.out)
        pids="$pids $ppid"
        sleep 0.5
        if [ $target = run ]; then kill -$sig $rpid; else kill -$sig $ppid; fi
        st=0
        wait $rpid || st=$?
        eval want=\$plain_$sig
        [ "$st" = "$want" ] || { cat r.err; fail "cprof run, SIG$sig to $target: status $st, want $want"; }
        grep -q "sig_burn was killed by SIG$sig" r.err || { cat r.err; fail "SIG$sig to $target: not said"; }
        grep -q 'CPU profile written to r.pb.gz' r.err || { cat r.err; fail "SIG$sig to $target: no profile"; }
        case "$(summary_top r.err)" in burn*) ;; *) cat r.err; fail "SIG$sig to $target: top is not burn" ;; esac
        ! kill -0 $ppid 2>/dev/null || fail "SIG$sig to $target: the program outlived cprof run"
    done
done

# 2b. Python: it must still see SIGINT at its default (so it installs its
# KeyboardInterrupt handler), and after the traceback it kills itself with
# SIGINT: same status as without cprof, and the profile is written.
PY=/usr/bin/python3
[ -x $PY ] || fail "python3 is missing (scripts/deps.sh test installs it)"
cat >spin.py <<'PYEOF'
import os, signal
print("ready", os.getpid(), signal.getsignal(signal.SIGINT).__name__, flush=True)
x = 0
while True:
    for i in range(100000):
        x += i
PYEOF
rm -f py.out
env --default-signal=INT $PY spin.py >py.out 2>py.err &
pid=$!
pids="$pids $pid"
wait_ready py.out >/dev/null
kill -INT $pid
st=0
wait $pid || st=$?
py_plain=$st
grep -q KeyboardInterrupt py.err || fail "python without cprof: no KeyboardInterrupt"
rm -f py.out
env --default-signal=INT "$CPROF" run -cpu py.pb.gz -- $PY spin.py >py.out 2>py.err &
rpid=$!
pids="$pids $rpid"
wait_ready py.out >/dev/null
sleep 0.5
kill -INT $rpid
st=0
wait $rpid || st=$?
grep -q 'default_int_handler' py.out || { cat py.out; fail "python does not see SIGINT at its default"; }
grep -q KeyboardInterrupt py.err || { cat py.err; fail "python under cprof: no KeyboardInterrupt"; }
[ "$st" = "$py_plain" ] || { cat py.err; fail "python under cprof: status $st, want $py_plain"; }
grep -q 'CPU profile written to py.pb.gz' py.err || { cat py.err; fail "python: no profile"; }

# 3. The program handles SIGTERM and exits 3: its handler wins, its exit writes the profile.
rm -f h.pb.gz h.out
"$CPROF" run -cpu h.pb.gz -- "$P" handle >h.out 2>h.err &
rpid=$!
pids="$pids $rpid"
wait_ready h.out >/dev/null
sleep 0.3
kill -TERM $rpid
st=0
wait $rpid || st=$?
[ "$st" = 3 ] || { cat h.err; fail "handled SIGTERM: status $st, want 3"; }
grep -q 'CPU profile written to h.pb.gz' h.err || { cat h.err; fail "handled SIGTERM: no profile"; }
! grep -q 'killed' h.err || { cat h.err; fail "handled SIGTERM: said killed"; }

# 4. SIGSEGV: no profile (crash handling is not this), said so, a stale file not claimed.
for stale in no yes; do
    rm -f s.pb.gz
    [ $stale = no ] || cp h.pb.gz s.pb.gz
    st=0
    # (Under a sanitizer build, its runtime must let the crash kill the program.)
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:handle_segv=0" "$CPROF" run -cpu s.pb.gz -- "$P" segv >s.out 2>s.err ||
        st=$?
    [ "$st" = 139 ] || { cat s.err; fail "SIGSEGV (stale $stale): status $st, want 139"; }
    grep -q 'sig_burn was killed by SIGSEGV; no CPU profile written' s.err ||
        { cat s.err; fail "SIGSEGV (stale $stale): not said"; }
    ! grep -q 'written to\|Showing nodes\|static binary' s.err ||
        { cat s.err; fail "SIGSEGV (stale $stale): claims a profile"; }
    if [ $stale = yes ]; then
        grep -q 'from an earlier run' s.err || { cat s.err; fail "stale file not named as old"; }
        cmp -s h.pb.gz s.pb.gz || fail "the stale file was changed"
    fi
done

# 5. An output directory that cannot take the profile: nothing runs.
: >afile
for out in nodir/x.pb.gz afile/x.pb.gz; do
    st=0
    "$CPROF" run -cpu $out -- "$P" >u.out 2>u.err || st=$?
    [ "$st" != 0 ] || fail "$out: exit 0"
    grep -q "cannot write" u.err || { cat u.err; fail "$out: no clear error"; }
    ! grep -q ready u.out || fail "$out: the program was started"
done
if [ "$(id -u)" != 0 ]; then
    mkdir ro && chmod 555 ro
    st=0
    "$CPROF" run -cpu ro/x.pb.gz -- "$P" >u.out 2>u.err || st=$?
    [ "$st" != 0 ] && grep -q "cannot write" u.err && ! grep -q ready u.out || fail "read-only dir"
fi
echo ok
