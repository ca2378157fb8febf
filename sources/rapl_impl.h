/*
 * rapl_impl.h: inside the RAPL source, not for other modules: the state
 * rapl.c (open, sample, the candidates, accessors) and rapl_scan.c (finding
 * the zones under /sys/class/powercap and opening them) share.
 */
#ifndef POWER_RAPL_IMPL_H
#define POWER_RAPL_IMPL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "counter.h"
#include "rapl.h"
#include "status.h"

#define RAPL_MAX_ZONES 64
#define RAPL_SCAN_DEPTH 4

/* What the source logs once (status_error, status_warn_once). */
enum rapl_kind {
    RAPL_TOO_MANY_ZONES,
    RAPL_READ_FAILED,
    RAPL_UNSAFE_INTERVAL,
    RAPL_NO_RANGE,
    RAPL_TWO_PLATFORMS,
};

struct rapl_zone {
    char     name[600];
    char     sysfs_id[256];
    char     dir[PATH_MAX];       /* resolved zone directory */
    int      fd;                  /* energy_uj, kept open; -1 when closed */
    bool     present;
    bool     has_power;
    bool     unreadable;          /* energy_uj is root-only: the zone waits for the fix */
    struct notice problem;        /* why the zone is not read, logged when it changes */
    bool     rebase;              /* next reading starts a new baseline: the gap is unknown */
    struct wrap_counter counter;
    double   power_w;
    double   last_s;
    bool     seen_this_scan;
};

/* Cumulative energy of one power.system candidate, built only from zone
 * deltas valid at both ends, so it never jumps when zones come and go. */
struct rapl_candidate {
    double energy_j;
    bool   valid;
};

struct rapl_state {
    struct source_env env;
    bool              enabled;
    double            rescan_s;
    double            last_scan_s;
    bool              rescan_now;
    struct rapl_zone  zones[RAPL_MAX_ZONES];
    size_t            nzones;
    struct rapl_candidate psys, package_dram;
    struct source_status status;
};

/* Find the zones again: new ones are added and opened, vanished ones closed
 * (absent, a new baseline when they return). */
void rapl_rescan(struct rapl_state *st, double now_s);
void rapl_zone_close(struct rapl_zone *z);

#endif
