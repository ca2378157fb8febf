/*
 * system.h: power.system, the host total from the best source available.
 *
 * Candidates ("meter", "battery", "rapl:psys", "rapl:package+dram",
 * "powermetrics", "model") are tried in priority order each interval; the
 * first whose energy counter was valid at both ends of the interval gives
 * that interval's delta. power.system.energy only ever adds those deltas,
 * so it stays a true counter when the chosen source changes (a meter
 * unplugged, a battery starting to charge).
 */
#ifndef POWER_SYSTEM_H
#define POWER_SYSTEM_H

#include <stdbool.h>
#include <stdint.h>

#include "cpustat.h"

#define SYSTEM_MAX_CANDIDATES 12
#define SYSTEM_DEFAULT_PRIORITY "meter, battery, hwmon:power_meter, rapl:psys, rapl:package+dram, powermetrics, model"

struct candidate_reading {
    bool   valid;
    double energy_j;   /* the candidate's cumulative counter */
};

struct system_state {
    char     candidates[SYSTEM_MAX_CANDIDATES][32];
    unsigned ncandidates;
    struct candidate_reading previous[SYSTEM_MAX_CANDIDATES];

    double   energy_j;        /* power.system.energy */
    double   power_w;         /* mean over the latest interval */
    bool     have_power;      /* false until an interval had a source */
    bool     power_fresh;     /* power_w is from the latest interval */
    int      chosen;          /* index into candidates, -1 for none */
    double   active_j, idle_j;
    double   active_power_w;
    double   utilization;     /* busy/total over the latest interval, 0..1 */
    double   interval_active_j, interval_energy_j;  /* latest interval, for attribution */
    uint64_t interval_busy_ns, interval_total_ns;

    struct cpu_totals last_cpu;
    bool     have_cpu;

    /* The GPUs' energy of the interval (gpu_latest_interval), set before each
     * update. With add_gpu it joins a chosen candidate that excludes GPUs,
     * and the source's name says so ("rapl:package+dram+gpu"). The part
     * shared among processes by GPU use (NVML's) is split from the CPU's:
     * interval_gpu_j of interval_energy_j goes by GPU use, the rest by CPU time. */
    bool     add_gpu;
    struct system_gpu {
        bool   valid;
        double energy_j;          /* discrete GPUs' energy in the interval */
        double shared_j;          /* of it, the part shared by process (NVML GPUs) */
        double active_j;          /* the busy part of shared_j */
    } gpu;
    bool     gpu_added;           /* the latest interval's energy includes the GPUs' */
    double   interval_gpu_j;      /* shared_j, at most the interval's energy */
    double   interval_gpu_active_j;
    double   gpu_scale;           /* interval_gpu_j / shared_j: what processes' GPU shares are scaled by */
    char     source_name[48];
};

/* Parse a comma-separated priority list; returns the number of names kept.
 * unknown receives the first name that is not a known candidate (or NULL). */
unsigned system_init(struct system_state *s, const char *priority, const char **unknown);

bool system_known_candidate(const char *name);

/* Whether a candidate's figure already holds the GPUs' power: wall meters,
 * batteries, an ACPI power meter, psys (the platform) and powermetrics'
 * combined (Apple's GPU is in the SoC) do; RAPL package+dram and the model
 * do not. */
bool system_candidate_includes_gpus(const char *name);

/* One interval of dt_s seconds: readings[i] belongs to candidates[i];
 * cpu is NULL when /proc/stat could not be read. */
void system_update(struct system_state *s, double dt_s,
                   const struct candidate_reading *readings,
                   const struct cpu_totals *cpu);

const char *system_source_name(const struct system_state *s);

#endif
