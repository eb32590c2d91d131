#!/bin/sh
# The heap API (start, write an allocs profile to an fd), the heap trace
# (CPROF_DEBUG=heaptrace=MS, format documented in README.md) and periodic
# profiles every N bytes (CPROF_HEAP_EVERY: FILE.0001, FILE.0002, ...) and
# every S seconds (CPROF_HEAP_INTERVAL).
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
. "$CPROF_SRCDIR/tests/e2e/lib_heap.sh"
need_go
cd "$WORK"
build_prog heap_api -L"$CPROF_SRCDIR/$BUILD" -lcprof
LD_LIBRARY_PATH="$CPROF_SRCDIR/$BUILD" ./heap_api api.pb.gz >prog.out 2>prog.err ||
    { cat prog.out prog.err; fail "heap_api exited $?"; }
grep -q 'api ok' prog.out || { cat prog.out; fail "heap_api did not finish"; }
go tool pprof -top api.pb.gz 2>/dev/null | grep -q 'Type: alloc_space' || fail "allocs profile default type"
expect_eq "api site bytes" "$(site api.pb.gz alloc_space api_site)" 50000
expect_eq "api site objects" "$(site api.pb.gz alloc_objects api_site)" 100

build_prog heap_threads
heap_env CPROF_DEBUG=heaptrace=40 ./heap_threads 6000000 >prog.out 2>trace.err ||
    { cat trace.err; fail "heap_threads exited $?"; }
cat trace.err
n=$(grep -cE '^cprof: heaptrace: [0-9]+\.[0-9]{3}s: \+[0-9.]+ MB [0-9]+ obj, -[0-9.]+ MB [0-9]+ obj, inuse [0-9.-]+ MB [0-9-]+ obj, [0-9.]+ MB/s, rss [0-9.]+ MB$' trace.err)
[ "$n" -ge 3 ] || fail "want >= 3 well-formed heaptrace lines, got $n"
# Allocation counts add up: the lines' objects sum to the program's allocations (and more).
sum=$(awk '/heaptrace:/ { s += $6 } END { print s }' trace.err)
want=$(sed -n 's/.*allocs=//p' prog.out)
[ "$sum" -ge "$want" ] || fail "heaptrace counted $sum allocations, program made $want"
echo "heaptrace objects $sum >= $want"

build_prog heap_sites
heap_env CPROF_HEAP=p.pb.gz CPROF_HEAP_EVERY=100000000 ./heap_sites big 8 >/dev/null 2>err ||
    { cat err; fail "heap_sites exited $?"; }
sleep 0.1
n=$(ls p.pb.gz.0* 2>/dev/null | wc -l)
echo "periodic profiles: $n"
[ "$n" -ge 1 ] || fail "no periodic profile"
go tool pprof -raw p.pb.gz.0001 >/dev/null 2>&1 || fail "p.pb.gz.0001 unreadable"
[ -s p.pb.gz ] || fail "no exit profile"

# Periodic profiles every S seconds (CPROF_HEAP_INTERVAL): a 2.5 s run with
# S=1 writes .0001 and .0002, and the later one has counted more.
rm -f p.pb.gz*
heap_env CPROF_HEAP=p.pb.gz CPROF_HEAP_INTERVAL=1 CPROF_MEMRATE=1 ./heap_sites slow 25 >/dev/null 2>err ||
    { cat err; fail "heap_sites slow exited $?"; }
ls p.pb.gz*
[ -s p.pb.gz.0001 ] && [ -s p.pb.gz.0002 ] || fail "CPROF_HEAP_INTERVAL=1: no .0001 and .0002"
[ -e p.pb.gz.0004 ] && fail "CPROF_HEAP_INTERVAL=1: too many profiles for 2.5 s"
a1=$(site p.pb.gz.0001 alloc_objects site_small)
a2=$(site p.pb.gz.0002 alloc_objects site_small)
echo "site_small objects: $a1 after 1 s, $a2 after 2 s"
[ "$a1" -ge 5000 ] && [ "$a2" -gt "$a1" ] && [ "$a2" -le 25000 ] ||
    fail "periodic profiles do not grow with the run"
echo ok
