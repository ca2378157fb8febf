#include "baseline.h"
#include "config.h"
#include "model.h"
#include "system.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_IDLE_WINDOW 600.0

void
baseline_configure(struct idle_baseline *b, struct power_config *config)
{
    const char *idle = config_string(config, "attribution", "idle", "utilisation");
    double span = config_double(config, "attribution", "idle_window", DEFAULT_IDLE_WINDOW, 1.0, 604800.0);

    b->wanted = IDLE_UTILISATION;
    if (strcmp(idle, "baseline") == 0)
        b->wanted = IDLE_BASELINE;
    else if (strcmp(idle, "utilisation") != 0 && strcmp(idle, "utilization") != 0)
        config_bad_value(config, "attribution", "idle", "utilisation or baseline");
    b->configured_w = config_has(config, "attribution", "idle_watts")
        ? config_double(config, "attribution", "idle_watts", -1.0, 0.0, 1e6) : -1.0;
    if (span != b->window.span_s || b->window.bucket_s <= 0) {
        idle_window_init(&b->window, span);
        b->window_source[0] = '\0';
    }
    snprintf(b->basis, sizeof(b->basis), "utilisation: active = energy x busy/total CPU time");
}

void
baseline_choose(struct idle_baseline *b, struct system_state *system, const struct model_state *model, double now_s)
{
    const char *source = system_source_name(system), *reference;
    double watts, watched;

    b->in_force = false;
    if (b->wanted == IDLE_BASELINE) {
        if (b->configured_w >= 0) {
            b->in_force_w = b->configured_w;
            b->in_force = true;
            snprintf(b->basis, sizeof(b->basis), "baseline %.4g W: [attribution] idle_watts", b->in_force_w);
        } else if (model && model_calibration(model, &watts, &reference) &&
                   (strcmp(source, reference) == 0 || strcmp(source, "model") == 0)) {
            b->in_force_w = watts;
            b->in_force = true;
            snprintf(b->basis, sizeof(b->basis), "baseline %.4g W: the calibrated model (against %s)",
                     watts, reference);
        } else if (strcmp(source, b->window_source) == 0 &&
                   idle_window_watts(&b->window, now_s, &watts, &watched)) {
            b->in_force_w = watts;
            b->in_force = true;
            snprintf(b->basis, sizeof(b->basis), "baseline %.4g W: the lowest power of %s over %g s",
                     watts, source, b->window.span_s);
        } else {
            idle_window_watts(&b->window, now_s, &watts, &watched);
            snprintf(b->basis, sizeof(b->basis),
                     "utilisation until the baseline is known: no idle_watts, no model calibrated "
                     "against %s, and its lowest power needs %g s watched (%.0f s so far)",
                     source, b->window.span_s, strcmp(source, b->window_source) == 0 ? watched : 0.0);
        }
    } else {
        snprintf(b->basis, sizeof(b->basis), "utilisation: active = energy x busy/total CPU time");
    }
    system->idle_basis = b->in_force ? IDLE_BASELINE : IDLE_UTILISATION;
    system->idle_w = b->in_force ? b->in_force_w : 0.0;
}

void
baseline_observe(struct idle_baseline *b, const struct system_state *system, double now_s, double dt_s)
{
    const char *source = system_source_name(system);

    if (!system->power_fresh)
        return;
    if (strcmp(source, b->window_source) != 0) {
        /* another source, another scale: its lowest power is watched afresh */
        idle_window_init(&b->window, b->window.span_s);
        snprintf(b->window_source, sizeof(b->window_source), "%s", source);
    }
    idle_window_add(&b->window, now_s, system->interval_energy_j, dt_s);
}
