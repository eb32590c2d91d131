#!/bin/sh
# C++ new/delete, new[]/delete[] and aligned new are seen through
# libstdc++'s calls to malloc/aligned_alloc/free: exact counts with
# CPROF_MEMRATE=1, operator new on the stack, nothing lost on delete.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
. "$CPROF_SRCDIR/tests/e2e/lib_heap.sh"
need_go
cd "$WORK"
command -v g++ >/dev/null || fail "g++ is missing"
g++ -O2 -g -std=c++17 -o heap_cxx "$PROGS/heap_cxx.cc" || fail "cannot build heap_cxx"
heap_env CPROF_HEAP=h.pb.gz CPROF_MEMRATE=1 ./heap_cxx >prog.out 2>prog.err ||
    { cat prog.out prog.err; fail "heap_cxx exited $?"; }
grep -q '^ok 999' prog.out || fail "program output changed"
# The leaf is operator new (libstdc++); the site is the caller: use cum.
cum() {
    go tool pprof -top -unit=B -nodefraction=0 -nodecount=100000 -sample_index="$2" "$1" 2>/dev/null |
        awk -v f="$3" 'rows && $6 == f { v = $4; sub(/B$/, "", v); print v; found = 1 }
                       /flat%/ { rows = 1 } END { if (!found) print 0 }'
}
expect_eq "new objects" "$(cum h.pb.gz alloc_objects new_site)" 1000
expect_eq "new bytes" "$(cum h.pb.gz alloc_space new_site)" 64000
expect_eq "new[] bytes" "$(cum h.pb.gz alloc_space new_array_site)" 60000
expect_eq "aligned new bytes" "$(cum h.pb.gz alloc_space aligned_site)" 19200
expect_eq "delete retires" "$(cum h.pb.gz inuse_objects new_site)" 0
expect_eq "aligned delete retires" "$(cum h.pb.gz inuse_objects aligned_site)" 0
expect_eq "leak" "$(cum h.pb.gz inuse_space leak_site)" 64
go tool pprof -traces -sample_index=alloc_space h.pb.gz 2>/dev/null | grep -q 'operator new' ||
    fail "operator new not on the stacks"
echo ok
