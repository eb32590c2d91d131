/*
 * Finding the binaries behind a profile's mappings and symbolizing from
 * them, with the notes pprof prints: pprof's locateBinaries
 * (internal/driver/fetch.go) and localSymbolize/newMapping
 * (internal/symbolizer/symbolizer.go).  Build ids are checked as upstream
 * pprof's binutils does (go tool pprof's own object reader has none).
 */
#ifndef CPROF_TOOL_BINARIES_H
#define CPROF_TOOL_BINARIES_H

#include <stdbool.h>
#include <stdio.h>

struct cprof_profile;

/*
 * pprof's locateBinaries, on one profile as it is read (before merging):
 *  - each mapping's binary is searched in $PPROF_BINARY_PATH (':'-separated;
 *    default $HOME/pprof/binaries) as DIR/BUILDID/BASENAME, DIR/BUILDID/ *,
 *    DIR/FILE/BUILDID, DIR/BASENAME and DIR/FILE; the first ELF file found
 *    whose build id matches (or when the mapping has none) becomes the
 *    mapping's file; a mismatch is noted on warn ("Ignoring local file
 *    NAME: build-id mismatch (WANT != HAVE)");
 *  - a profile without mappings gets one empty mapping (id 1) that every
 *    location uses;
 *  - exec (the binary named on the command line; NULL = none) becomes the
 *    first mapping's file.
 * 0 or -ENOMEM.
 */
int cprof_locate_binaries(struct cprof_profile *p, const char *exec, FILE *warn);

/*
 * Symbolizes p from local files (sym/symbolize.h; force redoes mappings
 * already symbolized) and prints pprof's notes on warn for the mappings it
 * could not use: "Main binary filename not available.", "Local
 * symbolization failed for NAME (build ID X): stat PATH: no such file or
 * directory", "...: build ID mismatch", and the closing "Some binary
 * filenames not available. ..." advice.  A file that cprof's symbolizer
 * found elsewhere (a debug file by build id) is no failure.
 * 0, -ENOMEM or CPROF_ETOOBIG.
 */
int cprof_symbolize_local(struct cprof_profile *p, bool force, FILE *warn);

#endif /* CPROF_TOOL_BINARIES_H */
