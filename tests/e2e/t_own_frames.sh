#!/bin/sh
# cprof's own code never shows in a program's profiles: in the CPU and
# heap profiles (every allocation sampled) of a threaded C++ program, no
# location lies in libcprof.so and no frame is the runtime's (its
# constructor's allocations, the thread trampoline, the malloc wrappers,
# the signal handler).
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
export TZ=UTC HOME="$WORK"
g++ -O1 -g -pthread -o cxx_threads "$PROGS/cxx_threads.cc" || fail "cannot build cxx_threads"
"$CPROF" run -cpu c.pb.gz -heap h.pb.gz -memrate 1 -hz 1000 -- ./cxx_threads >/dev/null 2>run.err ||
    { cat run.err; fail "cprof run"; }
if [ "$SANITIZER" = asan ]; then
    # cprof run puts ASan's runtime first, whose malloc then hides the program's
    # allocations from the runtime: preload the runtime alone, as t_heap_cxx does.
    env LD_PRELOAD="$LIB" CPROF_HEAP=h.pb.gz CPROF_MEMRATE=1 ./cxx_threads >/dev/null 2>heap.err ||
        { cat heap.err; fail "heap run"; }
fi
for f in c.pb.gz h.pb.gz; do
    "$CPROF" -raw "$f" >raw 2>/dev/null || fail "-raw $f"
    grep -q '^Samples:' raw || fail "$f: no samples section"
    m=$(awk '/^Mappings/ { on = 1; next } on && /libcprof/ { sub(/:.*/, "", $1); print $1 }' raw)
    if [ -n "$m" ]; then
        sed -n '/^Locations/,/^Mappings/p' raw | grep -q " M=$m " &&
            { grep " M=$m " raw | head; fail "$f: locations in libcprof.so"; }
    fi
    sed -n '/^Locations/,/^Mappings/p' raw | grep -E ' (cprof_|cprof__|rt_ctor|rt_dtor)' &&
        fail "$f: the runtime's frames"
    "$CPROF" -traces -sample_index=0 "$f" >traces 2>/dev/null || fail "-traces $f"
    # The heap profile holds main's own allocations; the CPU profile of this
    # 30 ms program may hold none of main's thread (its threads: below).
    [ "$f" = c.pb.gz ] || grep -q 'main' traces || { head traces; fail "$f: program's stacks missing"; }
done
# The threads' own work is still there, under start_thread.
"$CPROF" -traces c.pb.gz >traces 2>/dev/null || fail "-traces"
grep -q ' work' traces || { cat traces | head -40; fail "the threads' samples are gone"; }
echo ok
