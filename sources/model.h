/*
 * model.h: an estimate of the host's power from CPU utilisation, for hosts
 * with no sensor (most VMs). power = curve(utilisation), where the curve is
 * idle_watts..max_watts linear, or piecewise linear through configured
 * points, or idle_watts + per_core_watts for each busy CPU. It is an
 * estimate and is named as one (power.system.source = "model").
 */
#ifndef POWER_MODEL_H
#define POWER_MODEL_H

#include "source.h"

extern const struct source_ops model_source;
/* Its state, as open() returns it: the accessors below take it. */
struct model_state;

#define MODEL_MAX_POINTS 16

struct model_curve {
    double idle_w;
    double max_w;
    double per_core_w;               /* > 0: idle_w + per_core_w * busy CPUs */
    unsigned npoints;                /* > 0: piecewise linear through points */
    double util[MODEL_MAX_POINTS];   /* 0..1, increasing */
    double watts[MODEL_MAX_POINTS];
};

/* Watts at utilisation u (0..1) on a host with ncpu CPUs. */
double model_curve_watts(const struct model_curve *curve, double u, unsigned ncpu);

/* Parse "0:10, 50:30, 100:45" (percent:watts). Returns the number of
 * points, or -1 when the text is malformed or not increasing. */
int model_curve_parse(const char *text, struct model_curve *curve);

struct model_reading {
    bool   valid;        /* false until a full interval was seen */
    double energy_j;
    double power_w;
    double utilization;  /* 0..1 over the latest interval */
};

void model_reading(const struct model_state *st, struct model_reading *out);

struct power_config;

/* (Re)read the [model] keys: at open, and when power.conf changes while
 * the agent runs (agent/reload.h), so a calibration takes effect at once. */
void model_configure(struct model_state *st, struct power_config *config);

/* A calibrated model ([model] calibrated and reference, as pmpower
 * calibrate --write leaves them): its idle watts, and the power.system
 * candidate whose scale its curve predicts ("meter", "rapl:package+dram").
 * False when the model is not calibrated. */
bool model_calibration(const struct model_state *st, double *idle_w, const char **reference);

#endif
