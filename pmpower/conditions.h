/*
 * conditions.h: what changes a measurement's results besides the command
 * (measure records them, and warns when they change during the run): the
 * CPU frequency governor and turbo/boost, from the kernel's cpufreq sysfs
 * (Documentation/admin-guide/pm/cpufreq.rst: policyN/scaling_governor, the
 * global cpufreq/boost; intel_pstate.rst: intel_pstate/no_turbo, 1 = turbo
 * off), and the hottest thermal zone (Documentation/driver-api/thermal/
 * sysfs-api.rst: thermal_zoneN/temp, millidegrees Celsius). Read under a
 * root ("/" on a real host, a fake tree in the tests). Pure: no PCP.
 */
#ifndef PMPOWER_CONDITIONS_H
#define PMPOWER_CONDITIONS_H

#include <stdbool.h>
#include <stddef.h>

struct conditions {
    char   governor[64];       /* every policy's, "a,b" when they differ; "" unreadable */
    int    turbo;              /* 1 on, 0 off, -1 unknown */
    double temp_c;             /* the hottest thermal zone, NAN none readable */
    /* the agent's, filled by the caller (pmctx) */
    double interval;           /* power.control.interval, 0 unknown */
    char   source[64];         /* power.system.source, "" unknown */
};

/* The temperature rise during a run that is worth a warning. */
#define CONDITIONS_TEMP_RISE_C 10.0

void conditions_read(const char *root, struct conditions *c);

/* What differs from before to after, as "governor powersave -> performance;
 * ..." into buf; false (buf empty) when nothing that matters changed. */
bool conditions_changed(const struct conditions *before, const struct conditions *after, char *buf, size_t size);

/* One line: "governor performance, turbo on, 54.0 C, interval 1 s, source rapl" */
void conditions_describe(const struct conditions *c, char *buf, size_t size);

#endif
