#include "agent.h"
#include "config.h"
#include "cpustat.h"

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

struct power_agent *
agent_open(const char *root, const char *config_path, double interval_s, power_log_fn log,
           const struct source_ops *const *sources, size_t nsources)
{
    struct power_agent *agent = calloc(1, sizeof(*agent));
    const char *priority, *unknown = NULL;

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
    priority = config_string(agent->config, "system", "priority", SYSTEM_DEFAULT_PRIORITY);
    if (system_init(&agent->system, priority, &unknown) == 0 || unknown) {
        config_bad_value(agent->config, "system", "priority",
                         "a comma-separated list of: " SYSTEM_DEFAULT_PRIORITY);
        if (agent->system.ncandidates == 0)
            system_init(&agent->system, SYSTEM_DEFAULT_PRIORITY, NULL);
    }

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
    attribute_open(&agent->attribution, agent->root, agent->config, log);
    for (unsigned i = 0; i < agent->nsources; i++) {
        const char *why;
        enum source_state st = agent->sources[i].ops->state(agent->sources[i].state, &why);
        log(LOG_INFO, "source %s: %s%s%s", agent->sources[i].ops->name,
            source_state_name(st), why && *why ? ": " : "", why ? why : "");
    }
    return agent;
}

/* The sources' first samples prime their counters; config keys are judged
 * unknown only after every source has asked for its own. */
void
agent_refresh(struct power_agent *agent)
{
    struct candidate_reading readings[SYSTEM_MAX_CANDIDATES];
    struct cpu_totals cpu;
    double previous = agent->now.mono_s, start;
    bool have_cpu;

    agent->now.mono_s = monotonic_seconds();
    agent->now.wall_s = wall_seconds();
    start = agent->now.mono_s;
    if (agent->samples == 0)
        agent->started_s = agent->now.mono_s;
    have_cpu = cpu_totals_read(agent->root, &cpu) == 0;
    agent->now.cpu = have_cpu ? &cpu : NULL;
    for (unsigned i = 0; i < agent->nsources; i++)
        agent->sources[i].ops->sample(agent->sources[i].state, &agent->now);

    for (unsigned c = 0; c < agent->system.ncandidates; c++) {
        const char *name = agent->system.candidates[c];
        readings[c].valid = false;
        readings[c].energy_j = 0.0;
        for (unsigned i = 0; i < agent->nsources && !readings[c].valid; i++) {
            const struct source_slot *slot = &agent->sources[i];
            size_t len = strlen(slot->ops->name);
            if (strncmp(name, slot->ops->name, len) != 0 || (name[len] != '\0' && name[len] != ':'))
                continue;
            readings[c].valid = slot->ops->system_energy(slot->state, name, &readings[c].energy_j);
        }
    }
    system_update(&agent->system, agent->samples ? agent->now.mono_s - previous : 0.0,
                  readings, have_cpu ? &cpu : NULL);
    attribute_update(&agent->attribution, agent->now.mono_s, &agent->system);
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
