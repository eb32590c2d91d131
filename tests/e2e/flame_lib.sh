# Helpers for the t_flamegraph*.sh tests (sourced, not run).
# report KIND [FLAG...] PROFILE: prints report KIND (flamegraph, collapsed)
# of PROFILE with `cprof -KIND FLAG... PROFILE` (flags in the command line's
# syntax: -focus=RE, -noinlines).
report() {
    flame_kind=$1
    shift
    "$CPROF" "-$flame_kind" "$@"
}
