/*
 * calfit.h: the fit behind pmpower calibrate, pure arithmetic.
 *
 * Each step of the calibration held k CPUs busy until the reference power
 * settled and measured, over its last window, the host's busy CPUs
 * (power.system.busy_time over the agent's own sample time), its
 * utilisation (busy_time over cpu_time) and the reference's mean power.
 * The fit is the least-squares line through (busy CPUs, watts):
 *
 *   per_core_watts = its slope             idle_watts = its value at 0
 *   max_watts      = idle_watts + per_core_watts x ncpu
 *
 * which is also the model's linear curve idle..max in utilisation, and
 * curve = the measured points (utilisation %: watts) themselves, from 0%
 * (idle_watts) to 100% (max_watts), at most CALFIT_MAX_POINTS of them: the
 * shape a line misses (turbo, fans, a power supply's efficiency) is kept.
 */
#ifndef PMPOWER_CALFIT_H
#define PMPOWER_CALFIT_H

#include <stddef.h>

#define CALFIT_MAX_POINTS 16     /* the model's MODEL_MAX_POINTS */
#define CALFIT_MAX_STEPS  1025   /* idle and up to 1024 CPUs */

struct cal_step {
    double busy_cpus;    /* measured mean busy CPUs */
    double util;         /* measured utilisation 0..1 */
    double watts;        /* the reference's mean power */
};

struct cal_fit {
    double idle_w, max_w, per_core_w;
    unsigned ncpu;
    size_t npoints;
    double point_pct[CALFIT_MAX_POINTS];   /* increasing, 0..100 */
    double point_w[CALFIT_MAX_POINTS];
    double worst_error;                     /* largest |fit - measured| / measured over the steps */
};

/* Fit 2 to CALFIT_MAX_STEPS steps (with at least two different busy_cpus) on a host of
 * ncpu CPUs. 0, or -1 when the steps cannot be fitted. */
int calfit_fit(const struct cal_step *steps, size_t n, unsigned ncpu, struct cal_fit *fit);

/* The line's watts at this many busy CPUs. */
double calfit_line(const struct cal_fit *fit, double busy_cpus);

/* "0:20.3, 50.6:45.1, 100:70" as [model] curve reads it (sources/model.h). */
void calfit_curve_text(const struct cal_fit *fit, char *buf, size_t size);

#endif
