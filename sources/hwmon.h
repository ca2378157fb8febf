/*
 * hwmon.h: power and energy sensors under /sys/class/hwmon that are not a
 * GPU's (power.hwmon): amd_energy and zenergy (AMD CPU energy per core and
 * socket), acpi_power_meter (the platform's power as the BMC measures it),
 * the GT parts of an i915 GPU, and any other driver with energyN_input or
 * powerN_average / powerN_input. GPU drivers' sensors are power.gpu's
 * (gpu.h). One instance per sensor, "DRIVER-DEVICE/LABEL" (or /energyN,
 * /powerN without a label).
 *
 * An ACPI power meter is a whole-host candidate for power.system,
 * "hwmon:power_meter": the integral of its power1_average, ranked after
 * wall meters and batteries, before RAPL (it includes everything the
 * platform powers: GPUs, disks, fans).
 */
#ifndef POWER_HWMON_H
#define POWER_HWMON_H

#include "source.h"

extern const struct source_ops hwmon_source;

/* Its state, as open() returns it: the accessors below take it. */
struct hwmon_state;

struct hwmon_info {
    const char *name;           /* "amd_energy-amd_energy.0/Esocket0" */
    const char *driver;         /* the hwmon name attribute */
    const char *device;         /* "ACPI000D:00", "0000:03:00.0" */
    const char *kind;           /* "energy", "power-average", "power-input" */
    const char *hwmon_class;    /* "cpu-energy", "platform-meter", "gpu" (i915_gtN), "other" */
    bool        live;
    bool        has_energy, has_power;
    double      energy_j, power_w;
    uint64_t    resets;
    bool        has_counter;    /* an energy sensor: its energyN_input as read, for continued counters */
    double      counter_j;
};

size_t hwmon_count(const struct hwmon_state *st);
bool   hwmon_get(const struct hwmon_state *st, size_t index, struct hwmon_info *out);

#endif
