#!/bin/sh
# A sample never interrupts a sleeping call.  Threads alternate CPU bursts
# with nanosleep, clock_nanosleep, epoll_wait, poll, select, sem_timedwait,
# sigtimedwait and usleep (which fail with EINTR whatever SA_RESTART says)
# at 1000 Hz, while two burners keep both cores busy: no call may fail.
# Before perf events excluded kernel mode, an overflow between a call's
# entry and its sleep woke it: 5-11 EINTR in every run of 800 calls here.
# Also under the POSIX-timer mechanism (CPU-timer expiry is handled on the
# way back to user mode on current kernels).  setitimer's process-wide
# signal may still land on a sleeping thread: not checked.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
build_prog sleep_calls
burners=""
trap 'for p in $burners; do kill "$p" 2>/dev/null; done' EXIT
for i in 1 2; do
    (while :; do :; done) &
    burners="$burners $!"
done
run() { # MECHANISM RUNS
    m=$1 n=$2 r=1
    while [ "$r" -le "$n" ]; do
        rm -f p.pb.gz
        env LD_PRELOAD="$LIB" CPROF_CPU=p.pb.gz CPROF_HZ=1000 CPROF_CPU_TIMER="$m" \
            ./sleep_calls 2 400 >out.txt 2>err.txt || { cat out.txt err.txt; fail "$m run $r: sleeping calls failed"; }
        echo "$m run $r: $(head -n 1 out.txt)"
        [ -s p.pb.gz ] || fail "$m run $r: no profile"
        r=$((r + 1))
    done
}
run perf 4
run posix 2
echo ok
