/*
 * results.h: what report and --phases store with --db FILE (resultsdb.h),
 * from their window results.
 */
#ifndef PMPOWER_RESULTS_H
#define PMPOWER_RESULTS_H

#include "energy.h"
#include "resultsdb.h"

/* A run's common fields from the context and a window of it. */
void results_run_init(struct resultsdb_run *run, const char *kind, const struct pp_ctx *c,
                      const struct pp_window_result *r);

/* Every source's energy of window r, under phase (< 0: the run's window). */
int results_energies(struct resultsdb *db, long long run, int phase, struct pp_ctx *c,
                     const struct pp_metric m[S_COUNT], const struct pp_window_result *r);

/* report: the window as one run. 0, or 1 after a message. */
int results_window(const char *path, struct pp_ctx *c, const struct pp_metric m[S_COUNT],
                   const struct pp_window_result *r);

#endif
