#!/bin/sh
# Fails when code meant for signal handlers (objects under $1) calls a
# symbol missing from tools/sigsafe-allowlist.txt.
dir=$1
[ -d "$dir" ] || exit 0
allow=$(dirname "$0")/sigsafe-allowlist.txt
bad=0
for o in "$dir"/*.o; do
    [ -e "$o" ] || continue
    for s in $(nm -u "$o" | awk '{print $2}' | sed 's/@.*//'); do
        case "$s" in __asan_* | __ubsan_* | __sanitizer_* | __tsan_*) continue ;; esac
        # Calls into other signal-safe objects of the same directory are fine.
        if nm --defined-only "$dir"/*.o 2>/dev/null | awk '{print $3}' | grep -qx "$s"; then
            continue
        fi
        if ! grep -qx "$s" "$allow"; then
            echo "check-sigsafe: $o calls '$s', which is not async-signal-safe" >&2
            bad=1
        fi
    done
done
exit $bad
