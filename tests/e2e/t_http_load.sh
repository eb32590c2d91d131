#!/bin/sh
# The endpoint under load while the program works: 1000 sequential and 50
# concurrent requests are all served, and the program's work finishes
# correctly.  Also: a port already taken gives one warning and the program
# runs on; a non-loopback address is refused.
. "$CPROF_SRCDIR/tests/e2e/lib_http.sh"
build_prog http_app
cd "$WORK"
start_app 10

for i in $(seq 1000); do
    case $((i % 10)) in
    0) echo "url = \"$U/goroutine?debug=1\"" ;;
    1 | 2 | 3) echo "url = \"$U/heap\"" ;;
    *) echo "url = \"$U/cmdline\"" ;;
    esac
    echo "output = /dev/null"
done >seq.cfg
curl -s -w '%{http_code}\n' -K seq.cfg >seq.codes || fail "sequential curl failed"
[ "$(grep -cx 200 seq.codes)" = 1000 ] || fail "sequential: $(sort seq.codes | uniq -c)"

for i in $(seq 50); do
    if [ $((i % 2)) = 0 ]; then echo "url = \"$U/heap\""; else echo "url = \"$U/goroutine?debug=1\""; fi
    echo "output = /dev/null"
done >par.cfg
curl -s -Z --parallel-max 50 -w '%{http_code}\n' -K par.cfg >par.codes 2>/dev/null ||
    fail "concurrent curl failed"
[ "$(grep -cx 200 par.codes)" = 50 ] || fail "concurrent: $(sort par.codes | uniq -c)"

# A stalled client (connects, sends half a request) does not block others.
( printf 'GET /debug/pprof/cmdline HTTP/1.1\r\nHost: x\r\n'; sleep 3 ) |
    timeout 4 curl -s -o /dev/null "telnet://127.0.0.1:$PORT" 2>/dev/null &
STALL=$!
sleep 0.3
[ "$(status "$U/cmdline" --max-time 2)" = 200 ] || fail "a stalled client blocks the server"

# The port is taken: one warning, the program runs on.
env CPROF_HTTP="127.0.0.1:$PORT" LD_PRELOAD="$LIB" "$WORK/http_app" 0.3 >taken.out 2>taken.err ||
    fail "the program failed when the port was taken"
grep -q '^work ok' taken.out || fail "taken: work"
[ "$(grep -c "^cprof: cannot serve on '127.0.0.1:$PORT': Address already in use$" taken.err)" = 1 ] ||
    fail "taken: $(cat taken.err)"
env CPROF_HTTP="0.0.0.0:0" LD_PRELOAD="$LIB" "$WORK/http_app" 0.3 >remote.out 2>remote.err ||
    fail "the program failed with a remote address"
grep -q "^cprof: not serving on '0.0.0.0:0': not a loopback address" remote.err ||
    fail "remote: $(cat remote.err)"

wait $STALL 2>/dev/null || true
stop_app
echo ok
