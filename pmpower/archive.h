/*
 * archive.h: windows of an archive, read by the agent's samples.
 *
 * A window's energy is the counters' difference between its two ends, so
 * a window costs two reads: a seek through the archive's temporal index to
 * each end and the record or two around it, each counter placed at its
 * sample time (edge.h). Records in between are read only where they
 * matter: where the agent restarted (power.control.start_time changed) or
 * an instance came or went, found by bisection and then read record by
 * record over a short stretch; and for --top, whose processes come and go
 * all the time (a full pass). Many windows (phases) share one pass.
 */
#ifndef PMPOWER_ARCHIVE_H
#define PMPOWER_ARCHIVE_H

#include <stdbool.h>

#include "archsweep.h"
#include "pmctx.h"
#include "series.h"
#include "winresult.h"

/* One window of an archive into out (pp_window_result_free it whatever
 * the outcome). Returns 0, or 1 (no data, after saying why). */
int pp_archive_window(struct pp_ctx *c, const struct pp_metric m[S_COUNT], double start, double end,
                      bool track_top, struct pp_window_result *out);

/* Every logged agent sample (edge.h) from the last before start to the
 * first after end, in order, each once, to fn (non-zero from fn stops).
 * Sources and power.control only. Returns 0, or 1 when the archive cannot
 * be read. */
struct edge_sample;
int pp_archive_each(struct pp_ctx *c, const struct pp_metric m[S_COUNT], double start, double end,
                    int (*fn)(void *arg, const struct edge_sample *s), void *arg);

#endif
