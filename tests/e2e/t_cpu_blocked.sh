#!/bin/sh
# Worker threads that block every signal (xz -T2, servers with a sigwait
# thread) are still sampled: the profile holds >= 85% of the process's CPU
# time (getrusage; the workers burn 1 s, the runtime's own start-up is
# not sampled).  A thread that blocks with a raw rt_sigprocmask (no
# library sees it) is not sampled, and the profile and stderr say how much
# CPU that left out; the /debug/pprof/profile endpoint says it too rather
# than answering an empty profile.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
cd "$WORK"
build_prog block_workers
total_ms() {
    go tool pprof -top -unit=ms -sample_index=cpu "$1" 2>/dev/null |
        sed -n 's/.* of \([0-9.]*\)ms total.*/\1/p'
}
for t in perf posix; do
    st=0
    CPROF_CPU_TIMER=$t "$CPROF" run -cpu b.pb.gz -hz 1000 -- "$WORK/block_workers" pthread 1 \
        >out 2>err || st=$?
    [ "$st" -eq 0 ] || { cat out err; fail "block_workers under $t exited $st"; }
    cpu=$(sed -n 's/^block_workers ok cpu_ms=//p' out)
    [ -n "$cpu" ] || { cat out; fail "block_workers under $t"; }
    tot=$(total_ms b.pb.gz)
    echo "$t: profile ${tot:-0} ms of $cpu ms CPU"
    awk -v p="${tot:-0}" -v c="$cpu" 'BEGIN { exit !(p >= 0.85 * c) }' ||
        { cat err; fail "under $t the profile holds ${tot:-0} ms of $cpu ms"; }
    [ "$(summary_top err)" = burn ] || { cat err; fail "under $t burn is not on top"; }
done
# Raw system call: not sampled, but said.
st=0
"$CPROF" run -cpu c.pb.gz -hz 1000 -- "$WORK/block_workers" raw >out 2>err || st=$?
[ "$st" -eq 0 ] || { cat out err; fail "block_workers raw exited $st"; }
grep -q '^cprof: [0-9]* ms of CPU in threads that block signal [0-9]* were not sampled' err ||
    { cat err; fail "no warning on stderr"; }
comments c.pb.gz | grep -q 'ms of CPU in threads that block signal [0-9]* were not sampled' ||
    { comments c.pb.gz; fail "no comment in the profile"; }
cpu=$(sed -n 's/^block_workers ok cpu_ms=//p' out)
tot=$(total_ms c.pb.gz)
echo "raw: profile ${tot:-0} ms of $cpu ms CPU"
awk -v p="${tot:-0}" -v c="$cpu" 'BEGIN { exit !(p >= 0.6 * c) }' ||
    fail "the unsampled time is not in the profile: ${tot:-0} ms of $cpu ms"
# The endpoint, while the workers burn with the signal blocked.
command -v curl >/dev/null 2>&1 || fail "curl is missing (scripts/deps.sh test installs it)"
env CPROF_HTTP=127.0.0.1:0 LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD:}$LIB" \
    "$WORK/block_workers" raw 4 >app.out 2>app.err &
app=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's|^cprof: serving http://127.0.0.1:\([0-9]*\)/debug/pprof/$|\1|p' app.err)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { kill $app; fail "the endpoint did not start: $(cat app.err)"; }
curl -s -o ep.pb.gz "http://127.0.0.1:$port/debug/pprof/profile?seconds=1" ||
    { kill $app; fail "cannot fetch the profile"; }
wait $app || fail "block_workers under the endpoint exited $?"
tot=$(total_ms ep.pb.gz)
echo "endpoint: ${tot:-0} ms"
awk -v p="${tot:-0}" 'BEGIN { exit !(p >= 20) }' || { comments ep.pb.gz; fail "the endpoint's profile is empty"; }
comments ep.pb.gz | grep -q 'were not sampled' || { comments ep.pb.gz; fail "the endpoint's profile does not say why"; }
echo ok
