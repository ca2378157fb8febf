/*
 * report.c: pmpower report: the energy of a window (or of labelled
 * phases, phases.c) from the counters, as text or JSON.
 */
#include "commands.h"
#include "energy.h"
#include "json.h"
#include "options.h"
#include "phases.h"
#include "fleet.h"
#include "reporthtml.h"
#include "results.h"
#include "stop.h"
#include "toplist.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double
wh(double j)
{
    return j / 3600.0;
}

/* sources, in series order, then instance order */
static int
cmp_entry(const void *a, const void *b)
{
    const struct window_entry *x = *(const struct window_entry *const *)a;
    const struct window_entry *y = *(const struct window_entry *const *)b;

    if (x->series != y->series)
        return x->series - y->series;
    return x->inst - y->inst;
}

static size_t
source_entries(const struct window *w, const struct window_entry ***out)
{
    const struct window_entry **all = malloc((w->count ? w->count : 1) * sizeof(*all));
    size_t n, k = 0;

    if (!all) {
        *out = NULL;
        return 0;
    }
    n = window_entries(w, all, w->count);
    for (size_t i = 0; i < n; i++)
        if (all[i]->series < S_FIRST_TOP)
            all[k++] = all[i];
    qsort(all, k, sizeof(*all), cmp_entry);
    *out = all;
    return k;
}

/* What both printers show of a window: its per-source entries (src, to
 * free), length, power.system energy, and bounds as text. */
struct window_view {
    const struct window_entry **src;
    size_t n;
    double dur, sys;
    char   start[64], end[64];
};

static void
window_view(const struct pp_window_result *r, struct window_view *v)
{
    v->n = source_entries(&r->w, &v->src);
    v->dur = r->end - r->start;
    v->sys = pp_system_joules(r);
    pp_format_time(r->start, v->start, sizeof(v->start));
    pp_format_time(r->end, v->end, sizeof(v->end));
}

static void
print_text(struct pp_ctx *c, struct pp_metric *m, const struct pp_window_result *r, int runs, int top)
{
    struct window_view v;
    int width = 28;

    window_view(r, &v);

    printf("%s %s (host %s)\n", c->archive ? "archive" : "host", c->source, c->hostname);
    printf("window  %s .. %s  (%.3f s)\n", v.start, v.end, v.dur);
    printf("bounds  start %s, end %s; %ld samples in the window\n", r->start_how, r->end_how, r->samples);
    printf("source  %s\n", r->sources[0] ? r->sources : "(unknown)");
    if (pp_window_restarts(r))
        printf("note    %ld agent restart(s) in the window: energy summed across them\n",
               pp_window_restarts(r));
    /* the names' column is 28 wide, or as wide as the longest (hwmon sensors') */
    for (size_t i = 0; i < v.n; i++) {
        char label[300];
        pp_series_label(c, m, v.src[i]->series, v.src[i]->inst, label, sizeof(label));
        if ((int)strlen(label) > width)
            width = (int)strlen(label);
    }
    printf("\n%-*s %14s %12s %10s\n", width, "", "energy J", "Wh", "mean W");
    for (size_t i = 0; i < v.n; i++) {
        char label[300];
        pp_series_label(c, m, v.src[i]->series, v.src[i]->inst, label, sizeof(label));
        printf("%-*s %14.3f %12.6f %10.3f\n", width, label, v.src[i]->energy, wh(v.src[i]->energy),
               v.dur > 0 ? v.src[i]->energy / v.dur : NAN);
    }
    free(v.src);
    if (runs > 0)
        printf("\nper run (%d runs in the window, total / %d): %.3f J, %.6f Wh, %.3f s\n",
               runs, runs, v.sys / runs, wh(v.sys / runs), v.dur / runs);
    if (top > 0) {
        printf("\n");
        pp_top_text(stdout, c, m, r, top, "");
    }
}

static void
print_json(struct pp_ctx *c, struct pp_metric *m, const struct pp_window_result *r, int runs, int top)
{
    struct window_view v;

    window_view(r, &v);

    printf("{");
    json_key(stdout, c->archive ? "archive" : "host");
    json_string(stdout, c->source);
    printf(",");
    json_key(stdout, "hostname");
    json_string(stdout, c->hostname);
    printf(",");
    json_window(stdout, v.start, v.end, r->start, r->end);
    printf(",\"samples\":%ld,", r->samples);
    json_key(stdout, "start_bound");
    json_string(stdout, r->start_how);
    printf(",");
    json_key(stdout, "end_bound");
    json_string(stdout, r->end_how);
    printf(",");
    json_key(stdout, "source");
    json_string(stdout, r->sources);
    printf(",\"counter_restarts\":%ld", pp_window_restarts(r));
    json_more_number(stdout, "joules", v.sys);
    json_more_number(stdout, "wh", wh(v.sys));
    json_more_number(stdout, "mean_w", v.dur > 0 ? v.sys / v.dur : NAN);
    printf(",\"energy\":[");
    for (size_t i = 0; i < v.n; i++) {
        char label[300];
        pp_series_label(c, m, v.src[i]->series, v.src[i]->inst, label, sizeof(label));
        printf("%s{", i ? "," : "");
        json_key(stdout, "label");
        json_string(stdout, label);
        printf(",");
        json_key(stdout, "metric");
        json_string(stdout, m[v.src[i]->series].name);
        printf(",");
        json_key(stdout, "instance");
        json_string(stdout, m[v.src[i]->series].desc.indom == PM_INDOM_NULL ? NULL :
                    pp_inst_name(c, m[v.src[i]->series].desc.indom, v.src[i]->inst));
        json_more_number(stdout, "joules", v.src[i]->energy);
        json_more_number(stdout, "wh", wh(v.src[i]->energy));
        json_more_number(stdout, "mean_w", v.dur > 0 ? v.src[i]->energy / v.dur : NAN);
        printf("}");
    }
    free(v.src);
    printf("]");
    if (runs > 0) {
        printf(",\"runs\":{\"n\":%d,\"joules_per_run\":", runs);
        json_number(stdout, v.sys / runs);
        json_more_number(stdout, "wh_per_run", wh(v.sys / runs));
        json_more_number(stdout, "seconds_per_run", v.dur / runs);
        printf(",\"method\":\"window total divided by runs\"}");
    }
    if (top > 0) {
        printf(",\"top\":");
        pp_top_json(stdout, c, m, r, top);
    }
    printf("}\n");
}

