/*
 * meter.h: WattsUp? Pro wall meters on serial lines (libserialport).
 *
 * Each "[meter LABEL]" section of the config is one meter and one instance
 * (ids in config order): device = /dev/ttyUSB0 (a /dev/serial/by-id link
 * is followed again at every reconnect), baud = 115200 (some old units
 * 19200), interval = 1 (the meter's logging period, s), enabled = yes,
 * stall_timeout = 0 (auto: 3 agent intervals, at least 3 logging periods),
 * retry_max = 30 (s, the longest wait between attempts to reopen).
 *
 * A reader thread per meter opens the port, does the handshake (ask for the
 * header, choose W/V/A/PF, start external logging) and integrates every
 * record's watts into an energy counter as it arrives (trapezoid on the
 * arrival times, never across a silence longer than the stall limit). The
 * thread makes no PCP calls: it hands its figures and its log messages to
 * the timer's sample() under a lock. A meter that goes away (unplugged,
 * read error) is reopened with back-off from 1 s to retry_max, and the
 * handshake is redone. A connected meter that sends nothing for the stall
 * limit is "stalled": its power has no value and power.source.reason says
 * so. The source offers power.system candidate "meter", the sum over the
 * meters, only while every enabled meter is live.
 */
#ifndef POWER_METER_H
#define POWER_METER_H

#include "counter.h"
#include "source.h"
#include "wattsup.h"

extern const struct source_ops meter_source;

#define METER_MAX 16

struct meter_info {
    const char *label;          /* instance name: the section's LABEL */
    const char *device;         /* as configured */
    bool        enabled;
    bool        connected;      /* port open and the meter answered the handshake */
    bool        live;           /* connected with a record within the stall limit */
    bool        stalled;        /* connected, but silent beyond the stall limit */
    double      energy_j;       /* as of a logging interval ago: meter_accum_energy_at() */
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
size_t meter_count(void *state);
bool   meter_get(void *state, size_t index, struct meter_info *info);
void   meter_get_total(void *state, struct meter_total *total);

/*
 * The per-meter arithmetic, apart from any I/O so it is unit-tested:
 * records arriving at monotonic times become an energy counter, exact by
 * the trapezoid rule at each record.
 *
 * The counter steps once per record, out of phase with the agent's timer:
 * read at each tick it would give an interval 0, 1 or 2 records' energy
 * (power.system.power flipping between 0 and twice the truth, and
 * attribution with it). So the timer reads it through
 * meter_accum_energy_at() a little more than one logging interval in the
 * past, where records on both sides are known and the trapezoid's linear
 * power gives the energy at any instant.
 */
#define METER_ACCUM_POINTS 8

struct meter_point {
    double t_s;
    double watts;
    double energy_j;            /* the counter at t_s */
    bool   joined;              /* integrated from the point before (no gap, no break) */
};

struct meter_accum {
    struct energy_integrator ig;
    double   max_gap_s;         /* a longer silence is not integrated across */
    struct wattsup_reading last;
    double   last_s;            /* arrival of the latest record */
    bool     have;              /* at least one record ever */
    uint64_t samples;
    uint64_t gaps;              /* silences not integrated across */
    struct meter_point points[METER_ACCUM_POINTS];   /* the latest records, oldest first */
    unsigned npoints;
};

/* One record arriving at t_s; returns the joules it added. */
double meter_accum_record(struct meter_accum *a, double t_s, const struct wattsup_reading *r);

/* The line dropped: the next record starts afresh and the gap adds nothing. */
void meter_accum_break(struct meter_accum *a);

/* The counter as of t_s: interpolated between the records around it,
 * held at the nearest record outside them and across gaps. */
double meter_accum_energy_at(const struct meter_accum *a, double t_s);

#endif
