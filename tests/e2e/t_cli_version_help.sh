#!/bin/sh
# -version, -help/-h/--help, and usage errors of the report command.
set -eu
. "$CPROF_SRCDIR/tests/e2e/cli_lib.sh"
expect 0 "$CPROF" -version
grep -Eqx 'cprof [0-9]+\.[0-9]+\.[0-9]+' "$WORK/out" || { echo "bad version: $(cat "$WORK/out")"; exit 1; }
[ ! -s "$WORK/err" ]
for h in -help --help -h; do
    expect 0 "$CPROF" $h
    grep -q '^usage: cprof ' "$WORK/out" || { echo "$h: no usage"; exit 1; }
    for f in -raw -proto '-output string' -version; do
        grep -q -- "^  $f " "$WORK/out" || { echo "$h: usage does not list $f"; exit 1; }
    done
done
# No profile: usage on stderr, status 2.
expect 2 "$CPROF"
grep -q '^usage: cprof ' "$WORK/err"
expect 2 "$CPROF" -raw
# No output format: the shell, which ends at the end of its input (pprof's way).
expect 0 "$CPROF" "$FIX/go-cpu.pb.gz" </dev/null
printf '(pprof) ' | cmp -s - "$WORK/out" || { cat "$WORK/out"; echo "no prompt"; exit 1; }
grep -q '^Entering interactive mode' "$WORK/err" || { cat "$WORK/err"; echo "no greeting"; exit 1; }
echo ok
