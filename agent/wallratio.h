/*
 * wallratio.h: the wall against RAPL. Where a wall meter and RAPL are both
 * live, the ratio of the energy the meter measured to the energy RAPL
 * counted over a rolling window ([system] wall_ratio_window, 300 s):
 * what the power supply, fans, disks and the rest add to what RAPL sees.
 * A RAPL-only sibling of the same model can be scaled by it, and
 * pmpower calibrate --wall-ratio uses it to calibrate against RAPL at the
 * wall's scale. The RAPL side is the first of rapl:psys and
 * rapl:package+dram that is live, as power.system would choose it there.
 * The window is cut into buckets as idle.h's is; the ratio has a value
 * once both were live together for a tenth of the window.
 */
#ifndef POWER_WALLRATIO_H
#define POWER_WALLRATIO_H

#include <stdbool.h>
#include <stdint.h>

struct power_config;
struct system_state;

#define WALL_RATIO_BUCKETS 30

struct wall_ratio {
    double  span_s, bucket_s;
    int64_t key[WALL_RATIO_BUCKETS];
    double  wall_j[WALL_RATIO_BUCKETS], rapl_j[WALL_RATIO_BUCKETS], time_s[WALL_RATIO_BUCKETS];
    char    wall[32];            /* the wall side of the window: meter, else hwmon:power_meter */
    char    rapl[32];            /* the RAPL candidate of the window */
    double  last_wall, last_rapl;
    bool    have_last;
    int     meter_moved;         /* intervals the meter's counter moved since both came back, up to 2 */
    bool    known;
    double  ratio;
    char    basis[160];          /* power.system.wall_ratio_basis */
};

void wall_ratio_configure(struct wall_ratio *w, struct power_config *config);

/* After system_update: its readings (system->previous) of the interval of
 * dt_s seconds ending at now_s. */
void wall_ratio_update(struct wall_ratio *w, const struct system_state *system, double now_s, double dt_s);

#endif
