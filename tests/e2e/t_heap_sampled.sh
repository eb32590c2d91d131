#!/bin/sh
# At the default rate (512 KiB) with a fixed seed, each site with >= 50 MB
# allocated is estimated within 10% (Go's unbiasing), and nothing freed
# shows as in use.  `cprof run -heap -cpu` writes both profiles.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
. "$CPROF_SRCDIR/tests/e2e/lib_heap.sh"
need_go
cd "$WORK"
build_prog heap_sites
# 320 MiB in 256 B blocks, 240 MiB in 64 KiB blocks.
heap_env CPROF_HEAP=h.pb.gz CPROF_MEMSEED=3 ./heap_sites big 4 >prog.out 2>prog.err ||
    { cat prog.err; fail "heap_sites exited $?"; }
within 10 "small alloc_space" "$(site h.pb.gz alloc_space site_small)" 335544320
within 10 "big alloc_space" "$(site h.pb.gz alloc_space site_big)" 251658240
within 10 "small alloc_objects" "$(site h.pb.gz alloc_objects site_small)" 1310720
within 15 "big alloc_objects" "$(site h.pb.gz alloc_objects site_big)" 3840
expect_eq "small inuse" "$(site h.pb.gz inuse_space site_small)" 0
# Same seed, same profile.
heap_env CPROF_HEAP=h2.pb.gz CPROF_MEMSEED=3 ./heap_sites big 4 >/dev/null 2>&1
expect_eq "reproducible" "$(site h2.pb.gz alloc_space site_small)" "$(site h.pb.gz alloc_space site_small)"
# cprof run with both profilers.
"$CPROF" run -heap run.heap.pb.gz -memrate 1 -cpu run.cpu.pb.gz -- ./heap_sites big 1 \
    >run.out 2>run.err || { cat run.err; fail "cprof run exited $?"; }
grep -q 'ok' run.out || fail "program output lost"
# A sanitizer build of cprof run preloads the sanitizer's allocator first (development only).
if ! nm -D "$LIB" 2>/dev/null | grep -q __asan_init; then
    expect_eq "run -heap -memrate 1" "$(site run.heap.pb.gz alloc_space site_small)" 83886080
fi
[ -s run.cpu.pb.gz ] || fail "no CPU profile beside the heap profile"
grep -q 'heap profile written to run.heap.pb.gz' run.err || { cat run.err; fail "no heap summary"; }
echo ok
