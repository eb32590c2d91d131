#!/bin/sh
# The endpoint's text formats and error conventions: index, debug=1 and
# debug=2 goroutine dumps (every thread with its id, name, state and
# stack), cmdline, symbol (GET and POST), 400s for bad parameters, 404s;
# the tool fetches by URL and saves like pprof.
. "$CPROF_SRCDIR/tests/e2e/lib_http.sh"
build_prog http_app
cd "$WORK"
start_app 6

[ "$(status "$U/")" = 200 ] || fail "index"
grep -q '<thead><td>Count</td><td>Profile</td></thead>' body || fail "index table"
grep -q "<tr><td>6</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>" body ||
    fail "index goroutine row: $(cat body)"
grep -q '<a href="goroutine?debug=2">full goroutine stack dump</a>' body || fail "index dump link"
grep -qi '^Content-Type: text/html; charset=utf-8' headers || fail "index content type"

# debug=1: Go's count profile text.
[ "$(status "$U/goroutine?debug=1")" = 200 ] || fail "debug=1"
cat body
head -1 body | grep -qx 'goroutine profile: total 6' || fail "debug=1 header"
grep -Eq '^1 @( 0x[0-9a-f]+)+$' body || fail "debug=1 @ lines"
grep -Pq '^#\t0x[0-9a-f]+\tpark_sleeper\t.*http_app.c:[0-9]+$' body || fail "debug=1 frame lines"
grep -qi '^Content-Type: text/plain; charset=utf-8' headers || fail "debug=1 content type"

# debug=2: every thread, with its id, state, name and stack.
[ "$(status "$U/goroutine?debug=2")" = 200 ] || fail "debug=2"
cat body
for tid in $(ls "/proc/$APP_PID/task"); do
    grep -q "^goroutine $tid \[" body || fail "debug=2: thread $tid missing"
done
for name in alpha beta sleeper blocked cprof-http http_app; do
    grep -q "^goroutine [0-9]* \[[a-z ]*, thread \"$name\"\]:$" body || fail "debug=2: $name missing"
done
awk '/thread "alpha"/ { a = 1 } a && /^spin_alpha\(/ { ok = 1 } /^$/ { a = 0 } END { exit !ok }' body ||
    fail "debug=2: alpha's stack lacks spin_alpha"
awk '/thread "sleeper"/ { a = 1 } a && /^park_sleeper\(/ { ok = 1 } /^$/ { a = 0 } END { exit !ok }' body ||
    fail "debug=2: sleeper's stack lacks park_sleeper"
# The thread with every signal blocked: unwound without a signal while it
# sleeps in nanosleep, listed without a stack in the moments it runs.
awk '/thread "blocked"/ { getline; if ($0 ~ /^thread stack unavailable \(signal blocked\)$/) ok = 1; b = 1 }
     b && /^blocked_main\(/ { ok = 1 } /^$/ { b = 0 } END { exit !ok }' body ||
    fail "debug=2: the blocked thread should have its stack or 'signal blocked'"
grep -Pq '^\t.*http_app.c:[0-9]+' body || fail "debug=2: file:line lines"

# cmdline: argv joined by NULs.
[ "$(status "$U/cmdline")" = 200 ] || fail "cmdline"
[ "$(tr '\0' ' ' <body)" = "$WORK/http_app 6" ] || fail "cmdline body '$(tr '\0' ' ' <body)'"

# symbol: probe, GET and POST.
[ "$(status "$U/symbol")" = 200 ] || fail "symbol probe"
[ "$(cat body)" = "num_symbols: 1" ] || fail "symbol probe body"
pc=$(curl -s "$U/goroutine?debug=1" | awk '$3 == "park_sleeper" { print $2; exit }')
[ -n "$pc" ] || fail "no pc for park_sleeper"
[ "$(status "$U/symbol?$pc")" = 200 ] && grep -qx "$pc park_sleeper" body || fail "symbol GET: $(cat body)"
[ "$(status "$U/symbol" --data-binary "$pc+0x1")" = 200 ] && grep -qx "$pc park_sleeper" body ||
    fail "symbol POST: $(cat body)"

# Bad parameters: 400 with one line, Go's error convention.
check400() {
    st=$(status "$U/$1")
    [ "$st" = 400 ] || fail "$1: status $st, want 400"
    grep -qx "$2" body || fail "$1: body '$(cat body)'"
    [ "$(wc -l <body)" = 1 ] || fail "$1: more than one line"
    grep -qi '^X-Go-Pprof: 1' headers || fail "$1: no X-Go-Pprof"
}
check400 'profile?seconds=abc' 'invalid value for "seconds" - must be a positive integer'
check400 'profile?seconds=-5' 'invalid value for "seconds" - must be a positive integer'
check400 'profile?seconds=100000' "profile duration exceeds server's WriteTimeout"
check400 'goroutine?seconds=0' 'invalid value for "seconds" - must be a positive integer'
check400 'goroutine?debug=abc' 'invalid value for "debug" - must be an integer'
check400 'goroutine?seconds=1&debug=1' 'seconds and debug params are incompatible'
st=$(status "$U/nosuch")
[ "$st" = 404 ] && grep -qx 'Unknown profile' body || fail "unknown profile: $st $(cat body)"
[ "$(status "http://127.0.0.1:$PORT/elsewhere")" = 404 ] || fail "outside /debug/pprof/"
# A malformed request gets an error status and the server goes on.
printf 'GARBAGE\r\n\r\n' | timeout 5 curl -s -o /dev/null "telnet://127.0.0.1:$PORT" 2>/dev/null || true
[ "$(status "$U/cmdline")" = 200 ] || fail "server gone after a malformed request"

# The tool fetches by URL (host:port alone means the CPU profile).
"$CPROF" -raw -seconds 1 "127.0.0.1:$PORT" >raw 2>fetch.err || fail "fetch: $(cat fetch.err)"
grep -qx "Fetching profile over HTTP from http://127.0.0.1:$PORT/debug/pprof/profile?seconds=1" \
    fetch.err || fail "fetch message: $(cat fetch.err)"
grep -qx "Saved profile in $PPROF_TMPDIR/pprof.http_app.samples.cpu.001.pb.gz" fetch.err ||
    fail "saved message: $(cat fetch.err)"
grep -q '^PeriodType: cpu nanoseconds' raw || fail "fetched profile"
"$CPROF" -raw "http://127.0.0.1:$PORT/debug/pprof/goroutine" >raw 2>fetch.err || fail "fetch goroutine"
[ -f "$PPROF_TMPDIR/pprof.http_app.goroutine.001.pb.gz" ] || fail "goroutine not saved"
"$CPROF" -raw "$U/nosuch" >raw 2>fetch.err && fail "fetching an unknown profile succeeded"
grep -q 'server response: 404 Not Found - Unknown profile$' fetch.err || fail "404 message: $(cat fetch.err)"

stop_app
echo ok
