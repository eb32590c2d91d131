#!/bin/sh
# cprof load against tests/e2e/progs/load_server.c on loopback: exact -n,
# status and error distributions, CSV columns, POST bodies and headers
# arriving, -z bounded, -q pacing, --rate showing a 200 ms stall that the
# uncorrected figures hide, https against openssl s_server, hey's messages
# and statuses for bad flags, and the report's layout line for line
# against Debian's hey on the same server.
set -eu
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
build_prog load_server
cd "$WORK"
: >echo.log
"$WORK/load_server" "$WORK/echo.log" 100 >port &
SRV=$!
trap 'kill $SRV 2>/dev/null; [ -n "${TLS:-}" ] && kill $TLS 2>/dev/null; true' EXIT
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
U="http://127.0.0.1:$(cat port)"

# field FILE LABEL: the number after "LABEL:" in a summary.
field() { awk -F '\t' -v l="  $2:" '$1 == l { print $2 + 0; exit }' "$1"; }
codes() { awk '/^  \[[0-9]+\]\t/ && !/errors/ { print }' "$1"; }

# -n/-c: exactly n requests, whatever the split over threads.
"$CPROF" load -n 1000 -c 10 "$U/ok" >sum.txt
grep -qxF "$(printf '  [200]\t1000 responses')" sum.txt || fail "-n 1000: $(codes sum.txt)"
"$CPROF" load -n 999 -c 7 -cpus 2 "$U/ok" >sum2.txt
grep -qxF "$(printf '  [200]\t999 responses')" sum2.txt || fail "-n 999 -c 7: $(cat sum2.txt)"
[ "$(field sum.txt 'Total data')" = 6000 ] || fail "total data: $(field sum.txt 'Total data')"
for l in "Summary:" "Response time histogram:" "Latency distribution:" \
    "Details (average, fastest, slowest):" "Status code distribution:" "  99.9% in" "  99.99% in"; do
    grep -q "^$l" sum.txt || fail "summary lacks '$l'"
done

# Status codes: one line per code, sorted.
"$CPROF" load -n 20 -c 2 "$U/code/404" >s404.txt
grep -qxF "$(printf '  [404]\t20 responses')" s404.txt || fail "404: $(cat s404.txt)"
"$CPROF" load -n 10 -c 2 -disable-redirects "$U/redirect" >s302.txt
grep -qxF "$(printf '  [302]\t10 responses')" s302.txt || fail "302: $(cat s302.txt)"
"$CPROF" load -n 10 -c 2 "$U/redirect" >sred.txt
grep -qxF "$(printf '  [200]\t10 responses')" sred.txt || fail "redirect not followed: $(cat sred.txt)"
"$CPROF" load -n 30 -c 3 "$U/close" >sclose.txt
grep -qxF "$(printf '  [200]\t30 responses')" sclose.txt || fail "Connection: close: $(cat sclose.txt)"

# Errors: connection refused, counted per request, with Go's text; a report all the same.
"$CPROF" load -n 7 -c 1 http://127.0.0.1:1/ >refused.txt || fail "refused: exit status $?"
grep -qxF "$(printf '  [7]\tGet "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused')" \
    refused.txt || fail "refused: $(cat refused.txt)"
grep -q '^Error distribution:' refused.txt || fail "no error distribution"

# -o csv: hey's columns, one row per response.
"$CPROF" load -n 50 -c 5 -o csv "$U/ok" >out.csv
[ "$(head -1 out.csv)" = "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset" ] ||
    fail "csv header: $(head -1 out.csv)"
[ "$(grep -cE '^[0-9]+\.[0-9]{4}(,[0-9]+\.[0-9]{4}){5},200,[0-9]+\.[0-9]{4}$' out.csv)" = 50 ] ||
    fail "csv rows: $(head -3 out.csv)"

# -m POST -d, -H, -a, -A, -T: what the server got.
"$CPROF" load -n 3 -c 1 -m post -d 'the body' -H 'x-test: yes' -H 'User-Agent: mine' \
    -a 'user:secret' -A 'text/plain' -T 'application/json' "$U/echo" >/dev/null
[ "$(grep -c '^POST /echo HTTP/1.1' echo.log)" = 3 ] || fail "POST: $(head -12 echo.log)"
for h in 'X-Test: yes' 'Content-Length: 8' 'Authorization: Basic dXNlcjpzZWNyZXQ=' \
    'Accept: text/plain' 'Content-Type: application/json' 'User-Agent: mine cprof-load/'; do
    grep -q "^$h" echo.log || fail "header '$h' missing: $(head -12 echo.log)"
done
[ "$(grep -c '^the body$' echo.log)" = 3 ] || fail "body: $(cat echo.log)"
printf 'from a file' >body.txt
"$CPROF" load -n 1 -c 1 -m PUT -D body.txt "$U/echo" >/dev/null
grep -q '^from a file$' echo.log || fail "-D body missing"

# -z: stops at the deadline, promptly.
start=$(date +%s%N)
"$CPROF" load -z 1s -c 4 "$U/ok" >z.txt 2>/dev/null
el=$((($(date +%s%N) - start) / 1000000))
[ "$el" -ge 900 ] && [ "$el" -lt 4000 ] || fail "-z 1s took $el ms"
grep -q '^  \[200\]' z.txt || fail "-z: $(cat z.txt)"

