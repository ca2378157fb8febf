/*
 * cpulist.h: the CPUs a measured command is pinned to (measure --cpus), in
 * the kernel's list format ("0", "0,2", "4-7", "0-3,8"), as taskset -c and
 * /sys/devices/system/cpu/online write it (Documentation/admin-guide/cputopology.rst).
 * Pure: no PCP.
 */
#ifndef PMPOWER_CPULIST_H
#define PMPOWER_CPULIST_H

#include <sched.h>
#include <stddef.h>

/* text into *set: 0, or -1 with why in err (one line, no newline). */
int cpulist_parse(const char *text, cpu_set_t *set, char *err, size_t errsize);

/* *set back as a list ("0-3,8") into buf. */
void cpulist_format(const cpu_set_t *set, char *buf, size_t size);

#endif
