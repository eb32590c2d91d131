#!/bin/sh
# `make demo`'s second part: the whole loop in one tool.  Starts
# examples/hello_server under `cprof run -http`, drives it with `cprof load`
# for 2.5 s, meanwhile fetches a 2 s CPU profile from its /debug/pprof
# endpoint and prints the top functions, then the load's summary.
#
#   sh examples/demo_load.sh BUILD_DIR
set -eu
B=${1:-build}
CPROF="$B/cprof"
tmp=$(mktemp -d)
DBG=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$CPROF" run -http "127.0.0.1:$DBG" -- "$B/examples/hello_server" "$tmp/port" &
SRV=$!
# cprof run passes the SIGTERM on to the server, and ends with it.
trap 'st=$?; kill "$SRV" 2>/dev/null; wait $SRV || true; rm -rf "$tmp"; exit $st' EXIT
for _ in $(seq 50); do [ -f "$tmp/port" ] && [ "$(wc -l <"$tmp/port")" = 2 ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(sed -n 1p "$tmp/port")/index.html"
echo "cprof load -z 2.5s -c 8 $URL  (and meanwhile)"
echo "cprof -top -nodecount 8 http://127.0.0.1:$DBG/debug/pprof/profile?seconds=2"
"$CPROF" load -z 2.5s -c 8 "$URL" >"$tmp/load.txt" 2>/dev/null &
LOAD=$!
sleep 0.3
# The fetched profile is saved under $PPROF_TMPDIR, as pprof does: here, the temporary directory.
PPROF_TMPDIR="$tmp" "$CPROF" -top -nodecount 8 "http://127.0.0.1:$DBG/debug/pprof/profile?seconds=2"
wait $LOAD
sed -n '/^Summary:/,/^  Requests/p; /^Status code/,/^$/p' "$tmp/load.txt"
