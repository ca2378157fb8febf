/*
 * counter.h: turning what sensors give into monotonic energy counters.
 *
 * wrap_counter extends a hardware counter that wraps at a known range
 * (RAPL energy_uj at max_energy_range_uj) to 64 bits. Two wraps between
 * samples look exactly like one, so the sampling interval must stay below
 * the shortest wrap time (range / peak power).
 *
 * energy_integrator turns a gauge (watts, as batteries report) into a counter
 * by the trapezoid rule over the sample times.
 */
#ifndef POWER_COUNTER_H
#define POWER_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

struct wrap_counter {
    uint64_t range;      /* counter wraps to 0 after range-1; 0 = unknown */
    uint64_t last_raw;
    uint64_t extended;   /* first raw value plus every delta since */
    uint64_t wraps;      /* times the raw value went backwards within range */
    uint64_t resets;     /* backward steps that cannot be wraps (unknown range, raw > range) */
    bool     primed;
};

/* Feed one raw reading; returns the delta it adds to extended. A backward
 * step with a known range is a wrap; without one it adds 0 and counts a
 * reset (never a negative or huge delta). */
uint64_t wrap_counter_update(struct wrap_counter *c, uint64_t raw);

struct energy_integrator {
    double energy_j;     /* the counter */
    double last_w;
    double last_s;
    bool   primed;
};

/* Add a power sample taken at t_s (monotonic seconds). Returns the joules
 * added (0 for the first sample or a time that did not advance). */
double energy_integrator_add(struct energy_integrator *ig, double t_s, double watts);

/* Parse a sysfs-style decimal: leading blanks, digits, then a newline, NUL
 * or end. Returns false on anything else (half-written files, garbage). */
bool parse_u64_text(const char *text, uint64_t *value);

#endif
