# Helpers for the t_http_*.sh tests (sourced): start tests/e2e/progs/http_app
# with the endpoint on an ephemeral loopback port, and stop it.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
command -v curl >/dev/null 2>&1 || fail "curl is missing (scripts/deps.sh test installs it)"
export PPROF_TMPDIR="$WORK/pprof"

# start_app SECONDS [ENV...]: runs the app in the background; sets APP_PID, PORT, U.
start_app() {
    secs=$1
    shift
    : >"$WORK/app.err"
    env CPROF_HTTP=127.0.0.1:0 LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD:}$LIB" "$@" "$WORK/http_app" "$secs" \
        >"$WORK/app.out" 2>"$WORK/app.err" &
    APP_PID=$!
    PORT=""
    for _ in $(seq 100); do
        PORT=$(sed -n 's|^cprof: serving http://127.0.0.1:\([0-9]*\)/debug/pprof/$|\1|p' \
            "$WORK/app.err" || true)
        [ -n "$PORT" ] && break
        sleep 0.05
    done
    [ -n "$PORT" ] || fail "the endpoint did not start: $(cat "$WORK/app.err")"
    U="http://127.0.0.1:$PORT/debug/pprof"
}

# stop_app: waits for the app (it ends by itself) and checks its work.
stop_app() {
    wait "$APP_PID" || fail "the program exited $?: $(cat "$WORK/app.err")"
    grep -q '^work ok' "$WORK/app.out" || fail "the program's work is wrong: $(cat "$WORK/app.out")"
    APP_PID=""
}

cleanup_app() {
    [ -n "${APP_PID:-}" ] && kill "$APP_PID" 2>/dev/null
    return 0
}
trap cleanup_app EXIT

# status URL [curl args]: prints the HTTP status of a request.
status() {
    u=$1
    shift
    curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$@" "$u"
}
