#!/bin/sh
# Forked children are followed.  A pre-fork server under `cprof run -http`:
# its worker (forked, no exec; the parent only waits) serves its own
# /debug/pprof/ on a port of its own, says so on stderr, is listed on the
# parent's index page, and its CPU profile under load holds the request
# handler.  A daemon (fork, setsid, fork, fds 0-2 closed, the launcher
# exits at once) is profiled after it detaches: FILE.<pid> with its work.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
command -v curl >/dev/null || fail "curl is missing"
cd "$WORK"
build_prog prefork -I"$PROGS"
build_prog daemon -I"$PROGS"

# ---- pre-fork server ----
"$CPROF" run -http 127.0.0.1:0 -- ./prefork port 20 >pf.out 2>pf.err &
run_pid=$!
cleanup() { kill "$run_pid" 2>/dev/null || true; }
trap cleanup EXIT
i=0
while ! grep -q 'serving /debug/pprof on' pf.err 2>/dev/null || [ ! -s port ]; do
    i=$((i + 1))
    [ $i -le 300 ] || { cat pf.err; fail "the worker never announced its endpoint"; }
    sleep 0.1
done
cat pf.err
read app_port worker <port
child_url=$(sed -n "s/^cprof: pid $worker (.*prefork.*) serving \/debug\/pprof on \(http[^ ]*\)$/\1/p" pf.err)
parent_url=$(sed -n 's/^cprof: serving \(http[^ ]*\)$/\1/p' pf.err)
[ -n "$child_url" ] || fail "no announcement for worker $worker"
[ -n "$parent_url" ] || fail "no parent endpoint"
[ "$child_url" != "$parent_url" ] || fail "the worker shares its parent's endpoint"
curl -s "$parent_url" >index.html || fail "parent index"
grep -q "href=\"$child_url\">pid $worker</a> ./prefork port 20" index.html ||
    { cat index.html; fail "the parent's index does not list worker $worker"; }
curl -s "${child_url}cmdline" | tr '\0' ' ' | grep -q prefork || fail "worker cmdline"
# Load: requests of 20 ms CPU each while the worker's profile is taken.
(
    end=$(($(date +%s) + 6))
    while [ "$(date +%s)" -lt "$end" ]; do curl -s "http://127.0.0.1:$app_port/" >/dev/null; done
) &
load=$!
sleep 0.5
"$CPROF" -seconds 3 -raw "${child_url}profile" >raw.txt 2>fetch.err ||
    { cat fetch.err; fail "cannot fetch the worker's profile"; }
wait "$load"
n=$(awk '/^Samples:/ { s = 1; next } s && /^ *[0-9]/ { n++ } END { print n + 0 }' raw.txt)
grep -q handle_request raw.txt || { head -40 raw.txt; fail "no handle_request in the worker's profile"; }
echo "worker profile: $n sample rows, handle_request present"
curl -s "http://127.0.0.1:$app_port/quit" >/dev/null
wait "$run_pid" || fail "cprof run exited $?"
trap - EXIT
grep -q 'prefork ok' pf.out || fail "prefork did not finish"
echo "pre-fork ok"

# ---- daemon ----
rm -f done d.pb.gz*
"$CPROF" run -cpu d.pb.gz -hz 1000 -- ./daemon "$WORK/done" 0.5 >d.out 2>d.err || fail "daemon launcher failed"
i=0
while [ ! -s done ]; do
    i=$((i + 1))
    [ $i -le 300 ] || fail "the daemon never finished"
    sleep 0.1
done
dpid=$(cat done)
i=0
while [ ! -s "d.pb.gz.$dpid" ]; do # written by its exit, just after DONEFILE
    i=$((i + 1))
    [ $i -le 100 ] || { ls; fail "the daemon $dpid wrote no d.pb.gz.$dpid"; }
    sleep 0.1
done
ms=$(pprof_top "d.pb.gz.$dpid" | awk '$2 == "burn" { print $1 }')
echo "daemon $dpid: burn ${ms:-0} ms"
awk -v m="${ms:-0}" 'BEGIN { exit !(m >= 200) }' || fail "daemon profile: burn ${ms:-0} ms, want ~500"
echo ok
