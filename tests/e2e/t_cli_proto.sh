#!/bin/sh
# -proto: gzipped output that reads back to the same profile, written
# atomically to -output, to a pipe, never to a terminal, and a failure
# leaves no file (and no temporary file) behind.
set -eu
. "$CPROF_SRCDIR/tests/e2e/cli_lib.sh"
cd "$WORK"
p="$FIX/go-cpu.pb.gz"
expect 0 "$CPROF" -raw "$p"
mv out want.raw
expect 0 "$CPROF" -proto -output a.pb.gz "$p"
[ ! -s out ] && err_is "Generating report in a.pb.gz" # pprof's note
[ "$(head -c 2 a.pb.gz | od -An -tx1 | tr -d ' ')" = "1f8b" ] || { echo "not gzipped"; exit 1; }
expect 0 "$CPROF" -raw a.pb.gz
cmp out want.raw
# To a pipe when stdout is not a terminal.
"$CPROF" -proto "$p" | cat >b.pb.gz
cmp a.pb.gz b.pb.gz
# Merge of two profiles round-trips too: -raw of the merge == -raw of its -proto.
expect 0 "$CPROF" -raw "$p" "$p"
mv out merged.raw
grep -q '^Samples:$' merged.raw
expect 0 "$CPROF" -proto -output m.pb.gz "$p" "$p"
expect 0 "$CPROF" -raw m.pb.gz
cmp out merged.raw
# Replacing an existing file is atomic and complete.
echo old >c.pb.gz
expect 0 "$CPROF" -proto -output c.pb.gz "$p"
cmp c.pb.gz a.pb.gz
# Failures leave nothing behind.
mkdir outdir
: >empty.pb
expect 1 "$CPROF" -proto -output outdir/x.pb.gz empty.pb
[ -z "$(ls -A outdir)" ] || { echo "left files: $(ls -A outdir)"; exit 1; }
chmod 555 outdir
if [ "$(id -u)" != 0 ]; then
    expect 1 "$CPROF" -proto -output outdir/x.pb.gz "$p"
    grep -q '^cprof: outdir/x.pb.gz: ' err
fi
chmod 755 outdir
expect 1 "$CPROF" -proto -output nosuchdir/x.pb.gz "$p"
# pprof announces the file before it opens it
printf 'Generating report in nosuchdir/x.pb.gz\ncprof: nosuchdir/x.pb.gz: No such file or directory\n' |
    cmp -s - err || { echo "bad stderr:"; cat err; exit 1; }
[ ! -e nosuchdir ]
# An existing file is left untouched when the command fails.
echo keep >d.pb.gz
expect 1 "$CPROF" -proto -output d.pb.gz empty.pb
[ "$(cat d.pb.gz)" = keep ]
[ "$(ls -A | grep -c '^\.\?d\.pb\.gz.\+')" -eq 0 ] || { echo "temp file left: $(ls -A)"; exit 1; }
# A write that fails half-way (file size limit) leaves neither the file nor a temporary.
mkdir small
set +e
(trap '' XFSZ; ulimit -f 1; exec "$CPROF" -proto -output small/x.pb.gz "$FIX/go-heap.pb.gz") 2>err
rc=$?
set -e
[ "$rc" = 1 ] || { echo "exit status $rc under ulimit -f"; cat err; exit 1; }
grep -q '^cprof: small/x.pb.gz: File too large$' err || { echo "bad error: $(cat err)"; exit 1; }
[ -z "$(ls -A small)" ] || { echo "left files: $(ls -A small)"; exit 1; }
# Never to a terminal.
if command -v script >/dev/null 2>&1; then
    script -qec "'$CPROF' -proto '$p'" /dev/null >tty.out 2>&1 || true
    grep -q "cprof: refusing to write binary profile to a terminal; use -output" tty.out || {
        echo "wrote to a terminal:"; head -c 200 tty.out; exit 1; }
fi
echo ok
