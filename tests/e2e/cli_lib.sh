# Helpers for the t_cli_*.sh tests (sourced, not run: run.sh only runs t_*.sh).
# expect STATUS CMD...: runs CMD with stdout/stderr in $WORK/out, $WORK/err and
# checks its exit status.
expect() {
    want=$1
    shift
    set +e
    "$@" >"$WORK/out" 2>"$WORK/err"
    got=$?
    set -e
    if [ "$got" != "$want" ]; then
        echo "exit status $got, want $want: $*"
        echo "--- stderr"; head -5 "$WORK/err"
        exit 1
    fi
}
# err_is TEXT: stderr is exactly the one line TEXT.
err_is() {
    printf '%s\n' "$1" | cmp -s - "$WORK/err" || {
        echo "stderr differs; want: $1"; echo "got:"; cat "$WORK/err"; exit 1; }
}
# err_first_is TEXT: the first line of stderr is TEXT.
err_first_is() {
    [ "$(head -n 1 "$WORK/err")" = "$1" ] || {
        echo "first stderr line differs; want: $1"; echo "got:"; head -3 "$WORK/err"; exit 1; }
}
FIX="$CPROF_SRCDIR/fuzz/corpus/decode"
