/* battery_rate.h: the rate of a battery's level between its observed changes (pure arithmetic). */
#ifndef POWER_BATTERY_RATE_H
#define POWER_BATTERY_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The rate of a level (energy_now, charge_now) that firmware refreshes only
 * every few seconds to a minute: measured between observed changes, so that
 * neither end of the window is a stale value of unknown age. Each change is
 * seen up to one sampling interval late; spanning several changes (up to
 * rate_window seconds) keeps that error a small part of the window. */
#define RATE_POINTS 8

struct level_rate {
    bool    primed;
    int64_t level;                  /* the latest distinct value */
    size_t  npoints;                /* changes seen, the newest RATE_POINTS kept */
    double  t[RATE_POINTS];
    int64_t v[RATE_POINTS];
    bool    valid;
    double  per_s;                  /* level units per second, positive while falling */
};

/* A level read at now_s: the rate spans the changes of the last window_s
 * seconds (at least the latest two); it is invalid once the level has not
 * moved for timeout_s. */
void level_rate_update(struct level_rate *lr, int64_t level, double now_s, double window_s, double timeout_s);

#endif
