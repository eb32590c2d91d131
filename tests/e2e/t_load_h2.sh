#!/bin/sh
# cprof load -h2 against nginx (listen ... ssl http2, a self-signed
# certificate made here; no files served: nginx's workers may not read $WORK): exact request counts as nginx logged them, all
# over HTTP/2, -c streams on one connection per worker thread, nginx's
# GOAWAY after 1000 requests crossed without an error, status codes,
# redirects, POST bodies and headers, -disable-keepalive, -o csv, -z,
# connection errors, -t on a server that never answers, HTTP/1.1
# when the server does not offer h2, and https through a CONNECT proxy.
set -eu
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ] || ! command -v openssl >/dev/null 2>&1; then
    echo "SKIP load -h2: nginx or openssl missing (scripts/deps.sh test)"
    exit 0
fi
cd "$WORK"
mkdir -p logs
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem \
    -out cert.pem -days 2 -subj /CN=localhost >/dev/null 2>&1 || fail "openssl req failed"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P2=$(port)
P1=$(port)
cat >nginx.conf <<EOF
worker_processes 1;
daemon on;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log;
events { worker_connections 1024; }
http {
  log_format p '\$server_protocol \$connection \$request_method \$request_uri \$status \$content_length \$http_x_test';
  access_log $WORK/access.log p;
  keepalive_requests 1000;
  client_body_temp_path $WORK/b; proxy_temp_path $WORK/p; fastcgi_temp_path $WORK/f;
  uwsgi_temp_path $WORK/u; scgi_temp_path $WORK/s;
  ssl_certificate $WORK/cert.pem;
  ssl_certificate_key $WORK/key.pem;
  server {
    listen 127.0.0.1:$P2 ssl http2;
    location = /ok { return 200 "hello"; }
    location = /redirect { return 302 /ok; }
    location = /code/404 { return 404; }
    location = /echo { return 200 "echo"; }
  }
  server {
    listen 127.0.0.1:$P1 ssl;
    location = /ok { return 200 "hello"; }
  }
}
EOF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" 2>nginx.err || fail "nginx: $(cat nginx.err)"
trap 'kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; [ -n "${HANG:-}" ] && kill $HANG 2>/dev/null; true' EXIT
U="https://127.0.0.1:$P2"
for _ in $(seq 50); do [ -s nginx.pid ] && break; sleep 0.1; done

# log: empties nginx's access log (reopened on USR1).
log() {
    : >access.log
    kill -USR1 "$(cat nginx.pid)"
    sleep 0.2
}
status_line() { printf '  [%s]\t%s responses' "$1" "$2"; }
# seen PATTERN: requests nginx logged matching PATTERN.
seen() { grep -c "$1" access.log || true; }

# Exact -n over HTTP/2, crossing nginx's GOAWAY after 1000 requests per
# connection: the refused streams are resent, no error.  2 workers, 2 x 1250.
log
"$CPROF" load -h2 -cpus 2 -n 2500 -c 10 "$U/ok" >sum.txt
grep -qxF "$(status_line 200 2500)" sum.txt || fail "-h2 -n 2500: $(cat sum.txt)"
grep -q '^Error distribution' sum.txt && fail "-h2 errors: $(cat sum.txt)"
[ "$(seen '^HTTP/2.0 .* GET /ok 200')" = 2500 ] || fail "nginx saw $(wc -l <access.log) requests: $(sort access.log | uniq -c | head)"
[ "$(seen -v '^HTTP/2.0')" = 0 ] || fail "not all HTTP/2: $(grep -v '^HTTP/2.0' access.log | head -3)"
conns=$(awk '{ print $2 }' access.log | sort -u | wc -l)
[ "$conns" = 4 ] || fail "2 workers x 1250 requests at 1000 per connection: $conns connections"
[ "$(awk '/Total data:/ { print $3 }' sum.txt)" = 12500 ] || fail "total data: $(grep 'Total data' sum.txt)"

# One worker: its 10 streams share one connection (Go's transport: one per host).
log
"$CPROF" load -h2 -cpus 1 -n 500 -c 10 "$U/ok" >one.txt
grep -qxF "$(status_line 200 500)" one.txt || fail "-cpus 1: $(cat one.txt)"
[ "$(awk '{ print $2 }' access.log | sort -u | wc -l)" = 1 ] || fail "-cpus 1: not one connection"

# Statuses, redirects (followed on the connection, or not), POST with a body and headers.
"$CPROF" load -h2 -n 20 -c 4 "$U/code/404" >s404.txt
grep -qxF "$(status_line 404 20)" s404.txt || fail "404: $(cat s404.txt)"
log
"$CPROF" load -h2 -n 10 -c 2 "$U/redirect" >sred.txt
grep -qxF "$(status_line 200 10)" sred.txt || fail "redirect not followed: $(cat sred.txt)"
[ "$(seen 'GET /ok 200')" = 10 ] || fail "redirect: $(cat access.log)"
"$CPROF" load -h2 -n 10 -c 2 -disable-redirects "$U/redirect" >s302.txt
grep -qxF "$(status_line 302 10)" s302.txt || fail "302: $(cat s302.txt)"
log
"$CPROF" load -h2 -n 5 -c 1 -m POST -d 'the body' -H 'x-test: yes' "$U/echo" >post.txt
grep -qxF "$(status_line 200 5)" post.txt || fail "POST: $(cat post.txt)"
[ "$(seen '^HTTP/2.0 [0-9]* POST /echo 200 8 yes$')" = 5 ] || fail "POST: $(cat access.log)"

