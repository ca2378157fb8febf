/*
 * plotdraw.h: pmpower plot's picture, drawn with cairo (cairographics.org):
 * power over time, power.system and each source as lines, phases shaded
 * and labelled, axes with their units, a legend; PNG, SVG or PDF by the
 * output's name. No PCP: the series come in as numbers.
 */
#ifndef PMPOWER_PLOTDRAW_H
#define PMPOWER_PLOTDRAW_H

#include <stdbool.h>
#include <stddef.h>

struct plot_series {
    char    label[160];
    double *t, *w;             /* epoch seconds, watts (NAN: a gap, e.g. an agent restart) */
    size_t  n, cap;
    bool    system;            /* power.system: drawn thick, black, first in the legend */
};

struct plot_phase {
    const char *label;
    double      a, b;          /* epoch seconds */
};

struct plot_spec {
    const char         *path;       /* .png, .svg or .pdf */
    const char         *title;
    double              width, height;   /* pixels (PNG) or points */
    double              t0, t1;     /* the window, epoch seconds */
    struct plot_series *series;
    size_t              nseries;
    const struct plot_phase *phases;
    size_t              nphases;
};

/* Where the plot area is in the picture and what its axes span, for
 * scripts and tests (plot --json). */
struct plot_geometry {
    double x0, y0, x1, y1;     /* the plot area, y0 at the top */
    double t0, t1;             /* x: epoch seconds */
    double wmax;               /* y: 0 .. wmax watts */
};

int  plot_series_add(struct plot_series *s, double t, double w);
void plot_series_free(struct plot_series *s);

/* The format the output's name asks for: "png", "svg", "pdf", or NULL. */
const char *plot_format(const char *path);

/* Draw spec into spec->path: 0, or -1 with why in err. */
int plot_draw(const struct plot_spec *spec, struct plot_geometry *geo, char *err, size_t errsize);

#endif
