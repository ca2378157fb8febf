/*
 * battery.h: laptop batteries through ROOT/sys/class/power_supply.
 *
 * Every supply of type Battery (but peripherals, scope Device) is one
 * instance, named as the kernel names it. Its discharge power comes from
 * the first of these the battery offers
 *
 *   power_now                        (µW)
 *   current_now * voltage_now        (µA * µV)
 *   the rate of change of energy_now (µWh)
 *   the rate of change of charge_now (µAh) times voltage_now (µV)
 *
 * that gives a reading: as upower does, power_now or current_now under
 * 0.01 W while Discharging (firmware that does not measure the rate) and a
 * file answering ENODEV (ACPI's "unknown", counted once) pass to the next.
 * A power over 300 W is rejected and counted: no battery gives it.
 *
 * A voltage is never assumed: a charge-only battery without voltage_now has
 * no power and the source's reason says so. Rates are taken between two
 * changes of the level, since firmware refreshes it every few seconds to a
 * minute and a rate over one sampling interval would be mostly zeros and
 * spikes.
 *
 * Power is the discharge power: 0 while charging, full or on external power
 * (Mains, a USB-C charger: what upower counts as line power). The energy
 * drawn while discharging is integrated into a counter (trapezoid), and the
 * sum of those counters is offered as the power.system candidate "battery"
 * only while the host runs on its batteries alone.
 */
#ifndef POWER_BATTERY_H
#define POWER_BATTERY_H

#include "source.h"

extern const struct source_ops battery_source;
/* Its state, as open() returns it: the accessors below take it. */
struct battery_state;

struct battery_info {
    const char *name;          /* the kernel's name: "BAT0", "macsmc-battery" */
    int         inst;          /* stable instance id, see battery_instance_id() */
    bool        present;       /* directory there (and present != 0) in the latest sample */
    const char *status;        /* the kernel's status, "Unknown" when it has none, "Removed" */
    const char *method;        /* what the power came from: "power_now", ..., "none" */
    bool        has_direction; /* discharging below is a judgement, not a guess */
    bool        discharging;
    bool        has_power;
    double      power_w;       /* discharge power, 0 while not discharging */
    bool        has_energy;
    double      energy_j;      /* counter of energy drawn while discharging */
    bool        has_energy_now;
    double      energy_now_j;  /* energy left */
    bool        energy_now_priced;  /* charge_now x voltage_now: the voltage moves with the load */
    bool        has_capacity;
    double      capacity_pct;
};

/* Batteries ever seen, present or not; the index is stable while the agent runs. */
size_t battery_count(const struct battery_state *st);
bool   battery_get(const struct battery_state *st, size_t index, struct battery_info *info);

/* The instance id a name gets when no other battery holds it: "BATn" is n
 * (n < 1000, written without leading zeros), anything else is 1000 plus an
 * FNV-1a hash of the name modulo 1000000. On a clash the source takes the
 * next free id, so ids depend only on names, not on the order of discovery,
 * unless two hashes collide. */
int battery_instance_id(const char *name);

/* A value file's text as read: a signed decimal ("-4077000" as macsmc
 * writes a discharge; the kernel ABI makes negative mean discharging).
 * False for anything else (half-written, garbage, beyond 64 bits). */
bool battery_parse_value(const char *text, int64_t *value);

#endif
