#!/bin/sh
# The report formats that are not text: -svg, -png, -pdf (graphviz renders
# the -dot output), -topproto (equal to pprof's, compared through -raw),
# and -output for every format.
set -eu
. "$CPROF_SRCDIR/tests/e2e/cli_lib.sh"
cd "$WORK"
G="$CPROF_SRCDIR/tests/fixtures/go"
cpu="$G/cpu2.pb.gz"
if command -v dot >/dev/null 2>&1; then
    expect 0 "$CPROF" -svg "$cpu"
    grep -qx '<svg width="100%" height="100%"' out || { echo "svg: no 100% size"; head -c 600 out; exit 1; }
    grep -q 'main.burnHash' out && grep -q "addEventListener('wheel'" out && tail -n 1 out | grep -qx '</svg>'
    [ ! -s err ]
    expect 0 "$CPROF" -svg -output=g.svg "$cpu"
    err_is "Generating report in g.svg"
    cmp g.svg out 2>/dev/null || { expect 0 "$CPROF" -svg "$cpu"; cmp g.svg out; }
    expect 0 "$CPROF" -png -output g.png -nodecount=5 "$cpu"
    [ "$(head -c 4 g.png | od -An -c | tr -d ' ')" = "211PNG" ] || { echo "not a png"; exit 1; }
    expect 0 "$CPROF" -pdf -output g.pdf "$cpu"
    [ "$(head -c 4 g.pdf)" = "%PDF" ] || { echo "not a pdf"; exit 1; }
    # A binary image is never written to a terminal.
    if command -v script >/dev/null 2>&1; then
        script -qec "'$CPROF' -png '$cpu'" /dev/null >tty.out 2>&1 || true
        grep -q "refusing to write binary image to a terminal" tty.out
    fi
else
    echo "graphviz not installed: image formats not tested"
fi
# -dot to a file is the same as to stdout.
expect 0 "$CPROF" -dot "$cpu"
mv out dot.out
expect 0 "$CPROF" -dot -output g.dot "$cpu"
cmp g.dot dot.out
# -topproto: a gzipped profile with cum and flat per node.
expect 0 "$CPROF" -topproto -output tp.pb.gz -lines "$cpu"
[ "$(head -c 2 tp.pb.gz | od -An -tx1 | tr -d ' ')" = "1f8b" ]
expect 0 "$CPROF" -raw tp.pb.gz
grep -q '^cum/ms flat/ms$' out
if command -v go >/dev/null 2>&1; then
    for prof in cpu2.pb.gz heap.pb.gz mutex.pb.gz; do
        for flags in "" "-lines" "-cum -nodecount=3"; do
            # shellcheck disable=SC2086
            go tool pprof -topproto $flags -output=want.pb.gz "$G/$prof" 2>/dev/null
            # shellcheck disable=SC2086
            "$CPROF" -topproto $flags -output=got.pb.gz "$G/$prof" 2>/dev/null
            "$CPROF" -raw want.pb.gz >want.raw
            "$CPROF" -raw got.pb.gz >got.raw
            cmp want.raw got.raw || { echo "topproto $flags $prof differs"; diff want.raw got.raw | head; exit 1; }
        done
    done
fi
echo ok
