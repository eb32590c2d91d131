#!/bin/sh
# Codec benchmark: cprof against go tool pprof, side by side in one run.
#
#   BUILD=build sh bench/run.sh          (what `make bench` runs)
#
# Generates a large CPU profile once ($BUILD/bench/big.pb.gz, by
# $BUILD/bench/gen_profile), then times `cprof -proto -output X big.pb.gz`
# and `go tool pprof -proto -output Y big.pb.gz` (decode, merge, encode,
# gzip) and measures the peak RSS of each.  Prints a table and writes
# $BUILD/bench/codec.json.  See bench/README.md.
#
# Environment: REPS (timed runs per tool, default 5), CPROF (default
# $BUILD/cprof), TIMER=date (time with a date loop even when hyperfine is
# installed), VERIFY=1 (also check that both outputs hold the same
# profile, with pprof -raw: slow).
set -eu

BUILD=${BUILD:-build}
REPS=${REPS:-5}
CPROF=${CPROF:-$BUILD/cprof}
dir="$BUILD/bench"
gen="$dir/gen_profile"
big="$dir/big.pb.gz"
json="$dir/codec.json"

die() {
    echo "bench/run.sh: $*" >&2
    exit 1
}

[ -x "$gen" ] || die "$gen is missing (run: make bench)"
[ -x "$CPROF" ] || die "$CPROF is missing (run: make bench)"
command -v go >/dev/null 2>&1 || die "go is missing (run: sh scripts/deps.sh bench)"
# The pprof binary itself, not the `go tool` wrapper: the wrapper adds its
# own start-up time and is the process /usr/bin/time would see first.
pprof="$(go env GOTOOLDIR)/pprof"
[ -x "$pprof" ] || die "$pprof is missing"
gover=$(go env GOVERSION)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ ! -s "$big" ] || [ "$gen" -nt "$big" ]; then
    echo "generating $big ..."
    "$gen" "$big.tmp" && mv "$big.tmp" "$big"
fi
bytes=$(wc -c <"$big" | tr -d ' ')

cprof_cmd="$CPROF -proto -output $tmp/cprof.pb.gz $big"
pprof_cmd="$pprof -proto -output $tmp/pprof.pb.gz $big"

# One checked run each: a tool that fails is reported, not timed.
$cprof_cmd >"$tmp/cprof.log" 2>&1 || { cat "$tmp/cprof.log" >&2; die "cprof -proto failed"; }
$pprof_cmd >"$tmp/pprof.log" 2>&1 || { cat "$tmp/pprof.log" >&2; die "pprof -proto failed"; }
[ -s "$tmp/cprof.pb.gz" ] || die "cprof -proto wrote nothing"

if [ "${VERIFY:-0}" = 1 ]; then
    echo "verifying: pprof -raw of both outputs ..."
    TZ=UTC "$pprof" -raw "$tmp/cprof.pb.gz" 2>/dev/null | grep -v '^Time: ' >"$tmp/c.raw"
    TZ=UTC "$pprof" -raw "$tmp/pprof.pb.gz" 2>/dev/null | grep -v '^Time: ' >"$tmp/p.raw"
    cmp -s "$tmp/c.raw" "$tmp/p.raw" || {
        diff "$tmp/p.raw" "$tmp/c.raw" | head -n 20 >&2
        die "cprof and pprof outputs differ"
    }
fi

# median: reads numbers, one a line; prints their median.
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Wall times, seconds.
if [ "${TIMER:-}" != date ] && command -v hyperfine >/dev/null 2>&1; then
    timer="hyperfine"
    hyperfine -N --warmup 1 --runs "$REPS" --export-json "$tmp/h.json" \
        -n cprof "$cprof_cmd" -n pprof "$pprof_cmd" >&2
    # Results come in command order; each has one "median" key.
    grep -o '"median": *[0-9.eE+-]*' "$tmp/h.json" | sed 's/.*: *//' >"$tmp/medians"
    t_cprof=$(sed -n 1p "$tmp/medians")
    t_pprof=$(sed -n 2p "$tmp/medians")
