/*
 * rapl.h: RAPL energy counters through the powercap sysfs interface.
 *
 * Every zone and subzone under ROOT/sys/class/powercap (intel-rapl:N,
 * intel-rapl:N:M, psys, intel-rapl-mmio:N) becomes one instance, named by
 * its package: "package-0", "package-0/core", "package-0/dram", "psys"
 * (or "psys-N" when package N reads the platform counter); MMIO zones get an
 * "mmio:" prefix. The power.system candidates are "rapl:psys" (one platform
 * zone, the lowest package's) and "rapl:package+dram" (package-N and
 * package-N/dram only: never core, which on AMD is one core's counter, nor
 * MMIO zones, which repeat the package). Counters are extended across wraps with
 * max_energy_range_uj. An unreadable energy_uj (root only since the
 * CVE-2020-8694 fix) is logged once with the fix and the zone is absent,
 * never zero. Zones are rescanned every rescan_s seconds and after a read
 * fails, so zones that come and go are followed.
 */
#ifndef POWER_RAPL_H
#define POWER_RAPL_H

#include "counter.h"
#include "source.h"

extern const struct source_ops rapl_source;
/* Its state, as open() returns it: the accessors below take it. */
struct rapl_state;

struct rapl_zone_info {
    const char *name;          /* instance name, e.g. "package-0/dram" */
    const char *sysfs_id;      /* kernel name, e.g. "intel-rapl:0:2" */
    bool        present;       /* readable in the latest sample */
    bool        has_power;     /* power_w covers a full interval */
    double      energy_j;      /* 64-bit extended counter */
    double      power_w;       /* mean over the latest interval */
    double      max_range_j;   /* 0 when the kernel does not say */
    double      raw_j;         /* energy_uj as read, for counters continued across restarts */
    double      wrap_j;        /* energy_uj wraps to 0 here (max_range_j + 1 uJ); 0 when unknown */
    uint64_t    wraps;
    uint64_t    resets;        /* backward steps that could not be wraps */
};

/* Zones ever seen, present or not; index is stable while the agent runs. */
size_t rapl_zone_count(const struct rapl_state *st);
bool   rapl_zone(const struct rapl_state *st, size_t index, struct rapl_zone_info *info);

#endif
