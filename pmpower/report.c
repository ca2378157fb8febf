/*
 * report.c: pmpower report: the energy of a window (or of labelled
 * phases, phases.c) from the counters, as text or JSON.
 */
#include "pmpower.h"
#include "json.h"
#include "phases.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
report_usage(FILE *fp)
{
    fprintf(fp,
        "Usage: %s report [-h HOST | -a ARCHIVE] [-S START] [-T END] [--runs N] [--top K] [--json]\n"
        "       %s report -a ARCHIVE --phases FILE|-|archive [--top K] [--json]\n"
        "The energy of a window from the counters: duration, samples, mean power,\n"
        "joules and watt-hours for power.system and every source instance.\n"
        "  -S, --start TIME   window start (PCP time: -10min, @ Sat Nov 21 10:00:00 2026;\n"
        "                     or ISO: 2026-02-04 10:15:25.123456); default: archive start, live: now\n"
        "  -T, --finish TIME  window end (live: required, e.g. +30s)\n"
        "  --runs N           the window holds N repeated runs: also report energy per run\n"
        "  --top K            the K processes and cgroups that used most energy\n"
        "  --phases FILE      labelled windows (JSON or CSV; - for stdin; 'archive' for pmpower marks)\n"
        "  --json             JSON instead of text\n", pp_progname, pp_progname);
}

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

size_t
report_source_entries(const struct window *w, const struct window_entry ***out)
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

static double
system_energy(const struct window *w)
{
    const struct window_entry *e = window_find(w, S_SYSTEM, PP_IN_NULL);

    return e ? e->energy : NAN;
}

void
report_top_text(FILE *fp, struct pp_ctx *c, struct pp_metric *m, const struct window *w, int k,
                const char *indent)
{
    struct pp_top_row rows[k > 0 ? k : 1];
    double total = system_energy(w);
    size_t n;

    if (!m[S_PROC].ok)
        fprintf(fp, "%sprocesses: not available (no power.proc.energy: the agent's attribution is "
                "off, or the archive did not log power.proc)\n", indent);
    else {
        n = pp_top_rows(w, S_PROC, rows, (size_t)k);
        fprintf(fp, "%stop %d processes by energy\n", indent, k);
        fprintf(fp, "%s  %8s %12s %7s  %s\n", indent, "PID", "energy J", "share", "command");
        for (size_t i = 0; i < n; i++) {
            const char *name = pp_inst_name(c, m[S_PROC].desc.indom, rows[i].inst);
            fprintf(fp, "%s  %8d %12.3f %6.1f%%  %s\n", indent, rows[i].inst, rows[i].energy,
                    total > 0 ? 100 * rows[i].energy / total : 0.0, pp_proc_command(name));
        }
        if (n == 0)
            fprintf(fp, "%s  (no process values in the window)\n", indent);
        if (m[S_UNATTRIBUTED].ok) {
            const struct window_entry *e = window_find(w, S_UNATTRIBUTED, PP_IN_NULL);
            if (e)
                fprintf(fp, "%s  %8s %12.3f %6.1f%%  (busy energy of processes gone between samples)\n",
                        indent, "-", e->energy, total > 0 ? 100 * e->energy / total : 0.0);
        }
    }
    if (!m[S_CGROUP].ok)
        fprintf(fp, "%scgroups: not available (no power.cgroup.energy)\n", indent);
    else {
        n = pp_top_rows(w, S_CGROUP, rows, (size_t)k);
        fprintf(fp, "%stop %d cgroups by energy\n", indent, k);
        fprintf(fp, "%s  %12s %7s  %s\n", indent, "energy J", "share", "cgroup");
        for (size_t i = 0; i < n; i++)
            fprintf(fp, "%s  %12.3f %6.1f%%  %s\n", indent, rows[i].energy,
                    total > 0 ? 100 * rows[i].energy / total : 0.0,
                    pp_inst_name(c, m[S_CGROUP].desc.indom, rows[i].inst));
        if (n == 0)
            fprintf(fp, "%s  (no cgroup values in the window)\n", indent);
    }
}

/* ,"joules":E,"share":E/TOTAL} closing one row of a top list */
static void
json_row_energy(FILE *fp, double energy, double total)
{
    fputs(",\"joules\":", fp);
    json_number(fp, energy);
    fputs(",\"share\":", fp);
    json_number(fp, total > 0 ? energy / total : NAN);
    fputs("}", fp);
}

