# Helpers for the t_flamegraph*.sh tests (sourced, not run).
# report KIND [FLAG...] PROFILE: prints report KIND (flamegraph, collapsed)
# of PROFILE; FLAGs use the command line's syntax (-focus=RE, -noinlines).
# Runs `cprof -KIND` when the CLI has -flamegraph, else the report
# engine's test driver (build/report_driver, options as name=value).
report() {
    if [ -z "${flame_via:-}" ]; then
        if "$CPROF" -flamegraph "$CPROF_SRCDIR/tests/fixtures/go/cpu.pb.gz" 2>/dev/null |
            head -n 1 | grep -q '^<?xml'; then
            flame_via=cli
        else
            flame_via="$CPROF_SRCDIR/$BUILD/report_driver"
            [ -x "$flame_via" ] ||
                make -s -C "$CPROF_SRCDIR" BUILD="$BUILD" "$BUILD/report_driver" >/dev/null
        fi
    fi
    flame_kind=$1
    shift
    if [ "$flame_via" = cli ]; then
        "$CPROF" "-$flame_kind" "$@"
        return
    fi
    set -- "$flame_kind" "$@"
    flame_n=$#
    while [ "$flame_n" -gt 0 ]; do # rotate the arguments, rewriting flags as name=value
        flame_a=$1
        shift
        case "$flame_a" in
        -*=*) flame_a=${flame_a#-} ;;
        -*) flame_a="${flame_a#-}=1" ;;
        esac
        set -- "$@" "$flame_a"
        flame_n=$((flame_n - 1))
    done
    "$flame_via" "$@"
}
