#!/bin/sh
# Every class of bad input gives one line "cprof: FILE: ..." and status 1,
# and nothing on stdout.
set -eu
. "$CPROF_SRCDIR/tests/e2e/cli_lib.sh"
cd "$WORK"
: >empty.pb
head -c 10 "$FIX/go-cpu.pb.gz" >gzip-header.pb.gz
head -c 200 "$FIX/go-cpu.pb.gz" >gzip-truncated.pb.gz
gzip -dc "$FIX/go-cpu.pb.gz" | head -c 300 >proto-truncated.pb
head -c 4096 /dev/urandom >random.bin
printf '\037\213\010\000\000\000\000\000\000\003garbage-after-gzip-header' >bad-deflate.pb.gz
# (printf escapes are octal: dash has no \x.)
# sample_type {type: 99} with a one-entry string table.
printf '\012\002\010\143\062\000' >bad-string-index.pb
# A sample referring to location id 5, which does not exist.
printf '\012\004\010\001\020\002\022\004\010\005\020\001\062\000\062\001a\062\001b' >bad-location-id.pb
# A sample with one value for two sample types.
printf '\012\004\010\001\020\002\012\004\010\001\020\002\022\002\020\001\062\000\062\001a\062\001b' >bad-value-count.pb
check() {
    expect 1 "$CPROF" -raw "$1"
    [ "$(wc -l <err)" -eq 1 ] || { echo "$1: stderr is not one line:"; cat err; exit 1; }
    case "$(cat err)" in
    "cprof: $1: $2"*) ;;
    *) echo "$1: want 'cprof: $1: $2...', got: $(cat err)"; exit 1 ;;
    esac
    [ ! -s out ] || { echo "$1: wrote to stdout"; exit 1; }
}
check empty.pb "parsing profile: empty input"
check gzip-header.pb.gz "parsing profile: "
check gzip-truncated.pb.gz "parsing profile: "
check bad-deflate.pb.gz "parsing profile: "
check proto-truncated.pb "parsing profile: "
check random.bin "parsing profile: "
check bad-string-index.pb "parsing profile: "
grep -q "string index 99" err
check bad-location-id.pb "parsing profile: "
grep -q "location id 5" err
check bad-value-count.pb "parsing profile: "
# The lead's fuzz corpus: every file either parses or fails this way.
for f in "$FIX"/*; do
    set +e
    "$CPROF" -raw "$f" >out 2>err
    rc=$?
    set -e
    case $rc in
    0) [ ! -s err ] || { echo "$f: stderr on success"; exit 1; } ;;
    # A profile without sample types parses, but pprof's -raw refuses it too.
    1) [ "$(wc -l <err)" -eq 1 ] &&
           { grep -q "^cprof: $f: parsing profile: " err || grep -qx "cprof: profile has no samples" err; } ||
           { echo "$f: bad error: $(cat err)"; exit 1; } ;;
    *) echo "$f: exit status $rc"; exit 1 ;;
    esac
done
# Missing and unreadable files.
expect 1 "$CPROF" -raw nosuch.pb.gz
err_is "cprof: nosuch.pb.gz: No such file or directory"
mkdir adir
expect 1 "$CPROF" -raw adir
err_is "cprof: adir: Is a directory"
# One bad file among good ones fails the whole command.
expect 1 "$CPROF" -raw "$FIX/go-cpu.pb.gz" empty.pb
err_is "cprof: empty.pb: parsing profile: empty input"
# Profiles that cannot be merged.
expect 1 "$CPROF" -raw "$FIX/go-cpu.pb.gz" "$FIX/go-heap.pb.gz"
[ "$(wc -l <err)" -eq 1 ] && grep -q '^cprof: merging profiles: incompatible period types cpu/nanoseconds and space/bytes$' err || {
    echo "bad merge error: $(cat err)"; exit 1; }
echo ok
