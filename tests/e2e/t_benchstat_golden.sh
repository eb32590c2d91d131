#!/bin/sh
# cprof benchstat prints byte for byte what golang.org/x/perf's benchstat
# prints: its testdata goldens (csvOldNew, smallSample, units, zero,
# issue19565, issue19634) and the examples of its package documentation
# (tests/fixtures/benchstat/), including -filter and fixed orders.  The
# multi-key projections (multiCol*, rowAlpha, tableFile) have no upstream
# golden: their expected output was checked by hand against benchproc's
# rules (KeyHeader spans, lexicographic key order, .config exclusion).
set -eu
cd "$CPROF_SRCDIR/tests/fixtures/benchstat"
check() {
    want=$1
    shift
    "$CPROF" benchstat "$@" >"$WORK/got" 2>"$WORK/err" || { echo "exit $? for $*"; cat "$WORK/err"; exit 1; }
    diff -u "$want" "$WORK/got" || { echo "differs: benchstat $*"; exit 1; }
}
check oldNew.stdout old.txt new.txt
check csvOldNew.stdout -format csv old.txt new.txt
check smallSample.stdout -col note smallSample.txt
check colFormat.stdout -col /format new.txt
check colFormatRowName.stdout -col /format -row .name new.txt
check rowName.stdout -row .name new.txt
check labels.stdout O=old.txt N=new.txt
check oldNew.stdout -table .config -row .fullname -col .file old.txt new.txt
check units.stdout -col note units.txt
check zero.stdout -col note zero.txt
check issue19565.stdout -col note issue19565.txt
check issue19634.stdout -col note issue19634.txt
check filterJson.stdout -filter "/format:json goos:linux .unit:(ns/op OR B/op)" old.txt new.txt
check filterJson.stdout -filter '(.name:Encode AND /format:/^js/) OR .name:Nope' old.txt new.txt
check filterJson.stdout -filter '-/format:gob -.unit:B/op' old.txt new.txt
check colFormatFixed.stdout -col "/format@(gob json)" -row .name -ignore .file new.txt
check multiCol.stdout -col .file,/format -row .name old.txt new.txt
check multiColCsv.stdout -format csv -col '.file /format' -row .name old.txt new.txt
check rowAlpha.stdout -row '/format@alpha .name' -table "" old.txt
check tableFile.stdout -table goos,.file -filter '.unit:/^sec/ -/format:gob' old.txt new.txt
# -filter keeps nothing: no tables, exit 0 (as benchstat).
"$CPROF" benchstat -filter '.name:Nope' old.txt >"$WORK/got" || { echo "empty filter failed"; exit 1; }
[ ! -s "$WORK/got" ] || { echo "filtered-out results printed"; cat "$WORK/got"; exit 1; }
# @num orders by value with metric/IEC prefixes; default is first-seen order.
printf 'BenchmarkX/size=1k 1 3 ns/op\nBenchmarkX/size=64 1 1 ns/op\nBenchmarkX/size=2Mi 1 4 ns/op\nBenchmarkX/size=100 1 2 ns/op\n' >"$WORK/num.txt"
"$CPROF" benchstat -row /size@num "$WORK/num.txt" | awk 'NR>2 && $1 != "¹" {print $1}' | tr '\n' ' ' >"$WORK/order"
[ "$(cat "$WORK/order")" = "64 100 1k 2Mi geomean " ] || { echo "bad @num order: $(cat "$WORK/order")"; exit 1; }
"$CPROF" benchstat -row /size "$WORK/num.txt" | awk 'NR>2 && $1 != "¹" {print $1}' | tr '\n' ' ' >"$WORK/order"
[ "$(cat "$WORK/order")" = "1k 64 2Mi 100 geomean " ] || { echo "bad first-seen order: $(cat "$WORK/order")"; exit 1; }
# Expression errors: benchstat's message with a caret under the column, exit 2.
for bad in '(.name:Encode' '/format:/js(on/' '.config:x' 'a:b)' '.name:"x\q"' '.bogus:1' 'x:(a b)'; do
    if "$CPROF" benchstat -filter "$bad" old.txt >/dev/null 2>"$WORK/err"; then echo "bad filter accepted: $bad"; exit 1; fi
    grep -q '^benchstat: parsing -filter: syntax error: ' "$WORK/err" && grep -q '^	 *^$' "$WORK/err" ||
        { echo "bad error for $bad:"; cat "$WORK/err"; exit 1; }
done
for bad in '-row .unit' '-col x@bogus' '-table .config@(a)' '-row x@(' ; do
    # shellcheck disable=SC2086
    if "$CPROF" benchstat $bad old.txt >/dev/null 2>"$WORK/err"; then echo "bad projection accepted: $bad"; exit 1; fi
    grep -q '^benchstat: parsing -[a-z]*: syntax error: ' "$WORK/err" || { echo "bad error for $bad:"; cat "$WORK/err"; exit 1; }
done
# Bad input: a clear error and a non-zero exit.
if "$CPROF" benchstat "$WORK/missing.txt" >/dev/null 2>"$WORK/err"; then echo "missing file accepted"; exit 1; fi
grep -q "missing.txt" "$WORK/err" || { echo "no file name in error"; exit 1; }
if "$CPROF" benchstat -format xml old.txt >/dev/null 2>&1; then echo "bad -format accepted"; exit 1; fi
echo ok
