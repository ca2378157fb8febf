#include "agent.h"
#include "config.h"
#include "cpustat.h"
#include "model.h"
#include "gpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

void *
agent_source_state(const struct power_agent *agent, const struct source_ops *ops)
{
    for (unsigned i = 0; i < agent->nsources; i++)
        if (agent->sources[i].ops == ops)
            return agent->sources[i].state;
    return NULL;
}

bool
agent_set_interval(struct power_agent *agent, double seconds)
{
    if (!(seconds >= POWER_MIN_INTERVAL && seconds <= POWER_MAX_INTERVAL))
        return false;
    agent->interval_s = seconds;
    agent->interval_changed = true;
    return true;
}

bool
agent_interval_changed(struct power_agent *agent)
{
    bool changed = agent->interval_changed;

    agent->interval_changed = false;
    return changed;
}

/* power.system's candidates: every one the opened sources offer, the
 * priority list's entries resolved to (source, index) once. An unknown
 * name is a config error that lists the known ones. */
static void
open_system(struct power_agent *agent)
{
    const struct system_candidate *known[SYSTEM_MAX_CANDIDATES * 2];
    struct candidate_ref refs[SYSTEM_MAX_CANDIDATES * 2];
    size_t nknown = 0;
    char unknown[32], names[512] = "";
    const char *priority = config_string(agent->config, "system", "priority", SYSTEM_DEFAULT_PRIORITY);

    for (unsigned i = 0; i < agent->nsources; i++) {
        const struct system_candidate *c = agent->sources[i].ops->candidates;
        for (size_t k = 0; c && c[k].name && nknown < sizeof(known) / sizeof(known[0]); k++) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "", c[k].name);
            refs[nknown] = (struct candidate_ref){ i, k };
            known[nknown++] = &c[k];
        }
    }
    if (system_init(&agent->system, priority, known, nknown, unknown, sizeof(unknown)) == 0 ?
        config_has(agent->config, "system", "priority") : unknown[0] != '\0') {
        char expected[600];
        snprintf(expected, sizeof(expected), "a comma-separated list of: %s", names);
        config_bad_value(agent->config, "system", "priority", expected);
        if (agent->system.ncandidates == 0)
            system_init(&agent->system, SYSTEM_DEFAULT_PRIORITY, known, nknown, NULL, 0);
    }
    for (unsigned c = 0; c < agent->system.ncandidates; c++)
        agent->system_from[c] = refs[agent->system.known[c]];
}

struct power_agent *
agent_open(const char *root, const char *config_path, double interval_s, power_log_fn log,
           const struct source_ops *const *sources, size_t nsources)
{
    struct power_agent *agent = calloc(1, sizeof(*agent));

    if (!agent)
        return NULL;
    snprintf(agent->root, sizeof(agent->root), "%s", root ? root : "");
    snprintf(agent->config_path, sizeof(agent->config_path), "%s", config_path ? config_path : "");
    if ((agent->config = config_load(config_path, log)) == NULL) {
        free(agent);
        return NULL;
    }
    /* -t on the command line wins over the config file */
    agent->interval_s = config_double(agent->config, "", "interval", POWER_DEFAULT_INTERVAL,
                                      POWER_MIN_INTERVAL, POWER_MAX_INTERVAL);
    if (interval_s > 0)
        agent->interval_s = interval_s;

    agent->env.root = agent->root;
    agent->env.config = agent->config;
    agent->env.log = log;
    for (size_t i = 0; i < nsources && agent->nsources < POWER_MAX_SOURCES; i++) {
        void *state = sources[i]->open(&agent->env);
        if (state == NULL) {
            log(LOG_ERR, "%s: out of memory opening the source", sources[i]->name);
            continue;
        }
        agent->sources[agent->nsources].ops = sources[i];
        agent->sources[agent->nsources].state = state;
        agent->nsources++;
    }
    open_system(agent);
    agent->system.add_gpu = config_bool(agent->config, "system", "add_gpu", true);
    /* each source logged its state as it opened (status.h) */
    attribute_open(&agent->attribution, agent->root, agent->config, log);
    baseline_configure(&agent->baseline, agent->config);
    wall_ratio_configure(&agent->wall_ratio, agent->config);
    config_watch_init(&agent->config_watch, agent->config_path);
    return agent;
}

/* The sources' first samples prime their counters; config keys are judged
 * unknown only after every source has asked for its own. */
void
agent_refresh(struct power_agent *agent)
{
    struct candidate_reading readings[SYSTEM_MAX_CANDIDATES];
    struct gpu_interval gpu_interval = { 0 };
    struct cpu_totals cpu;
    const struct gpu_state *gpu;
    double previous = agent->now.mono_s, start, dt;
    bool have_cpu;

    agent->now.mono_s = monotonic_seconds();
    agent->now.wall_s = wall_seconds();
    start = agent->now.mono_s;
    dt = agent->samples ? agent->now.mono_s - previous : 0.0;     /* the first sample has no interval */
    if (agent->samples == 0)
        agent->started_s = agent->now.mono_s;
    have_cpu = cpu_totals_read(agent->root, &cpu) == 0;
    agent->now.cpu = have_cpu ? &cpu : NULL;
    for (unsigned i = 0; i < agent->nsources; i++)
        agent->sources[i].ops->sample(agent->sources[i].state, &agent->now);

    for (unsigned c = 0; c < agent->system.ncandidates; c++) {
        const struct source_slot *slot = &agent->sources[agent->system_from[c].source];
        readings[c].energy_j = 0.0;
        readings[c].valid = slot->ops->system_energy(slot->state, agent->system_from[c].index,
                                                     &readings[c].energy_j);
    }
    config_reload_if_changed(&agent->config_watch, agent->config_path, agent->env.log,
                             agent_source_state(agent, &model_source), &agent->baseline);
    /* the GPUs' energy: added to a power.system candidate that excludes them,
     * and shared among processes by their GPU use */
    if ((gpu = agent_source_state(agent, &gpu_source)) != NULL)
        gpu_latest_interval(gpu, &gpu_interval);
    agent->system.gpu = (struct system_gpu){ gpu_interval.valid, gpu_interval.energy_j, gpu_interval.shared_j,
                                             gpu_interval.active_j };
    baseline_choose(&agent->baseline, &agent->system, agent_source_state(agent, &model_source),
                    agent->now.mono_s);
    system_update(&agent->system, dt, readings, have_cpu ? &cpu : NULL);
    baseline_observe(&agent->baseline, &agent->system, agent->now.mono_s, dt);
    wall_ratio_update(&agent->wall_ratio, &agent->system, agent->now.mono_s, dt);
    attribute_update(&agent->attribution, agent->now.mono_s, &agent->system, gpu_interval.proc, gpu_interval.nproc);
    agent->now.cpu = NULL;     /* it pointed at this stack frame */
    agent->refresh_ms = (monotonic_seconds() - start) * 1e3;
    if (agent->samples == 0)
        config_report_unused(agent->config);
    agent->samples++;
}

void
agent_close(struct power_agent *agent)
{
    if (!agent)
        return;
    for (unsigned i = 0; i < agent->nsources; i++)
        agent->sources[i].ops->close(agent->sources[i].state);
    attribute_close(&agent->attribution);
    config_free(agent->config);
    free(agent);
}
