#include "plotdraw.h"

#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Colour-blind-safe (Okabe & Ito, "Color Universal Design", 2008), after black for the system. */
static const double palette[][3] = {
    { 0.902, 0.624, 0.000 }, { 0.337, 0.706, 0.914 }, { 0.000, 0.620, 0.451 }, { 0.000, 0.447, 0.698 },
    { 0.835, 0.369, 0.000 }, { 0.800, 0.475, 0.655 }, { 0.941, 0.894, 0.259 },
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

int
plot_series_add(struct plot_series *s, double t, double w)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        double *t2 = realloc(s->t, cap * sizeof(*t2)), *w2;
        if (!t2)
            return -1;
        s->t = t2;
        if ((w2 = realloc(s->w, cap * sizeof(*w2))) == NULL)
            return -1;
        s->w = w2;
        s->cap = cap;
    }
    s->t[s->n] = t;
    s->w[s->n++] = w;
    return 0;
}

void
plot_series_free(struct plot_series *s)
{
    free(s->t);
    free(s->w);
    s->t = s->w = NULL;
    s->n = s->cap = 0;
}

const char *
plot_format(const char *path)
{
    const char *dot = strrchr(path, '.');

    if (!dot)
        return NULL;
    if (strcasecmp(dot, ".png") == 0)
        return "png";
    if (strcasecmp(dot, ".svg") == 0)
        return "svg";
    if (strcasecmp(dot, ".pdf") == 0)
        return "pdf";
    return NULL;
}

/* A "nice" step (1, 2 or 5 times a power of ten) giving about n ticks over span. */
static double
nice_step(double span, int n)
{
    double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;

    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void
text_at(cairo_t *cr, double x, double y, const char *s, double align_x, double align_y)
{
    cairo_text_extents_t e;

    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.x_bearing - e.width * align_x, y - e.y_bearing - e.height * align_y);
    cairo_show_text(cr, s);
}

static void
series_colour(const struct plot_spec *spec, size_t i, double rgb[3])
{
    size_t k = 0;

    if (spec->series[i].system) {
        rgb[0] = rgb[1] = rgb[2] = 0;
        return;
    }
    for (size_t j = 0; j < i; j++)
        k += !spec->series[j].system;
    memcpy(rgb, palette[k % NPALETTE], sizeof(double) * 3);
}

static void
draw_axes(cairo_t *cr, const struct plot_spec *spec, const struct plot_geometry *g)
{
    double span = g->t1 - g->t0, step = nice_step(span, 8), wstep = nice_step(g->wmax, 6);
    char buf[128], when[64];
    time_t t0 = (time_t)floor(g->t0);
    struct tm tm;

    cairo_set_font_size(cr, 12);
    /* the grid and tick labels */
    for (double v = 0; v <= g->wmax + 1e-9 * g->wmax; v += wstep) {
        double y = g->y1 - (g->y1 - g->y0) * v / g->wmax;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_set_line_width(cr, 0.8);
        cairo_move_to(cr, g->x0, y);
        cairo_line_to(cr, g->x1, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        snprintf(buf, sizeof(buf), "%g", v);
        text_at(cr, g->x0 - 6, y, buf, 1, 0.5);
    }
    for (double s = 0; s <= span + 1e-9 * span; s += step) {
        double x = g->x0 + (g->x1 - g->x0) * s / span;
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, x, g->y1);
        cairo_line_to(cr, x, g->y1 + 5);
        cairo_stroke(cr);
        snprintf(buf, sizeof(buf), "%g", s);
        text_at(cr, x, g->y1 + 8, buf, 0.5, 0);
    }
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_line_width(cr, 1.2);
    cairo_rectangle(cr, g->x0, g->y0, g->x1 - g->x0, g->y1 - g->y0);
    cairo_stroke(cr);
    /* axis titles, with units */
    cairo_set_font_size(cr, 13);
    gmtime_r(&t0, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    snprintf(buf, sizeof(buf), "time (s) since %s", when);
    text_at(cr, (g->x0 + g->x1) / 2, spec->height - 8, buf, 0.5, 1);
    cairo_save(cr);
    cairo_translate(cr, 18, (g->y0 + g->y1) / 2);
    cairo_rotate(cr, -M_PI / 2);
    text_at(cr, 0, 0, "power (W)", 0.5, 0.5);
    cairo_restore(cr);
    if (spec->title) {
        cairo_set_font_size(cr, 15);
        text_at(cr, (g->x0 + g->x1) / 2, 12, spec->title, 0.5, 0);
    }
}

static void
draw_phases(cairo_t *cr, const struct plot_spec *spec, const struct plot_geometry *g)
{
    double span = g->t1 - g->t0;

    cairo_set_font_size(cr, 11);
    for (size_t i = 0; i < spec->nphases; i++) {
        const struct plot_phase *p = &spec->phases[i];
        double a = fmax(p->a, g->t0), b = fmin(p->b, g->t1), xa, xb;
        if (!(b > a))
            continue;
        xa = g->x0 + (g->x1 - g->x0) * (a - g->t0) / span;
        xb = g->x0 + (g->x1 - g->x0) * (b - g->t0) / span;
        cairo_set_source_rgba(cr, i % 2 ? 0.45 : 0.25, 0.45, i % 2 ? 0.25 : 0.85, 0.13);
        cairo_rectangle(cr, xa, g->y0, xb - xa, g->y1 - g->y0);
        cairo_fill(cr);
        cairo_save(cr);
        cairo_rectangle(cr, xa, g->y0, xb - xa, g->y1 - g->y0);
        cairo_clip(cr);
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.35);
        text_at(cr, (xa + xb) / 2, g->y0 + 4 + 14 * (double)(i % 2), p->label, 0.5, 0);
        cairo_restore(cr);
    }
}

