#!/bin/sh
# CPROF_MEMRATE=1 records every allocation: exact per-site counts and bytes
# through malloc, calloc, realloc, reallocarray, posix_memalign,
# aligned_alloc, memalign, valloc and pvalloc; the program's results are
# unchanged; the leak report names the leaking site with its exact size;
# all four sample types read by go tool pprof.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
. "$CPROF_SRCDIR/tests/e2e/lib_heap.sh"
need_go
cd "$WORK"
build_prog heap_sites
./heap_sites exact >plain.out || fail "heap_sites fails without the runtime"
heap_env CPROF_HEAP=h.pb.gz CPROF_MEMRATE=1 CPROF_LEAKS=leaks.pb.gz ./heap_sites exact \
    >prog.out 2>prog.err || { cat prog.err; fail "heap_sites exited $?"; }
cmp plain.out prog.out || fail "output changed under the heap profiler"
go tool pprof -top h.pb.gz 2>/dev/null | grep -q 'Type: inuse_space' || fail "default sample type is not inuse_space"
expect_eq "small objects" "$(site h.pb.gz alloc_objects site_small)" 1000
expect_eq "small bytes" "$(site h.pb.gz alloc_space site_small)" 256000
expect_eq "big bytes" "$(site h.pb.gz alloc_space site_big)" 655360
expect_eq "calloc bytes" "$(site h.pb.gz alloc_space site_calloc)" 100000
expect_eq "calloc objects" "$(site h.pb.gz alloc_objects site_calloc)" 100
# malloc 100 in site_realloc, realloc 5000 and 300 in site_realloc_grow (when not inlined)
r1=$(site h.pb.gz alloc_space site_realloc)
r2=$(site h.pb.gz alloc_space site_realloc_grow)
expect_eq "realloc bytes" "$((r1 + r2))" 270000
ro1=$(site h.pb.gz alloc_objects site_realloc)
ro2=$(site h.pb.gz alloc_objects site_realloc_grow)
expect_eq "realloc objects" "$((ro1 + ro2))" 150
expect_eq "aligned bytes" "$(site h.pb.gz alloc_space site_aligned)" 241920
expect_eq "aligned objects" "$(site h.pb.gz alloc_objects site_aligned)" 120
expect_eq "valloc/pvalloc bytes" "$(site h.pb.gz alloc_space site_valloc)" 395760
expect_eq "reallocarray objects" "$(site h.pb.gz alloc_objects site_reallocarray)" 20
# In use at exit: only the leak, exactly.
expect_eq "leak inuse bytes" "$(site h.pb.gz inuse_space site_leak)" 1000000
expect_eq "leak inuse objects" "$(site h.pb.gz inuse_objects site_leak)" 10
for s in site_small site_big site_calloc site_realloc site_aligned site_valloc; do
    expect_eq "$s inuse" "$(site h.pb.gz inuse_space $s)" 0
done
# The leak report.
grep -q 'leaks at exit' prog.err || { cat prog.err; fail "no leak report"; }
# Every line of it says which process it is about (a run's processes share stderr).
grep -q "^cprof: \[[0-9]* heap_sites\] leaks at exit" prog.err || { cat prog.err; fail "no [pid program]"; }
grep -q "^cprof: \[[0-9]* heap_sites\]       site_leak heap_sites.c" prog.err ||
    { cat prog.err; fail "frame lines lack [pid program]"; }
grep -q '1000000 bytes in 10 objects of 100000 bytes' prog.err || { cat prog.err; fail "leak size"; }
grep -A1 '1000000 bytes in 10 objects' prog.err | grep -q 'site_leak heap_sites.c' ||
    { cat prog.err; fail "leak site not named"; }
expect_eq "leak profile bytes" "$(site leaks.pb.gz inuse_space site_leak)" 1000000
expect_eq "leak profile has no freed site" "$(site leaks.pb.gz alloc_space site_small)" 0
# The bytes label and the period.
go tool pprof -raw h.pb.gz 2>/dev/null | grep -q 'bytes:\[100000\]' || fail "no bytes label"
go tool pprof -raw h.pb.gz 2>/dev/null | grep -q '^PeriodType: space bytes' || fail "period type"
# ASan's allocator behind cprof's wrappers: an instrumented program stays clean.
if cc -fsanitize=address -O1 -g -std=c11 -D_GNU_SOURCE -o heap_sites_asan "$PROGS/heap_sites.c" 2>/dev/null; then
    ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 heap_env CPROF_HEAP=a.pb.gz CPROF_MEMRATE=1 \
        ./heap_sites_asan exact >asan.out 2>asan.err || { cat asan.err; fail "ASan reports errors"; }
    cmp plain.out asan.out || fail "output changed under ASan"
    expect_eq "ASan allocator behind cprof: leak bytes" "$(site a.pb.gz inuse_space site_leak)" 1000000
fi
echo ok