struct report_settings {
    long        runs, top;
    bool        json;
    const char *phases;
    const char *db;           /* --db: append the results (results.h) */
    const char *html;         /* --html: also a one-file report (reporthtml.h) */
};

static int
report_option(void *state, const char *name, const char *arg)
{
    struct report_settings *s = state;

    if (strcmp(name, "json") == 0)
        s->json = true;
    else if (strcmp(name, "phases") == 0)
        s->phases = arg;
    else if (strcmp(name, "db") == 0)
        s->db = arg;
    else if (strcmp(name, "html") == 0)
        s->html = arg;
    else if (strcmp(name, "runs") == 0)
        return pp_parse_count(arg, "--runs", INT_MAX, &s->runs);
    else if (strcmp(name, "top") == 0)
        return pp_parse_count(arg, "--top", 10000, &s->top);
    return 0;
}

static int
report_check(void *state, const struct pp_args *args)
{
    const struct report_settings *s = state;

    if (s->phases && (args->start || args->finish || s->runs)) {
        fprintf(stderr, "%s: --phases gives the windows: drop -S, -T and --runs\n", pmGetProgname());
        return 2;
    }
    if ((s->phases || s->html) && args->narchives > 1) {
        fprintf(stderr, "%s: --%s reads one archive: give one -a\n", pmGetProgname(), s->phases ? "phases" : "html");
        return 2;
    }
    return 0;
}

int
cmd_report(int argc, char **argv)
{
    pmLongOptions longopts[] = {
        PMAPI_OPTIONS_TEXT("The energy of a window from the counters: duration, samples, mean power,"),
        PMAPI_OPTIONS_TEXT("joules and watt-hours for power.system and every source instance."),
        PP_OPTIONS_SOURCE,
        { PMLONGOPT_START, 1, 'S', "TIME", "window start [archive start; live: now]" },
        { PMLONGOPT_FINISH, 1, 'T', "TIME", "window end [archive end; live: required, e.g. +30s]" },
        PMAPI_OPTIONS_TEXT("Several -a (or a farm's directory of host directories): each host, then the"),
        PMAPI_OPTIONS_TEXT("fleet's total over the same window (fleet.c)."),
        { "runs", 1, 0, "N", "the window holds N repeated runs: also report energy per run" },
        { "top", 1, 0, "K", "the K processes and cgroups that used most energy" },
        { "phases", 1, 0, "FILE", "labelled windows (JSON or CSV; - for stdin; 'archive' for pmpower marks)" },
        { "json", 0, 'j', 0, "JSON instead of text" },
        { "db", 1, 0, "FILE", "also append the results to the SQLite database FILE" },
        { "html", 1, 0, "FILE", "also write a one-file HTML report with the tables and the plot" },
        PP_OPT_TIME_TEXT,
        PP_OPTIONS_END
    };
    struct report_settings s = { 0 };
    const struct pp_command_line cl = {
        .synopsis = "report [-h HOST | -a ARCHIVE] [-S START] [-T END] [--runs N] [--top K] [--json] [--db FILE]\n"
                    "                      [--html FILE]\n"
                    "       pmpower report -a ARCHIVE --phases FILE|-|archive [--top K] [--json] [--db FILE]\n"
                    "                      [--html FILE]",
        .short_options = "h:a:S:T:j?",
        .long_options = longopts,
        .option = report_option,
        .check = report_check,
        .several_archives = true,
        .state = &s,
    };
    struct pp_args args;
    struct pp_ctx ctx;
    struct pp_metric m[S_COUNT];
    struct pp_window_result r;
    double start, end;
    int sts;

    if (!pp_options_parse(argc, argv, &cl, &args, &ctx, &sts))
        return sts;
    if (args.archives)    /* several hosts: each reported by this command again (fleet.c) */
        return report_fleet(argc, argv, &cl, &args, s.json, cmd_report);
    pp_series_init(m);
    pp_lookup(m, S_COUNT);
    if (s.phases)
        sts = phases_report(&ctx, m, s.phases, (int)s.top, s.json, s.db, s.html);
    else if (!ctx.archive && !args.finish) {
        fprintf(stderr, "%s: on a live host give the window's end: -T +30s (or record with pmlogger "
                "and use -a ARCHIVE)\n", pmGetProgname());
        sts = 2;
    } else if ((sts = pp_window_resolve(&ctx, args.start, args.finish, &start, &end)) == 0) {
        pp_stop_on_signals();
        if ((sts = pp_window_energy(&ctx, m, start, end, s.top > 0, &r)) == 0) {
            if (s.json)
                print_json(&ctx, m, &r, (int)s.runs, (int)s.top);
            else
                print_text(&ctx, m, &r, (int)s.runs, (int)s.top);
            if (s.db)
                sts = results_window(s.db, &ctx, m, &r);
            if (s.html && sts == 0)
                sts = report_html(s.html, &ctx, m, &r, NULL, 0);
        }
        pp_window_result_free(&r);
    }
    pp_close(&ctx);
    return sts;
}
