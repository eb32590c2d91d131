/*
 * Version string of the tool.
 */
#include "tool/version.h"

const char *cprof_tool_version(void)
{
    return CPROF_VERSION;
}
