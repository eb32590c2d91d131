#!/bin/sh
# Stripped code: a library whose two hot functions are static, stripped as
# Debian strips (--strip-unneeded), shows two nodes named by the functions'
# starts (libstripped.so+0xOFF, the addresses the debug file gives them),
# and the profile's comments say how much is unnamed and why.  With the
# debug file where it belongs (a build-id directory through
# CPROF_DEBUG_DIRS, .gnu_debuglink beside the library, a debuginfod server
# for the tool) the real names come back.
. "$CPROF_SRCDIR/tests/e2e/lib_cpu.sh"
cd "$WORK"
export TZ=UTC HOME="$WORK"
mkdir lib dbg dl dl/.debug srv
cc -O2 -g -fPIC -shared -Wl,--build-id -o lib/libstripped.so "$PROGS/stripped_lib.c" ||
    fail "cannot build the library"
objcopy --only-keep-debug lib/libstripped.so libstripped.debug || fail "objcopy"
strip --strip-unneeded lib/libstripped.so || fail "strip"
cc -O2 -o main "$PROGS/stripped_main.c" -Llib -lstripped -Wl,-rpath,"$WORK/lib" || fail "main"
nm lib/libstripped.so 2>/dev/null | grep -q lumpy && fail "the library still names its statics"
# The functions' starts, from the debug file: "0x1100 lumpy_fold" lines.
nm libstripped.debug | awk '$3 ~ /^lumpy_/ { sub(/\..*/, "", $3); print $1, $3 }' |
    while read -r a n; do printf '0x%x %s\n' "$((0x$a))" "$n"; done | sort >starts
[ "$(wc -l <starts)" = 2 ] || { cat starts; fail "want two static functions"; }
id=$(readelf -n lib/libstripped.so | awk '/Build ID/ { print $3 }')
[ -n "$id" ] || fail "no build id"

# flat_names FILE: the names of the rows with flat > 0 of a -top report
# that are the library's (lumpy_* or libstripped.so+0x...).
flat_names() {
    awk '/flat%/ { on = 1; next } on && $1 != "0" && $6 ~ /^(lumpy_|libstripped)/ { print $6 }' "$1" | sort
}

"$CPROF" run -cpu s.pb.gz -hz 500 -- ./main 2000 >run.out 2>run.err || { cat run.err; fail "cprof run"; }
"$CPROF" -top s.pb.gz >top 2>/dev/null || fail "-top"
flat_names top >names
awk '{ print "libstripped.so+" $1 }' starts | sort >want
cmp -s names want || { cat top; echo "want:"; cat want; fail "stripped functions not named by their starts"; }
grep -Eq '^cprof: (9[0-9]|100)% of samples in code without symbols \(libstripped.so stripped: (9[0-9]|100)%\); install' top ||
    { cat top; fail "no comment on the unnamed share"; }
grep -q 'of samples in code without symbols (libstripped.so stripped' run.err ||
    { cat run.err; fail "cprof run's summary does not say it"; }
if command -v go >/dev/null 2>&1; then
    export GOCACHE="$WORK/gocache" GOFLAGS= GOTOOLCHAIN=local
    go tool pprof -top s.pb.gz >go.top 2>/dev/null
    cmp -s go.top top || { diff go.top top; fail "-top differs from go tool pprof"; }
fi

# The debug file in a build-id directory.
mkdir -p "dbg/.build-id/$(echo "$id" | cut -c1-2)"
cp libstripped.debug "dbg/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug"
CPROF_DEBUG_DIRS="$WORK/dbg" "$CPROF" run -cpu d.pb.gz -hz 500 -- ./main 2000 >/dev/null 2>run.err ||
    { cat run.err; fail "cprof run with CPROF_DEBUG_DIRS"; }
"$CPROF" -top d.pb.gz >top 2>/dev/null || fail "-top d"
flat_names top >names
printf 'lumpy_fold\nlumpy_mix\n' | cmp -s - names || { cat top; fail "build-id debug file not used"; }
grep -q 'without symbols' top && { cat top; fail "comment although everything is named"; }
# ... and by the tool, re-symbolizing the first profile.
CPROF_DEBUG_DIRS="$WORK/dbg" "$CPROF" -top -symbolize=force s.pb.gz >top 2>/dev/null || fail "force"
flat_names top >names
printf 'lumpy_fold\nlumpy_mix\n' | cmp -s - names || { cat top; fail "tool: build-id debug file not used"; }

# .gnu_debuglink, the debug file in .debug/ beside the library.
cp lib/libstripped.so dl/libstripped.so
cp libstripped.debug dl/.debug/libstripped.debug
(cd dl && objcopy --add-gnu-debuglink=.debug/libstripped.debug libstripped.so) || fail "debuglink"
cc -O2 -o main_dl "$PROGS/stripped_main.c" -Ldl -lstripped -Wl,-rpath,"$WORK/dl" || fail "main_dl"
"$CPROF" run -cpu l.pb.gz -hz 500 -- ./main_dl 2000 >/dev/null 2>run.err || { cat run.err; fail "run dl"; }
"$CPROF" -top l.pb.gz >top 2>/dev/null || fail "-top l"
flat_names top >names
printf 'lumpy_fold\nlumpy_mix\n' | cmp -s - names || { cat top; fail ".gnu_debuglink not followed"; }

# A debuginfod server (the tool asks one when DEBUGINFOD_URLS is set).
mkdir -p "srv/buildid/$id"
cp libstripped.debug "srv/buildid/$id/debuginfo"
python3 -c '
import functools, http.server, socketserver, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
class Q(h.func):
    def log_message(self, *a): pass
with socketserver.TCPServer(("127.0.0.1", 0), functools.partial(Q, directory=sys.argv[1])) as s:
    with open(sys.argv[2], "w") as f: f.write(str(s.server_address[1]))
    s.serve_forever()
' "$WORK/srv" "$WORK/port" &
spid=$!
trap 'kill $spid 2>/dev/null' EXIT
i=0
while [ ! -s port ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -s port ] || fail "debuginfod stand-in did not start"
DEBUGINFOD_URLS="http://127.0.0.1:$(cat port)" DEBUGINFOD_CACHE_PATH="$WORK/dcache" \
    "$CPROF" -top -symbolize=force s.pb.gz >top 2>/dev/null || fail "force with debuginfod"
flat_names top >names
printf 'lumpy_fold\nlumpy_mix\n' | cmp -s - names || { cat top; fail "debuginfod not asked"; }
echo ok
