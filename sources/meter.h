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
 * meter_accum.h). The thread makes no PCP calls: it hands its figures
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

#endif