# -disable-keepalive: a connection per request.
log
"$CPROF" load -h2 -n 20 -c 4 -disable-keepalive "$U/ok" >nk.txt
grep -qxF "$(status_line 200 20)" nk.txt || fail "-disable-keepalive: $(cat nk.txt)"
[ "$(awk '{ print $2 }' access.log | sort -u | wc -l)" = 20 ] || fail "-disable-keepalive: connections reused"

# -o csv: a row per response.
"$CPROF" load -h2 -n 50 -c 5 -o csv "$U/ok" >out.csv
[ "$(grep -cE '^[0-9]+\.[0-9]{4}(,[0-9]+\.[0-9]{4}){5},200,[0-9]+\.[0-9]{4}$' out.csv)" = 50 ] ||
    fail "csv rows: $(head -3 out.csv)"

# -z: prompt stop, streams in flight reported as aborted.
start=$(date +%s%N)
"$CPROF" load -h2 -z 1s -c 8 "$U/ok" >z.txt 2>/dev/null
el=$((($(date +%s%N) - start) / 1000000))
[ "$el" -ge 900 ] && [ "$el" -lt 4000 ] || fail "-z 1s took $el ms"
grep -q '^  \[200\]' z.txt || fail "-z: $(cat z.txt)"

# Errors: each request fails with Go's text.
"$CPROF" load -h2 -n 7 -c 2 https://127.0.0.1:1/ >refused.txt || fail "refused: exit status $?"
grep -qxF "$(printf '  [7]\tGet "https://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused')" \
    refused.txt || fail "refused: $(cat refused.txt)"

# -t: a server that takes connections and never answers the handshake.
PH=$(port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); open("hang.up", "w").close(); time.sleep(60)' "$PH" &
HANG=$!
for _ in $(seq 100); do [ -e hang.up ] && break; sleep 0.1; done
start=$(date +%s%N)
"$CPROF" load -h2 -n 4 -c 2 -t 1 "https://127.0.0.1:$PH/" >hang.txt
el=$((($(date +%s%N) - start) / 1000000))
grep -q '^  \[4\]	Get "https://127.0.0.1:'"$PH"'/": context deadline exceeded' hang.txt ||
    fail "-t 1: $(cat hang.txt)"
[ "$el" -lt 10000 ] || fail "-t 1 with 2 rounds took $el ms"

# A server without h2: HTTP/1.1 over the same TLS, as Go falls back.
log
"$CPROF" load -h2 -n 30 -c 3 "https://127.0.0.1:$P1/ok" >h1.txt
grep -qxF "$(status_line 200 30)" h1.txt || fail "fallback: $(cat h1.txt)"
[ "$(seen '^HTTP/1.1 .* GET /ok 200')" = 30 ] || fail "fallback: $(cat access.log)"

# https through a proxy (-x): a CONNECT tunnel per connection, HTTP/2 or
# HTTP/1.1 inside; a tunnel the proxy refuses fails each request with its reason.
python3 "$CPROF_SRCDIR/tests/e2e/connect_proxy.py" &
PROXY=$!
trap 'kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; kill $PROXY 2>/dev/null; [ -n "${HANG:-}" ] && kill $HANG 2>/dev/null; true' EXIT
for _ in $(seq 100); do [ -s proxy.port ] && break; sleep 0.1; done
X="127.0.0.1:$(cat proxy.port)"
log
"$CPROF" load -h2 -cpus 1 -n 200 -c 4 -x "$X" "$U/ok" >px2.txt
grep -qxF "$(status_line 200 200)" px2.txt || fail "-x -h2: $(cat px2.txt)"
[ "$(seen '^HTTP/2.0 .* GET /ok 200')" = 200 ] || fail "-x -h2: $(sort access.log | uniq -c)"
"$CPROF" load -cpus 1 -n 30 -c 3 -x "$X" "https://127.0.0.1:$P1/ok" >px1.txt
grep -qxF "$(status_line 200 30)" px1.txt || fail "-x https: $(cat px1.txt)"
[ "$(seen '^HTTP/1.1 .* GET /ok 200')" = 30 ] || fail "-x https: $(sort access.log | uniq -c)"
[ "$(grep -cxF "CONNECT 127.0.0.1:$P2 HTTP/1.1" proxy.log)" = 1 ] || fail "-x -h2 tunnels: $(cat proxy.log)"
[ "$(grep -cxF "CONNECT 127.0.0.1:$P1 HTTP/1.1" proxy.log)" = 3 ] || fail "-x https tunnels: $(cat proxy.log)"
"$CPROF" load -n 3 -c 1 -x "$X" https://127.0.0.1:9/ >px403.txt
grep -qxF "$(printf '  [3]\tGet "https://127.0.0.1:9/": Forbidden')" px403.txt ||
    fail "-x refused: $(cat px403.txt)"
echo ok
