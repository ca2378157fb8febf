/*
 * powermetrics.c: the powermetrics source: its config, and the timer's
 * side. The child and the thread that reads it are in powermetrics_child.c,
 * the stream and the parsing in powermetrics_stream.c and
 * powermetrics_parse.c, the command line in powermetrics_command.c.
 *
 * Two sides share struct pm_handover under the reader's lock (reader.h):
 * the reader thread (spawns the child, reads, parses, restarts) only adds
 * documents and problems to it; sample() on the agent's timer drains it,
 * updates the counters and does all the logging. Nothing here calls PCP.
 */
#include "powermetrics.h"
#include "config.h"
#include "powermetrics_child.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* The cpu_power sampler brings cpu_energy, gpu_energy and ane_energy on
 * every macOS version (asitop reads them so: tlkh/asitop asitop/parsers.py);
 * gpu_power exists on macOS 12 and on Intel Macs too; ane_power only from
 * macOS 13 on, and an older powermetrics exits at once on it. */
#define PM_DEFAULT_COMMAND "powermetrics --samplers cpu_power,gpu_power -f plist"

#ifdef __APPLE__
#define PM_DEFAULT_ENABLED true
#else
#define PM_DEFAULT_ENABLED false
#endif

struct pm_component {
    bool   seen;
    double last_s;       /* agent time of the latest batch that had it */
    double energy_j;
    double power_w;
};

struct pm_state {
    struct source_env env;
    bool              enabled;
    double            interval_s;
    double            stale_s;
    struct pm_child   child;            /* the reader thread and what it shares */

    /* the timer's side */
    struct pm_component comp[SOC_NCOMPONENTS];
    uint64_t          problems_seen[PM_NPROBLEMS];
    double            now_s;
    struct source_status status;      /* its kinds are enum pm_problem */
};

/* ---- the source ---- */

static void *
pm_open(const struct source_env *env)
{
    struct pm_state *st = calloc(1, sizeof(*st));
    const char *command;
    size_t argc = 0;
    char ms[32];

    if (!st)
        return NULL;
    st->env = *env;
    status_init(&st->status, "powermetrics", env->log);
    st->enabled = config_bool(env->config, "powermetrics", "enabled", PM_DEFAULT_ENABLED);
    st->interval_s = config_double(env->config, "powermetrics", "interval", 1.0, 0.1, 3600.0);
    /* a sample is late after three of powermetrics's intervals and some slack for start-up */
    st->stale_s = 3 * st->interval_s + 2.0;
    command = config_string(env->config, "powermetrics", "command", PM_DEFAULT_COMMAND);
    if (!st->enabled) {
        status_set(&st->status, SOURCE_DISABLED, "disabled in the config ([powermetrics] enabled = no%s)",
                   PM_DEFAULT_ENABLED ? "" : ", the default except on macOS");
        return st;
    }
    if ((st->child.argv = pm_split_command(command, 2, &argc)) == NULL) {
        config_bad_value(env->config, "powermetrics", "command",
                         "a program and its arguments, such as " PM_DEFAULT_COMMAND);
        status_set(&st->status, SOURCE_FAILED, "[powermetrics] command is empty or has an unclosed quote");
        return st;
    }
    snprintf(ms, sizeof(ms), "%.0f", st->interval_s * 1000);
    st->child.argv[argc] = strdup("-i");
    st->child.argv[argc + 1] = strdup(ms);
    st->child.command = strdup(command);
    st->child.stream = pm_stream_new(PM_DEFAULT_MAX_DOCUMENT);
    if (!st->child.argv[argc] || !st->child.argv[argc + 1] || !st->child.command || !st->child.stream ||
        !reader_init(&st->child.reader) || !reader_start(&st->child.reader, pm_child_thread, &st->child)) {
        status_set(&st->status, SOURCE_FAILED, "out of memory or threads starting the reader");
        return st;
    }
    status_set(&st->status, SOURCE_ABSENT, "waiting for the first sample from \"%s\"", command);
    return st;
}

/* The reader cannot log (no PCP in threads): the timer counts what it
 * reported and logs each kind of problem the first time it appears. */
