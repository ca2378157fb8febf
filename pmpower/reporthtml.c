#include "reporthtml.h"
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
escape(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '&': fputs("&amp;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default:  fputc(*s, fp);
        }
    }
}

/* The plot as an SVG element: drawn into a temporary file, then copied in
 * without its XML declaration. 0, or 1 after a message. */
static int
inline_plot(FILE *fp, struct pp_ctx *c, const struct pp_metric m[S_COUNT], const struct pp_window_result *r,
            const struct html_row *phases, size_t nphases)
{
    char tmp[] = "/tmp/pmpower-plot-XXXXXX.svg", line[4096];
    struct plot_phase *pp = calloc(nphases + 1, sizeof(*pp));
    int fd = mkstemps(tmp, 4), sts = 1;
    FILE *svg;

    if (fd < 0 || !pp) {
        fprintf(stderr, "%s: cannot make a temporary file for the plot: %s\n", pmGetProgname(), strerror(errno));
        free(pp);
        return 1;
    }
    close(fd);
    for (size_t i = 0; i < nphases; i++)
        pp[i] = (struct plot_phase){ phases[i].label, phases[i].start, phases[i].end };
    if (plot_window(c, m, r->start, r->end, pp, nphases, tmp, NULL, 960, 440, false) == 0 &&
        (svg = fopen(tmp, "r")) != NULL) {
        while (fgets(line, sizeof(line), svg))
            if (strncmp(line, "<?xml", 5) != 0)
                fputs(line, fp);
        fclose(svg);
        sts = 0;
    }
    unlink(tmp);
    free(pp);
    return sts;
}

static int
cmp_label(const void *a, const void *b)
{
    const struct window_entry *x = *(const struct window_entry *const *)a;
    const struct window_entry *y = *(const struct window_entry *const *)b;

    return x->series != y->series ? x->series - y->series : x->inst - y->inst;
}

static void
sources_table(FILE *fp, struct pp_ctx *c, const struct pp_metric m[S_COUNT], const struct pp_window_result *r)
{
    const struct window_entry **all = malloc((r->w.count ? r->w.count : 1) * sizeof(*all));
    double dur = r->end - r->start;
    size_t n = all ? window_entries(&r->w, all, r->w.count) : 0, k = 0;

    for (size_t i = 0; i < n; i++)
        if (all[i]->series < S_FIRST_TOP)
            all[k++] = all[i];
    qsort(all, k, sizeof(*all), cmp_label);
    fputs("<table>\n<caption>Energy by source</caption>\n"
          "<tr><th>source</th><th>energy (J)</th><th>energy (Wh)</th><th>mean power (W)</th></tr>\n", fp);
    for (size_t i = 0; i < k; i++) {
        char label[300];
        pp_series_label(c, m, all[i]->series, all[i]->inst, label, sizeof(label));
        fputs("<tr><td>", fp);
        escape(fp, label);
        fprintf(fp, "</td><td>%.3f</td><td>%.6f</td><td>%.3f</td></tr>\n", all[i]->energy, all[i]->energy / 3600,
                dur > 0 ? all[i]->energy / dur : NAN);
    }
    fputs("</table>\n", fp);
    free(all);
}

static void
phases_table(FILE *fp, const struct html_row *phases, size_t n)
{
    fputs("<table>\n<caption>Energy by phase (power.system)</caption>\n"
          "<tr><th>phase</th><th>start</th><th>seconds</th><th>energy (J)</th><th>mean power (W)</th>"
          "<th>samples</th></tr>\n", fp);
    for (size_t i = 0; i < n; i++) {
        char when[64];
        double dur = phases[i].end - phases[i].start;
        pp_format_time(phases[i].start, when, sizeof(when));
        fputs("<tr><td>", fp);
        escape(fp, phases[i].label);
        fprintf(fp, "</td><td>%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%ld</td></tr>\n", when, dur,
                phases[i].joules, dur > 0 ? phases[i].joules / dur : NAN, phases[i].samples);
    }
    fputs("</table>\n", fp);
}

int
report_html(const char *path, struct pp_ctx *c, const struct pp_metric m[S_COUNT], const struct pp_window_result *r,
            const struct html_row *phases, size_t nphases)
{
    char a[64], b[64];
    FILE *fp = fopen(path, "w");
    int sts;

    if (!fp) {
        fprintf(stderr, "%s: cannot write %s: %s\n", pmGetProgname(), path, strerror(errno));
        return 1;
    }
    pp_format_time(r->start, a, sizeof(a));
    pp_format_time(r->end, b, sizeof(b));
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>pmpower report: ", fp);
    escape(fp, c->hostname);
    fputs("</title>\n<style>\n"
          "body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1000px; }\n"
          "table { border-collapse: collapse; margin: 1em 0; }\n"
          "caption { text-align: left; font-weight: bold; padding: 0.3em 0; }\n"
          "th, td { border-bottom: 1px solid #ccc; padding: 0.25em 0.8em; }\n"
          "td:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }\n"
          "dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }\n"
          "dt { font-weight: bold; }\n"
          "figure { margin: 1em 0; }\n"
          /* cairo sizes the SVG in points: scale it to the page by its viewBox */
          "figure svg { width: 100%; height: auto; }\n"
          "figcaption { font-size: 0.9em; color: #555; }\n"
          "</style>\n</head>\n<body>\n<h1>Energy of ", fp);
    escape(fp, c->hostname);
    fputs("</h1>\n<dl>\n<dt>", fp);
    fputs(c->archive ? "archive" : "host", fp);
    fputs("</dt><dd>", fp);
    escape(fp, c->source);
    fprintf(fp, "</dd>\n<dt>window</dt><dd>%s .. %s (%.3f s)</dd>\n", a, b, r->end - r->start);
    fprintf(fp, "<dt>power.system</dt><dd>%.3f J, mean %.3f W</dd>\n", pp_system_joules(r),
            r->end > r->start ? pp_system_joules(r) / (r->end - r->start) : NAN);
    fputs("<dt>source</dt><dd>", fp);
    escape(fp, r->sources[0] ? r->sources : "(unknown)");
    fprintf(fp, "</dd>\n<dt>samples</dt><dd>%ld agent samples; %ld restart(s) of the agent</dd>\n</dl>\n",
            r->samples, pp_window_restarts(r));
    fputs("<figure>\n", fp);
    sts = inline_plot(fp, c, m, r, phases, nphases);
    fputs("<figcaption>Power over the window: each line the counter's mean power over each agent interval"
          "</figcaption>\n</figure>\n", fp);
    if (nphases)
        phases_table(fp, phases, nphases);
    sources_table(fp, c, m, r);
    fputs("<p>Written by pmpower report from the power agent's energy counters.</p>\n</body>\n</html>\n", fp);
    if (fclose(fp) != 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", pmGetProgname(), path, strerror(errno));
        return 1;
    }
    return sts;
}
