#!/bin/sh
# The benchmark harness (cprof/bench.h): Go's output lines, exact -benchmem
# on every thread, exact Nx counts, -count/-cpu loops, sub-benchmark names,
# b.Loop, per-benchmark profiles, and benchstat reading two runs.
set -eu
B="$CPROF_SRCDIR/$BUILD"
cat >"$WORK/b.c" <<'C'
#include <cprof/bench.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
CPROF_BENCH(Alloc)
{
    for (int64_t i = 0; i < b->N; i++) {
        char *p = malloc(48), *q = malloc(5);
        cprof_do_not_optimize(p);
        cprof_do_not_optimize(q);
        free(p);
        free(q);
    }
}
static void *worker(void *arg)
{
    int64_t n = *(int64_t *)arg;
    for (int64_t i = 0; i < n; i++) {
        char *p = calloc(1, 100);
        cprof_do_not_optimize(p);
        free(p);
    }
    return NULL;
}
CPROF_BENCH(Threads)
{
    pthread_t t;
    int64_t n = b->N;
    cprof_b_stop_timer(b);
    char *setup = malloc(1000); /* not timed: not counted */
    cprof_b_start_timer(b);
    pthread_create(&t, NULL, worker, &n);
    pthread_join(t, NULL);
    free(setup);
}
static void sub(cprof_b *b, void *arg)
{
    cprof_b_set_bytes(b, (int64_t)(long)arg);
    for (int64_t i = 0; i < b->N; i++)
        cprof_clobber_memory();
}
CPROF_BENCH(Sub)
{
    cprof_b_run(b, "size=1k", sub, (void *)1024L);
    cprof_b_run(b, "two words", sub, (void *)10L);
    cprof_b_run(b, "two words", sub, (void *)10L);
}
CPROF_BENCH(Loop)
{
    char *setup = malloc(4096); /* before the loop: untimed, uncounted */
    while (cprof_b_loop(b))
        cprof_do_not_optimize(setup[0]);
    free(setup);
    cprof_b_report_metric(b, 2.5, "widgets/op");
    cprof_b_report_metric(b, 7, "apples/op");
}
C
# An instrumented archive (make asan) needs the sanitizer runtime at link time.
san=""
if nm "$B/libcprof-bench.a" 2>/dev/null | grep -q __asan; then
    san="-fsanitize=address,undefined"
    export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0"
fi
cc -O1 $san -I"$CPROF_SRCDIR/include" "$WORK/b.c" -o "$WORK/b" "$B/libcprof-bench.a" -L"$B" \
    -Wl,-rpath,"$B" -lcprof -lpthread -lm
cd "$WORK"
./b -test.bench 'Alloc|Threads' -test.benchtime 1000x -test.count 3 -test.cpu 1,2 -benchmem >out.txt
cat out.txt
head -3 out.txt | sed -n 1p | grep -qx "goos: linux" || { echo "no goos line"; exit 1; }
grep -q "^goarch: " out.txt && grep -qx "pkg: b" out.txt || { echo "bad config lines"; exit 1; }
tail -1 out.txt | grep -qx PASS || { echo "no PASS"; exit 1; }
# Go's line: name padded with %-*s, TAB, %8d, TAB, ns/op, TAB %8d B/op TAB %8d allocs/op
# ASan's malloc comes first in an instrumented program: nothing to count.
if [ -n "$san" ]; then
    echo "SKIP: exact allocation counts (the sanitizer's allocator is the program's)"
else
    n=$(grep -cP '^BenchmarkAlloc {7}\t    1000\t +[0-9.]+ ns/op\t      53 B/op\t       2 allocs/op$' out.txt)
    [ "$n" -eq 3 ] || { echo "want 3 exact BenchmarkAlloc lines (-cpu 1), got $n"; exit 1; }
    n=$(grep -cP '^BenchmarkAlloc-2 {5}\t    1000\t +[0-9.]+ ns/op\t      53 B/op\t       2 allocs/op$' out.txt)
    [ "$n" -eq 3 ] || { echo "want 3 BenchmarkAlloc-2 lines, got $n"; exit 1; }
    n=$(grep -cP '^BenchmarkThreads(-2)? *\t    1000\t +[0-9.]+ ns/op\t     100 B/op\t       1 allocs/op$' out.txt)
    [ "$n" -eq 6 ] || { echo "want 6 BenchmarkThreads lines counting the other thread, got $n"; exit 1; }
fi
./b -bench 'Sub|Loop' -benchtime 20x -cpu 1 >out2.txt
cat out2.txt
grep -qP '^BenchmarkSub/size=1k {9}\t      20\t +[0-9.]+ ns/op\t *[0-9.]+ MB/s$' out2.txt || { echo "bad sub line"; exit 1; }
grep -q '^BenchmarkSub/two_words ' out2.txt && grep -q '^BenchmarkSub/two_words#01 ' out2.txt ||
    { echo "sub names not rewritten/uniquified"; exit 1; }
grep -qP '^BenchmarkLoop {16}\t      20\t +[0-9.]+ ns/op\t +7\.000 apples/op\t +2\.500 widgets/op$' out2.txt ||
    { echo "bad b.Loop / metric line"; exit 1; }
[ -n "$san" ] || ./b -bench 'Loop' -benchtime 20x -benchmem | grep -qP '\t       0 B/op\t       0 allocs/op$' ||
    { echo "b.Loop setup counted"; exit 1; }
# -bench X/Y: the parent runs once, only matching subs are reported.
./b -bench 'Sub/size' -benchtime 5x -cpu 1 >out3.txt
[ "$(grep -c '^Benchmark' out3.txt)" -eq 1 ] || { echo "partial match ran other subs"; cat out3.txt; exit 1; }
# Profiles per benchmark when several are selected.
./b -bench 'Alloc|Loop' -benchtime 2000x -cpu 1 -memprofile mem.out -memprofilerate 1 -cpuprofile cpu.out >out4.txt
for f in mem.out.BenchmarkAlloc mem.out.BenchmarkLoop cpu.out.BenchmarkAlloc cpu.out.BenchmarkLoop; do
    [ -s "$f" ] || { echo "missing profile $f"; exit 1; }
done
[ "$(grep -c '^Benchmark' out4.txt)" -eq 2 ] && [ "$(grep -c '^goos' out4.txt)" -eq 1 ] ||
    { echo "bad output of profiled run"; cat out4.txt; exit 1; }
"$CPROF" -top -sample_index=alloc_objects mem.out.BenchmarkAlloc >top.txt 2>&1 || { cat top.txt; exit 1; }
[ -n "$san" ] || grep -q "cprof__bench_fn_Alloc" top.txt || { echo "allocation not in memory profile"; cat top.txt; exit 1; }
"$CPROF" -top -sample_index=alloc_objects mem.out.BenchmarkLoop 2>&1 | grep -q "cprof__bench_fn_Alloc" &&
    { echo "Alloc's allocations in Loop's profile"; exit 1; }
# benchstat reads two runs.
./b -bench Alloc -benchtime 500x -count 6 -cpu 1 -benchmem >old.txt
./b -bench Alloc -benchtime 500x -count 6 -cpu 1 -benchmem >new.txt
"$CPROF" benchstat old.txt new.txt >bs.txt 2>bs.err
cat bs.txt
[ ! -s bs.err ] || { cat bs.err; exit 1; }
grep -q '^Alloc   ' bs.txt && grep -q 'allocs/op' bs.txt || { echo "bad benchstat output"; exit 1; }
[ -n "$san" ] || grep -qP '^Alloc +53\.00 ± 0%' bs.txt || { echo "B/op not 53"; exit 1; }
echo ok
