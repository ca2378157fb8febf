/*
 * cpustat.h: the host's CPU time totals from /proc/stat, in nanoseconds
 * (USER_HZ ticks converted), so they compare directly with per-process
 * on-CPU time.
 */
#ifndef POWER_CPUSTAT_H
#define POWER_CPUSTAT_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_totals {
    uint64_t user, nice, system, idle, iowait, irq, softirq, steal;  /* ns */
    unsigned ncpu;      /* cpuN lines seen */
};

/* busy = user+nice+system+irq+softirq+steal; total = busy+idle+iowait */
uint64_t cpu_totals_busy(const struct cpu_totals *t);
uint64_t cpu_totals_all(const struct cpu_totals *t);

/* Parse /proc/stat text. Returns 0 or -EINVAL when there is no "cpu " line. */
int cpu_totals_parse(const char *text, long ticks_per_s, struct cpu_totals *out);

/* Read ROOT/proc/stat. Returns 0 or -errno. */
int cpu_totals_read(const char *root, struct cpu_totals *out);

#endif
