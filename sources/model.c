#include "model.h"
#include "config.h"
#include "cpustat.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct model_state {
    struct source_env  env;
    bool               enabled;
    struct model_curve curve;
    struct cpu_totals  last;
    bool               have_last;
    double             last_s;
    struct model_reading reading;
    char               active_why[256];
    char               calibrated[64];     /* [model] calibrated: when */
    char               reference[32];      /* [model] reference: the scale it predicts */
    struct source_status status;
};

enum model_kind { MODEL_UNREADABLE };

double
model_curve_watts(const struct model_curve *c, double u, unsigned ncpu)
{
    if (u < 0)
        u = 0;
    if (u > 1)
        u = 1;
    if (c->npoints > 0) {
        if (u <= c->util[0])
            return c->watts[0];
        for (unsigned i = 1; i < c->npoints; i++) {
            if (u <= c->util[i]) {
                double f = (u - c->util[i - 1]) / (c->util[i] - c->util[i - 1]);
                return c->watts[i - 1] + f * (c->watts[i] - c->watts[i - 1]);
            }
        }
        return c->watts[c->npoints - 1];
    }
    if (c->per_core_w > 0)
        return c->idle_w + c->per_core_w * u * (double)(ncpu ? ncpu : 1);
    return c->idle_w + (c->max_w - c->idle_w) * u;
}

int
model_curve_parse(const char *text, struct model_curve *c)
{
    const char *p = text;
    unsigned n = 0;

    while (*p) {
        char *end;
        double pct, w;

        while (isspace((unsigned char)*p) || *p == ',')
            p++;
        if (!*p)
            break;
        pct = strtod(p, &end);
        if (end == p || *end != ':')
            return -1;
        p = end + 1;
        w = strtod(p, &end);
        /* written so that NaN fails too (strtod reads "nan" and "inf") */
        if (end == p || n >= MODEL_MAX_POINTS || !(pct >= 0 && pct <= 100) ||
            !(w >= 0 && isfinite(w)))
            return -1;
        if (n > 0 && pct / 100.0 <= c->util[n - 1])
            return -1;
        c->util[n] = pct / 100.0;
        c->watts[n] = w;
        n++;
        p = end;
    }
    c->npoints = n;
    return n > 0 ? (int)n : -1;
}

void
model_configure(struct model_state *st, struct power_config *config)
{
    struct model_curve curve = { 0 };
    const char *points, *calibrated, *reference;

    curve.idle_w = config_double(config, "model", "idle_watts", 10.0, 0.0, 1e6);
    curve.max_w = config_double(config, "model", "max_watts", 40.0, 0.0, 1e6);
    curve.per_core_w = config_double(config, "model", "per_core_watts", 0.0, 0.0, 1e5);
    if (curve.max_w < curve.idle_w) {
        config_bad_value(config, "model", "max_watts", "a value not below idle_watts");
        curve.max_w = curve.idle_w;
    }
    if ((points = config_string(config, "model", "curve", NULL)) != NULL &&
        model_curve_parse(points, &curve) < 0) {
        curve.npoints = 0;
        config_bad_value(config, "model", "curve",
                         "increasing percent:watts points such as \"0:10, 50:30, 100:45\"");
    }
    st->curve = curve;
    /* written by pmpower calibrate --write: when, and whose scale the curve predicts */
    calibrated = config_string(config, "model", "calibrated", NULL);
    reference = config_string(config, "model", "reference", NULL);
    snprintf(st->calibrated, sizeof(st->calibrated), "%s", calibrated ? calibrated : "");
    snprintf(st->reference, sizeof(st->reference), "%s", reference ? reference : "");
    if (calibrated && reference)
        snprintf(st->active_why, sizeof(st->active_why),
                 "an estimate from CPU utilisation, calibrated %s against %s (idle %.3g W)",
                 calibrated, reference, model_curve_watts(&curve, 0, 1));
    else
        snprintf(st->active_why, sizeof(st->active_why),
                 "an estimate from CPU utilisation, not a measurement (uncalibrated: pmpower calibrate)");
    if (st->status.state == SOURCE_ACTIVE)
        status_set(&st->status, SOURCE_ACTIVE, "%s", st->active_why);
}

bool
model_calibration(const struct model_state *st, double *idle_w, const char **reference)
{
    if (!st->enabled || !st->calibrated[0] || !st->reference[0])
        return false;
    *idle_w = model_curve_watts(&st->curve, 0, 1);
    *reference = st->reference;
    return true;
}

static void *
model_open(const struct source_env *env)
{
    struct model_state *st = calloc(1, sizeof(*st));

    if (!st)
        return NULL;
    st->env = *env;
    status_init(&st->status, "model", env->log);
    st->enabled = config_bool(env->config, "model", "enabled", true);
    model_configure(st, env->config);
    if (!st->enabled)
        status_set(&st->status, SOURCE_DISABLED, "disabled in the config ([model] enabled = no)");
    else
        status_set(&st->status, SOURCE_ABSENT, "waiting for a first interval of /proc/stat");
    return st;
}

static void
model_sample(void *state, const struct sample_time *now)
{
    struct model_state *st = state;
    struct cpu_totals cpu;

    if (!st->enabled)
        return;
    /* the agent's reading of this instant, so model and power.system agree */
    if (now->cpu)
        cpu = *now->cpu;
    if (!now->cpu && cpu_totals_read(st->env.root, &cpu) < 0) {
        st->reading.valid = false;
        status_error(&st->status, MODEL_UNREADABLE, "cannot read %s/proc/stat: no estimate until it is readable",
                     st->env.root);
        status_set(&st->status, SOURCE_FAILED, "cannot read %s/proc/stat", st->env.root);
        return;
    }
    if (st->have_last && now->mono_s > st->last_s) {
        uint64_t b0 = cpu_totals_busy(&st->last), b1 = cpu_totals_busy(&cpu);
        uint64_t t0 = cpu_totals_all(&st->last), t1 = cpu_totals_all(&cpu);
        double u = 0.0, dt = now->mono_s - st->last_s;

        if (t1 > t0)
            u = (double)(b1 > b0 ? b1 - b0 : 0) / (double)(t1 - t0);
        if (u > 1)
            u = 1;
        st->reading.utilization = u;
        st->reading.power_w = model_curve_watts(&st->curve, u, cpu.ncpu);
        st->reading.energy_j += st->reading.power_w * dt;
        st->reading.valid = true;
        status_set(&st->status, SOURCE_ACTIVE, "%s", st->active_why);
    }
    st->last = cpu;
    st->have_last = true;
    st->last_s = now->mono_s;
}

static void
model_close(void *state)
{
    free(state);
}

static const struct source_status *
model_status(const void *state)
{
    return &((const struct model_state *)state)->status;
}

static const struct system_candidate model_candidates[] = {
    { "model", false },     /* from CPU time: a GPU's draw is not in it */
    { NULL, false }
};

static bool
model_system_energy(const void *state, size_t candidate, double *energy_j)
{
    const struct model_state *st = state;

    if (candidate != 0)
        return false;
    *energy_j = st->reading.energy_j;
    return st->enabled && st->reading.valid;
}

void
model_reading(const struct model_state *st, struct model_reading *out)
{
    *out = st->reading;
}

const struct source_ops model_source = {
    .name = "model",
    .candidates = model_candidates,
    .open = model_open,
    .sample = model_sample,
    .close = model_close,
    .status = model_status,
    .system_energy = model_system_energy,
};