void
report_top_json(FILE *fp, struct pp_ctx *c, struct pp_metric *m, const struct window *w, int k)
{
    struct pp_top_row rows[k > 0 ? k : 1];
    double total = system_energy(w);
    size_t n;

    fputs("{", fp);
    json_key(fp, "processes");
    if (!m[S_PROC].ok)
        fputs("null", fp);
    else {
        n = pp_top_rows(w, S_PROC, rows, (size_t)k);
        fputs("[", fp);
        for (size_t i = 0; i < n; i++) {
            const char *name = pp_inst_name(c, m[S_PROC].desc.indom, rows[i].inst);
            fprintf(fp, "%s{\"pid\":%d,", i ? "," : "", rows[i].inst);
            json_key(fp, "command");
            json_string(fp, pp_proc_command(name));
            json_row_energy(fp, rows[i].energy, total);
        }
        fputs("]", fp);
    }
    fputs(",\"unattributed_joules\":", fp);
    {
        const struct window_entry *e = m[S_UNATTRIBUTED].ok ? window_find(w, S_UNATTRIBUTED, PP_IN_NULL) : NULL;
        json_number(fp, e ? e->energy : NAN);
    }
    fputs(",", fp);
    json_key(fp, "cgroups");
    if (!m[S_CGROUP].ok)
        fputs("null", fp);
    else {
        n = pp_top_rows(w, S_CGROUP, rows, (size_t)k);
        fputs("[", fp);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",{" : "{", fp);
            json_key(fp, "cgroup");
            json_string(fp, pp_inst_name(c, m[S_CGROUP].desc.indom, rows[i].inst));
            json_row_energy(fp, rows[i].energy, total);
        }
        fputs("]", fp);
    }
    fputs("}", fp);
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
    v->n = report_source_entries(&r->w, &v->src);
    v->dur = r->end - r->start;
    v->sys = system_energy(&r->w);
    pp_format_time(r->start, v->start, sizeof(v->start));
    pp_format_time(r->end, v->end, sizeof(v->end));
}

static void
print_text(struct pp_ctx *c, struct pp_metric *m, const struct pp_window_result *r, int runs, int top)
{
    struct window_view v;

    window_view(r, &v);

    printf("%s %s (host %s)\n", c->archive ? "archive" : "host", c->source, c->hostname);
    printf("window  %s .. %s  (%.3f s)\n", v.start, v.end, v.dur);
    printf("bounds  start %s, end %s; %ld samples in the window\n", r->start_how, r->end_how, r->samples);
    printf("source  %s\n", r->sources[0] ? r->sources : "(unknown)");
    if (r->w.resets)
        printf("note    %u counter restart(s) in the window (agent restarted): energy summed across them\n",
               r->w.resets);
    printf("\n%-28s %14s %12s %10s\n", "", "energy J", "Wh", "mean W");
    for (size_t i = 0; i < v.n; i++) {
        char label[300];
        pp_series_label(c, m, v.src[i]->series, v.src[i]->inst, label, sizeof(label));
        printf("%-28s %14.3f %12.6f %10.3f\n", label, v.src[i]->energy, wh(v.src[i]->energy),
               v.dur > 0 ? v.src[i]->energy / v.dur : NAN);
    }
    free(v.src);
    if (runs > 0)
        printf("\nper run (%d runs in the window, total / %d): %.3f J, %.6f Wh, %.3f s\n",
               runs, runs, v.sys / runs, wh(v.sys / runs), v.dur / runs);
    if (top > 0) {
        printf("\n");
        report_top_text(stdout, c, m, &r->w, top, "");
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
    printf(",\"counter_restarts\":%u", r->w.resets);
    printf(",\"joules\":");
    json_number(stdout, v.sys);
    printf(",\"wh\":");
    json_number(stdout, wh(v.sys));
    printf(",\"mean_w\":");
    json_number(stdout, v.dur > 0 ? v.sys / v.dur : NAN);
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
        printf(",\"joules\":");
        json_number(stdout, v.src[i]->energy);
        printf(",\"wh\":");
        json_number(stdout, wh(v.src[i]->energy));
        printf(",\"mean_w\":");
        json_number(stdout, v.dur > 0 ? v.src[i]->energy / v.dur : NAN);
        printf("}");
    }
    free(v.src);
    printf("]");
    if (runs > 0) {
        printf(",\"runs\":{\"n\":%d,\"joules_per_run\":", runs);
        json_number(stdout, v.sys / runs);
        printf(",\"wh_per_run\":");
        json_number(stdout, wh(v.sys / runs));
        printf(",\"seconds_per_run\":");
        json_number(stdout, v.dur / runs);
        printf(",\"method\":\"window total divided by runs\"}");
    }
    if (top > 0) {
        printf(",\"top\":");
        report_top_json(stdout, c, m, &r->w, top);
    }
    printf("}\n");
}

