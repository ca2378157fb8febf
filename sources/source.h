/*
 * source.h: the one interface every power source implements.
 *
 * A source opens from the config, is sampled on the agent's timer, and says
 * through its struct source_status (status.h) whether it is delivering and,
 * if not, why. It never calls PCP: the PCP side (pmda/) reads its figures
 * through the small accessors in the source's own header, which take the
 * source's own state type. Sources that block (a serial meter, a child
 * process, NVML) run a reader thread (reader.h) that hands readings and
 * log lines to sample() under a lock.
 *
 * The power.system candidates a source offers are declared in its ops
 * (candidates); the agent gathers them from the opened sources, resolves
 * [system] priority against them once at open, and each refresh asks
 * system_energy(state, index) of the one it resolved.
 */
#ifndef POWER_SOURCE_H
#define POWER_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "log.h"
#include "status.h"

struct power_config;
struct cpu_totals;

struct source_env {
    const char          *root;     /* prefix for /sys and /proc: "" on a live host */
    struct power_config *config;
    power_log_fn         log;
};

/* One sampling instant. mono_s drives rates and integration; wall_s is for
 * logs. cpu is /proc/stat read once at this instant for every source and
 * for power.system's active/idle split (NULL when unreadable). */
struct sample_time {
    double mono_s;
    double wall_s;
    const struct cpu_totals *cpu;
};

/* One figure a source offers for power.system (agent/system.h). */
struct system_candidate {
    const char *name;        /* "rapl:psys", "rapl:package+dram", "meter", "model", ... */
    bool        whole_host;  /* measures everything the host draws, GPUs included (a wall meter, a
                                battery, psys); false for CPU-side figures (package+dram, the model,
                                powermetrics' combined): the GPU issue will add GPU energy to those */
};

struct source_ops {
    const char *name;   /* config section and power.source instance, e.g. "rapl" */
    /* The power.system candidates it offers, ended by { NULL }; NULL for none. */
    const struct system_candidate *candidates;
    /* NULL only when out of memory: an absent source still returns a state
     * whose status says SOURCE_ABSENT and why. */
    void *(*open)(const struct source_env *env);
    void  (*sample)(void *state, const struct sample_time *now);
    void  (*close)(void *state);
    /* state, reason and errors: power.source (status.h) */
    const struct source_status *(*status)(const void *state);
    /* The cumulative energy (J) of candidates[candidate]; false when the
     * latest sample has no valid reading of it (or it has no such
     * candidate). NULL when candidates is. */
    bool  (*system_energy)(const void *state, size_t candidate, double *energy_j);
};

/* The index of the candidate named name in ops->candidates, or -1. */
int source_candidate(const struct source_ops *ops, const char *name);

#endif
