#!/bin/sh
# Installs the Debian packages cprof needs, by group, when they are missing.
#
#   scripts/deps.sh [build|test|fuzz|bench|all]...   (default: build)
#
# Exits 0 when everything is present.  When something is missing and we run
# as root, it installs it with apt-get; otherwise it prints the exact
# apt-get line to run and exits 1.
set -eu

# libedit (the report shell's line editing) and capstone (-disasm) are the tool's only.
# libhttp-parser-dev, libssl-dev, libnghttp2-dev: `cprof load` (HTTP/1.1 responses, https, -h2).
pkgs_build="gcc make pkg-config libc6-dev libdeflate-dev libisal-dev libdw-dev libelf-dev libmicrohttpd-dev libedit-dev libcapstone-dev libhttp-parser-dev libssl-dev libnghttp2-dev"
# protobuf-c is the reference codec the tests and the fuzz target compare with.
pkgs_ref="libprotobuf-c-dev protobuf-c-compiler"
# golang-go gives `go tool pprof`, the reference the tests compare against.
# The flame graph tests: libxml2-utils (xmllint) checks the SVG is
# well-formed XML, python3 checks its layout, chromium (large, but the
# flame graph's screenshot test needs a real browser; the test skips when
# it is missing) renders it and drives its script, fonts-dejavu-core gives
# it the same font everywhere.  curl drives the /debug/pprof endpoint tests.
# graphviz (dot) renders -svg, -png and -pdf; the tests render with it.
# tmux drives the interactive shell's test (a real terminal).
# libc6-dbg: libc's separate (compressed) debug file, so the symbolizer's
# separate-debug-file path (lines and inline frames in libc) is tested.
# strace counts the CPU sampler's system calls per sample (t_cpu_syscalls).
# cprof load's tests: hey (the layout reference), openssl (s_server for https),
# nginx-light (the HTTP/2 server of t_load_h2).  clang-format: make test
# checks the tree's formatting (check-format).
pkgs_test="$pkgs_build $pkgs_ref golang-go libxml2-utils python3 chromium fonts-dejavu-core curl graphviz tmux libc6-dbg strace hey openssl nginx-light clang-format"
pkgs_fuzz="$pkgs_build $pkgs_ref clang libclang-rt-14-dev"
# time: GNU /usr/bin/time, for peak RSS.
# libgoogle-perftools-dev: gperftools' libprofiler.so, the anchor of bench/cpu.sh.
# heaptrack, and libtcmalloc (HEAPPROFILE) from libgoogle-perftools-dev: anchors of bench/heap.sh.
# wrk and nginx-light: bench/load.sh's anchor and server; nghttp2-client's h2load the -h2 anchor.
pkgs_bench="$pkgs_test hyperfine time libgoogle-perftools-dev heaptrack wrk nginx-light nghttp2-client"

want=""
[ $# -eq 0 ] && set -- build
for group in "$@"; do
    case "$group" in
    build) want="$want $pkgs_build" ;;
    test) want="$want $pkgs_test" ;;
    fuzz) want="$want $pkgs_fuzz" ;;
    bench) want="$want $pkgs_bench" ;;
    all) want="$want $pkgs_test $pkgs_fuzz $pkgs_bench" ;;
    *)
        echo "deps.sh: unknown group '$group' (build, test, fuzz, bench, all)" >&2
        exit 2
        ;;
    esac
done

missing=""
for p in $want; do
    case " $missing " in *" $p "*) continue ;; esac
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "cprof needs these Debian packages; run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
