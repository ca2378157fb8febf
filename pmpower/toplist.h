/*
 * toplist.h: the K processes and cgroups that used most energy in a
 * window (report --top, for the window and for each phase), with their
 * share of power.system, as text or as a JSON object.
 */
#ifndef PMPOWER_TOPLIST_H
#define PMPOWER_TOPLIST_H

#include <stdio.h>

#include "energy.h"

/* Every line starts with indent. */
void pp_top_text(FILE *fp, struct pp_ctx *c, const struct pp_metric m[S_COUNT],
                 const struct pp_window_result *r, int k, const char *indent);
/* {"processes":[...],"unattributed_joules":J,"cgroups":[...]} */
void pp_top_json(FILE *fp, struct pp_ctx *c, const struct pp_metric m[S_COUNT],
                 const struct pp_window_result *r, int k);

#endif
