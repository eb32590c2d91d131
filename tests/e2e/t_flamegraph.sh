#!/bin/sh
# Flame graph SVGs are well-formed XML (xmllint) and draw exactly the call
# tree of the folded stacks: for every fixture profile, and with a few
# options (noinlines, granularity, focus/hide, sample_index), each frame of
# -flamegraph is as wide as its stack prefix in -collapsed of the same
# profile and options, and every prefix wide enough is drawn.
set -eu
src="$CPROF_SRCDIR"
. "$src/tests/e2e/flame_lib.sh"
command -v xmllint >/dev/null || { echo "xmllint missing: sh scripts/deps.sh test"; exit 1; }
n=0
check() { # PROFILE [FLAG...]
    prof=$1
    shift
    n=$((n + 1))
    report flamegraph "$@" "$prof" >"$WORK/f.svg"
    report collapsed "$@" "$prof" >"$WORK/f.folded"
    xmllint --noout "$WORK/f.svg" || { echo "not well-formed: $prof $*"; exit 1; }
    python3 "$src/tests/e2e/flame_check.py" "$WORK/f.svg" --collapsed "$WORK/f.folded" \
        >"$WORK/check" || { echo "$prof $*:"; cat "$WORK/check"; exit 1; }
}
for prof in "$src"/tests/fixtures/go/*.pb "$src"/tests/fixtures/go/*.pb.gz; do
    check "$prof"
done
cpu="$src/tests/fixtures/go/cpu.pb.gz"
check "$cpu" -noinlines
check "$cpu" -granularity=lines
check "$cpu" -granularity=files
check "$cpu" -focus=burn -hide=mix
check "$cpu" -sample_index=samples
check "$src/tests/fixtures/go/heap.pb.gz" -sample_index=alloc_objects
# The crafted widths: cpu.pb.gz's burnHash is a third of the samples.
report flamegraph "$cpu" >"$WORK/f.svg"
python3 "$src/tests/e2e/flame_check.py" "$WORK/f.svg" main.burnHash=33.3333 root=100
echo "flame graph: $n renderings checked"
