#!/bin/sh
# -symbolize=local on an unsymbolized profile of a C program: a cprof CPU
# profile of examples/cpu_hot with its functions and lines stripped
# (strip_symbols.py), symbolized again from the binary at the mapping's
# path, from a binary named on the command line, or through
# PPROF_BINARY_PATH, with pprof's notes when the binary is missing or its
# build id differs; -symbolize=none shows [binary] and addresses as
# go tool pprof does.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
export TZ=UTC HOME="$WORK"
mkdir bin moved bp
cp "$EX/cpu_hot" bin/cpu_hot
"$CPROF" run -cpu hot.pb.gz -hz 500 -- "$WORK/bin/cpu_hot" 0.2 >/dev/null 2>run.err || { cat run.err; fail "cprof run"; }
python3 "$CPROF_SRCDIR/tests/e2e/strip_symbols.py" hot.pb.gz unsym.pb.gz || fail "strip_symbols.py"
id=$(readelf -n bin/cpu_hot | awk '/Build ID/ { print $3 }')
other=$(readelf -n "$EX/threads" | awk '/Build ID/ { print $3 }')
[ -n "$id" ] && [ -n "$other" ] && [ "$id" != "$other" ] || fail "build ids '$id' '$other'"

# top_fn FILE: the function of the first row of a -top report.
top_fn() { awk '/flat%/ { getline; print $6; exit }' "$1"; }
# no_notes: the last command wrote nothing to stderr.
no_notes() { [ ! -s err ] || { cat err; fail "unexpected stderr ($1)"; }; }

# The stripped profile has addresses and mappings only.
"$CPROF" -raw -symbolize=none unsym.pb.gz >raw 2>err || fail "-raw -symbolize=none"
no_notes raw
grep -q hot_loop raw && fail "stripped profile still names hot_loop"
grep -q "^1: 0x.* $WORK/bin/cpu_hot $id $" raw || { cat raw; fail "main mapping not as expected"; }

# -symbolize=none: frames are [binary] (addresses with -addresses).
"$CPROF" -top -symbolize=none unsym.pb.gz >none.top 2>err || fail "-top -symbolize=none"
no_notes none
grep -q hot_loop none.top && fail "-symbolize=none symbolized"
[ "$(top_fn none.top)" = "[cpu_hot]" ] || { cat none.top; fail "-symbolize=none top is not [cpu_hot]"; }
"$CPROF" -top -addresses -symbolize=none unsym.pb.gz >none.addr 2>err || fail "-addresses"
grep -Eq ' [0-9a-f]{16} \[cpu_hot\]$' none.addr || { cat none.addr; fail "no address rows"; }
if command -v go >/dev/null 2>&1; then
    export GOCACHE="$WORK/gocache" GOFLAGS= GOTOOLCHAIN=local
    for flags in "-top" "-top -addresses" "-traces"; do
        # shellcheck disable=SC2086
        go tool pprof $flags -symbolize=none unsym.pb.gz >go.out 2>/dev/null
        # shellcheck disable=SC2086
        "$CPROF" $flags -symbolize=none unsym.pb.gz >c.out 2>/dev/null
        cmp -s go.out c.out || { diff go.out c.out | head; fail "$flags -symbolize=none differs from go tool pprof"; }
    done
fi

# The function on top of the profile as the runtime symbolized it: hot_loop
# normally, warm_loop when a busy neighbour slows the multiplier down.
"$CPROF" -top hot.pb.gz >orig.top 2>/dev/null || fail "-top of the original"
want=$(top_fn orig.top)
case "$want" in hot_loop | warm_loop) ;; *) cat orig.top; fail "original top is '$want'" ;; esac

# local (and the default): from the file at the mapping's path, the same
# report as the runtime's symbolization gave.
for mode in -symbolize=local -symbolize=fastlocal ""; do
    "$CPROF" -top $mode unsym.pb.gz >top 2>err || fail "-top $mode"
    no_notes "$mode"
    cmp -s top orig.top || { diff orig.top top; fail "'$mode' report differs from the original's"; }
    [ "$(top_fn top)" = "$want" ] || { cat top; fail "top is not $want with '$mode'"; }
