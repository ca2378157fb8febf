/*
 * calibrate.h: the parts of pmpower calibrate (calibrate.c, its steps):
 * the reference and the readings (calref.c), and --write (calwrite.c).
 */
#ifndef PMPOWER_CALIBRATE_H
#define PMPOWER_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "burners.h"
#include "calfit.h"
#include "pmctx.h"

enum cal_metric {
    C_SAMPLE_TIME, C_BUSY, C_CPU, C_METER, C_RAPL, C_BATTERY, C_DISCHARGING, C_REASON, C_HWMON, C_COUNT
};

#define MAX_PARTS 64

struct cal_settings {
    double window_s, settle, step_max_s, max_busy, wall_ratio;
    long   cpus;
    const char *reference;          /* NULL: the best the host has */
    const char *config;             /* the power.conf to write */
    bool   write;
};

struct reference {
    char    name[32];               /* meter, hwmon:power_meter, rapl:psys, rapl:package+dram, battery */
    char    parts[256];             /* what it sums, for the user */
    int     metric;
    int     inst[MAX_PARTS];        /* instances summed; PP_IN_NULL for a singular metric */
    size_t  ninst;
};

struct reading {
    double t, busy, cpu, energy;
};

struct cal {
    struct pp_ctx      *ctx;
    struct pp_metric    m[C_COUNT];
    struct reference    ref;
    struct cal_settings set;
    struct burners      burners;
    double              poll_s;
};

/* One fetch: the agent's time, CPU counters and the reference's energy. */
bool cal_read_now(struct cal *c, struct reading *out);

/* The reference (--reference, or the best the host has) into c->ref: 0, or -1 after a message. */
int  cal_find_reference(struct cal *c);

/* --write: the fit into power.conf's [model], then wait for the agent to take it. 0, or 1 after a message. */
int  cal_write_model(struct cal *c, const struct cal_fit *fit, const char *curve);

#endif
