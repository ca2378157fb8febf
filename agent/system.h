/*
 * system.h: power.system, the host total from the best source available.
 *
 * Candidates are what the sources offer (source_ops.candidates: "meter",
 * "battery", "rapl:psys", "rapl:package+dram", "powermetrics", "model"),
 * tried in the priority order of [system] priority each interval; the
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
#include "idle.h"
#include "source.h"

#define SYSTEM_MAX_CANDIDATES 12
/* the one place the default order is written */
#define SYSTEM_DEFAULT_PRIORITY "meter, battery, hwmon:power_meter, rapl:psys, rapl:package+dram, powermetrics, model"

struct candidate_reading {
    bool   valid;
    double energy_j;   /* the candidate's cumulative counter */
};

struct system_state {
    const struct system_candidate *candidates[SYSTEM_MAX_CANDIDATES];   /* in priority order */
    unsigned known[SYSTEM_MAX_CANDIDATES];    /* each one's index in system_init's known list */
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

    /* How active is told from idle (attribution/idle.h): set by the agent
     * before each system_update (agent/baseline.h). */
    enum idle_basis idle_basis;
    double   idle_w;
    double   unexplained_j;               /* baseline energy the source did not measure */
    double   busy_s, cpu_s;               /* /proc/stat busy and all CPU time, seconds, cumulative */

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

/* Parse a comma-separated priority list of the known candidates' names (the
 * ones the opened sources offer); returns the number of names kept. unknown
 * (may be NULL) receives the first name that is none of them, or "". */
unsigned system_init(struct system_state *s, const char *priority,
                     const struct system_candidate *const *known, size_t nknown,
                     char *unknown, size_t unknown_size);

/* One interval of dt_s seconds: readings[i] belongs to candidates[i];
 * cpu is NULL when /proc/stat could not be read. */
void system_update(struct system_state *s, double dt_s,
                   const struct candidate_reading *readings,
                   const struct cpu_totals *cpu);

const char *system_source_name(const struct system_state *s);

#endif
