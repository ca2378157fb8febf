/* sources.h: the table of every source the agent samples, in sampling order. */
#ifndef POWER_SOURCES_H
#define POWER_SOURCES_H

#include "source.h"

extern const struct source_ops *const power_sources[];   /* NULL-terminated */

#endif
