/*
 * source.h: the one interface every power source implements.
 *
 * A source opens from the config, is sampled on the agent's timer, and says
 * whether it is delivering and, if not, why. It never calls PCP: the agent
 * (pmda/) reads its figures through the small accessors in the source's own
 * header. Sources that block (a serial meter, a child process) run a thread
 * that hands readings to sample() under a lock.
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

struct source_ops {
    const char *name;   /* config section and power.source instance, e.g. "rapl" */
    /* NULL only when out of memory: an absent source still returns a state
     * that answers state() with SOURCE_ABSENT and a reason. */
    void *(*open)(const struct source_env *env);
    void  (*sample)(void *state, const struct sample_time *now);
    void  (*close)(void *state);
    enum source_state (*state)(void *state, const char **why);
    /* Bad input seen so far (malformed lines, failed reads): power.source.errors. */
    uint64_t (*errors)(void *state);
    /* The cumulative energy (J) this source offers for a power.system
     * candidate such as "rapl:psys" or "model"; false when it does not
     * offer that candidate or has no valid reading in the latest sample. */
    bool (*system_energy)(void *state, const char *candidate, double *energy_j);
};

#endif
