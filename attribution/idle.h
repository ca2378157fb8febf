/*
 * idle.h: how one interval's energy splits into idle and active, and the
 * rolling window that measures a host's idle power.
 *
 * Pure arithmetic, shared by power.system's split (agent/system.c) and the
 * ledger's (attribution.c), so that the two always agree.
 *
 *   IDLE_UTILISATION (the default):  active = dE * B/T
 *       the CPUs' idle share of the time is idle energy: at 50% busy half
 *       of dE is active, however much the host draws doing nothing.
 *   IDLE_BASELINE:                   active = dE - idle_w * dt, never negative
 *       idle_w is what the host draws idle (a calibrated model, a
 *       configured value, or the lowest power over a rolling window), so
 *       active is the dynamic power the work added. When dE is below the
 *       baseline (a baseline set too high, a deeper idle than it knew),
 *       active is 0, idle is dE, and the shortfall idle_w * dt - dE is
 *       "unexplained": counted, never hidden, never negative energy.
 *
 * In both, active + idle == dE exactly (dE <= 0 or not finite: all zero).
 * Kepler splits as utilisation does and is criticised for it
 * (sustainable-computing-io/kepler issues #2465, #1811, #1194): a server
 * that idles at 100 W and draws 150 W at half load has 50 W of dynamic
 * power, not 75 W.
 */
#ifndef POWER_IDLE_H
#define POWER_IDLE_H

#include <stdbool.h>
#include <stdint.h>

enum idle_basis {
    IDLE_UTILISATION,
    IDLE_BASELINE
};

struct idle_split {
    double active;        /* joules */
    double idle;          /* joules; active + idle == dE */
    double unexplained;   /* joules the baseline expected and the source did not measure */
};

/* One interval of dt_s seconds in which the host used dE_j joules, with
 * busy_ns of total_ns CPU time busy (/proc/stat deltas). idle_w is read
 * only for IDLE_BASELINE. */
void idle_split(enum idle_basis basis, double idle_w, double dE_j, double dt_s,
                uint64_t busy_ns, uint64_t total_ns, struct idle_split *out);

/*
 * The lowest mean power over a rolling window: the window is cut into
 * IDLE_WINDOW_BUCKETS buckets of span/IDLE_WINDOW_BUCKETS seconds, each
 * interval's energy goes into the bucket its end falls in, and the answer
 * is the lowest mean (energy / time) of the complete buckets in the
 * window. A bucket's mean, not a single interval's power, so that one
 * noisy reading of a meter does not set the baseline. Known only once the
 * window has been watched for its whole span.
 */
#define IDLE_WINDOW_BUCKETS 30

struct idle_window {
    double   span_s, bucket_s;
    double   first_s;         /* end of the first interval seen; < 0 before */
    int64_t  key[IDLE_WINDOW_BUCKETS];      /* which bucket a slot holds; -1 empty */
    double   energy_j[IDLE_WINDOW_BUCKETS];
    double   time_s[IDLE_WINDOW_BUCKETS];
};

void idle_window_init(struct idle_window *w, double span_s);

/* One interval ending at now_s (monotonic seconds). Intervals with no
 * energy reading are not added: they are no evidence of the idle power. */
void idle_window_add(struct idle_window *w, double now_s, double dE_j, double dt_s);

/* The lowest bucket mean in the window ending at now_s; false until the
 * window has been watched for span_s seconds (*watched_s says how long). */
bool idle_window_watts(const struct idle_window *w, double now_s, double *watts, double *watched_s);

#endif
