#!/bin/sh
# The real `go tool pprof` against the endpoint of a multithreaded C
# program: CPU, goroutine and threadcreate profiles show the program's
# functions; a concurrent second CPU profile is refused with Go's 500; the
# program's own work finishes correctly.
. "$CPROF_SRCDIR/tests/e2e/lib_http.sh"
need_go
build_prog http_app
cd "$WORK"
start_app 8

go tool pprof -top "$U/profile?seconds=2" >cpu.top 2>cpu.err &
GO=$!
sleep 0.7
st=$(status "$U/profile?seconds=1")
[ "$st" = 500 ] || fail "second CPU profile: status $st, want 500"
grep -qx 'Could not enable CPU profiling: cpu profiling already in use' body ||
    fail "second CPU profile: body '$(cat body)'"
grep -qi '^X-Go-Pprof: 1' headers || fail "no X-Go-Pprof header on the error"
wait $GO || fail "go tool pprof (cpu) failed: $(cat cpu.err)"
cat cpu.top
grep -q 'Saved profile in .*pprof.http_app.samples.cpu.001.pb.gz' cpu.err || fail "cpu not saved"
grep -q 'spin_alpha' cpu.top || fail "spin_alpha missing from the CPU profile"
grep -q 'spin_beta' cpu.top || fail "spin_beta missing from the CPU profile"

go tool pprof -top "$U/goroutine" >g.top 2>g.err || fail "goroutine: $(cat g.err)"
cat g.top
grep -q 'Type: goroutine' g.top || fail "not a goroutine profile"
grep -q 'Showing nodes accounting for 6, 100% of 6 total' g.top || fail "want 6 threads"
for f in park_sleeper spin_alpha spin_beta main; do
    grep -qF " $f" g.top || fail "goroutine: $f missing"
done
# The thread with every signal blocked: its stack (taken without a signal
# while it sleeps in nanosleep) or, in the moments it runs, none.
grep -qF -e ' blocked_main' -e ' (thread stack unavailable)' g.top || fail "goroutine: blocked thread missing"

go tool pprof -top "$U/threadcreate" >t.top 2>t.err || fail "threadcreate: $(cat t.err)"
cat t.top
grep -q 'Type: threadcreate' t.top || fail "not a threadcreate profile"
awk '$NF == "main" && $4 == 4 { ok = 1 } END { exit !ok }' t.top ||
    fail "threadcreate: main should have created 4 threads"

go tool pprof -top "$U/heap" >h.top 2>h.err || fail "heap: $(cat h.err)"
cat h.top
grep -q 'Type: inuse_space' h.top && grep -q ' hold_memory$' h.top || fail "heap: hold_memory missing"
go tool pprof -top "$U/allocs" >a.top 2>a.err || fail "allocs: $(cat a.err)"
cat a.top
grep -q 'Type: alloc_space' a.top && grep -q ' churn_memory$' a.top || fail "allocs: churn_memory missing"
go tool pprof -top "$U/allocs?seconds=2" >ad.top 2>ad.err || fail "allocs delta: $(cat ad.err)"
cat ad.top
grep -q ' churn_memory$' ad.top || fail "allocs delta: churn_memory missing"
! grep -q ' hold_memory$' ad.top || fail "allocs delta: hold_memory allocated before the delta"
[ "$(status "$U/heap?debug=1&gc=1")" = 200 ] || fail "heap?debug=1"
head -1 body | grep -Eq '^heap profile: [0-9]+: [0-9]+ \[[0-9]+: [0-9]+\] @ heapprofile$' ||
    fail "heap debug=1 header: $(head -1 body)"
grep -Pq '^#\t0x[0-9a-f]+\thold_memory\t' body || fail "heap debug=1 frames"

# Delta goroutine profile (Go's seconds= on named profiles): nothing changed.
st=$(status "$U/goroutine?seconds=1")
[ "$st" = 200 ] || fail "goroutine delta: status $st"
grep -qi 'filename="goroutine-delta"' headers || fail "delta: wrong filename"

stop_app
echo ok