int
cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'h' },
        { "archive", required_argument, NULL, 'a' },
        { "start", required_argument, NULL, 'S' },
        { "finish", required_argument, NULL, 'T' },
        { "runs", required_argument, NULL, 'r' },
        { "top", required_argument, NULL, 'k' },
        { "json", no_argument, NULL, 'j' },
        { "phases", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, '?' },
        { NULL, 0, NULL, 0 }
    };
    const char *host = NULL, *archive = NULL, *start_s = NULL, *end_s = NULL, *phases = NULL;
    int runs = 0, top = 0, c, sts;
    bool json = false;
    struct pp_ctx ctx;
    struct pp_metric m[S_COUNT];
    struct pp_window_result r;
    double start, end;
    char *endp;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h:a:S:T:j?", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': host = optarg; break;
        case 'a': archive = optarg; break;
        case 'S': start_s = optarg; break;
        case 'T': end_s = optarg; break;
        case 'j': json = true; break;
        case 'p': phases = optarg; break;
        case 'r':
            runs = (int)strtol(optarg, &endp, 10);
            if (*endp || runs < 1) {
                fprintf(stderr, "%s: --runs takes a count of runs (1 or more), not \"%s\"\n",
                        pp_progname, optarg);
                return 2;
            }
            break;
        case 'k':
            top = (int)strtol(optarg, &endp, 10);
            if (*endp || top < 1 || top > 10000) {
                fprintf(stderr, "%s: --top takes a count (1 to 10000), not \"%s\"\n", pp_progname, optarg);
                return 2;
            }
            break;
        case '?':
        default:
            report_usage(c == '?' && optopt == 0 ? stdout : stderr);
            return c == '?' && optopt == 0 ? 0 : 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: report: unexpected argument \"%s\"\n", pp_progname, argv[optind]);
        report_usage(stderr);
        return 2;
    }
    if (host && archive) {
        fprintf(stderr, "%s: give -h HOST or -a ARCHIVE, not both\n", pp_progname);
        return 2;
    }
    if (phases && (start_s || end_s || runs)) {
        fprintf(stderr, "%s: --phases gives the windows: drop -S, -T and --runs\n", pp_progname);
        return 2;
    }
    if (pp_open(&ctx, host, archive) < 0)
        return 1;
    pp_series_init(m);
    pp_lookup(m, S_COUNT);
    if (phases) {
        sts = phases_report(&ctx, m, phases, top, json);
        pp_close(&ctx);
        return sts;
    }
    if (!archive && !end_s) {
        fprintf(stderr, "%s: on a live host give the window's end: -T +30s (or record with pmlogger "
                "and use -a ARCHIVE)\n", pp_progname);
        pp_close(&ctx);
        return 2;
    }
    start = ctx.archive ? ctx.start : pp_now();
    end = ctx.end;
    if ((start_s && pp_parse_time(&ctx, start_s, false, &start) < 0) ||
        (end_s && pp_parse_time(&ctx, end_s, true, &end) < 0)) {
        pp_close(&ctx);
        return 2;
    }
    if (!(end > start)) {
        char a[64], b[64];
        pp_format_time(start, a, sizeof(a));
        pp_format_time(end, b, sizeof(b));
        fprintf(stderr, "%s: the window's end (%s) must come after its start (%s)\n", pp_progname, b, a);
        pp_close(&ctx);
        return 2;
    }
    if (pp_window_check(&ctx, &start, &end, false) != 0) {
        pp_close(&ctx);
        return 1;
    }
    pp_catch_signals();
    sts = pp_window_energy(&ctx, m, start, end, top > 0, &r);
    if (sts == 0) {
        if (json)
            print_json(&ctx, m, &r, runs, top);
        else
            print_text(&ctx, m, &r, runs, top);
    }
    pp_window_result_free(&r);
    pp_close(&ctx);
    return sts;
}
