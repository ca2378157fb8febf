/*
 * series.h: the energy counters pmpower reports, in a fixed order: a series
 * is an index into an array of S_COUNT struct pp_metric, filled by
 * pp_series_init and pp_lookup. And the user's names for their instances.
 */
#ifndef PMPOWER_SERIES_H
#define PMPOWER_SERIES_H

#include <stddef.h>

#include "pmctx.h"

enum pp_series {
    S_SYSTEM, S_RAPL, S_METER, S_METER_TOTAL, S_VM, S_SOC, S_BATTERY, S_GPU, S_HWMON, S_MODEL,
    S_PROC, S_CGROUP, S_UNATTRIBUTED,
    S_SOURCE, S_SAMPLES, S_INTERVAL,
    S_START_TIME, S_SAMPLE_TIME,     /* which run of the agent (its first sample's wall time), and
                                        seconds from then to the sample a fetch's values are of */
    S_COUNT
};
#define S_FIRST_TOP S_PROC           /* S_SYSTEM..S_MODEL are sources of energy */

void        pp_series_init(struct pp_metric m[S_COUNT]);
const char *pp_series_prefix(int series);
/* "system", "rapl:package-0", "vm:web1": the user's name for a series instance */
void        pp_series_label(struct pp_ctx *c, const struct pp_metric *m, int series, int inst,
                            char *buf, size_t size);
/* a process instance "001234 cmd" -> "cmd" */
const char *pp_proc_command(const char *inst_name);

/* Instances ranked by a value (power, energy): most first, then by instance. */
struct pp_ranked {
    int    inst;
    double value;
};
void        pp_rank(struct pp_ranked *rows, size_t n);

#endif