done
# pprof's mode syntax: ':'-separated, any case; remote alone is no local
# symbolization; an unknown option is noted and ignored.
"$CPROF" -top -symbolize=Local:force unsym.pb.gz >top 2>err || fail "-symbolize=Local:force"
no_notes Local:force
[ "$(top_fn top)" = "$want" ] || fail "top is not $want with Local:force"
"$CPROF" -top -symbolize=force hot.pb.gz >top 2>err || fail "-symbolize=force"
[ "$(top_fn top)" = "$want" ] || fail "top is not $want with force on a symbolized profile"
"$CPROF" -top -symbolize=NO unsym.pb.gz >top 2>err || fail "-symbolize=NO"
[ "$(top_fn top)" = "[cpu_hot]" ] || fail "-symbolize=NO symbolized"
"$CPROF" -top -symbolize=remote unsym.pb.gz >top 2>err || fail "-symbolize=remote"
[ "$(top_fn top)" = "[cpu_hot]" ] || fail "-symbolize=remote symbolized locally"
"$CPROF" -top -symbolize=bogus unsym.pb.gz >top 2>err || fail "-symbolize=bogus"
cat >want <<'EOT'
ignoring unrecognized symbolization option: bogus
expecting -symbolize=[local|fastlocal|remote|none][:force][:demangle=[none|full|templates|default]
EOT
cmp -s want err || { diff want err; fail "notes for an unknown -symbolize option"; }
[ "$(top_fn top)" = "$want" ] || fail "top is not $want with an unknown option"
"$CPROF" -raw -symbolize=local unsym.pb.gz >raw 2>err || fail "-raw -symbolize=local"
grep -q "^1: 0x.* $WORK/bin/cpu_hot $id \[FN\]" raw || { grep -A3 Mappings raw; fail "main mapping not marked symbolized"; }
"$CPROF" -top -symbolize=local bin/cpu_hot unsym.pb.gz >top 2>err || fail "binary argument"
no_notes "binary argument"
[ "$(top_fn top)" = "$want" ] || fail "top is not $want with the binary named"

# The binary moved away: pprof's notes, and nothing symbolized in it.
mv bin/cpu_hot moved/cpu_hot
"$CPROF" -top unsym.pb.gz >top 2>err || fail "-top, binary missing"
cat >want <<EOT
Local symbolization failed for cpu_hot (build ID $id): stat $WORK/bin/cpu_hot: no such file or directory
Some binary filenames not available. Symbolization may be incomplete.
Try setting PPROF_BINARY_PATH to the search path for local binaries.
EOT
cmp -s want err || { diff want err; fail "notes for a missing binary"; }
[ "$(top_fn top)" = "[cpu_hot]" ] || fail "missing binary: top is not [cpu_hot]"
"$CPROF" -top -symbolize=local moved/cpu_hot unsym.pb.gz >top 2>err || fail "moved binary named"
no_notes "moved binary named"
[ "$(top_fn top)" = "$want" ] || fail "moved binary named: top is not $want"
PPROF_BINARY_PATH="$WORK/nosuch:$WORK/moved" "$CPROF" -top unsym.pb.gz >top 2>err || fail "PPROF_BINARY_PATH"
no_notes PPROF_BINARY_PATH
[ "$(top_fn top)" = "$want" ] || fail "PPROF_BINARY_PATH: top is not $want"
mkdir -p "$WORK/pprof/binaries/$id"
cp moved/cpu_hot "$WORK/pprof/binaries/$id/renamed"
"$CPROF" -top unsym.pb.gz >top 2>err || fail "\$HOME/pprof/binaries"
no_notes "\$HOME/pprof/binaries"
[ "$(top_fn top)" = "$want" ] || fail "\$HOME/pprof/binaries/BUILDID/*: top is not $want"
rm -r "$WORK/pprof"

# A binary with another build id is refused, named or found.
"$CPROF" -top "$EX/threads" unsym.pb.gz >top 2>err || fail "-top with a mismatched binary"
echo "Local symbolization failed for threads (build ID $id): build ID mismatch" >want
cmp -s want err || { diff want err; fail "notes for a build id mismatch"; }
grep -q work_ top && fail "symbolized from a binary with another build id"
[ "$(top_fn top)" = "[threads]" ] || { cat top; fail "mismatch: top is not [threads]"; }
cp "$EX/threads" bp/cpu_hot
PPROF_BINARY_PATH="$WORK/bp:$WORK/moved" "$CPROF" -top unsym.pb.gz >top 2>err || fail "PPROF_BINARY_PATH mismatch"
echo "Ignoring local file $WORK/bp/cpu_hot: build-id mismatch ($id != $other)" >want
cmp -s want err || { diff want err; fail "notes for a mismatched file in PPROF_BINARY_PATH"; }
[ "$(top_fn top)" = "$want" ] || fail "PPROF_BINARY_PATH after a mismatch: top is not $want"
echo ok
