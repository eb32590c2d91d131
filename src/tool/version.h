/*
 * Version string of the tool.
 */
#ifndef CPROF_TOOL_VERSION_H
#define CPROF_TOOL_VERSION_H

/* "MAJOR.MINOR.PATCH" of this build. */
const char *cprof_tool_version(void);

#endif /* CPROF_TOOL_VERSION_H */
