#!/bin/sh
# What one perf task-clock sample costs the kernel, without cprof: the
# hrtimer interrupt alone, plus the signal (cprof's sampler: count from the
# event's ring, re-armed every 16 overflows), plus read() and a re-arm per
# sample (cprof's sampler before).  See bench/cpu_mechanism.c.  Runs of
# all modes alternate REPS times; medians.  The cost of one sample is the
# extra CPU time over the unsampled run divided by the overflows
# (CPU time / period).
#
#   sh bench/cpu_mechanism.sh       (REPS=7 PERIOD=100000 ns, ITERS=200000000)
set -eu

BUILD=${BUILD:-build}
REPS=${REPS:-7}
PERIOD=${PERIOD:-100000}
ITERS=${ITERS:-200000000}
dir="$BUILD/bench"
mkdir -p "$dir"
w="$dir/cpu_mechanism"
cc -std=c11 -D_GNU_SOURCE -O2 -g -o "$w" bench/cpu_mechanism.c
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
modes="none timer ring refresh"
for r in $(seq "$REPS"); do
    for m in $modes; do
        echo "$m $("$w" "$m" "$PERIOD" "$ITERS")" >>"$tmp"
    done
done
echo "# perf task-clock sample cost at a $PERIOD ns period, $REPS runs each (medians)"
awk -v modes="$modes" -v period="$PERIOD" '
    function median(s,   n, a, j, k, t) {
        n = split(s, a, " ")
        for (j = 2; j <= n; j++) for (k = j; k > 1 && a[k - 1] > a[k]; k--) {
            t = a[k]; a[k] = a[k - 1]; a[k - 1] = t
        }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { c[$1] = c[$1] " " $3; s[$1] = s[$1] " " $5 }
    END {
        nm = split(modes, m, " "); base = median(c["none"])
        for (i = 1; i <= nm; i++) {
            cpu = median(c[m[i]])
            if (m[i] == "none") { printf "%-8s %8.1f ms\n", m[i], cpu / 1e6; continue }
            printf "%-8s %8.1f ms  %6d signals  %6.2f us per sample\n", m[i], cpu / 1e6,
                median(s[m[i]]), (cpu - base) / (cpu / period) / 1e3
        }
    }' "$tmp"
