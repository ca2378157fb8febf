/*
 * agent.h: the agent's one context and the numbering shared by its files.
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

/* Metric clusters: one per family, in the order of pmda/pmns. */
enum power_cluster {
    CLUSTER_SYSTEM = 0,
    CLUSTER_RAPL = 1,
    CLUSTER_MODEL = 2,
    CLUSTER_CONTROL = 3,
    CLUSTER_SOURCE = 4,
    CLUSTER_PROC = 5,
    CLUSTER_CGROUP = 6,
    CLUSTER_BATTERY = 7,
    CLUSTER_METER = 8,
    CLUSTER_METER_TOTAL = 9,
    CLUSTER_VM = 10,
    CLUSTER_SOC = 11,
    CLUSTER_PHASE = 12,
};

/* Instance domains: the serial numbers of pmInDom_build(domain, serial). */
enum power_indom {
    INDOM_SOURCE = 0,
    INDOM_RAPL = 1,
    INDOM_PROC = 2,
    INDOM_CGROUP = 3,
    INDOM_BATTERY = 4,
    INDOM_METER = 5,
    INDOM_VM = 6,
    INDOM_SOC = 7,
    INDOM_PHASE = 8,
    NUM_INDOMS
};

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
    struct source_slot   sources[POWER_MAX_SOURCES];
    unsigned             nsources;
    struct system_state  system;
    struct sample_time   now;                /* time of the latest sample */
    uint64_t             samples;            /* timer ticks sampled */
    double               refresh_ms;         /* cost of the latest refresh */
    struct attribute_state attribution;      /* power.proc and power.cgroup */
};

/* Create the context: load the config, open every source. NULL on OOM. */
struct power_agent *agent_open(const char *root, const char *config_path,
                               double interval_s, power_log_fn log);
void agent_close(struct power_agent *agent);

/* Sample every source once, then recompute power.system. */
void agent_refresh(struct power_agent *agent);

/* The state of the named source, or NULL when it is not compiled in. */
void *agent_source(struct power_agent *agent, const char *name);
const struct source_slot *agent_source_slot(struct power_agent *agent, const char *name);

#endif
