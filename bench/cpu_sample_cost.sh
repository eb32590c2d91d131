#!/bin/sh
# CPU profiler cost per sample: the fixed workload of bench/cpu_overhead.c
# (a 64-deep recursion, ~70-frame stacks, no frame pointers) under cprof at
# a low and a high rate; the cost of one sample is the difference in the
# process's CPU time (getrusage from main's start to its end: the kernel's
# signal delivery, the handler and the writer thread's folding included)
# divided by the difference in the samples the profile holds.  Several
# libcprof.so builds can be compared in the same round robin (runs of all
# libraries and rates alternate; medians), so a shared machine's noise
# hits all of them alike.  The spread printed is the median absolute
# deviation of the per-sample cost computed run by run.
#
#   BUILD=build sh bench/cpu_sample_cost.sh [[VAR=VALUE,...:]LIB.so ...]
#       (default: $BUILD/libcprof.so; VAR=VALUE settings apply to that
#       entry only, e.g. CPROF_DEPTH=1:build/libcprof.so: no unwinding)
#   REPS=9 ROUNDS=30000 LO=1000 HI=10000 THREADS=1
#
# To look at one of these runs with perf or strace, put the settings after
# the tool (perf stat -- env LD_PRELOAD=... CPROF_CPU=... prog): set before
# it, they profile the tool too, and its profile, written last, replaces
# the program's.
set -eu

BUILD=${BUILD:-build}
REPS=${REPS:-9}
ROUNDS=${ROUNDS:-30000}
LO=${LO:-1000}
HI=${HI:-10000}
THREADS=${THREADS:-1}
dir="$BUILD/bench"
mkdir -p "$dir"
w="$dir/cpu_overhead"
cc -std=c11 -D_GNU_SOURCE -O2 -g -fomit-frame-pointer -o "$w" bench/cpu_overhead.c -lpthread
[ $# -gt 0 ] || set -- "$(pwd)/$BUILD/libcprof.so"
# lib_of ENTRY / env_of ENTRY: the library and the settings of an entry.
lib_of() { case $1 in *=*:*) echo "${1#*:}" ;; *) echo "$1" ;; esac; }
env_of() { case $1 in *=*:*) echo "${1%%:*}" | tr ',' ' ' ;; esac; }
for e in "$@"; do
    l=$(lib_of "$e")
    [ -f "$l" ] || { echo "bench/cpu_sample_cost.sh: $l is missing" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "# cost per sample: ($HI Hz - $LO Hz) CPU time / samples, $ROUNDS rounds x $THREADS thread(s), $REPS runs each"
"$w" "$ROUNDS" "$THREADS" >/dev/null # warm-up
: >"$tmp/res"
for r in $(seq "$REPS"); do
    i=0
    for e in "$@"; do
        i=$((i + 1))
        l=$(lib_of "$e")
        for hz in "$LO" "$HI"; do
            # shellcheck disable=SC2046 # the settings are words on purpose
            out=$(env $(env_of "$e") LD_PRELOAD="$l" CPROF_CPU="$tmp/p" CPROF_HZ="$hz" "$w" "$ROUNDS" "$THREADS")
            n=$("$BUILD/cprof" -raw "$tmp/p" 2>/dev/null | sed -n 's/.*cprof: samples=\([0-9]*\).*/\1/p')
            rm -f "$tmp/p"
            echo "$i $hz $r ${out#*cpu_ns } ${n:-0}" >>"$tmp/res"
        done
    done
done
i=0
for e in "$@"; do
    i=$((i + 1))
    awk -v lib="$e" -v i="$i" -v lo="$LO" -v hi="$HI" '
        function median(s,   n, a, j, k, t) {
            n = split(s, a, " ")
            for (j = 2; j <= n; j++) for (k = j; k > 1 && a[k - 1] > a[k]; k--) {
                t = a[k]; a[k] = a[k - 1]; a[k - 1] = t
            }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        $1 == i { cpu[$2 "," $3] = $4; smp[$2 "," $3] = $5; rs[$3] = 1
                  c[$2] = c[$2] " " $4; s[$2] = s[$2] " " $5 }
        END {
            cl = median(c[lo]); ch = median(c[hi]); sl = median(s[lo]); sh = median(s[hi])
            per = (ch - cl) / (sh - sl)
            for (r in rs) {   # the same figure run by run, for the spread
                d = (cpu[hi "," r] - cpu[lo "," r]) / (smp[hi "," r] - smp[lo "," r])
                all = all " " d
            }
            m = median(all); n = split(all, a, " ")
            for (j = 1; j <= n; j++) dev = dev " " (a[j] > m ? a[j] - m : m - a[j])
            printf "%-40s %5d Hz: %7.1f ms %6d samples  %5d Hz: %7.1f ms %6d samples  %6.2f us/sample (run by run: median %.2f, MAD %.2f)\n",
                lib, lo, cl / 1e6, sl, hi, ch / 1e6, sh, per / 1e3, m / 1e3, median(dev) / 1e3
        }' "$tmp/res"
done
