#!/bin/sh
# 8 threads, 10 million malloc/free operations with cross-thread frees, a
# SIGALRM handler that allocates, a fork and a vfork: no crash, no
# deadlock, no lost free (every sampled churn block is retired, so its
# in-use count is exactly 0), and the forked child writes FILE.<pid>.
# Threads started through cprof's pthread_create wrapper show none of its
# allocations.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
. "$CPROF_SRCDIR/tests/e2e/lib_heap.sh"
need_go
cd "$WORK"
build_prog heap_threads
timeout 120 env LD_PRELOAD="$LIB" CPROF_HEAP=h.pb.gz CPROF_MEMRATE=16384 ./heap_threads 10000000 \
    >prog.out 2>prog.err || { cat prog.out prog.err; fail "heap_threads exited $?"; }
grep -q '^ok handler_runs=1' prog.out || { cat prog.out; fail "program did not finish"; }
objs=$(site h.pb.gz alloc_objects churn_alloc)
[ "$objs" -gt 3000000 ] || fail "churn_alloc estimated at $objs objects, want ~5000000"
echo "churn objects ~ $objs"
expect_eq "churn inuse objects" "$(site h.pb.gz inuse_objects churn_alloc)" 0
expect_eq "churn inuse bytes" "$(site h.pb.gz inuse_space churn_alloc)" 0
n=$(ls h.pb.gz.* 2>/dev/null | wc -l)
expect_eq "forked child profiles" "$n" 1
go tool pprof -raw h.pb.gz.* >/dev/null 2>&1 || fail "child profile unreadable"
# Every allocation recorded, fewer operations: in-use exact at exit.
timeout 120 env LD_PRELOAD="$LIB" CPROF_HEAP=all.pb.gz CPROF_MEMRATE=1 ./heap_threads 400000 \
    >prog.out 2>prog.err || { rc=$?; cat prog.out prog.err; fail "heap_threads (rate 1) exited $rc"; }
want=$(sed -n 's/.*allocs=//p' prog.out)
expect_eq "churn objects, rate 1" "$(site all.pb.gz alloc_objects churn_alloc)" "$want"
expect_eq "churn inuse, rate 1" "$(site all.pb.gz inuse_objects churn_alloc)" 0
expect_eq "kept inuse, rate 1" "$(site all.pb.gz inuse_space keep_site)" 40000
# The runtime's own pthread_create bookkeeping is not the program's allocation.
build_prog heap_spawn
heap_env CPROF_HEAP=spawn.pb.gz CPROF_MEMRATE=1 ./heap_spawn >spawn.out 2>spawn.err ||
    { cat spawn.err; fail "heap_spawn exited $?"; }
expect_eq "pthread_create wrapper allocations" "$(site spawn.pb.gz alloc_objects spawn_site)" 0
echo ok
