#include "wallratio.h"
#include "config.h"
#include "system.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void
wall_ratio_configure(struct wall_ratio *w, struct power_config *config)
{
    memset(w, 0, sizeof(*w));
    w->span_s = config_double(config, "system", "wall_ratio_window", 300.0, 10.0, 604800.0);
    w->bucket_s = w->span_s / WALL_RATIO_BUCKETS;
    for (unsigned i = 0; i < WALL_RATIO_BUCKETS; i++)
        w->key[i] = -1;
    snprintf(w->basis, sizeof(w->basis), "no wall meter and RAPL live together yet");
}

static int
candidate(const struct system_state *s, const char *name)
{
    for (unsigned i = 0; i < s->ncandidates; i++)
        if (strcmp(s->candidates[i]->name, name) == 0 && s->previous[i].valid)
            return (int)i;
    return -1;
}

static void
restart(struct wall_ratio *w, const char *wall, const char *rapl)
{
    for (unsigned i = 0; i < WALL_RATIO_BUCKETS; i++)
        w->key[i] = -1;
    snprintf(w->wall, sizeof(w->wall), "%s", wall);
    snprintf(w->rapl, sizeof(w->rapl), "%s", rapl);
    w->known = false;
}

void
wall_ratio_update(struct wall_ratio *w, const struct system_state *s, double now_s, double dt_s)
{
    /* the wall: a wall meter, else the platform's own (an ACPI power meter,
     * which the BMC measures at the power supply's input) */
    int meter = candidate(s, "meter"), rapl = candidate(s, "rapl:psys");
    double wall_j = 0, rapl_j = 0, time_s = 0;
    int64_t k, now_k;

    if (meter < 0)
        meter = candidate(s, "hwmon:power_meter");
    if (rapl < 0)
        rapl = candidate(s, "rapl:package+dram");
    if (meter < 0 || rapl < 0) {
        w->have_last = false;
        w->meter_moved = 0;
        w->known = false;
        snprintf(w->basis, sizeof(w->basis), "no wall meter and RAPL live together now (%s)",
                 meter < 0 ? "no meter reading, nor an ACPI power meter's" : "no RAPL reading");
        return;
    }
    if (strcmp(w->rapl, s->candidates[rapl]->name) != 0 || strcmp(w->wall, s->candidates[meter]->name) != 0) {
        /* psys and package+dram are different scales, and so are two walls */
        restart(w, s->candidates[meter]->name, s->candidates[rapl]->name);
        w->have_last = false;
        w->meter_moved = 0;
    }
    /* A meter's counter is read a logging interval behind (sources/meter.h),
     * so after the meter or RAPL comes back it stands still for a moment
     * while RAPL counts: the window starts at the interval after the one in
     * which the meter's counter first moved, the first both cover whole. */
    if (w->have_last && w->meter_moved < 2 && s->previous[meter].energy_j > w->last_wall)
        w->meter_moved++;
    if (w->have_last && w->meter_moved >= 2 && dt_s > 0 && s->previous[meter].energy_j >= w->last_wall &&
        s->previous[rapl].energy_j >= w->last_rapl) {
        unsigned slot;
        k = (int64_t)floor(now_s / w->bucket_s);
        slot = (unsigned)(k % WALL_RATIO_BUCKETS);
        if (w->key[slot] != k) {
            w->key[slot] = k;
            w->wall_j[slot] = w->rapl_j[slot] = w->time_s[slot] = 0;
        }
        w->wall_j[slot] += s->previous[meter].energy_j - w->last_wall;
        w->rapl_j[slot] += s->previous[rapl].energy_j - w->last_rapl;
        w->time_s[slot] += dt_s;
    }
    w->last_wall = s->previous[meter].energy_j;
    w->last_rapl = s->previous[rapl].energy_j;
    w->have_last = true;

    now_k = (int64_t)floor(now_s / w->bucket_s);
    for (unsigned i = 0; i < WALL_RATIO_BUCKETS; i++)
        if (w->key[i] >= 0 && w->key[i] > now_k - WALL_RATIO_BUCKETS) {
            wall_j += w->wall_j[i];
            rapl_j += w->rapl_j[i];
            time_s += w->time_s[i];
        }
    w->known = rapl_j > 0 && time_s >= w->span_s / 10;
    if (w->known) {
        w->ratio = wall_j / rapl_j;
        snprintf(w->basis, sizeof(w->basis), "%s / %s over the last %.3g s", w->wall, w->rapl, time_s);
    } else if (time_s >= w->span_s / 10) {
        snprintf(w->basis, sizeof(w->basis), "%s counted no energy over the last %.3g s: no ratio to it",
                 w->rapl, time_s);
    } else {
        snprintf(w->basis, sizeof(w->basis), "%s and %s live together for %.3g s of the %.3g s needed",
                 w->wall, w->rapl, time_s, w->span_s / 10);
    }
}
