#!/bin/sh
# Go flag syntax: every spelling of a flag gives the same result; errors
# are Go's messages followed by the usage, with status 2.
set -eu
. "$CPROF_SRCDIR/tests/e2e/cli_lib.sh"
p="$FIX/go-cpu.pb.gz"
expect 0 "$CPROF" -raw "$p"
cp "$WORK/out" "$WORK/want"
grep -q '^Samples:$' "$WORK/want"
for spelling in "-raw" "--raw" "-raw=true" "-raw=1" "--raw=T"; do
    expect 0 "$CPROF" $spelling "$p"
    cmp -s "$WORK/out" "$WORK/want" || { echo "$spelling: output differs"; exit 1; }
done
# -output FILE, -output=FILE, --output FILE.
for o in "-output $WORK/o1" "-output=$WORK/o2" "--output $WORK/o3"; do
    expect 0 "$CPROF" -raw $o "$p"
    [ ! -s "$WORK/out" ] || { echo "$o: wrote to stdout"; exit 1; }
done
for i in 1 2 3; do cmp "$WORK/o$i" "$WORK/want"; done
# -raw=false leaves no format: the shell, as pprof (its input ends at once).
expect 0 "$CPROF" -raw=false "$p" </dev/null
grep -q '^Entering interactive mode' "$WORK/err" || { cat "$WORK/err"; exit 1; }
# Flags stop at the first non-flag: a later "-raw" is a file name.
expect 1 "$CPROF" -raw "$p" -raw
err_is "cprof: -raw: No such file or directory"
# "--" ends the flags, so a file may start with a dash.
cp "$p" "$WORK/-dash.pb.gz"
(cd "$WORK" && expect 0 "$CPROF" -raw -- -dash.pb.gz && cmp -s "$WORK/out" "$WORK/want") || {
    echo "-- did not end the flags"; exit 1; }
# Errors.
expect 2 "$CPROF" -x "$p"
err_first_is "flag provided but not defined: -x"
grep -q '^usage: cprof ' "$WORK/err"
expect 2 "$CPROF" --nosuchflag=3 "$p"
err_first_is "flag provided but not defined: -nosuchflag"
expect 2 "$CPROF" -raw -output
err_first_is "flag needs an argument: -output"
expect 2 "$CPROF" -raw=maybe "$p"
err_first_is 'invalid boolean value "maybe" for -raw: parse error'
expect 2 "$CPROF" ---raw "$p"
err_first_is "bad flag syntax: ---raw"
expect 2 "$CPROF" -raw -proto "$p"
err_is "cprof: must set at most one output format"
echo ok
