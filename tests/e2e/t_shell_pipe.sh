#!/bin/sh
# Commands piped into the shell (`echo "top 5" | cprof p.pb.gz`), as
# go tool pprof runs them: the same stdout (prompts and reports) and the
# same stderr (greeting, options, errors), session by session.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
need_go
cd "$WORK"
export TZ=UTC HOME="$WORK" GOCACHE="$WORK/gocache" GOFLAGS= GOTOOLCHAIN=local
"$CPROF" run -cpu t.pb.gz -hz 500 -- "$EX/threads" 0.3 >/dev/null 2>run.err || { cat run.err; fail "cprof run"; }
n=0
while IFS= read -r session; do
    n=$((n + 1))
    gs=0
    printf '%b' "$session" | go tool pprof t.pb.gz >go.out 2>go.err || gs=$?
    cs=0
    printf '%b' "$session" | "$CPROF" t.pb.gz >c.out 2>c.err || cs=$?
    [ "$gs" = "$cs" ] || fail "session $n: status $cs, go tool pprof $gs"
    cmp -s go.out c.out || { diff go.out c.out | head -20; fail "session $n ($session): stdout differs"; }
    cmp -s go.err c.err || { diff go.err c.err | head -20; fail "session $n ($session): stderr differs"; }
done <<'SESSIONS'
top 5\n
top 3\npeek worker\nnodecount=2\ntop -cum\nbogus\nquit\n
o\ntraces\n
sample_index=9\nfocus=main\ntree\n
top 2
SESSIONS
[ "$n" = 5 ] || fail "ran $n sessions"
echo "top 5" | "$CPROF" t.pb.gz >c.out 2>c.err || fail "echo top 5"
grep -q '^(pprof) Showing nodes accounting for' c.out || { cat c.out; fail "no report after the prompt"; }
echo ok
