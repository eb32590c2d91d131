#!/bin/sh
# cprof run's summary shows the sample type the file defaults to: a heap
# profile's summary is the report `cprof -top FILE` gives (its Type: line
# and rows), not another sample type.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
export TZ=UTC HOME="$WORK"
build_prog heap_sites
# heap_sites asks reallocarray for too much on purpose.
[ "$SANITIZER" = asan ] && export ASAN_OPTIONS="$ASAN_OPTIONS:allocator_may_return_null=1"
"$CPROF" run -heap h.pb.gz -- ./heap_sites >/dev/null 2>run.err || { cat run.err; fail "cprof run"; }
"$CPROF" -top -nodecount=10 h.pb.gz >top 2>/dev/null || fail "-top"
want=$(grep '^Type: ' top)
[ -n "$want" ] || { cat top; fail "no Type line"; }
grep -qx "$want" run.err || { cat run.err; fail "summary is not of the default type ($want)"; }
# The summary's rows are the report's.
sed -n '/flat%/,$p' top >want.rows
sed -n '/flat%/,/^cprof: /p' run.err | grep -v '^cprof: ' >got.rows
cmp -s want.rows got.rows || { diff want.rows got.rows; fail "summary rows differ from -top"; }
echo ok
