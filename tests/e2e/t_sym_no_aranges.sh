#!/bin/sh
# Source lines of programs whose DWARF has no .debug_aranges (clang's
# default; libdw 0.188 finds CUs by aranges only, the symbolizer falls back
# to the CUs' own ranges).  A small program spending its CPU in one
# non-inlined function is built by gcc, clang, and clang with
# -gdwarf-aranges, profiled with `cprof run`, and read back with `cprof
# -raw`: every location in the hot function names this source file, a line
# inside the function and the function's first line; `cprof -top -lines`
# shows such a line on top.  Resymbolizing the profile from the local
# binary (-symbolize=force, the tool's path) gives the same locations.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
cat >hot.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static unsigned long spin_here(unsigned long n) /* FIRST */
{
    unsigned long x = sink;

    for (unsigned long i = 0; i < n; i++)
        x = x * 6364136223846793005UL + (x >> 7) + 1442695040888963407UL;
    return x;
} /* LAST */

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.3, t0 = cpu_now();
    unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;

    while (cpu_now() - t0 < secs)
        sink = spin_here(n);
    printf("hot ok %lu\n", sink & 1);
    return 0;
}
EOF
first=$(grep -n 'FIRST \*/$' hot.c | cut -d: -f1)
last=$(grep -n 'LAST \*/$' hot.c | cut -d: -f1)

# locs RAWFILE: the Locations section of a -raw dump.
locs() {
    sed -n '/^Locations/,/^Mappings/p' "$1"
}

builds="gcc:-g"
if command -v clang >/dev/null 2>&1; then
    builds="$builds clang:-g clang:-g_-gdwarf-aranges"
else
    echo "# no clang: gcc only"
fi
for b in $builds; do
    cc=${b%%:*}
    flags=$(echo "${b#*:}" | tr _ ' ')
    echo "== $cc -O2 $flags"
    # shellcheck disable=SC2086
    $cc -std=c11 -D_GNU_SOURCE -O2 $flags -o hot hot.c || fail "cannot build with $cc $flags"
    if readelf -S hot | grep -q debug_aranges; then echo "(has .debug_aranges)"; else echo "(no .debug_aranges)"; fi
    "$CPROF" run -cpu h.pb.gz -hz 1000 -- ./hot 0.3 >out 2>err || { cat err; fail "hot exited"; }
    "$CPROF" -raw h.pb.gz >raw 2>rawerr || { cat rawerr; fail "cprof -raw"; }
    locs raw | grep ' spin_here ' | head -n 3
    # Every location whose innermost frame is spin_here: this file, a line
    # in [first, last], start line first.
    locs raw | awk -v first="$first" -v last="$last" '
        $1 ~ /^[0-9]+:$/ && $4 == "spin_here" {
            n++
            fl = $5; line = fl; sub(/.*:/, "", line); file = fl; sub(/:[0-9]+$/, "", file)
            if (file !~ /\/hot\.c$/) { print "bad file: " $0; bad = 1 }
            if (line + 0 < first || line + 0 > last) { print "line outside spin_here: " $0; bad = 1 }
            if ($6 != "s=" first) { print "bad start line: " $0; bad = 1 }
        }
        END { if (n == 0) print "no spin_here location"; exit bad || n == 0 }' ||
        fail "$cc $flags: spin_here locations without their lines"
    top=$("$CPROF" -top -lines h.pb.gz 2>/dev/null | awk '/flat%/ { getline; print $6, $7; exit }')
    echo "top line: $top"
    case "$top" in
    "spin_here "*/hot.c:*) ;;
    *) fail "$cc $flags: top line is '$top'" ;;
    esac
    line=${top##*:}
    [ "$line" -ge "$first" ] && [ "$line" -le "$last" ] || fail "top line $line not in spin_here"
    # The tool's symbolizer, from the local binary, agrees with the runtime's.
    "$CPROF" -symbolize=force -raw h.pb.gz >raw2 2>rawerr || { cat rawerr; fail "-symbolize=force"; }
    locs raw >l1
    locs raw2 >l2
    diff l1 l2 || fail "$cc $flags: -symbolize=force gives other locations"
done
echo ok
