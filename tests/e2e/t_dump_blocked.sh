#!/bin/sh
# Thread dumps leave threads blocked in system calls alone: while threads of
# tests/e2e/progs/dump_blocked.c sit in nanosleep, poll, epoll_wait,
# sem_timedwait and a pipe read (calls a signal would end with EINTR even
# under SA_RESTART), the goroutine dump is requested several times; no
# thread may see EINTR or wake early (the program checks and exits 1), and
# every dump must show each blocked thread's stack (the libc wrapper, the
# blocking function and the thread's start function: unwound from the
# dumping thread) and the busy thread's (signalled, it is running).  Run
# twice: built -O2 (Debian's default: no frame pointers, rsp-based CFI) and
# -O0 -fno-omit-frame-pointer (rbp-based CFI: the unwinder must find frame
# records, as the blocked thread's rbp is unknown).
. "$CPROF_SRCDIR/tests/e2e/lib_http.sh"
cd "$WORK"

# thread_stack FILE NAME: the frame lines ("func(...)") of thread NAME's entry.
thread_stack() {
    awk -v n="thread \"$2\"]:" 'index($0, n) { on = 1; next } on && /^$/ { exit }
        on && !/^\t/ { print }' "$1"
}

# want FILE NAME FIRST FRAMES...: the stack's first frame matches FIRST (ERE),
# FRAMES are functions on it, one calling the other in that order, and a
# thread's stack reaches start_thread.
want() {
    f=$1 name=$2 first=$3
    shift 3
    thread_stack "$f" "$name" >stack.txt
    [ -s stack.txt ] || fail "$f: thread $name has no stack: $(grep -A1 "thread \"$name\"" "$f")"
    head -1 stack.txt | grep -Eq "$first" ||
        fail "$f: $name's first frame is $(head -1 stack.txt), want /$first/"
    [ "$name" = dump_blocked ] || grep -q '^start_thread(' stack.txt ||
        fail "$f: $name's stack does not reach start_thread: $(cat stack.txt)"
    names=" $(sed 's/(.*//' stack.txt | tr '\n' ' ')"
    case "$names" in
    *" $* "*) ;;
    *) fail "$f: $name's stack is$names, want '$*' in it" ;;
    esac
}

# check_prog: runs ./dump_blocked, dumps it while it blocks, checks it all.
check_prog() {
    rm -f prog.out prog.err dump*.txt dump.debug1 # not to read the previous run's
    env CPROF_HTTP=127.0.0.1:0 LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD:}$LIB" ./dump_blocked >prog.out 2>prog.err &
    APP_PID=$!
    PORT=""
    for _ in $(seq 100); do
        PORT=$(sed -n 's|^cprof: serving http://127.0.0.1:\([0-9]*\)/debug/pprof/$|\1|p' prog.err)
        [ -n "$PORT" ] && grep -q '^ready$' prog.out && break
        sleep 0.05
    done
    [ -n "$PORT" ] || fail "the endpoint did not start: $(cat prog.err)"
    grep -q '^ready$' prog.out || fail "the program did not get ready: $(cat prog.out)"
    U="http://127.0.0.1:$PORT/debug/pprof"

    # Four dumps while the threads block (the shortest block ends 2 s after ready).
    t0=$(date +%s%N)
    for i in 1 2 3; do
        [ "$(status "$U/goroutine?debug=2")" = 200 ] || fail "debug=2 #$i: $(cat body)"
        cp body dump$i.txt
    done
    [ "$(status "$U/goroutine?debug=1")" = 200 ] || fail "debug=1: $(cat body)"
    cp body dump.debug1
    t1=$(date +%s%N)
    echo "4 dumps took $(((t1 - t0) / 1000000)) ms"

    wait "$APP_PID" || fail "the program exited $?: $(cat prog.out) $(cat prog.err)"
    APP_PID=""
    grep -q '^result ok$' prog.out || fail "the program's threads were disturbed: $(cat prog.out)"
    [ $(((t1 - t0) / 1000000)) -lt 1900 ] || fail "the dumps ran past the threads' blocking: no proof"

    for i in 1 2 3; do
        f=dump$i.txt
        want $f nano 'nanosleep' blk_nanosleep nano_main
        want $f poll 'poll' blk_poll poll_main
        want $f epoll 'epoll_wait' blk_epoll epoll_main
        want $f sem 'futex|sem_' blk_sem sem_main
        want $f pipe 'read' blk_read read_main
        want $f busy '^busy_loop' busy_main
        want $f dump_blocked 'nanosleep' usleep main __libc_start_call_main
        ! grep -q 'stack may be stale\|thread stack unavailable' $f || fail "$f: $(cat $f)"
    done
    cat dump1.txt

    head -1 dump.debug1 | grep -qx 'goroutine profile: total 8' || fail "debug=1: $(head -1 dump.debug1)"
    for fn in blk_nanosleep blk_poll blk_epoll blk_sem blk_read busy_loop; do
        grep -Pq "^#\t0x[0-9a-f]+\t$fn\t" dump.debug1 || fail "debug=1 lacks $fn"
    done
}

build_prog dump_blocked
check_prog
build_prog dump_blocked -O0 -fno-omit-frame-pointer
check_prog
echo ok
