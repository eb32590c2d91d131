#!/bin/sh
# The perf sampler makes no system call per sample besides the signal's
# return: each sample's count comes from the event's mmap'd ring, not a
# read(), and the event is re-armed (ioctl) once per 16 overflows, not per
# signal.  Under strace, the reads and ioctls on perf event fds of a 2000 Hz
# run stay far below the number of sampling signals.  (Counts only: ptrace
# stops on every signal and distorts what the samples weigh.)
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
command -v strace >/dev/null 2>&1 || fail "strace is missing (scripts/deps.sh test installs it)"
[ -z "$SANITIZER" ] || { echo "SKIP: sanitizer build"; exit 77; }
need_go
cd "$WORK"
# The settings go after strace: strace itself must not be profiled.
strace -f -y -e trace=read,ioctl -o trace.txt \
    env CPROF_CPU=s.pb.gz CPROF_HZ=2000 LD_PRELOAD="$LIB" "$EX/cpu_hot" 0.3 >/dev/null ||
    fail "traced run exited $?"
c=$(comments s.pb.gz)
echo "$c"
echo "$c" | grep -q 'sampler=perf-task-clock' || { echo "SKIP: perf events refused here"; exit 77; }
signo=$(echo "$c" | sed -n 's/.*sampler=perf-task-clock hz=[0-9]* signal=\([0-9]*\).*/\1/p')
rt=$((signo - 32)) # strace numbers real-time signals from the kernel's SIGRTMIN, 32
signals=$(grep -c -- "--- SIGRT_$rt " trace.txt || true)
reads=$(grep -c '^[0-9]* *read([0-9]*<anon_inode:\[perf_event\]>' trace.txt || true)
ioctls=$(grep -c '^[0-9]* *ioctl([0-9]*<anon_inode:\[perf_event\]>' trace.txt || true)
echo "signal $signo (SIGRT_$rt): $signals delivered, perf fd reads $reads, perf fd ioctls $ioctls"
[ "$signals" -ge 100 ] || fail "too few sampling signals under strace: $signals"
[ "$reads" -le $((signals / 8)) ] || fail "perf fds are read per sample"
[ "$ioctls" -le $((signals / 8 + 8)) ] || fail "perf events are re-armed per sample"
echo ok
