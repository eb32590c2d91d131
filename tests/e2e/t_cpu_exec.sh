#!/bin/sh
# A program that used CPU and then execs (shims, launchers, env/nice
# wrappers) must end with the exec'd program's status: no sampling signal
# may be pending at exec, where the new image's disposition is SIG_DFL.
# 1 kHz, ten runs each; a failed exec returns ENOENT and sampling goes on.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
build_prog exec_burn
# runs N EXPECTED CMD...: N runs at 1 kHz, each must exit EXPECTED.
runs() {
    n=$1
    want=$2
    shift 2
    for i in $(seq "$n"); do
        st=0
        "$CPROF" run -cpu x.pb.gz -hz 1000 -- "$@" >out 2>err || st=$?
        [ "$st" -eq "$want" ] || { cat out err; fail "run $i of '$*' exited $st, want $want"; }
    done
}
script='i=0; while [ $i -lt 60000 ]; do i=$((i+1)); done; exec sh -c "exit 7"'
runs 10 7 sh -c "$script"
runs 10 7 env sh -c "$script"
runs 10 7 nice -n 1 sh -c "$script"
runs 10 7 "$WORK/exec_burn" sh -c 'exit 7'
runs 3 7 "$WORK/exec_burn" fail sh -c 'exit 7'
for t in posix itimer; do
    CPROF_CPU_TIMER=$t runs 3 7 sh -c "$script"
    CPROF_CPU_TIMER=$t runs 3 7 "$WORK/exec_burn" fail sh -c 'exit 7'
done
echo ok