static void
log_new_problems(struct pm_state *st, const uint64_t *problems, char (*detail)[PM_DETAIL_SIZE])
{
    for (int k = 1; k < PM_NPROBLEMS; k++) {
        if (problems[k] == st->problems_seen[k])
            continue;
        status_count(&st->status, problems[k] - st->problems_seen[k] - 1);
        st->problems_seen[k] = problems[k];
        status_error(&st->status, (unsigned)k,
                     "%s: %s (logged once; every one is counted in power.source.errors)%s",
                     pm_problem_name((enum pm_problem)k), detail[k],
                     k == PM_SPAWN_FAILED || k == PM_CHILD_EXIT ?
                     "; started again after a back-off of 1 s, doubling to 60 s while it fails" : "");
    }
}

static void
pm_sample(void *state, const struct sample_time *now)
{
    struct pm_state *st = state;
    struct pm_handover taken;
    bool fresh = false;

    st->now_s = now->mono_s;
    if (!st->child.reader.started)
        return;
    reader_lock(&st->child.reader);
    taken = st->child.shared;
    st->child.shared.documents = 0;
    memset(st->child.shared.energy_mj, 0, sizeof(st->child.shared.energy_mj));
    memset(st->child.shared.elapsed_ns, 0, sizeof(st->child.shared.elapsed_ns));
    reader_unlock(&st->child.reader);

    log_new_problems(st, taken.problems, taken.detail);
    for (int c = 0; c < SOC_NCOMPONENTS; c++) {
        struct pm_component *pc = &st->comp[c];
        if (taken.documents > 0 && taken.elapsed_ns[c] > 0) {
            pc->energy_j += taken.energy_mj[c] / 1000.0;
            pc->power_w = taken.energy_mj[c] / 1000.0 / ((double)taken.elapsed_ns[c] / 1e9);
            pc->seen = true;
            pc->last_s = now->mono_s;
        }
        fresh = fresh || (pc->seen && now->mono_s - pc->last_s <= st->stale_s);
    }
    if (fresh)
        status_set(&st->status, SOURCE_ACTIVE, "%s", "");
    else if (taken.latest == PM_UNKNOWN_SAMPLER)
        /* not a failure: the child runs again at once without the sampler, as
         * logged (whether or not the new child has started by this sample) */
        status_set(&st->status, SOURCE_ABSENT, "waiting for the first sample, a sampler dropped (see the log)");
    else if (taken.latest != PM_OK) {
        char restart[64];
        snprintf(restart, sizeof(restart), "started again within %.0f s", taken.restart_in_s);
        status_set(&st->status, SOURCE_FAILED, "%s: %s; %s", pm_problem_name(taken.latest),
                   taken.detail[taken.latest], taken.child_running ? "the child is running" : restart);
    } else if (st->comp[SOC_COMBINED].seen)
        status_set(&st->status, SOURCE_FAILED, "no sample from \"%s\" for %.0f s", st->child.command,
                   now->mono_s - st->comp[SOC_COMBINED].last_s);
}

static void
pm_close(void *state)
{
    struct pm_state *st = state;

    if (!st)
        return;
    reader_stop(&st->child.reader);
    reader_fini(&st->child.reader);
    pm_stream_free(st->child.stream);
    pm_argv_free(st->child.argv);
    free(st->child.command);
    free(st);
}

/* its errors are what the timer has taken over: the thread's running count is not read unlocked */
static const struct source_status *
pm_status(const void *state)
{
    return &((const struct pm_state *)state)->status;
}

bool
powermetrics_reading(const struct pm_state *st, unsigned component, struct soc_reading *out)
{
    const struct pm_component *pc;

    if (component >= SOC_NCOMPONENTS)
        return false;
    pc = &st->comp[component];
    out->valid = st->enabled && pc->seen && st->now_s - pc->last_s <= st->stale_s;
    out->energy_j = pc->energy_j;
    out->power_w = pc->power_w;
    return true;
}

static const struct system_candidate pm_candidates[] = {
    { "powermetrics", false },      /* combined: the SoC's cpu + gpu + ane, not all the host draws */
    { NULL, false }
};

static bool
pm_system_energy(const void *state, size_t candidate, double *energy_j)
{
    struct soc_reading r;

    if (candidate != 0 || !powermetrics_reading(state, SOC_COMBINED, &r))
        return false;
    *energy_j = r.energy_j;
    return r.valid;
}

const struct source_ops powermetrics_source = {
    .name = "powermetrics",
    .candidates = pm_candidates,
    .open = pm_open,
    .sample = pm_sample,
    .close = pm_close,
    .status = pm_status,
    .system_energy = pm_system_energy,
};
