/*
 * proctree.h: the processes of a command pmpower runs (measure), and the
 * energy power.proc.energy gives them. They are found by their parent
 * chain in /proc: pmpower is their subreaper, so orphans stay findable.
 */
#ifndef PMPOWER_PROCTREE_H
#define PMPOWER_PROCTREE_H

#include <stddef.h>

#include "pmctx.h"

struct proctree {
    struct proctree_member {
        int    pid;
        double energy;          /* its latest counter */
    }     *own;
    size_t nown, own_cap;
    int   *foreign;             /* pids known not to be ours */
    size_t nforeign, foreign_cap;
};

/* Fetch proc_energy (power.proc.energy) and keep the latest counter of each of our processes. */
void   proctree_track(struct proctree *t, const struct pp_metric *proc_energy);
/* The sum over our processes since proctree_forget. */
double proctree_energy(const struct proctree *t);
/* A new trial: our processes count from here. */
void   proctree_forget(struct proctree *t);
void   proctree_free(struct proctree *t);

#endif
