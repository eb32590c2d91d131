# Helpers for the t_heap_*.sh tests (sourced after lib_cpu.sh).

# site FILE INDEX FUNC: FUNC's flat value of sample type INDEX (exact integer).
site() {
    go tool pprof -top -unit=B -nodefraction=0 -nodecount=100000 -sample_index="$2" "$1" 2>/dev/null |
        awk -v f="$3" 'rows && $6 == f { v = $1; sub(/B$/, "", v); print v; found = 1 }
                       /flat%/ { rows = 1 } END { if (!found) print 0 }'
}

# expect_eq WHAT GOT WANT
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: got $2, want $3"
    echo "$1 = $2"
}

# within PCT WHAT GOT WANT: |GOT - WANT| <= PCT% of WANT.
within() {
    awk -v p="$1" -v g="$3" -v w="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= w * p / 100) }' ||
        fail "$2: got $3, want $4 +- $1%"
    echo "$2 = $3 (want $4 +- $1%)"
}

# heap_run FILE [ENV...] -- PROG ARGS: runs PROG with the runtime preloaded, a 60 s limit.
heap_env() {
    env LD_PRELOAD="$LIB" "$@"
}
