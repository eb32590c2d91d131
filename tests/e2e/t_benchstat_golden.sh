#!/bin/sh
# cprof benchstat prints byte for byte what golang.org/x/perf's benchstat
# prints: its testdata goldens (csvOldNew, smallSample) and the examples of
# its package documentation (tests/fixtures/benchstat/).
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
# Bad input: a clear error and a non-zero exit.
if "$CPROF" benchstat "$WORK/missing.txt" >/dev/null 2>"$WORK/err"; then echo "missing file accepted"; exit 1; fi
grep -q "missing.txt" "$WORK/err" || { echo "no file name in error"; exit 1; }
if "$CPROF" benchstat -format xml old.txt >/dev/null 2>&1; then echo "bad -format accepted"; exit 1; fi
echo ok
