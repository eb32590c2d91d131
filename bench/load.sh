#!/bin/sh
# cprof load beside wrk (and hey when installed) on nginx-light serving a
# 615-byte static file on loopback: one nginx worker, one client thread
# each, the same connections and duration, alternated ROUNDS times.  For
# each: requests/s, client CPU per request (user+system from the rusage
# GNU time reports), requests per CPU-second, and with strace the system
# calls per request.  Targets: req/s >= wrk's, CPU/request <= 0.8x wrk's.
# Then HTTP/2 over TLS: cprof load -h2 beside h2load (nghttp2-client), one
# connection carrying CONNS streams for each.
#
#   BUILD=build sh bench/load.sh     (CONNS=50 SECS=5 ROUNDS=3 by default)
set -eu

BUILD=${BUILD:-build}
CONNS=${CONNS:-50}
SECS=${SECS:-5}
ROUNDS=${ROUNDS:-3}
CPROF="$(pwd)/$BUILD/cprof"
for t in nginx wrk /usr/bin/time; do
    command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] || [ -x "/usr/sbin/$t" ] ||
        { echo "SKIP load bench: $t missing (scripts/deps.sh bench)"; exit 0; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
tmp=$(mktemp -d)
mkdir -p "$tmp/html" "$tmp/logs"
head -c 615 /dev/zero | tr '\0' x >"$tmp/html/index.html"
# nginx's worker (not root) must read the file: mktemp -d is private.
chmod 755 "$tmp" "$tmp/html"
chmod 644 "$tmp/html/index.html"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" -days 2 -subj /CN=localhost >/dev/null 2>&1
cat >"$tmp/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $tmp/b; proxy_temp_path $tmp/p; fastcgi_temp_path $tmp/f;
  uwsgi_temp_path $tmp/u; scgi_temp_path $tmp/s;
  server { listen 127.0.0.1:$PORT; root $tmp/html; }
  server {
    listen 127.0.0.1:$PORT2 ssl http2;
    ssl_certificate $tmp/cert.pem;
    ssl_certificate_key $tmp/key.pem;
    root $tmp/html;
  }
}
EOF
"$NGINX" -c "$tmp/nginx.conf" -p "$tmp" 2>/dev/null
trap 'kill "$(cat "$tmp/nginx.pid")" 2>/dev/null; rm -rf "$tmp"' EXIT
URL="http://127.0.0.1:$PORT/index.html"
sleep 0.3

# run NAME CMD...: one timed run; appends "NAME requests cpu_s wall_s" to $tmp/res.
run() {
    name=$1
    shift
    /usr/bin/time -f '%U %S %e' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || true
    if [ "$name" = cprof ] && ! grep -q '^  \[200\]' "$tmp/out"; then
        echo "bench: cprof load got no 200 responses: $(grep -A3 '^Status' "$tmp/out")" >&2
    fi
    case $name in
    wrk) reqs=$(awk '/requests in/ { print $1 }' "$tmp/out") ;;
    *) reqs=$(awk '/Requests\/sec:/ { r = $2 } /Total:/ { t = $2 } END { printf "%.0f", r * t }' "$tmp/out") ;;
    esac
    awk -v n="$name" -v r="$reqs" '{ print n, r, $1 + $2, $3 }' "$tmp/time" >>"$tmp/res"
}

for i in $(seq "$ROUNDS"); do
    run wrk wrk -t1 -c"$CONNS" -d"${SECS}s" "$URL"
    run cprof "$CPROF" load -cpus 1 -c "$CONNS" -z "${SECS}s" "$URL"
    if command -v hey >/dev/null 2>&1; then
        run hey hey -cpus 1 -c "$CONNS" -z "${SECS}s" "$URL"
    fi
done

echo "load generators on nginx (1 worker), $CONNS connections, ${SECS}s, $ROUNDS rounds, 1 client thread"
printf '%-6s %12s %14s %16s\n' tool "requests/s" "CPU us/req" "req/CPU-second"
awk '{ n[$1] += $2; c[$1] += $3; w[$1] += $4 }
     END { for (t in n) printf "%-6s %12.0f %14.2f %16.0f\n", t, n[t] / w[t], 1e6 * c[t] / n[t], n[t] / c[t] }' \
    "$tmp/res" | sort
awk '{ n[$1] += $2; c[$1] += $3; w[$1] += $4 }
     END { if (n["wrk"] && n["cprof"])
             printf "cprof/wrk: requests/s %.2fx, CPU per request %.2fx\n",
                 (n["cprof"] / w["cprof"]) / (n["wrk"] / w["wrk"]), (c["cprof"] / n["cprof"]) / (c["wrk"] / n["wrk"]) }' \
    "$tmp/res"

# System calls per request (strace slows both alike; the counts are what matters).
if command -v strace >/dev/null 2>&1; then
    for t in wrk cprof; do
        if [ $t = wrk ]; then
            set -- wrk -t1 -c"$CONNS" -d2s "$URL"
        else
            set -- "$CPROF" load -cpus 1 -c "$CONNS" -z 2s "$URL"
        fi
        strace -c -f -o "$tmp/strace" "$@" >"$tmp/out" 2>/dev/null || true
        case $t in
        wrk) reqs=$(awk '/requests in/ { print $1 }' "$tmp/out") ;;
        *) reqs=$(awk '/Requests\/sec:/ { r = $2 } /Total:/ { t = $2 } END { printf "%.0f", r * t }' "$tmp/out") ;;
        esac
        calls=$(awk '$NF == "total" { print $4 }' "$tmp/strace")
        awk -v t=$t -v c="$calls" -v r="$reqs" 'BEGIN { if (r > 0) printf "%-6s %.2f system calls per request (strace -c -f)\n", t, c / r }'
    done
fi

# HTTP/2: one connection, CONNS concurrent streams, one client thread each.
if command -v h2load >/dev/null 2>&1; then
    : >"$tmp/res2"
    URL2="https://127.0.0.1:$PORT2/index.html"
    for i in $(seq "$ROUNDS"); do
        /usr/bin/time -f '%U %S %e' -o "$tmp/time" h2load -t1 -c1 -m"$CONNS" -D"$SECS" "$URL2" \
            >"$tmp/out" 2>"$tmp/err" || true
        reqs=$(awk '/^requests:/ { print $8 }' "$tmp/out")
        awk -v r="$reqs" '{ print "h2load", r, $1 + $2, $3 }' "$tmp/time" >>"$tmp/res2"
        /usr/bin/time -f '%U %S %e' -o "$tmp/time" "$CPROF" load -h2 -cpus 1 -c "$CONNS" \
            -z "${SECS}s" "$URL2" >"$tmp/out" 2>"$tmp/err" || true
        reqs=$(awk '/^  \[200\]/ { print $2 }' "$tmp/out")
        awk -v r="$reqs" '{ print "cprof", r, $1 + $2, $3 }' "$tmp/time" >>"$tmp/res2"
    done
    echo "HTTP/2 over TLS on nginx, 1 connection x $CONNS streams, ${SECS}s, $ROUNDS rounds, 1 client thread"
    printf '%-6s %12s %14s %16s\n' tool "requests/s" "CPU us/req" "req/CPU-second"
    awk '{ n[$1] += $2; c[$1] += $3; w[$1] += $4 }
         END { for (t in n) printf "%-6s %12.0f %14.2f %16.0f\n", t, n[t] / w[t], 1e6 * c[t] / n[t], n[t] / c[t] }' \
        "$tmp/res2" | sort
else
    echo "SKIP h2 bench: h2load missing (nghttp2-client, scripts/deps.sh bench)"
fi
