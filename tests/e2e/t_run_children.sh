#!/bin/sh
# A compiler driver does its work in children: cprof run lists each child
# profile (FILE.<pid>) with its pid, command line and CPU time, heaviest
# first; each profile carries its command line as a comment; stale
# FILE.<pid> files of an earlier run are not listed; -merge summarizes all
# processes as one profile.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
command -v gcc >/dev/null || fail "gcc is missing"
# Enough code for cc1 to take a measurable time at 1 kHz.
{
    echo '#include <stdio.h>'
    i=0
    while [ $i -lt 300 ]; do
        echo "static int f$i(int x) { int s = 0; for (int k = 0; k < x; k++) s += k * $i ^ (s >> 3); return s; }"
        i=$((i + 1))
    done
    echo 'int main(void) { int t = 0;'
    i=0
    while [ $i -lt 300 ]; do echo "t += f$i(t & 7);"; i=$((i + 1)); done
    printf '%s\n' 'printf("%d\n", t); return 0; }'
} >prog.c
# A stale child profile of an earlier run must not be listed.
"$CPROF" run -cpu g.pb.gz -- true 2>/dev/null
cp g.pb.gz g.pb.gz.999999
"$CPROF" run -cpu g.pb.gz -hz 1000 -- gcc -O2 -c prog.c >out 2>err || { cat err; fail "gcc failed"; }
cat err
[ -s prog.o ] || fail "no object file"
grep -q 'CPU profile written to g.pb.gz' err || fail "driver profile not named"
grep -q 'child processes wrote CPU profiles (g.pb.gz.<pid>), heaviest first' err || fail "no children list"
! grep -q '999999' err || fail "a stale FILE.<pid> listed"
# Rows: "cprof: PID CPU COMMAND"; cc1 and as, each with its own file and comment.
rows=$(awk '/heaviest first/ { on = 1; getline; next } on && /^cprof: all / { on = 0 } on' err)
echo "$rows" | awk '{ print $2, $3, $4 }' >rows
grep -q ' [0-9.]*s .*/cc1$' rows || fail "cc1 not listed with pid and CPU"
grep -q ' [0-9.]*s as$' rows || fail "as not listed with pid and CPU"
cc1_pid=$(awk '/\/cc1$/ { print $1 }' rows)
as_pid=$(awk '$3 == "as" { print $1 }' rows)
[ -s "g.pb.gz.$cc1_pid" ] && [ -s "g.pb.gz.$as_pid" ] || fail "listed pids have no files: $(ls)"
# Heaviest first: cc1 (compiling 300 functions at -O2) above as.
[ "$(awk 'NR == 1 { print $1 }' rows)" = "$cc1_pid" ] || fail "cc1 is not the heaviest"
cc1_ms=$(awk '/\/cc1$/ { v = $2; sub(/s$/, "", v); print int(v * 1000) }' rows)
[ "$cc1_ms" -ge 20 ] || fail "cc1's CPU is ${cc1_ms}ms"
"$CPROF" -comments "g.pb.gz.$cc1_pid" | grep -q '^cprof: cmdline: .*/cc1 .*prog.c' ||
    { "$CPROF" -comments "g.pb.gz.$cc1_pid"; fail "cc1's profile lacks its command line"; }
"$CPROF" -comments "g.pb.gz.$as_pid" | grep -q '^cprof: cmdline: as .*-o prog.o' ||
    fail "as's profile lacks its command line"
"$CPROF" -comments g.pb.gz | grep -q '^cprof: cmdline: gcc -O2 -c prog.c$' ||
    fail "the driver's profile lacks its command line"
all_ms=$(awk '/^cprof: all 3 processes: / { v = $5; sub(/s$/, "", v); print int(v * 1000) }' err)
[ -n "$all_ms" ] && [ "$all_ms" -ge "$cc1_ms" ] || fail "no total over the 3 processes"

# -merge: one summary over every process, whose total is the processes' total.
rm -f g.pb.gz.*
"$CPROF" run -merge -cpu g.pb.gz -hz 1000 -- gcc -O2 -c prog.c >out 2>merr || { cat merr; fail "gcc -merge failed"; }
cat merr
grep -q '^cprof: CPU profiles of 3 processes, merged:' merr || fail "-merge: no merged summary"
[ "$(grep -c 'Showing nodes' merr)" = 1 ] || fail "-merge: want one summary"
tot=$(awk '/Total samples = / { for (i = 1; i <= NF; i++) if ($i == "=") { print $(i + 1); exit } }' merr)
all=$(awk '/^cprof: all 3 processes: / { print $5 }' merr)
echo "merged total $tot, listed total $all"
awk -v t="$tot" -v a="$all" 'function s(x) { if (x ~ /ms$/) return x / 1000; sub(/s$/, "", x); return x + 0 }
    BEGIN { d = s(t) - s(a); exit !(s(a) > 0 && d < 0.002 && d > -0.002) }' ||
    fail "merged total $tot is not the processes' total $all"
echo ok