static void
draw_series(cairo_t *cr, const struct plot_spec *spec, const struct plot_geometry *g)
{
    double span = g->t1 - g->t0;

    cairo_save(cr);
    cairo_rectangle(cr, g->x0, g->y0, g->x1 - g->x0, g->y1 - g->y0);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    /* the system last, on top */
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < spec->nseries; i++) {
            const struct plot_series *s = &spec->series[i];
            double rgb[3];
            bool pen = false;
            if (s->system != (pass == 1))
                continue;
            series_colour(spec, i, rgb);
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_set_line_width(cr, s->system ? 2.4 : 1.6);
            for (size_t k = 0; k < s->n; k++) {
                double x = g->x0 + (g->x1 - g->x0) * (s->t[k] - g->t0) / span;
                double y = g->y1 - (g->y1 - g->y0) * s->w[k] / g->wmax;
                if (!isfinite(s->w[k])) {
                    pen = false;
                    continue;
                }
                if (pen)
                    cairo_line_to(cr, x, y);
                else
                    cairo_move_to(cr, x, y);
                pen = true;
            }
            cairo_stroke(cr);
        }
    cairo_restore(cr);
}

static void
draw_legend(cairo_t *cr, const struct plot_spec *spec, const struct plot_geometry *g)
{
    double x = g->x1 + 16, y = g->y0 + 6;

    cairo_set_font_size(cr, 12);
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < spec->nseries; i++) {
            double rgb[3];
            if (spec->series[i].system != (pass == 0))
                continue;
            series_colour(spec, i, rgb);
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_set_line_width(cr, spec->series[i].system ? 2.4 : 1.6);
            cairo_move_to(cr, x, y + 7);
            cairo_line_to(cr, x + 22, y + 7);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            text_at(cr, x + 28, y + 7, spec->series[i].label, 0, 0.5);
            y += 20;
        }
    if (spec->nphases) {
        cairo_set_source_rgba(cr, 0.25, 0.45, 0.85, 0.18);
        cairo_rectangle(cr, x, y + 1, 22, 12);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, x + 28, y + 7, "phases", 0, 0.5);
    }
}

int
plot_draw(const struct plot_spec *spec, struct plot_geometry *g, char *err, size_t errsize)
{
    const char *format = plot_format(spec->path);
    cairo_surface_t *surface;
    cairo_t *cr;
    double wmax = 0;
    cairo_status_t st;

    if (!format) {
        snprintf(err, errsize, "%s: the output's name must end in .png, .svg or .pdf", spec->path);
        return -1;
    }
    for (size_t i = 0; i < spec->nseries; i++)
        for (size_t k = 0; k < spec->series[i].n; k++)
            if (isfinite(spec->series[i].w[k]))
                wmax = fmax(wmax, spec->series[i].w[k]);
    wmax = wmax > 0 ? wmax * 1.08 : 1;
    wmax = ceil(wmax / nice_step(wmax, 6)) * nice_step(wmax, 6);
    *g = (struct plot_geometry){ 70, 34, spec->width - 200, spec->height - 52, spec->t0, spec->t1, wmax };
    if (strcmp(format, "png") == 0)
        surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)spec->width, (int)spec->height);
    else if (strcmp(format, "svg") == 0)
        surface = cairo_svg_surface_create(spec->path, spec->width, spec->height);
    else
        surface = cairo_pdf_surface_create(spec->path, spec->width, spec->height);
    if ((st = cairo_surface_status(surface)) != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errsize, "cannot write %s: %s", spec->path, cairo_status_to_string(st));
        cairo_surface_destroy(surface);
        return -1;
    }
    cr = cairo_create(surface);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    draw_phases(cr, spec, g);
    draw_axes(cr, spec, g);
    draw_series(cr, spec, g);
    draw_legend(cr, spec, g);
    cairo_destroy(cr);
    cairo_surface_flush(surface);
    st = strcmp(format, "png") == 0 ? cairo_surface_write_to_png(surface, spec->path) : cairo_surface_status(surface);
    cairo_surface_finish(surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    /* the font caches cairo and fontconfig keep for the process: freed, so
     * leak checkers (the sanitized build's) see none */
    cairo_debug_reset_static_data();
    FcFini();
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errsize, "cannot write %s: %s", spec->path, cairo_status_to_string(st));
        return -1;
    }
    return 0;
}
