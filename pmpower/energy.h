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
#include "window.h"

struct pp_window_result {
    double        start, end;            /* effective boundaries */
    const char   *start_how, *end_how;   /* "interpolated", "sample", "nearest sample", "live sample" */
    long          samples;               /* agent samples in the window */
    long          logged;                /* archive: logged samples inside it (0: both ends interpolated
                                            between the same two) */
    long          restarts;              /* agent restarts seen in it (power.control.start_time) */
    double        log_interval;          /* archive: the logged samples' spacing at the start (0 unknown) */
    char          sources[256];          /* distinct power.system.source values, comma separated */
    double        interval;              /* agent interval seen (0 unknown) */
    struct window w;
};

/* Archive: the counters at start and end (archive.h). Live: wait for start, sample at the agent's pace, stop at end (or an
 * interrupt, stop.h). track_top: read the processes in between too.
 * Returns 0, or 1 (no data) or 2 (an empty window) after printing why. */
int  pp_window_energy(struct pp_ctx *c, struct pp_metric m[S_COUNT], double start, double end,
                      bool track_top, struct pp_window_result *out);
void pp_window_result_free(struct pp_window_result *r);

/* Add a power.system.source value to the list, once. */
void pp_note_source(struct pp_window_result *out, const char *value);

/* Agent restarts in the window: seen in power.control.start_time, or, from
 * an agent without it, counted as counters that went back. */
long   pp_window_restarts(const struct pp_window_result *r);

/* power.system's energy in the window; NAN when it had none */
double pp_system_joules(const struct pp_window_result *r);

/* The window of -S/-T (NULL: the archive's bounds; live: from now on),
 * in order and clamped to the archive: 0, or the exit status after a
 * message (1 outside the archive, 2 a time that cannot be read). */
int  pp_window_resolve(const struct pp_ctx *c, const char *start_text, const char *end_text,
                       double *start, double *end);

/* Check and clamp a requested window against an archive: 0 ok, 1 no overlap. */
int  pp_window_check(const struct pp_ctx *c, double *start, double *end, bool quiet);

#endif
