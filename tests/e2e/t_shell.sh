#!/bin/sh
# The interactive shell (no report flag, stdin a terminal): driven through
# tmux, `top 3`, `nodecount=2` then `top`, a sample type shortcut, `o`,
# `list`, errors and `quit` give go tool pprof's shell output (compact
# labels); the same keys go to `go tool pprof` and the transcripts agree.
# The lines typed land in $HOME/.cprof_history.
set -eu
fail() {
    echo "FAIL: $*"
    exit 1
}
command -v tmux >/dev/null 2>&1 || { echo "SKIP: no tmux"; exit 77; }
cd "$WORK"
FIX="$CPROF_SRCDIR/tests/fixtures/go"
SOCK="$WORK/tmux.sock"
trap 'tmux -S "$SOCK" kill-server 2>/dev/null || true' EXIT

# drive NAME CMD: runs CMD in a 200x50 terminal, types the shell's lines,
# and writes the whole transcript to NAME.out.
drive() {
    name=$1
    shift
    tmux -S "$SOCK" new-session -d -s "$name" -x 200 -y 50 \
        "cd '$WORK' && TZ=UTC $*; echo SHELL-EXITED \$?; sleep 30"
    tmux -S "$SOCK" set-option -t "$name" history-limit 5000 >/dev/null
    n=0
    for line in 'top 3' 'nodecount=2' 'top' 'alloc_space' 'top -cum' 'o' ':' \
        'nodecount 3' 'frobnicate' 'quit'; do
        # Wait for the n-th prompt before typing (a shell that enters raw
        # mode may drop what was typed ahead).
        n=$((n + 1))
        i=0
        until [ "$(tmux -S "$SOCK" capture-pane -p -t "$name" -S - | grep -c '^(pprof)')" -ge $n ]; do
            i=$((i + 1))
            [ $i -lt 200 ] || { tmux -S "$SOCK" capture-pane -p -t "$name" -S -; fail "$name: no prompt"; }
            sleep 0.05
        done
        tmux -S "$SOCK" send-keys -t "$name" "$line" Enter
    done
    i=0
    until tmux -S "$SOCK" capture-pane -p -t "$name" -S - | grep -q '^SHELL-EXITED'; do
        i=$((i + 1))
        [ $i -lt 200 ] || fail "$name: did not exit"
        sleep 0.05
    done
    tmux -S "$SOCK" capture-pane -p -t "$name" -S - -E - | sed -e 's/ *$//' -e '/^$/d' >"$name.out"
    tmux -S "$SOCK" kill-session -t "$name"
}

drive cprof "HOME='$WORK' '$CPROF' '$FIX/heap.pb.gz'"
cat cprof.out
# The lines typed are kept for the next session.
grep -qx 'nodecount=2' "$WORK/.cprof_history" || fail "no history in \$HOME/.cprof_history"
# (libedit's file writes a space as \040)
grep -Eqx 'top( |\\040)3' "$WORK/.cprof_history" || fail "history lacks 'top 3'"
grep -q '^Entering interactive mode (type "help" for commands, "o" for options)$' cprof.out ||
    fail "no greeting"
grep -q '^SHELL-EXITED 0$' cprof.out || fail "quit did not exit 0"
# top 3: three rows; nodecount=2 then top: two rows.
awk '/^\(pprof\) top 3$/ { on = 1; next } /^\(pprof\)/ { on = 0 } on && $2 ~ /%$/' cprof.out |
    grep -vc 'flat%' | grep -qx 3 || fail "top 3 does not show 3 rows"
awk '/^\(pprof\) top$/ { on = 1; next } /^\(pprof\)/ { on = 0 } on && $2 ~ /%$/' cprof.out |
    grep -vc 'flat%' | grep -qx 2 || fail "nodecount=2 then top does not show 2 rows"
grep -q 'nodecount  *= 2$' cprof.out || fail "o does not show nodecount=2"
grep -q 'sample_index  *= alloc_space  ' cprof.out || fail "sample type shortcut not applied"
grep -q '^did you mean: nodecount=3$' cprof.out || fail "no did-you-mean"
grep -q '^unrecognized command: "frobnicate"$' cprof.out || fail "no unrecognized command"
# Compact labels: no File:/Type: header inside the reports.
awk '/^\(pprof\) top 3$/ { on = 1 } on' cprof.out | grep -q '^Type:' && fail "top shows full labels"

# The same session in go tool pprof: an identical transcript.
if command -v go >/dev/null 2>&1; then
    drive gopprof "go tool pprof '$FIX/heap.pb.gz'"
    diff -u gopprof.out cprof.out || fail "cprof's shell differs from go tool pprof's"
fi

# list in the shell: the ROUTINE header of the matched function.
tmux -S "$SOCK" new-session -d -s list -x 200 -y 50 \
    "cd '$WORK' && '$CPROF' '$FIX/cpu.pb.gz'; echo SHELL-EXITED \$?; sleep 30"
i=0
until tmux -S "$SOCK" capture-pane -p -t list | grep -q '^(pprof)'; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "list: no prompt"; sleep 0.05
done
tmux -S "$SOCK" send-keys -t list 'list main.main' Enter 'quit' Enter
i=0
until tmux -S "$SOCK" capture-pane -p -t list -S - | grep -q '^SHELL-EXITED'; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "list: did not exit"; sleep 0.05
done
tmux -S "$SOCK" capture-pane -p -t list -S - >list.out
cat list.out
grep -q '^ROUTINE =* main.main' list.out || fail "list shows no ROUTINE"
echo "ok"
