#!/bin/sh
# Heap sampling is unbiased: over many seeds (CPROF_MEMSEED) at the default
# rate, the mean of the sampled estimates of a program's allocation counts
# and bytes lies within 5 standard errors of the exact values, which a
# CPROF_MEMRATE=1 run reproduces.  The standard error comes from the
# Horvitz-Thompson variance the program computes for its own sizes
# (progs/heap_bias.c).  Each of the 8 threads begins with a 3-byte
# allocation: were it always sampled, each would add ~174763 objects and
# ~512 KiB to the estimates (z of thousands for objects, ~7 for bytes).
# The spread across seeds must also match the computed one.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
build_prog heap_bias -lm
THREADS=8
SEEDS=${HEAP_BIAS_SEEDS:-40}

# sites FILE: "OBJECTS BYTES" summed over the samples whose leaf is one of
# the program's two allocation sites.
sites() {
    "$CPROF" -raw "$1" | awk '
        /^Samples:/ { s = 1; next }
        /^Locations/ { s = 0; l = 1; next }
        /^Mappings/ { l = 0 }
        s && /:/ && $1 ~ /^[0-9]+$/ { n++; o[n] = $1; b[n] = $2; split($0, a, ":"); split(a[2], ids, " "); leaf[n] = ids[1] }
        l && $1 ~ /^[0-9]+:$/ { id = $1; sub(/:$/, "", id); fn[id] = $4 }
        END {
            for (i = 1; i <= n; i++)
                if (fn[leaf[i]] == "site_first" || fn[leaf[i]] == "site_mix") { to += o[i]; tb += b[i] }
            printf "%.0f %.0f\n", to, tb
        }'
}

# The exact run: the profile's counts are the program's.
env LD_PRELOAD="$LIB" CPROF_HEAP=exact.pb.gz CPROF_MEMRATE=1 ./heap_bias $THREADS >exact.out ||
    fail "heap_bias exited $?"
set -- $(cat exact.out)
exact_o=$2 exact_b=$3
got=$(sites exact.pb.gz)
[ "$got" = "$exact_o $exact_b" ] || fail "CPROF_MEMRATE=1: profile says $got, program made $exact_o $exact_b"
echo "exact: $exact_o objects, $exact_b bytes"

./heap_bias $THREADS >sd.out || fail "heap_bias exited $?"
set -- $(cat sd.out)
sd_o=$5 sd_b=$6
seed=1
: >est.txt
while [ "$seed" -le "$SEEDS" ]; do
    rm -f s.pb.gz
    env LD_PRELOAD="$LIB" CPROF_HEAP=s.pb.gz CPROF_MEMSEED=$seed ./heap_bias $THREADS >/dev/null ||
        fail "heap_bias exited $? (seed $seed)"
    sites s.pb.gz >>est.txt
    seed=$((seed + 1))
done
awk -v eo="$exact_o" -v eb="$exact_b" -v so="$sd_o" -v sb="$sd_b" '
    { n++; o += $1; b += $2; oo += $1 * $1; bb += $2 * $2 }
    END {
        mo = o / n; mb = b / n
        zo = (mo - eo) / (so / sqrt(n)); zb = (mb - eb) / (sb / sqrt(n))
        eso = sqrt((oo - n * mo * mo) / (n - 1)); esb = sqrt((bb - n * mb * mb) / (n - 1))
        printf "objects: mean %.0f over %d seeds, exact %.0f, z %.2f; spread %.0f, computed %.0f\n", mo, n, eo, zo, eso, so
        printf "bytes:   mean %.0f, exact %.0f, z %.2f; spread %.0f, computed %.0f\n", mb, eb, zb, esb, sb
        bad = 0
        if (zo < -5 || zo > 5) { print "FAIL: objects estimate is biased"; bad = 1 }
        if (zb < -5 || zb > 5) { print "FAIL: bytes estimate is biased"; bad = 1 }
        # A sample standard deviation over 40 runs: within a factor of 2.5 of the computed one.
        if (eso > 2.5 * so || eso < so / 2.5) { print "FAIL: objects spread is not the sampling spread"; bad = 1 }
        if (esb > 2.5 * sb || esb < sb / 2.5) { print "FAIL: bytes spread is not the sampling spread"; bad = 1 }
        exit bad
    }' est.txt || fail "sampled estimates are not centred on the exact counts"
echo ok
