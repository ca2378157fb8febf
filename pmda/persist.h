/*
 * persist.h: energy counters that go on across agent restarts and reboots.
 *
 * pmcd restarts a killed agent, hosts reboot, and a counter that starts
 * again from 0 each time makes every window across the restart a special
 * case. So after each sample the glue (export.c) shows every energy
 * counter's value to persist_see() and saves the whole state with
 * persist_save(); a new agent loads it, and the first time it sees each
 * counter it fixes the offset that continues it from the saved value:
 *
 *   - where the hardware kept counting through the gap (a RAPL zone's
 *     energy_uj, an NVML or hwmon energy counter on the same boot; a
 *     battery's energy_now, which falls while discharging, on any boot),
 *     the counter adds exactly what the hardware counted, within one wrap
 *     (a gap longer than half the wrap time at the power seen at either
 *     end could hide more wraps: then it adds nothing, as below; a
 *     battery's level, refreshed by its firmware now and then, only over
 *     gaps of PERSIST_LEVEL_MIN_GAP_S or more);
 *   - where nothing saw the gap (a meter, the model, power.system and the
 *     figures shared out of it), it adds nothing, and the gap's length is
 *     counted in power.control.gap_time.
 *
 * Pure: no PCP. A counter is (metric, instance name); inst is the runtime
 * instance id, for the lookup on each fetch. A name back under a new id
 * in one run (a cgroup purged and recreated) is a new counter, from zero.
 */
#ifndef POWER_PERSIST_H
#define POWER_PERSIST_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

/* What the hardware itself counted at this sample, when the counter has one. */
struct persist_hw {
    bool   valid;            /* a reading of the hardware's own counter, now */
    double raw_j;            /* that counter, in joules */
    double wrap_j;           /* it wraps to 0 at this many joules; 0 when unknown */
    double power_w;          /* its latest power, 0 when unknown: how soon it can wrap */
    double min_gap_s;        /* trusted only over a gap this long: a level the firmware
                                refreshes now and then is that stale at either end */
    bool   survives_reboot;  /* it kept counting while the host was down (a battery's fuel gauge) */
    bool   falling;          /* it falls as energy is used (energy_now while discharging) */
    bool   value_is_raw;     /* the counter began this run at the hardware's reading (RAPL's
                                extended energy_uj), not at 0 as every other counter does */
};

struct persist;

/* Load the state saved at path (none there: a first start). boot_id is
 * this boot's /proc/sys/kernel/random/boot_id, "" when unknown (then no
 * hardware gap is trusted but a battery's). A file that cannot be read or
 * parsed is logged with its reason and ignored: counters start afresh.
 * NULL only when out of memory. */
struct persist *persist_open(const char *path, const char *boot_id, power_log_fn log);
void persist_close(struct persist *p);

/* Before the counters of a sample are seen: its wall time. The first call
 * fixes the gap since the saved state. */
void persist_begin(struct persist *p, double wall_s);

/* One counter's own value at this sample; returns the value to export.
 * hw may be NULL. The offset is fixed the first time the counter is seen. */
double persist_see(struct persist *p, unsigned metric, int inst, const char *name,
                   double value, const struct persist_hw *hw);

/* The offset of a counter seen this run, for a fetch between samples. */
bool persist_offset(const struct persist *p, unsigned metric, int inst, double *offset);

/* Write the state (a temporary file renamed over the old one: a reader or a
 * crash never sees half a file); sync also flushes it to disk (at exit).
 * Counters not seen this run are kept for max_age_s after their save. A
 * failure is logged once, with its reason, until a save succeeds. */
bool persist_save(struct persist *p, bool sync);

/* power.control.gap_time: seconds the counters without hardware of their
 * own could not see (between a save and the next agent's first sample),
 * over every restart; power.control.continued: restarts continued from a
 * saved state; how many counters the hardware continued exactly. */
double   persist_gap_s(const struct persist *p);
uint64_t persist_continued(const struct persist *p);
uint64_t persist_exact(const struct persist *p);

#define PERSIST_MAX_AGE_S (30.0 * 86400.0)
/* a battery's energy_now, refreshed by its firmware every few seconds to a
 * minute: over 10 minutes or more, that staleness is a small part of its fall */
#define PERSIST_LEVEL_MIN_GAP_S 600.0
/* with no power known at either end, how soon a counter wraps is unknown:
 * a gap longer than this could hide a wrap */
#define PERSIST_UNKNOWN_POWER_MAX_GAP_S 60.0

#endif
