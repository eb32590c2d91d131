# Helpers for the t_cpu_*.sh tests (sourced).  Assertions are structural:
# which function is on top, shares, comments; never absolute timings.
set -eu
EX="$CPROF_SRCDIR/$BUILD/examples"
LIB="$CPROF_SRCDIR/$BUILD/libcprof.so"
PROGS="$CPROF_SRCDIR/tests/e2e/progs"
# A sanitizer build of the runtime (make asan) runs inside uninstrumented
# test programs: let it start without being first, and ignore their leaks.
SANITIZER=
if nm -D "$LIB" 2>/dev/null | grep -q __asan_init; then
    SANITIZER=asan
    export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
fi
# A TSan build (make tsan) needs TSan's runtime loaded first, also in
# programs linked with the runtime (cprof run arranges it for its child).
if nm -D "$LIB" 2>/dev/null | grep -q __tsan_init; then
    SANITIZER=tsan
    export LD_PRELOAD="$(ldd "$LIB" | awk '/libtsan/ { print $3 }')"
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

# summary_rows ERRFILE: cprof run's summary rows with flat > 0, as "flat_ms name".
summary_rows() {
    awk 'rows && NF >= 6 {
             v = $1 + 0
             if ($1 ~ /ms$/) v = v; else if ($1 ~ /us$/) v /= 1e3; else if ($1 ~ /s$/) v *= 1e3
             n = $6; for (i = 7; i <= NF; i++) n = n " " $i
             if (v > 0) print v, n
         }
         /flat%/ { rows = 1 }' "$1"
}

# comment FILE: the cprof comments of a profile.
comments() {
    go tool pprof -raw "$1" 2>/dev/null | sed -n 's/^Comment: //p'
}

# traces FILE: the stacks of `go tool pprof -traces`, one a line, as
# "ms leaf;caller;...;root" (inline frames keep pprof's " (inline)" mark).
traces() {
    go tool pprof -traces -sample_index=cpu "$1" 2>/dev/null | awk '
        function flush() { if (st != "") print v, st; st = ""; v = -1 }
        function ms(s,   n) {
            n = s + 0
            if (s ~ /ns$/) return n / 1e6
            if (s ~ /us$/) return n / 1e3
            if (s ~ /ms$/) return n
            if (s ~ /s$/) return n * 1e3
            return n
        }
        function name(from,   i, s) { s = $from; for (i = from + 1; i <= NF; i++) s = s " " $i; return s }
        BEGIN { v = -1 }
        /^-+\+-+$/ { flush(); next }
        $1 ~ /^[0-9.]+(ns|us|ms|s)$/ && NF >= 2 { v = ms($1); st = name(2); next }
        v >= 0 && NF >= 1 { st = st ";" name(1) }
        END { flush() }'
}

# chain_share TRACES LEAF F1 F2 ...: percent of the CPU time of stacks whose
# leaf is LEAF in which F1, F2, ... follow as callers, in that order (other
# frames may sit between them).  Names match as substrings (qsort: __qsort_r).
chain_share() {
    tr=$1
    shift
    awk -v want="$*" '
        BEGIN { nw = split(want, w, " ") }
        {
            v = $1; st = substr($0, length($1) + 2); n = split(st, f, ";")
            if (index(f[1], w[1]) == 0) next
            all += v; j = 2
            for (i = 2; i <= n && j <= nw; i++) if (index(f[i], w[j]) > 0) j++
            if (j > nw) ok += v
        }
        END { printf "%.1f\n", (all > 0 ? 100 * ok / all : 0) }' "$tr"
}
