/*
 * clock.h: the agent's two clocks. Rates and integration run on the
 * monotonic clock (a wall-clock step must not make energy); wall time is
 * for what users read (logs, phase marks, file stamps).
 */
#ifndef POWER_CLOCK_H
#define POWER_CLOCK_H

/* CLOCK_MONOTONIC in seconds: the clock of sample_time.mono_s, so reader
 * threads stamp arrivals on the same time line as the agent's samples. */
double monotonic_seconds(void);

/* CLOCK_REALTIME in seconds since the epoch. */
double wall_seconds(void);

#endif
