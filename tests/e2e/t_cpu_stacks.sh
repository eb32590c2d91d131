#!/bin/sh
# Whole stacks in `cprof run` profiles, read back through go tool pprof:
# - a program spending its CPU in qsort's comparison callback, built with
#   and without frame pointers, by gcc and (when installed) clang: the
#   callback's stacks read compare_keys <- qsort <- sort_rounds <- main
#   (libc internals such as msort_with_tmp may sit in between);
# - an always-inlined hot loop shows as an inline frame: its location has
#   two lines, the inlined function first (pprof marks it "(inline)"), also
#   for clang binaries without .debug_aranges (its default).
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
cd "$WORK"
compilers=gcc
command -v clang >/dev/null 2>&1 && compilers="gcc clang"
for cc in $compilers; do
    for fp in -fno-omit-frame-pointer -fomit-frame-pointer; do
        echo "== qsort callback: $cc -O2 $fp"
        $cc -std=c11 -D_GNU_SOURCE -O2 -g $fp -o qsort_cb "$PROGS/qsort_cb.c" ||
            fail "cannot build qsort_cb"
        "$CPROF" run -cpu q.pb.gz -hz 1000 -- ./qsort_cb 0.3 >out 2>err ||
            { cat err; fail "qsort_cb exited $?"; }
        top=$(pprof_top q.pb.gz | head -n 1)
        case "${top#* }" in compare_keys*) ;; *) fail "top flat entry is '$top'" ;; esac
        traces q.pb.gz >tr
        sort -rn tr | head -n 2
        share=$(chain_share tr compare_keys qsort sort_rounds main)
        echo "compare_keys stacks reaching main through qsort: $share%"
        awk -v s="$share" 'BEGIN { exit !(s >= 90) }' || fail "only $share% complete"
    done
done
# clang emits no .debug_aranges by default (the symbolizer then finds CUs
# by their own ranges); -gdwarf-aranges checks the aranges path too.
variants=gcc:
command -v clang >/dev/null 2>&1 && variants="gcc: clang: clang:-gdwarf-aranges"
for v in $variants; do
    cc=${v%%:*}
    aranges=${v#*:}
    echo "== inline frame: $cc -O2 $aranges"
    $cc -std=c11 -D_GNU_SOURCE -O2 -g $aranges -o inline_hot "$PROGS/inline_hot.c" ||
        fail "cannot build inline_hot"
    "$CPROF" run -cpu i.pb.gz -hz 1000 -- ./inline_hot 0.3 >out 2>err ||
        { cat err; fail "inline_hot exited $?"; }
    traces i.pb.gz >tr
    sort -rn tr | head -n 2
    grep -v '^[0-9.]* mix_rounds (inline);outer_work;' tr | grep ' mix_rounds' &&
        fail "mix_rounds not shown as an inline frame of outer_work"
    share=$(chain_share tr mix_rounds outer_work main)
    echo "mix_rounds stacks as an inline frame in outer_work: $share%"
    awk -v s="$share" 'BEGIN { exit !(s >= 90) }' || fail "inline frame missing"
    # The raw dump: one location with both lines, innermost first.
    go tool pprof -raw i.pb.gz 2>/dev/null | awk '
        /^Locations/ { on = 1; next } /^Mappings/ { on = 0 }
        on && / mix_rounds / { getline nxt; if (nxt ~ /^ +outer_work /) found = 1 }
        END { exit !found }' || fail "no location with lines mix_rounds, outer_work"
done
echo ok
