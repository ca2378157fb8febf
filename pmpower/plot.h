/*
 * plot.h: power over a window of an archive or a live host, drawn
 * (plotdraw.h): for pmpower plot and report --html.
 */
#ifndef PMPOWER_PLOT_H
#define PMPOWER_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "plotdraw.h"
#include "series.h"

/* Draw [start, end] of c, the phases shaded, into path (.png, .svg, .pdf);
 * print_json: say where the plot area is. 0, or 1 after a message. */
int plot_window(struct pp_ctx *c, const struct pp_metric m[S_COUNT], double start, double end,
                const struct plot_phase *phases, size_t nphases, const char *path, const char *title,
                double width, double height, bool print_json);

#endif
