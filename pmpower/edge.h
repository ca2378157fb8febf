/*
 * edge.h: the counters at a window's edge, from the agent samples on
 * either side of it. Pure: no PCP.
 *
 * An archive record holds the agent's latest sample, and the agent says
 * when it took it (power.control.sample_time); pmlogger's stamp on the
 * record is its own fetch, up to one interval later. So a counter is
 * placed at its sample time, and its value at a time t between two samples
 * a and b of one run of the agent is placed from theirs.
 *
 * Between two samples the counter is not a straight line when the power
 * stepped (a benchmark phase started): with P_a, the mean power over the
 * logged interval before a, and P_b, the one after b, the power is taken
 * to step once from P_a to P_b at the moment tau the energy says:
 *     P_a (tau - t_a) + P_b (t_b - tau) = E_b - E_a
 * which is exact for one step between steady stretches, whatever the
 * agent's and pmlogger's intervals, and the straight line for steady
 * power. When the mean power over [t_a, t_b] is not between P_a and P_b no
 * single step explains the energy, and the counter is interpolated
 * linearly. (The agent's own power at a sample is the mean over its latest
 * interval only, too short to be steady at a 0.05 s interval.)
 */
#ifndef PMPOWER_EDGE_H
#define PMPOWER_EDGE_H

#include <stdbool.h>
#include <stddef.h>

struct edge_value {
    int    series, inst;
    double energy;
    double power;              /* the mean power beside the sample (edge_rates), NAN unknown */
};

/* One agent sample as an archive record (or a live fetch) holds it. */
struct edge_sample {
    double t;                  /* the agent's sample time (the record's when the agent did not say) */
    double record_t;           /* the record's time: pmlogger's fetch */
    double start_time;         /* the agent run's start (NAN: unknown) */
    double samples;            /* power.control.samples (NAN: unknown) */
    double interval;           /* power.control.interval (0: unknown) */
    char   source[64];         /* power.system.source ("" unknown) */
    struct edge_value *v;      /* sorted by series, then instance (edge_sample_sort) */
    size_t n, cap;
};

/* When the values of a fetch at fetch_t were sampled: the agent's first
 * sample's wall time (power.control.start_time) plus the seconds since it
 * (power.control.sample_time); fetch_t when either is unknown (NAN or
 * negative), and never after the fetch that returned them. */
double edge_sample_epoch(double start_time, double since_first, double fetch_t);

void edge_sample_init(struct edge_sample *s);
void edge_sample_free(struct edge_sample *s);
/* Empty it for the next record, keeping its buffer. */
void edge_sample_clear(struct edge_sample *s);
int  edge_sample_add(struct edge_sample *s, int series, int inst, double energy, double power);
/* Sort the values after adding them (every lookup and merge needs it). */
void edge_sample_sort(struct edge_sample *s);
int  edge_sample_copy(struct edge_sample *dst, const struct edge_sample *src);
const struct edge_value *edge_sample_find(const struct edge_sample *s, int series, int inst);

/* Both from one run of the agent: their start times are known and equal. */
bool edge_same_run(const struct edge_sample *a, const struct edge_sample *b);
/* The same (series, instance) pairs in both. */
bool edge_same_instances(const struct edge_sample *a, const struct edge_sample *b);

/* Each value's power: the mean power between s and other (another sample
 * of the same run, before or after it), NAN where they cannot be joined
 * or other is NULL. */
void edge_rates(struct edge_sample *s, const struct edge_sample *other);

/* One counter at t, t_a <= t <= t_b, by the single-step rule above (NAN
 * powers: linear). */
double edge_counter_at(double t_a, double e_a, double p_a, double t_b, double e_b, double p_b, double t);

enum edge_how {
    EDGE_AT_SAMPLE,            /* t is a sample's time */
    EDGE_PLACED,               /* placed between two samples of one run */
    EDGE_NEAREST,              /* only one side usable: that sample, at its own time */
};

/*
 * The counters at t into out (its t is where they are: t, or the sample
 * used), from a (a->t <= t) and b (b->t > t); either may be NULL. Samples
 * of two runs (a restart between them) cannot be joined: the start of a
 * window (is_start) takes b, its end takes a, so a window never counts
 * what lies outside it. Returns how, or -1 when neither sample is usable
 * or memory ran out.
 */
int edge_at(const struct edge_sample *a, const struct edge_sample *b, double t, bool is_start,
            struct edge_sample *out);

const char *edge_how_text(int how);

#endif
