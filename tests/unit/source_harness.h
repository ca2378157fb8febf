/*
 * source_harness.h: one way for unit tests to drive a source as the agent
 * does: open it from a config text over a fake root, sample it at given
 * monotonic times, read its status and its power.system candidates by
 * name, and count what it logged (fakesys.h's recorder).
 *
 *   struct harness h;
 *   harness_open(&h, &rapl_source, root, "[rapl]\nrescan = 1\n");
 *   harness_sample(&h, 10.0);
 *   harness_state(&h, &why) == SOURCE_ACTIVE; harness_energy(&h, "rapl:psys", &e);
 *   harness_close(&h);
 */
#ifndef POWER_SOURCE_HARNESS_H
#define POWER_SOURCE_HARNESS_H

#include "check.h"
#include "config.h"
#include "fakesys.h"
#include "source.h"

/* ---- any source's state, by its ops ---- */

static __attribute__((unused)) enum source_state
source_state_of(const struct source_ops *ops, const void *state, const char **why)
{
    const struct source_status *st = ops->status(state);

    if (why)
        *why = st->reason;
    return st->state;
}

static __attribute__((unused)) uint64_t
source_errors_of(const struct source_ops *ops, const void *state)
{
    return ops->status(state)->errors;
}

/* The energy of the candidate named name, as the agent reads it; false
 * when the source does not offer that candidate or has no valid reading. */
static __attribute__((unused)) bool
source_energy(const struct source_ops *ops, const void *state, const char *name, double *energy_j)
{
    int index = source_candidate(ops, name);

    return index >= 0 && ops->system_energy(state, (size_t)index, energy_j);
}

/* ---- one source opened over a fake root ---- */

struct harness {
    const struct source_ops *ops;
    struct power_config     *config;
    struct source_env        env;
    void                    *state;
    double                   wall0;      /* a sample's wall time is wall0 + its monotonic time */
};

/* Open ops over root (a fake tree) with config_text (NULL: none); the log
 * starts empty and records what open() says. */
static __attribute__((unused)) void
harness_open(struct harness *h, const struct source_ops *ops, const char *root, const char *config_text)
{
    memset(h, 0, sizeof(*h));
    fake_log_clear();
    h->ops = ops;
    h->config = config_parse(config_text ? config_text : "", "test.conf", fake_record);
    h->env.root = root;
    h->env.config = h->config;
    h->env.log = fake_record;
    h->state = ops->open(&h->env);
    if (!h->state) {
        printf("not ok - %s did not open (out of memory?)\n", ops->name);
        check_failures++;
    }
}

static __attribute__((unused)) void
harness_close(struct harness *h)
{
    if (h->state)
        h->ops->close(h->state);
    config_free(h->config);
    h->state = NULL;
    h->config = NULL;
}

/* One sample at monotonic time mono_s, with no /proc/stat reading of the
 * agent's (the source reads its own if it needs one). */
static __attribute__((unused)) void
harness_sample(struct harness *h, double mono_s)
{
    struct sample_time now = { .mono_s = mono_s, .wall_s = h->wall0 + mono_s, .cpu = NULL };

    h->ops->sample(h->state, &now);
}

static __attribute__((unused)) enum source_state
harness_state(const struct harness *h, const char **why)
{
    return source_state_of(h->ops, h->state, why);
}

static __attribute__((unused)) const char *
harness_reason(const struct harness *h)
{
    return h->ops->status(h->state)->reason;
}

static __attribute__((unused)) uint64_t
harness_errors(const struct harness *h)
{
    return source_errors_of(h->ops, h->state);
}

static __attribute__((unused)) bool
harness_energy(const struct harness *h, const char *candidate, double *energy_j)
{
    return source_energy(h->ops, h->state, candidate, energy_j);
}

#endif
