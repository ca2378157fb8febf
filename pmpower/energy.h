/*
 * energy.h: the energy of one window from the counters (report, phases),
 * on an archive or a live host. Boundaries are the counters' values at the
 * window's ends, never a sum of sampled powers.
 */
#ifndef PMPOWER_ENERGY_H
#define PMPOWER_ENERGY_H

#include <stdbool.h>

#include "pmctx.h"
#include "series.h"
#include "winresult.h"

/* Archive: the counters at start and end (archive.h). Live: wait for start, sample at the agent's pace, stop at end (or an
 * interrupt, stop.h). track_top: read the processes in between too.
 * Returns 0, or 1 (no data) or 2 (an empty window) after printing why. */
int  pp_window_energy(struct pp_ctx *c, struct pp_metric m[S_COUNT], double start, double end,
                      bool track_top, struct pp_window_result *out);

/* The window of -S/-T (NULL: the archive's bounds; live: from now on),
 * in order and clamped to the archive: 0, or the exit status after a
 * message (1 outside the archive, 2 a time that cannot be read). */
int  pp_window_resolve(const struct pp_ctx *c, const char *start_text, const char *end_text,
                       double *start, double *end);

/* Check and clamp a requested window against an archive: 0 ok, 1 no overlap. */
int  pp_window_check(const struct pp_ctx *c, double *start, double *end, bool quiet);

#endif
