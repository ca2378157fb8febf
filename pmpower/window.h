/*
 * window.h: the energy of a time window from counter readings. Pure.
 *
 * Feed every reading of each (series, instance) in time order: the value at
 * the window's start (interpolated or nearest), every sample inside, the
 * value at its end. The energy is the sum of the steps between readings, so
 * it equals end - start for a counter that only grows, and survives what
 * archives hold: an agent restart (the counter starts again from zero: the
 * step is the new value), an instance that appears in the window (a process
 * born in it: its counter counts from zero, so its first reading is energy
 * of the window when the series is "from_zero"), and one that disappears
 * (its last reading is where it stops).
 */
#ifndef PMPOWER_WINDOW_H
#define PMPOWER_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

struct window_entry {
    int    series;         /* caller's index: which metric */
    int    inst;
    double first, last;    /* readings */
    double t_first, t_last;
    double energy;         /* sum of steps (plus first when born in the window) */
    size_t readings;
    bool   at_start;       /* present in the first round of readings */
    bool   used;
};

struct window {
    struct window_entry *slots;
    size_t               nslots, count;
    unsigned             round;    /* rounds begun with window_round() */
    unsigned             resets;   /* backward steps seen (counter restarts) */
};

void window_init(struct window *w);
void window_free(struct window *w);
/* Begin the next round of readings (one fetch): the first round is the start. */
void window_round(struct window *w);
/* from_zero: a series whose instances start counting at zero when they are
 * born (processes, cgroups), so one first seen after the start counts whole. */
int  window_add(struct window *w, int series, int inst, double value, double t, bool from_zero);
const struct window_entry *window_find(const struct window *w, int series, int inst);
/* Visit every entry (order unspecified). */
size_t window_entries(const struct window *w, const struct window_entry **out, size_t max);

#endif
