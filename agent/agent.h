/*
 * agent.h: the agent's one context.
 *
 * Shape as in PCP's nvidia agent: a timer calls agent_refresh(), which
 * samples every source and fills plain structs; the fetch callback only
 * reads them, so pmcd never waits on a source and no client can make the
 * agent read RAPL faster than its interval (CVE-2020-8694).
 */
#ifndef POWER_AGENT_H
#define POWER_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "attribute.h"
#include "source.h"
#include "system.h"

#define POWER_MAX_SOURCES 16
#define POWER_DEFAULT_INTERVAL 1.0
#define POWER_MIN_INTERVAL 0.05
#define POWER_MAX_INTERVAL 3600.0

struct source_slot {
    const struct source_ops *ops;
    void                    *state;
};

struct power_agent {
    char                 root[PATH_MAX];     /* -r: prefix for /sys and /proc */
    char                 config_path[PATH_MAX];
    struct power_config *config;
    struct source_env    env;
    double               interval_s;         /* timer period; power.control.interval */
    bool                 interval_changed;   /* set by agent_set_interval, taken by the timer loop */
    struct source_slot   sources[POWER_MAX_SOURCES];
    unsigned             nsources;
    struct system_state  system;
    struct sample_time   now;                /* time of the latest sample */
    uint64_t             samples;            /* timer ticks sampled */
    double               started_s;          /* monotonic time of the first sample */
    double               refresh_ms;         /* cost of the latest refresh */
    struct attribute_state attribution;      /* power.proc and power.cgroup */
};

/* Create the context: load the config, open each of the sources (the
 * caller's list: pmda/ derives it from its families). NULL on OOM. */
struct power_agent *agent_open(const char *root, const char *config_path, double interval_s,
                               power_log_fn log, const struct source_ops *const *sources,
                               size_t nsources);
void agent_close(struct power_agent *agent);

/* Sample every source once, then recompute power.system. */
void agent_refresh(struct power_agent *agent);

/* The state of the source with these ops, found once by whoever reads it;
 * NULL when it was not opened. */
void *agent_source_state(const struct power_agent *agent, const struct source_ops *ops);

/* A new timer period (POWER_MIN_INTERVAL..POWER_MAX_INTERVAL); false when
 * out of range. The timer loop takes the change with agent_interval_changed(). */
bool agent_set_interval(struct power_agent *agent, double seconds);
bool agent_interval_changed(struct power_agent *agent);

#endif
