/*
 * archcount.h: an archive's samples fed into a window's result
 * (winresult.h), counted per run of the agent.
 */
#ifndef PMPOWER_ARCHCOUNT_H
#define PMPOWER_ARCHCOUNT_H

#include <stdbool.h>

#include "edge.h"
#include "winresult.h"

/* How many agent samples a window holds: per run of the agent, from its
 * first to its last logged sample in the window (power.control.samples),
 * or the logged samples where the agent did not count. */
struct sample_count {
    double run, first, last;
    long   logged, run_logged, total;
    long   restarts;       /* changes of power.control.start_time */
    bool   open;
};

/* The run being counted ends: its samples into k->total. */
void sample_count_close(struct sample_count *k);
void sample_count_add(struct sample_count *k, const struct edge_sample *s);

/* One round of the window's readings. */
void feed_round(struct pp_window_result *out, const struct edge_sample *s);

/* A round, and counted. */
void feed_sample(struct pp_window_result *out, struct sample_count *k, const struct edge_sample *s);

#endif
