/*
 * plot.c: pmpower plot: power over a window, from an archive or a live
 * host, as a picture (plotdraw.h). Each source's power is its counter's
 * rate between consecutive agent samples (placed at their sample times,
 * power.control.start_time + sample_time), drawn as the step it was over that
 * interval; an agent restart leaves a gap rather than a false spike.
 */
#include "archive.h"
#include "archread.h"
#include "commands.h"
#include "edge.h"
#include "energy.h"
#include "json.h"
#include "options.h"
#include "phaselist.h"
#include "phasewin.h"
#include "plot.h"
#include "plotdraw.h"
#include "stop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_MAX_SERIES 64

struct collector {
    struct pp_ctx      *c;
    struct pp_metric   *m;
    struct plot_series  series[PLOT_MAX_SERIES];
    int                 key_series[PLOT_MAX_SERIES], key_inst[PLOT_MAX_SERIES];
    size_t              n;
    struct edge_sample  prev;
    bool                have_prev, oom;
    double              start, end;
};

static struct plot_series *
series_for(struct collector *k, int series, int inst)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->key_series[i] == series && k->key_inst[i] == inst)
            return &k->series[i];
    if (k->n == PLOT_MAX_SERIES)
        return NULL;
    k->key_series[k->n] = series;
    k->key_inst[k->n] = inst;
    pp_series_label(k->c, k->m, series, inst, k->series[k->n].label, sizeof(k->series[0].label));
    k->series[k->n].system = series == S_SYSTEM;
    return &k->series[k->n++];
}

/* Counters of one run of the agent: joined. Without start times, a
 * counter that went back is a restart (edge.c does the same). */
static bool
joinable(const struct edge_sample *a, const struct edge_sample *b)
{
    if (isfinite(a->start_time) || isfinite(b->start_time))
        return edge_same_run(a, b);
    for (size_t i = 0; i < b->n; i++) {
        const struct edge_value *p = edge_sample_find(a, b->v[i].series, b->v[i].inst);
        if (p && b->v[i].energy < p->energy)
            return false;
    }
    return true;
}

static int
collect(void *arg, const struct edge_sample *s)
{
    struct collector *k = arg;
    bool join = k->have_prev && joinable(&k->prev, s) && s->t > k->prev.t;

    for (size_t i = 0; i < s->n; i++) {
        const struct edge_value *p = join ? edge_sample_find(&k->prev, s->v[i].series, s->v[i].inst) : NULL;
        struct plot_series *ps;
        double w;
        if (s->v[i].series >= S_FIRST_TOP || (ps = series_for(k, s->v[i].series, s->v[i].inst)) == NULL)
            continue;
        if (!p) {
            if (ps->n && plot_series_add(ps, s->t, NAN) < 0)
                k->oom = true;
            continue;
        }
        /* the mean power over the interval, drawn as the step it was */
        w = (s->v[i].energy - p->energy) / (s->t - k->prev.t);
        if (plot_series_add(ps, fmax(k->prev.t, k->start), w) < 0 || plot_series_add(ps, fmin(s->t, k->end), w) < 0)
            k->oom = true;
    }
    if (edge_sample_copy(&k->prev, s) < 0)
        k->oom = true;
    k->have_prev = true;
    return k->oom || s->t >= k->end;
}

static int
collect_live(struct collector *k)
{
    double interval = 1;

    while (!pp_stop_requested()) {
        pmHighResResult *r;
        struct edge_sample s;
        int got, stop;

        pp_wait_sample(k->c, &interval, 10 * interval + 5);
        if (pp_fetch(k->m, S_COUNT, &r) < 0)
            return 1;
        edge_sample_init(&s);
        got = pp_record_sample(k->c, k->m, r, &s);
        pmFreeHighResResult(r);
        stop = got > 0 ? collect(k, &s) : 0;
        edge_sample_free(&s);
        if (got < 0 || stop || pp_now() >= k->end)
            break;
    }
    return k->oom;
}

struct plot_settings {
    const char *output, *phases, *title;
    long        width, height;
    bool        json;
};

static int
plot_option(void *state, const char *name, const char *arg)
{
    struct plot_settings *s = state;

    if (strcmp(name, "output") == 0)
        s->output = arg;
    else if (strcmp(name, "phases") == 0)
        s->phases = arg;
    else if (strcmp(name, "title") == 0)
        s->title = arg;
    else if (strcmp(name, "json") == 0)
        s->json = true;
    else if (strcmp(name, "width") == 0)
        return pp_parse_count(arg, "--width", 20000, &s->width);
    else if (strcmp(name, "height") == 0)
        return pp_parse_count(arg, "--height", 20000, &s->height);
    return 0;
}

static int
plot_check(void *state, const struct pp_args *args)
{
    const struct plot_settings *s = state;

    (void)args;
    if (!s->output) {
        fprintf(stderr, "%s: plot needs -o FILE (.png, .svg or .pdf)\n", pmGetProgname());
        return 2;
    }
    if (!plot_format(s->output)) {
        fprintf(stderr, "%s: -o %s: the name must end in .png, .svg or .pdf\n", pmGetProgname(), s->output);
        return 2;
    }
    if (s->width < 400 || s->height < 250) {
        fprintf(stderr, "%s: a plot needs at least --width 400 and --height 250\n", pmGetProgname());
        return 2;
    }
    return 0;
}

