#!/bin/sh
# Bad input to the report command: a pprof-like one-line error on stderr
# and a non-zero status (1 for bad data, 2 for a bad command line).
set -eu
. "$CPROF_SRCDIR/tests/e2e/cli_lib.sh"
cd "$WORK"
G="$CPROF_SRCDIR/tests/fixtures/go"
cpu="$G/cpu2.pb.gz"
# one_line STATUS TEXT CMD...: CMD exits STATUS with stderr exactly "cprof: TEXT".
one_line() {
    st=$1 text=$2
    shift 2
    expect "$st" "$@"
    err_is "cprof: $text"
}
# Unknown sample index, by name and by position.
one_line 1 'sample_index "nosuch" must be one of: [samples cpu]' "$CPROF" -top -sample_index=nosuch "$cpu"
one_line 1 'sample_index 7 is outside the range [0..1]' "$CPROF" -top -sample_index=7 "$cpu"
# Invalid regexps, for every option that takes one.
for o in focus ignore hide show show_from prune_from tagshow taghide; do
    expect 1 "$CPROF" -top "-$o=(" "$cpu"
    [ "$(wc -l <err)" -eq 1 ] && grep -q "^cprof: parsing $o regexp: " err || {
        echo "-$o=(: $(cat err)"; exit 1; }
done
expect 1 "$CPROF" "-peek=(" "$cpu"
grep -q '^cprof: parsing argument regexp: ' err && [ "$(wc -l <err)" -eq 1 ]
expect 1 "$CPROF" "-list=(" "$cpu"
grep -q '^cprof: parsing argument regexp: ' err && [ "$(wc -l <err)" -eq 1 ]
one_line 1 'no matches found for regexp: nosuchfunction' "$CPROF" -list=nosuchfunction "$cpu"
# A missing source file for -list: pprof's " Error:" line in the listing,
# and (unlike pprof) a failing status with the reason on stderr.
expect 1 "$CPROF" -list=runtime.main "$cpu"
grep -qx ' Error: could not find file runtime/proc.go on path '"$WORK" out
err_is "cprof: list: could not find file runtime/proc.go on path $WORK"
# ... while the sources that exist list fine.
expect 0 "$CPROF" -list='main\.burnHash' -trim_path=cprof.example/fixtures -source_path="$G" "$cpu"
grep -q '^ROUTINE ======================== main.burnHash in gen/main.go$' out
grep -q ':func burnHash(d time.Duration) {$' out
# Corrupt and missing profiles.
head -c 300 "$cpu" >truncated.pb.gz
expect 1 "$CPROF" -top truncated.pb.gz
[ "$(wc -l <err)" -eq 1 ] && grep -q '^cprof: truncated.pb.gz: parsing profile: ' err
head -c 2000 /dev/urandom >random.bin
expect 1 "$CPROF" -top random.bin
[ "$(wc -l <err)" -eq 1 ] && grep -q '^cprof: random.bin: parsing profile: ' err
one_line 1 'nosuch.pb.gz: No such file or directory' "$CPROF" -top nosuch.pb.gz
one_line 1 'nosuch.pb.gz: No such file or directory' "$CPROF" -top -base=nosuch.pb.gz "$cpu"
# Base profiles of another kind.
expect 1 "$CPROF" -top -diff_base="$G/heap.pb.gz" "$cpu"
grep -q '^cprof: incompatible ' err && [ "$(wc -l <err)" -eq 1 ]
# Command-line conflicts (pprof's messages).
one_line 2 'must set at most one output format' "$CPROF" -top -list=main "$cpu"
one_line 2 'must set at most one output format' "$CPROF" -svg -raw "$cpu"
one_line 2 'conflicting options set: [cum flat]' "$CPROF" -top -cum -flat "$cpu"
one_line 2 'conflicting options set: [files lines]' "$CPROF" -top -lines -files "$cpu"
one_line 2 '-base and -diff_base flags cannot both be specified' "$CPROF" -top -base="$cpu" -diff_base="$cpu" "$cpu"
one_line 2 'must have base profile to normalize by' "$CPROF" -top -normalize "$cpu"
one_line 1 'zero divisor specified' "$CPROF" -top -divide_by=0 "$cpu"
# -disasm needs the binaries: the Go fixture's are not on this machine.
one_line 1 'no matches found for regexp: main' "$CPROF" -disasm=main "$cpu"
# Without graphviz, -svg says so.
expect 1 env PATH=/nonexistent "$CPROF" -svg "$cpu"
grep -q '^cprof: failed to execute dot. Is Graphviz installed?' err && [ "$(wc -l <err)" -eq 1 ]
echo ok
