/*
 * baseline.h: which idle power power.system and the ledger split by
 * ([attribution] idle, attribution/idle.h), chosen before each interval.
 *
 *   idle = utilisation   (the default) active = dE * busy/total
 *   idle = baseline      active = dE - idle power * dt, the idle power from,
 *                        first that applies:
 *     1. [attribution] idle_watts, a value the user measured;
 *     2. the calibrated model (pmpower calibrate --write), when power.system
 *        comes from the source it was calibrated against (its scale) or is
 *        the model itself;
 *     3. the lowest power.system power over [attribution] idle_window
 *        seconds (idle.h), once watched for that long; the window starts
 *        again when power.system changes source.
 *     Until one applies, utilisation is used, and idle_basis says why.
 *
 * power.system.idle_basis publishes the text, power.system.idle_power the
 * watts in force.
 */
#ifndef POWER_BASELINE_H
#define POWER_BASELINE_H

#include <stdbool.h>

#include "idle.h"

struct power_config;
struct system_state;

struct idle_baseline {
    enum idle_basis    wanted;           /* [attribution] idle */
    double             configured_w;     /* [attribution] idle_watts; < 0 when unset */
    struct idle_window window;
    char               window_source[32]; /* power.system's source the window watches */
    bool               in_force;         /* a baseline is used this interval */
    double             in_force_w;
    char               basis[200];       /* power.system.idle_basis */
};

/* Reads [attribution] idle, idle_watts and idle_window; again on a reload. */
void baseline_configure(struct idle_baseline *b, struct power_config *config);

/* Before system_update: set system->idle_basis and idle_w for the interval
 * ending at now_s. model is the model source's state (NULL without one). */
struct model_state;
void baseline_choose(struct idle_baseline *b, struct system_state *system,
                     const struct model_state *model, double now_s);

/* After system_update: the interval's power goes into the window. */
void baseline_observe(struct idle_baseline *b, const struct system_state *system, double now_s,
                      double dt_s);

#endif