static void
print_geometry(const struct plot_spec *spec, const struct plot_geometry *g)
{
    printf("{\"output\":");
    json_string(stdout, spec->path);
    printf(",\"width\":%g,\"height\":%g,\"area\":[%g,%g,%g,%g],\"start\":", spec->width, spec->height, g->x0, g->y0,
           g->x1, g->y1);
    json_number(stdout, g->t0);
    json_more_number(stdout, "end", g->t1);
    json_more_number(stdout, "max_w", g->wmax);
    printf(",\"series\":[");
    for (size_t i = 0; i < spec->nseries; i++) {
        printf("%s{\"label\":", i ? "," : "");
        json_string(stdout, spec->series[i].label);
        printf(",\"points\":%zu}", spec->series[i].n);
    }
    printf("],\"phases\":%zu}\n", spec->nphases);
}

int
plot_window(struct pp_ctx *c, const struct pp_metric m[S_COUNT], double start, double end,
            const struct plot_phase *phases, size_t nphases, const char *path, const char *title,
            double width, double height, bool print_json)
{
    struct pp_metric sources[S_COUNT];
    struct collector *k = calloc(1, sizeof(*k));
    struct plot_geometry geo;
    char err[1024];
    int sts;

    if (!k)
        return 1;
    memcpy(sources, m, sizeof(sources));
    sources[S_PROC].ok = sources[S_CGROUP].ok = sources[S_UNATTRIBUTED].ok = false;
    *k = (struct collector){ .c = c, .m = sources, .start = start, .end = end };
    edge_sample_init(&k->prev);
    pp_stop_on_signals();
    if (c->archive)
        sts = pp_archive_each(c, sources, start, end, collect, k) || k->oom;
    else {
        pp_sleep_until(start);
        sts = collect_live(k);
    }
    if (sts == 0) {
        struct plot_spec spec = { .path = path, .title = title, .width = width, .height = height, .t0 = start,
                                  .t1 = end, .series = k->series, .nseries = k->n, .phases = phases,
                                  .nphases = nphases };
        bool any = false;
        for (size_t i = 0; i < k->n; i++)
            any |= k->series[i].n > 0;
        if (!any) {
            fprintf(stderr, "%s: no two power.system.energy samples of one run of the agent in the window: "
                    "choose a longer one\n", pmGetProgname());
            sts = 1;
        } else if (plot_draw(&spec, &geo, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s: %s\n", pmGetProgname(), err);
            sts = 1;
        } else if (print_json)
            print_geometry(&spec, &geo);
    }
    for (size_t i = 0; i < k->n; i++)
        plot_series_free(&k->series[i]);
    edge_sample_free(&k->prev);
    free(k);
    return sts;
}

int
cmd_plot(int argc, char **argv)
{
    pmLongOptions longopts[] = {
        PMAPI_OPTIONS_TEXT("Power over a window as a picture: power.system and each source, phases shaded."),
        PP_OPTIONS_SOURCE,
        { PMLONGOPT_START, 1, 'S', "TIME", "window start [archive start; live: now]" },
        { PMLONGOPT_FINISH, 1, 'T', "TIME", "window end [archive end; live: required, e.g. +30s]" },
        { "output", 1, 'o', "FILE", "the picture: FILE.png, FILE.svg or FILE.pdf" },
        { "phases", 1, 0, "FILE", "shade and label these phases (as report --phases; 'archive' for marks)" },
        { "title", 1, 0, "TEXT", "a title above the plot" },
        { "width", 1, 0, "N", "width in pixels (PNG) or points [1000]" },
        { "height", 1, 0, "N", "height [500]" },
        { "json", 0, 'j', 0, "print where the plot area is and what it spans, as JSON" },
        PP_OPT_TIME_TEXT,
        PP_OPTIONS_END
    };
    struct plot_settings s = { .width = 1000, .height = 500 };
    const struct pp_command_line cl = {
        .synopsis = "plot [-h HOST | -a ARCHIVE] [-S START] [-T END] -o FILE.png|.svg|.pdf [--phases FILE]\n"
                    "                [--title TEXT] [--width N] [--height N] [--json]",
        .short_options = "h:a:S:T:o:j?",
        .long_options = longopts,
        .option = plot_option,
        .check = plot_check,
        .state = &s,
    };
    struct pp_args args;
    struct pp_ctx ctx;
    struct pp_metric m[S_COUNT];
    struct phase_list list = { 0 };
    double *pa = NULL, *pb = NULL, start, end;
    struct plot_phase *phases = NULL;
    int sts;

    if (!pp_options_parse(argc, argv, &cl, &args, &ctx, &sts))
        return sts;
    pp_series_init(m);
    pp_lookup(m, S_COUNT);
    if (!m[S_SYSTEM].ok) {
        fprintf(stderr, "%s: %s has no power metrics (power.system.energy)\n", pmGetProgname(), ctx.source);
        sts = 1;
        goto out;
    }
    if (!ctx.archive && !args.finish) {
        fprintf(stderr, "%s: on a live host give the window's end: -T +30s\n", pmGetProgname());
        sts = 2;
        goto out;
    }
    if ((sts = pp_window_resolve(&ctx, args.start, args.finish, &start, &end)) != 0)
        goto out;
    if (s.phases && (sts = phases_windows(&ctx, s.phases, &list, &pa, &pb)) != 0)
        goto out;
    if ((phases = calloc(list.count + 1, sizeof(*phases))) == NULL) {
        sts = 1;
        goto out;
    }
    for (size_t i = 0; i < list.count; i++)
        phases[i] = (struct plot_phase){ list.items[i].label, pa[i], pb[i] };
    sts = plot_window(&ctx, m, start, end, phases, list.count, s.output, s.title, (double)s.width,
                      (double)s.height, s.json);
out:
    free(phases);
    free(pa);
    free(pb);
    phaselist_free(&list);
    pp_close(&ctx);
    return sts;
}