# -q: per worker; 2 workers at 20/s for 20 requests take about 0.5 s, never much less.
start=$(date +%s%N)
"$CPROF" load -n 20 -c 2 -q 20 "$U/ok" >q.txt
el=$((($(date +%s%N) - start) / 1000000))
[ "$el" -ge 400 ] || fail "-q 20 -c 2 -n 20 took only $el ms"

# --rate: one 200 ms stall of the (single-threaded) server.  Measured from
# the planned send, the stall covers ~100 of 1500 requests: p99 shows it;
# from the actual send only the 4 requests in flight see it.
"$CPROF" load --rate 500 -n 1500 -c 4 -cpus 1 "$U/stall" >rate.txt
p99=$(awk '$1 == "99%" { print $3 }' rate.txt)
u99=$(awk '$1 == "99%" { print $6 }' rate.txt)
awk -v c="$p99" -v u="$u99" 'BEGIN { exit !(c >= 0.1 && u < 0.1) }' ||
    fail "--rate: corrected p99 $p99, uncorrected $u99 (want >= 0.1 and < 0.1): $(cat rate.txt)"

# Bad flags: hey's messages and statuses.
expect_fail() {
    want=$1 first=$2
    shift 2
    set +e
    "$CPROF" load "$@" >bad.out 2>bad.err
    got=$?
    set -e
    [ "$got" = "$want" ] || fail "load $*: status $got, want $want"
    [ "$(head -1 bad.err)" = "$first" ] || fail "load $*: first line '$(head -1 bad.err)', want '$first'"
    grep -q '^Usage: cprof load \[options...\] <url>' bad.err || fail "load $*: no usage"
    [ ! -s bad.out ] || fail "load $*: wrote to stdout"
}
expect_fail 1 "-n cannot be less than -c." -n 5 -c 10 "$U/ok"
expect_fail 1 "-n and -c cannot be smaller than 1." -n 0 "$U/ok"
expect_fail 1 "-c cannot be smaller than 1." -z 1s -c 0 "$U/ok"
expect_fail 2 "flag provided but not defined: -foo" -foo "$U/ok"
expect_fail 2 'invalid value "abc" for flag -n: parse error' -n abc "$U/ok"
expect_fail 2 'invalid value "1x" for flag -z: parse error' -z 1x "$U/ok"
expect_fail 2 "flag needs an argument: -n" -n
expect_fail 1 "Flag '-h' is deprecated, please use '-H' instead." -h x "$U/ok"
expect_fail 1 "could not parse the provided input; input = bad" -H bad "$U/ok"
expect_fail 1 "could not parse the provided input; input = bad" -a bad "$U/ok"
expect_fail 1 'net/http: invalid method "B D"' -m 'B D' "$U/ok"
expect_fail 1 "Usage: cprof load [options...] <url>"

# https: openssl s_server with a self-signed certificate made here.
if command -v openssl >/dev/null 2>&1; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
        -subj /CN=localhost >/dev/null 2>&1 || fail "openssl req failed"
    TP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    openssl s_server -quiet -accept "127.0.0.1:$TP" -cert cert.pem -key key.pem -www \
        >/dev/null 2>&1 &
    TLS=$!
    for _ in $(seq 50); do
        "$CPROF" load -n 1 -c 1 "https://127.0.0.1:$TP/" 2>/dev/null | grep -q '^  \[200\]' && break
        sleep 0.1
    done
    "$CPROF" load -n 20 -c 2 "https://127.0.0.1:$TP/" >tls.txt
    grep -qxF "$(printf '  [200]\t20 responses')" tls.txt || fail "https: $(cat tls.txt)"
else
    echo "SKIP https: openssl missing"
fi

# The layout, line for line, against Debian's hey on the same server: numbers
# masked; our two extra percentile lines (p99.9, p99.99) dropped first.
if command -v hey >/dev/null 2>&1; then
    mask() { grep -v '^  99\.99*% in' "$1" | sed -E 's/-?[0-9]+(\.[0-9]+)?/N/g; s/ *NaN/N/g; s/\|■*$/|/'; }
    for url in "$U/ok" "$U/code/503" http://127.0.0.1:1/; do
        hey -n 40 -c 4 "$url" >hey.txt 2>/dev/null
        "$CPROF" load -n 40 -c 4 "$url" >ours.txt
        mask hey.txt >hey.m
        mask ours.txt >ours.m
        diff hey.m ours.m >layout.diff || fail "layout differs from hey's for $url: $(cat layout.diff)"
    done
    hey -n 10 -c 2 -o csv "$U/ok" >hey.csv
    "$CPROF" load -n 10 -c 2 -o csv "$U/ok" >ours.csv
    diff "$(printf 'hey.csv')" ours.csv >/dev/null 2>&1 || true
    [ "$(sed -E 's/[0-9]+\.[0-9]+/N/g' hey.csv)" = "$(sed -E 's/[0-9]+\.[0-9]+/N/g' ours.csv)" ] ||
        fail "csv layout differs from hey's"
else
    echo "SKIP layout against hey: hey missing (scripts/deps.sh test)"
fi
echo ok
