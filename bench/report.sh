#!/bin/sh
# Report benchmark: cprof against go tool pprof, side by side in one run.
#
#   BUILD=build sh bench/report.sh          (part of `make bench`)
#
# On the big generated profile ($BUILD/bench/big.pb.gz: 300,000 samples,
# 20,000 functions, made by $BUILD/bench/gen_profile), runs
#   cprof -top        vs  pprof -top
#   cprof -dot        vs  pprof -dot
#   cprof -collapsed  vs  pprof -traces   (pprof has no folded output; -traces
#                                          is its per-stack text report)
# with output to /dev/null, and prints the wall time and peak RSS of each
# (the median of REPS runs, from GNU time) and pprof/cprof ratios.  Writes
# $BUILD/bench/report.json.
#
# Environment: REPS (runs per command, default 1: pprof takes ~15 s each),
# CPROF (default $BUILD/cprof).
set -eu

BUILD=${BUILD:-build}
REPS=${REPS:-1}
CPROF=${CPROF:-$BUILD/cprof}
dir="$BUILD/bench"
gen="$dir/gen_profile"
big="$dir/big.pb.gz"
json="$dir/report.json"

die() {
    echo "bench/report.sh: $*" >&2
    exit 1
}

[ -x "$gen" ] || die "$gen is missing (run: make bench)"
[ -x "$CPROF" ] || die "$CPROF is missing (run: make bench)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (sh scripts/deps.sh bench)"
command -v go >/dev/null 2>&1 || die "go is missing (sh scripts/deps.sh bench)"
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

median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure NAME CMD...: REPS runs; sets $wall (s) and $rss (KiB), medians.
measure() {
    name=$1
    shift
    : >"$tmp/$name.w"
    : >"$tmp/$name.m"
    i=0
    while [ "$i" -lt "$REPS" ]; do
        /usr/bin/time -f '%e %M' -o "$tmp/$name.t" "$@" >/dev/null 2>"$tmp/$name.err" || {
            cat "$tmp/$name.err" >&2
            die "$name failed: $*"
        }
        tail -n 1 "$tmp/$name.t" | awk '{ print $1 }' >>"$tmp/$name.w"
        tail -n 1 "$tmp/$name.t" | awk '{ print $2 }' >>"$tmp/$name.m"
        i=$((i + 1))
    done
    wall=$(median <"$tmp/$name.w")
    rss=$(median <"$tmp/$name.m")
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "null" }'; }

echo
echo "reports: $big ($bytes bytes gzipped), median of $REPS run(s), output to /dev/null"
printf '%-30s %9s %10s   %-24s %9s %10s %8s %8s\n' "cprof" "wall s" "RSS MiB" "go tool pprof ($gover)" \
    "wall s" "RSS MiB" "speed" "memory"
entries=""
for pair in "-top:-top" "-dot:-dot" "-collapsed:-traces"; do
    c=${pair%%:*}
    p=${pair#*:}
    measure "cprof$c" "$CPROF" "$c" "$big"
    cw=$wall cm=$rss
    measure "pprof$p" "$pprof" "$p" "$big"
    pw=$wall pm=$rss
    sp=$(ratio "$pw" "$cw")
    mm=$(ratio "$pm" "$cm")
    awk -v c="cprof $c" -v cw="$cw" -v cm="$cm" -v p="pprof $p" -v pw="$pw" -v pm="$pm" \
        -v sp="$sp" -v mm="$mm" 'BEGIN {
        printf "%-30s %9.2f %10.1f   %-24s %9.2f %10.1f %7sx %7sx\n", c, cw, cm / 1024, p, pw, pm / 1024, sp, mm }'
    entries="$entries${entries:+,
}    {\"cprof\": \"cprof $c\", \"cprof_wall_s\": $cw, \"cprof_peak_rss_kib\": $cm, \"pprof\": \"pprof $p\", \"pprof_wall_s\": $pw, \"pprof_peak_rss_kib\": $pm, \"speed_ratio\": $sp, \"memory_ratio\": $mm}"
done
echo "(speed = pprof wall / cprof wall; memory = pprof peak RSS / cprof peak RSS)"

cat >"$json" <<EOF2
{
  "benchmark": "report",
  "input": {"path": "$big", "bytes": $bytes},
  "reps": $REPS,
  "go": "$gover",
  "runs": [
$entries
  ]
}
EOF2
echo "wrote $json"
