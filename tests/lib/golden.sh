# Names of golden files, shared by the tests that read them and the
# regen.sh scripts that write them.  Source this file.
#
# golden_id CASE: the file name stem of the case whose cases.txt line is
# CASE: its text made file-safe (at most 60 characters) and 8 hex digits
# of its SHA-1, so a case keeps its files when others are added, removed
# or reordered.
golden_id() {
    printf '%s-%s' "$(printf '%s' "$1" | tr -c 'A-Za-z0-9._=+-' '_' | cut -c1-60)" \
        "$(printf '%s' "$1" | sha1sum | cut -c1-8)"
}
