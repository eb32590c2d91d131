#!/bin/sh
# -disasm=REGEX on a CPU profile of examples/cpu_hot: pprof's layout
# (Total:, ROUTINE, (flat, cum), "%10s %10s %10x: %-40s;func file:line"),
# the hot loop's instructions carry its flat time and their values add up
# to the routine's, the instructions are objdump's (same addresses), and
# -intel_syntax switches the syntax.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
"$CPROF" run -cpu hot.pb.gz -hz 500 -- "$EX/cpu_hot" 0.4 >/dev/null 2>prog.err || fail "cprof run exited $?"
"$CPROF" -disasm=hot_loop -unit=ms hot.pb.gz >dis.out 2>dis.err || { cat dis.err; fail "disasm exited $?"; }
cat dis.out
head -n 1 dis.out | grep -Eq '^Total: [0-9.]+ms$' || fail "no Total: line"
sed -n 2p dis.out | grep -q '^ROUTINE ======================== hot_loop' || fail "no ROUTINE line"
sed -n 3p dis.out | grep -Eq '^ +[0-9.]+ms +[0-9.]+ms \(flat, cum\) [0-9.]+% of Total$' ||
    fail "no (flat, cum) line"
# Every other line is an instruction: flat, cum (or "."), address, text.
sed -n '4,$p' dis.out | grep -Ev '^ +([0-9.]+ms|\.) +([0-9.]+ms|\.) +[0-9a-f]+: ' &&
    fail "a line is not an instruction line"
# The first instruction names its function and line.
sed -n 4p dis.out | grep -Eq ';hot_loop cpu_hot\.c:[0-9]+$' || fail "no func file:line on the first line"
# Most of the profile's time is the hot loop's, and it is spread over its instructions.
awk 'NR == 1 { total = $2 + 0 } NR == 3 { flat = $1 + 0 }
     NR > 3 && $1 != "." { sum += $1 + 0; n++ }
     END { d = sum - flat; if (d < 0) d = -d
           exit !(flat > 0.5 * total && d < 0.05 && n >= 1) }' dis.out ||
    fail "instruction flat values do not add up to the hot routine's"
# Same instructions as objdump (the disassembler go tool pprof runs; its
# continuation lines of long encodings are not instructions).
if command -v objdump >/dev/null 2>&1; then
    range=$(nm "$EX/cpu_hot" | awk '$3 ~ /^hot_loop/ { print $1; exit }')
    size=$(nm -S "$EX/cpu_hot" | awk '$4 ~ /^hot_loop/ { print $2; exit }')
    start=$((0x$range))
    objdump -d --start-address=$start --stop-address=$((start + 0x$size)) "$EX/cpu_hot" |
        awk -F'\t' '/^ +[0-9a-f]+:/ && NF >= 3 { sub(/:.*/, "", $1); gsub(/ /, "", $1); print $1 }' \
            >objdump.addrs
    sed -n '4,$p' dis.out | awk -F: '{ n = split($1, a, " "); print a[n] }' >cprof.addrs
    diff -u objdump.addrs cprof.addrs || fail "instruction addresses differ from objdump's"
    [ -s cprof.addrs ] || fail "no instructions"
fi
# AT&T by default, Intel with -intel_syntax.
grep -q '%r' dis.out || fail "default syntax is not AT&T"
"$CPROF" -disasm=hot_loop -intel_syntax hot.pb.gz >intel.out || fail "intel exited $?"
grep -q '%r' intel.out && fail "-intel_syntax still AT&T"
grep -Eq ': (mov|add|imul|sub)[a-z]* +r' intel.out || fail "-intel_syntax shows no Intel operands"
# No match: pprof's error, non-zero exit.
if "$CPROF" -disasm=no_such_function_xyz hot.pb.gz >none.out 2>none.err; then
    fail "no-match disasm exited 0"
fi
grep -q 'no matches found for regexp: no_such_function_xyz' none.err || fail "no-match message"
echo ok
