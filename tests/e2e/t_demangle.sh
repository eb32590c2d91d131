#!/bin/sh
# -symbolize=demangle=full|templates|none and the default simplification,
# as go tool pprof does them: on a profile of a C++ program written by the
# runtime (mangled system names; the binary moved away, so only the
# demangling acts), and on libstdc++'s exported names as a collapsed-stack
# profile (names equal to their system names, which pprof always
# demangles).  An unknown option gets pprof's warning.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
cd "$WORK"
export TZ=UTC HOME="$WORK" GOCACHE="$WORK/gocache" GOFLAGS= GOTOOLCHAIN=local
g++ -O0 -g -o cxx_names "$PROGS/cxx_names.cc" || fail "cannot build cxx_names"
"$CPROF" run -cpu cxx.pb.gz -hz 500 -- ./cxx_names 20000 >/dev/null 2>run.err ||
    { cat run.err; fail "cprof run"; }
mv cxx_names cxx_names.away
"$CPROF" -raw cxx.pb.gz >raw 2>/dev/null || fail "-raw"
grep -q '(_ZN3geo6Engine3runEi)' raw || { cat raw; fail "no mangled system name for geo::Engine::run"; }

for m in "" force demangle=full demangle=templates demangle=none demangle=default; do
    go tool pprof -top -nodecount=100 -symbolize=$m cxx.pb.gz >go.out 2>/dev/null
    "$CPROF" -top -nodecount=100 -symbolize=$m cxx.pb.gz >c.out 2>/dev/null
    cmp -s go.out c.out || { diff go.out c.out | head -20; fail "-symbolize=$m differs from go tool pprof"; }
    cp c.out "top.$m"
done
grep -q ' geo::Engine::run(int)$' top.demangle=full || { cat top.demangle=full; fail "full"; }
grep -q ' geo::Engine::run$' top.demangle=templates || { cat top.demangle=templates; fail "templates"; }
grep -q ' geo::Engine::run$' top.force || { cat top.force; fail "force (default mode)"; }
if grep -q 'geo::Vec' top.force; then
    grep -q ' geo::Vec::dot$' top.force || { cat top.force; fail "default mode keeps templates"; }
fi

# Every exported C++ name of libstdc++, once per stack.
so=$(g++ -print-file-name=libstdc++.so.6)
nm -D --defined-only "$so" | awk '$3 ~ /^_Z/ { sub(/@.*/, "", $3); print $3 }' | sort -u |
    awk '{ print "main;" $1 " " NR }' >names.coll
[ "$(wc -l <names.coll)" -gt 1000 ] || fail "few names in $so"
printf 'main;_Z3foov.constprop.0 1\nmain;_ZN1A1fEv.cold 1\nmain;ns::already(int) 1\nmain;_ZN1AcvPFivEEv 1\n' >>names.coll
"$CPROF" -proto names.coll >names.pb.gz || fail "-proto of the names"
for m in "" demangle=full demangle=templates demangle=none; do
    go tool pprof -raw -symbolize=$m names.pb.gz >go.out 2>/dev/null
    "$CPROF" -raw -symbolize=$m names.pb.gz >c.out 2>/dev/null
    cmp -s go.out c.out || { diff go.out c.out | head -20; fail "libstdc++ names, -symbolize=$m"; }
done

# pprof's warning for an unknown option, then the report as usual.
go tool pprof -top -symbolize=demangle=bogus:xx names.pb.gz >go.out 2>go.err
"$CPROF" -top -symbolize=demangle=bogus:xx names.pb.gz >c.out 2>c.err || fail "unknown option"
grep -q '^ignoring unrecognized symbolization option: demangle=bogus:xx$' c.err || { cat c.err; fail "no warning"; }
cmp -s go.err c.err || { diff go.err c.err; fail "warning differs"; }
cmp -s go.out c.out || fail "report after the warning differs"
echo ok
