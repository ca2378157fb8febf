/*
 * meter.h: WattsUp? Pro wall meters on serial lines (libserialport).
 *
 * Each "[meter LABEL]" section of the config is one meter and one instance
 * (ids in config order): device = /dev/ttyUSB0 (a /dev/serial/by-id link
 * is followed again at every reconnect), baud = 115200 (older USB units
 * 19200, RS-232 units 9600), interval = 1 (the meter's logging period, s),
 * enabled = yes, stall_timeout = 0 (auto: 3 agent intervals, at least 3
 * logging periods), retry_max = 30 (s, the longest wait between attempts
 * to reopen).
 *
 * A reader thread per meter opens the port and does the handshake, one
 * command at a time, each after the reply to the one before (or its
 * timeout): stop logging, ask for the header, choose W/V/A/PF (which
 * erases the meter's logging memory), start external logging. A meter that
 * sends no record is asked again in the other forms seen in the field
 * before it counts as stalled; one that never answers the header (old
 * RS-232 units) is read with the documented layout for its records' field
 * count. Every record's energy goes into a counter as it arrives (see
 * meter_accum below). The thread makes no PCP calls: it hands its figures
 * and its log messages to the timer's sample() under a lock. A meter that
 * goes away (unplugged, read error) is reopened with back-off from 1 s to
 * retry_max, and the handshake is redone. A connected meter that sends
 * nothing for the stall limit is "stalled": its power has no value and
 * power.source.reason says so. The source offers power.system candidate
 * "meter", the sum over the meters, only while every enabled meter is live.
 */
#ifndef POWER_METER_H
#define POWER_METER_H

#include "source.h"
#include "wattsup.h"

extern const struct source_ops meter_source;
/* Its state, as open() returns it: the accessors below take it. */
struct meter_state;

#define METER_MAX 16

struct meter_info {
    const char *label;          /* instance name: the section's LABEL */
    const char *device;         /* as configured */
    bool        enabled;
    bool        connected;      /* port open and the meter answered the handshake */
    bool        live;           /* connected with a record within the stall limit */
    bool        stalled;        /* connected, but silent beyond the stall limit */
    double      energy_j;       /* as of a logging interval (+0.25 s) ago: meter_accum_energy_at() */
    double      power_w;        /* the latest record's */
    double      voltage_v, current_a, power_factor;
    bool        has_voltage, has_current, has_power_factor;
    uint64_t    samples;        /* records accepted */
    uint64_t    errors;         /* malformed records, garbage, failed handshakes, read errors */
};

struct meter_total {
    bool   valid;               /* every enabled meter live */
    double energy_j;            /* sum of the meters' counters */
    double power_w;             /* sum of their latest power */
};

/* Meters in config order; the index is the instance id. */
size_t meter_count(const struct meter_state *st);
bool   meter_get(const struct meter_state *st, size_t index, struct meter_info *info);
void   meter_get_total(const struct meter_state *st, struct meter_total *total);

/*
 * The per-meter arithmetic, apart from any I/O so it is unit-tested.
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