else
    timer="date"
    loop() { # loop NAME CMD...: REPS timed runs after one warm-up run
        name=$1
        shift
        "$@" >/dev/null 2>&1
        i=0
        while [ "$i" -lt "$REPS" ]; do
            t0=$(date +%s%N)
            "$@" >/dev/null 2>&1
            t1=$(date +%s%N)
            echo "$(((t1 - t0) / 1000))" | awk '{ printf "%.6f\n", $1 / 1e6 }'
            i=$((i + 1))
        done >"$tmp/$name.times"
    }
    # shellcheck disable=SC2086
    loop cprof $cprof_cmd
    # shellcheck disable=SC2086
    loop pprof $pprof_cmd
    t_cprof=$(median <"$tmp/cprof.times")
    t_pprof=$(median <"$tmp/pprof.times")
fi

# Peak RSS, KiB, and CPU time (user + system, all threads), s: medians over
# a few runs.  Both tools use more than one thread (cprof splits big
# profiles across processors, Go runs its collector beside the program),
# so the CPU time is shown next to the wall time.
rss() { # rss NAME CMD...: writes $tmp/NAME.rss and $tmp/NAME.cpu
    name=$1
    shift
    i=0
    : >"$tmp/$name.rss"
    : >"$tmp/$name.cpu"
    while [ "$i" -lt 3 ]; do
        /usr/bin/time -f '%M %U %S' -o "$tmp/$name.rss1" "$@" >/dev/null 2>&1
        tail -n 1 "$tmp/$name.rss1" | awk '{ print $1 }' >>"$tmp/$name.rss"
        tail -n 1 "$tmp/$name.rss1" | awk '{ print $2 + $3 }' >>"$tmp/$name.cpu"
        i=$((i + 1))
    done
}
if [ -x /usr/bin/time ]; then
    # shellcheck disable=SC2086
    rss cprof $cprof_cmd
    # shellcheck disable=SC2086
    rss pprof $pprof_cmd
    m_cprof=$(median <"$tmp/cprof.rss")
    m_pprof=$(median <"$tmp/pprof.rss")
    c_cprof=$(median <"$tmp/cprof.cpu")
    c_pprof=$(median <"$tmp/pprof.cpu")
else
    echo "bench/run.sh: /usr/bin/time missing (sh scripts/deps.sh bench): no memory figures" >&2
    m_cprof=0
    m_pprof=0
    c_cprof=0
    c_pprof=0
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "null" }'; }
speed=$(ratio "$t_pprof" "$t_cprof")
mem=$(ratio "$m_pprof" "$m_cprof")
cpu=$(ratio "$c_pprof" "$c_cprof")

echo
echo "codec: decode + re-encode $big ($bytes bytes gzipped), median of $REPS runs ($timer)"
printf '%-34s %12s %10s %14s\n' "" "wall s" "CPU s" "peak RSS MiB"
awk -v t="$t_cprof" -v c="$c_cprof" -v m="$m_cprof" \
    'BEGIN { printf "%-34s %12.3f %10.2f %14.1f\n", "cprof -proto", t, c, m / 1024 }'
awk -v t="$t_pprof" -v c="$c_pprof" -v m="$m_pprof" -v g="$gover" \
    'BEGIN { printf "%-34s %12.3f %10.2f %14.1f\n", "go tool pprof -proto (" g ")", t, c, m / 1024 }'
printf '%-34s %11sx %9sx %13sx\n' "pprof / cprof" "$speed" "$cpu" "$mem"

cat >"$json" <<EOF
{
  "benchmark": "codec",
  "input": {"path": "$big", "bytes": $bytes},
  "reps": $REPS,
  "timer": "$timer",
  "cprof": {"command": "cprof -proto", "median_wall_s": $t_cprof, "median_cpu_s": $c_cprof, "peak_rss_kib": $m_cprof},
  "pprof": {"command": "go tool pprof -proto", "go": "$gover", "median_wall_s": $t_pprof, "median_cpu_s": $c_pprof, "peak_rss_kib": $m_pprof},
  "speed_ratio_pprof_over_cprof": $speed,
  "cpu_ratio_pprof_over_cprof": $cpu,
  "memory_ratio_pprof_over_cprof": $mem
}
EOF
echo "wrote $json"

# Unwinder: ns per 30- and 60-frame stack, cprof against glibc backtrace().
echo
echo "unwind: warm ns per stack inside qsort's callback, cprof vs glibc backtrace() (same run)"
BUILD="$BUILD" sh "$(dirname "$0")/unwind.sh"
