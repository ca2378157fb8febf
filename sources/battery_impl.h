/*
 * battery_impl.h: inside the battery source, not for other modules: the
 * state the source (battery.c: scan, config, accessors) and one battery's
 * sample (battery_sample.c) share.
 */
#ifndef POWER_BATTERY_IMPL_H
#define POWER_BATTERY_IMPL_H

#include "battery.h"
#include "battery_rate.h"
#include "counter.h"
#include "status.h"

#define BATTERY_MAX 16
#define BATTERY_NAME_MAX 64
#define BATTERY_IGNORE_MAX 16
#define BATTERY_HASHED_BASE 1000
#define BATTERY_HASHED_SPAN 1000000

/* upower's bounds (src/up-device-battery.c, up_device_battery_report): a
 * rate under 0.01 W is not a reading ("trust_power_measurement" waits for
 * one above it), and one over 300 W is discarded as weird. */
#define MIN_READING_W 0.01
#define MAX_PLAUSIBLE_W 300.0

enum method {
    METHOD_NONE,
    METHOD_POWER_NOW,
    METHOD_CURRENT_VOLTAGE,
    METHOD_ENERGY_RATE,
    METHOD_CHARGE_RATE,
};

extern const char *const battery_method_names[];

/* What the source logs once (status_error, status_warn_once). */
enum battery_kind {
    BATTERY_TOO_MANY,
    BATTERY_LONG_NAME,
    BATTERY_OUT_OF_MEMORY,
};

/* What the level whose rate is tracked is: energy_now, or charge_now. */
enum level_basis { LEVEL_NONE, LEVEL_ENERGY, LEVEL_CHARGE };

struct battery {
    char        name[BATTERY_NAME_MAX];
    int         inst;
    bool        present;
    bool        ever_present;
    bool        seen;            /* in this sample's scan */
    char        status[32];
    enum method method;
    bool        has_direction;
    bool        discharging;
    bool        idle;            /* neither charging nor discharging, off AC */
    bool        has_power;
    double      power_w;
    bool        counting;        /* the energy counter has started */
    struct energy_integrator drawn;
    bool        has_energy_now;
    double      energy_now_j;
    bool        energy_now_priced;   /* energy_now_j is charge_now x voltage_now, not energy_now */
    bool        has_capacity;
    double      capacity_pct;
    struct level_rate rate;      /* kept whatever the method, so a fallback has it at once */
    enum level_basis rate_basis; /* what rate tracks; a change of basis restarts it */
    char        rate_status[32];
    bool        rate_ac;
    unsigned    unknown_counted; /* files that answered ENODEV: counted (and logged) once each */
    /* each logged once while it lasts (a figure in it may change every sample) */
    struct notice bad;           /* unreadable or malformed files */
    struct notice no_method;     /* no file to take a power from */
    struct notice implausible;   /* a rate no battery gives */
    struct notice zero;          /* a 0 W reading while Discharging: firmware that never measures */
    char        note[256];       /* why there is no power, for the source's reason */
};

struct battery_state {
    struct source_env env;
    bool              enabled;
    double            rate_timeout_s;
    double            rate_window_s;
    char              ignore[BATTERY_IGNORE_MAX][BATTERY_NAME_MAX];
    size_t            nignore;
    struct battery    bats[BATTERY_MAX];
    size_t            nbats;
    bool              ac_online;
    char              ac_name[96];     /* "Mains supply AC": the first external supply online */
    bool              candidate_valid;
    struct notice     unlistable;      /* power_supply cannot be listed: why */
    struct source_status status;
};

/* Read dir's files and update b: status, method, power, direction, energy. */
void battery_sample_one(struct battery_state *st, struct battery *b, const char *dir, double now_s);
/* Why b has no power, for the source's reason. */
void battery_note(struct battery *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
