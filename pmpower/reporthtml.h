/*
 * reporthtml.h: report --html FILE: one self-contained HTML file (no
 * scripts, nothing fetched) with the report's tables and its plot inline
 * as SVG (plot.h), to open in any browser or attach to a paper's notes.
 */
#ifndef PMPOWER_REPORTHTML_H
#define PMPOWER_REPORTHTML_H

#include <stddef.h>

#include "energy.h"

struct html_row {
    const char *label;
    double      start, end;    /* phases: their window (NAN: the report's) */
    double      joules;
    long        samples;       /* phases: agent samples in it (-1: none) */
};

/* The window [r->start, r->end] of c: its sources' energies (from r),
 * phases (n 0: none) and the plot, into path. 0, or 1 after a message. */
int report_html(const char *path, struct pp_ctx *c, const struct pp_metric m[S_COUNT],
                const struct pp_window_result *r, const struct html_row *phases, size_t nphases);

#endif
