/*
 * The -raw report: a text dump of a profile in exactly the layout of
 * pprof's Profile.String(), so `cprof -raw` and `go tool pprof -raw` agree
 * byte for byte.
 */
#ifndef CPROF_TOOL_RAW_H
#define CPROF_TOOL_RAW_H

struct cprof_buf;
struct cprof_profile;

/* Appends the dump of p to out.  0, -ENOMEM or CPROF_ETOOBIG. */
int cprof_raw_format(const struct cprof_profile *p, struct cprof_buf *out);

#endif /* CPROF_TOOL_RAW_H */
