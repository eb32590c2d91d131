# Helpers for the t_cpu_*.sh tests (sourced).  Assertions are structural:
# which function is on top, shares, comments; never absolute timings.
set -eu
EX="$CPROF_SRCDIR/$BUILD/examples"
LIB="$CPROF_SRCDIR/$BUILD/libcprof.so"
PROGS="$CPROF_SRCDIR/tests/e2e/progs"
# A sanitizer build of the runtime (make asan) runs inside uninstrumented
# test programs: let it start without being first, and ignore their leaks.
if nm -D "$LIB" 2>/dev/null | grep -q __asan_init; then
    export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
fi

fail() {
    echo "FAIL: $*"
    exit 1
}

# build_prog NAME [cc flags...]: compiles tests/e2e/progs/NAME.c into $WORK/NAME.
build_prog() {
    name=$1
    shift
    cc -std=c11 -D_GNU_SOURCE -O2 -g -I"$CPROF_SRCDIR/include" -o "$WORK/$name" \
        "$PROGS/$name.c" "$@" -lpthread || fail "cannot build $name"
}

need_go() {
    command -v go >/dev/null 2>&1 || fail "go is missing (scripts/deps.sh test installs golang-go)"
}

# pprof_top FILE [flags]: `go tool pprof -top` rows as "flat_ms name".
pprof_top() {
    f=$1
    shift
    go tool pprof -top -unit=ms -sample_index=cpu "$@" "$f" 2>/dev/null |
        awk 'rows { v = $1; sub(/ms$/, "", v); n = $6; for (i = 7; i <= NF; i++) n = n " " $i; print v, n }
             /flat%/ { rows = 1 }'
}

# summary_top ERRFILE: the first function of cprof run's summary.
summary_top() {
    awk '/flat%/ { getline; print $6; exit }' "$1"
}

# comment FILE: the cprof comments of a profile.
comments() {
    go tool pprof -raw "$1" 2>/dev/null | sed -n 's/^Comment: //p'
}
