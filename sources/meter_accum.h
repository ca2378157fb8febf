/*
 * meter_accum.h: a WattsUp meter's energy counter from its records (pure
 * arithmetic, no I/O: the meter's reader thread feeds it, the timer reads it).
 */
#ifndef POWER_METER_ACCUM_H
#define POWER_METER_ACCUM_H

#include <stdbool.h>
#include <stdint.h>

#include "wattsup.h"

/*
 * The arithmetic, apart from any I/O so it is unit-tested.
 *
 * A record's W is the mean power over the logging interval that ended when
 * it was sent (the same record carries that interval's Wmax, Wmin and duty
 * cycle). So each record adds W times the interval it covers, [previous
 * record, this record] when they follow each other (arrival jitter then
 * cancels out over the records), or the meter's logging interval when it
 * is the first since a break or a silence. Within that interval the counter
 * rises at W: a step, never a trapezoid between records, which would move
 * half an interval of energy into the next record's time.
 *
 * The counter is known exactly up to the latest record's arrival, which at
 * any agent sample is at most a logging interval (plus delivery delay) ago.
 * Read at each tick it would step once per record, out of phase with the
 * timer (an interval with 0, 1 or 2 records' energy). So the timer reads it
 * through meter_accum_energy_at() one logging interval plus a margin in the
 * past: the latest instant that every sample finds covered by a record.
 */
#define METER_ACCUM_POINTS 8

struct meter_point {
    double start_s;             /* the interval the record covers: [start_s, t_s] */
    double t_s;                 /* its arrival */
    double energy_start_j;      /* the counter at start_s */
    double energy_j;            /* the counter at t_s */
};

struct meter_accum {
    double   interval_s;        /* the meter's logging interval: what one record covers */
    double   max_gap_s;         /* records further apart do not follow each other */
    double   energy_j;          /* the counter */
    struct wattsup_reading last;
    double   last_s;            /* arrival of the latest record */
    bool     have;              /* at least one record ever */
    bool     joined;            /* the next record may follow the latest (no break since) */
    uint64_t samples;
    uint64_t gaps;              /* breaks and silences: the time before the next record is not counted */
    struct meter_point points[METER_ACCUM_POINTS];   /* the latest records, oldest first */
    unsigned npoints;
};

/* One record arriving at t_s; returns the joules it added. */
double meter_accum_record(struct meter_accum *a, double t_s, const struct wattsup_reading *r);

/* The line dropped: the next record covers only its own logging interval. */
void meter_accum_break(struct meter_accum *a);

/* The counter as of t_s: rising at each record's W over the interval it
 * covers, held across gaps and after the latest record (no guessing). */
double meter_accum_energy_at(const struct meter_accum *a, double t_s);

#endif
