#!/bin/sh
# JIT code named from /tmp/perf-PID.map: a program copies a function's
# machine code into anonymous executable memory twice, names the copies in
# its perf map as node or the JVM do, and runs them hot.  The runtime's
# profile names both; the tool names them again from the map file in a
# profile stripped of its names, and go tool pprof shows the same.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: machine code snippet is built for x86_64 only"; exit 0; }
cd "$WORK"
export TZ=UTC HOME="$WORK"
cc -O1 -fno-omit-frame-pointer -fno-stack-protector -fcf-protection=none -fno-asynchronous-unwind-tables \
    -c -o snippet.o "$PROGS/jit_snippet.c" || fail "snippet"
objcopy -O binary --only-section=.text snippet.o snippet.bin || fail "objcopy"
build_prog jit_perfmap
pid=
cleanup() { [ -n "$pid" ] && rm -f "/tmp/perf-$pid.map"; }
trap cleanup EXIT
"$CPROF" run -cpu j.pb.gz -hz 500 -- ./jit_perfmap snippet.bin 400 >prog.out 2>run.err ||
    { cat run.err; fail "cprof run"; }
pid=$(head -n 1 prog.out)
[ -s "/tmp/perf-$pid.map" ] || fail "no perf map written"
"$CPROF" -top j.pb.gz >top 2>/dev/null || fail "-top"
grep -q ' LazyCompile:\*hotLoop /srv/app.js:12$' top || { cat top; fail "hotLoop not named"; }
grep -q ' LazyCompile:\*warmLoop /srv/app.js:40$' top || { cat top; fail "warmLoop not named"; }
"$CPROF" -raw j.pb.gz >raw 2>/dev/null || fail "-raw"
grep -q " /tmp/perf-$pid.map" raw || { cat raw; fail "no mapping named after the perf map"; }

# An unsymbolized copy: the tool reads the map again.
python3 "$CPROF_SRCDIR/tests/e2e/strip_symbols.py" j.pb.gz unsym.pb.gz || fail "strip_symbols.py"
"$CPROF" -top unsym.pb.gz >top2 2>/dev/null || fail "-top unsym"
grep -q ' LazyCompile:\*hotLoop /srv/app.js:12$' top2 || { cat top2; fail "tool: hotLoop not named"; }
if command -v go >/dev/null 2>&1; then
    export GOCACHE="$WORK/gocache" GOFLAGS= GOTOOLCHAIN=local
    go tool pprof -top j.pb.gz >go.top 2>/dev/null
    cmp -s go.top top || { diff go.top top; fail "-top differs from go tool pprof"; }
fi
echo ok
