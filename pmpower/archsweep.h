/*
 * archsweep.h: many windows of an archive in one pass (report --phases).
 */
#ifndef PMPOWER_ARCHSWEEP_H
#define PMPOWER_ARCHSWEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "pmctx.h"
#include "series.h"
#include "winresult.h"

/* Many windows in one pass over the records from the first start to the
 * last end. ok[i] says whether window i had data; out[i] is filled (and
 * to be freed) for every i. Returns 0, or 1 when the archive cannot be read. */
int pp_archive_sweep(struct pp_ctx *c, const struct pp_metric m[S_COUNT], const double *start,
                     const double *end, size_t n, bool track_top, struct pp_window_result *out, bool *ok);

#endif
