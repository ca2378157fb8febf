/*
 * phases.c: pmpower report --phases: the energy of many labelled windows
 * of one archive, with totals, the energy no phase covers, and overlaps.
 * The windows come from a file (phaselist.h) or from marks the agent kept
 * (power.phase.log, written by pmpower mark) in the archive.
 */
#include "phases.h"
#include "archive.h"
#include "energy.h"
#include "json.h"
#include "phaselist.h"
#include "phasewin.h"
#include "reporthtml.h"
#include "results.h"
#include "toplist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct phase_result {
    const struct phase      *p;
    double                   start, end;
    struct pp_window_result  r;
    bool                     ok, short_warning;
};

/* The phases measured, with what the report adds up about them. */
struct phases {
    struct phase_list        list;
    struct phase_result     *res;           /* one per phase, in the list's order */
    double                   span_a, span_b;  /* first start, last end */
    struct pp_window_result  span;           /* the energy from span_a to span_b */
    bool                     have_span;
    double                   sum;            /* of the phases' energies */
    double                   gap_j, gap_s;   /* no phase covers these */
    size_t                   ngaps, noverlaps;
};

static bool
overlap(const struct phase_result *x, const struct phase_result *y)
{
    return x->start < y->end && y->start < x->end;
}

/* Each phase's window: 0, or the exit status after a message. */
static int
resolve_phases(struct pp_ctx *c, struct phases *ph)
{
    int sts;

    ph->span_a = INFINITY;
    ph->span_b = -INFINITY;
    for (size_t i = 0; i < ph->list.count; i++) {
        struct phase_result *pr = &ph->res[i];
        pr->p = &ph->list.items[i];
        if ((sts = phase_window(c, pr->p, &pr->start, &pr->end)) != 0)
            return sts;
        if (pp_window_check(c, &pr->start, &pr->end, false) != 0) {
            fprintf(stderr, "%s: phase \"%s\" is outside the archive\n", pmGetProgname(), pr->p->label);
            return 1;
        }
        ph->span_a = fmin(ph->span_a, pr->start);
        ph->span_b = fmax(ph->span_b, pr->end);
        for (size_t k = 0; k < i; k++)
            ph->noverlaps += overlap(pr, &ph->res[k]);
    }
    return 0;
}

struct span {
    double a, b;
};

static int
cmp_span(const void *x, const void *y)
{
    const struct span *a = x, *b = y;

    return a->a < b->a ? -1 : a->a > b->a ? 1 : 0;
}

/* The gaps no phase covers, in order: their count (gaps is malloc'd), or -1. */
static long
find_gaps(const struct phases *ph, struct span **gaps)
{
    size_t n = ph->list.count, ngaps = 0;
    struct span *spans = calloc(n, sizeof(*spans)), *out = calloc(n, sizeof(*out));
    double covered_to;

    if (!spans || !out) {
        free(spans);
        free(out);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        spans[i] = (struct span){ ph->res[i].start, ph->res[i].end };
    qsort(spans, n, sizeof(*spans), cmp_span);
    covered_to = spans[0].b;
    for (size_t i = 1; i < n; i++) {
        if (spans[i].a > covered_to + 1e-6)
            out[ngaps++] = (struct span){ covered_to, spans[i].a };
        if (spans[i].b > covered_to)
            covered_to = spans[i].b;
    }
    free(spans);
    *gaps = out;
    return (long)ngaps;
}

/*
 * Every phase, the span and the gaps: all windows of one pass over the
 * archive (archive.h), however many phases. 0, or the exit status after
 * a message.
 */
static int
measure_phases(struct pp_ctx *c, struct pp_metric m[S_COUNT], int top, struct phases *ph)
{
    size_t np = ph->list.count, n;
    struct span *gaps = NULL;
    long ngaps = find_gaps(ph, &gaps);
    double *start = NULL, *end = NULL;
    struct pp_window_result *out = NULL;
    bool *ok = NULL;
    int sts = 1;

    if (ngaps < 0)
        return 1;
    n = np + 1 + (size_t)ngaps;
    start = calloc(n, sizeof(*start));
    end = calloc(n, sizeof(*end));
    out = calloc(n, sizeof(*out));
    ok = calloc(n, sizeof(*ok));
    if (!start || !end || !out || !ok)
        goto done;
    for (size_t i = 0; i < np; i++) {
        start[i] = ph->res[i].start;
        end[i] = ph->res[i].end;
    }
    start[np] = ph->span_a;
    end[np] = ph->span_b;
    for (long g = 0; g < ngaps; g++) {
        start[np + 1 + (size_t)g] = gaps[g].a;
        end[np + 1 + (size_t)g] = gaps[g].b;
    }
    if (pp_archive_sweep(c, m, start, end, n, top > 0, out, ok) != 0) {
        fprintf(stderr, "%s: cannot read archive \"%s\"\n", pmGetProgname(), c->source);
        goto done;
    }
    for (size_t i = 0; i < np; i++) {
        struct phase_result *pr = &ph->res[i];
        pr->r = out[i];
        out[i].w.slots = NULL;       /* moved */
        pr->ok = true;
        if (!ok[i]) {
            fprintf(stderr, "%s: phase \"%s\": no power.system.energy samples from one run of the agent "
                    "in it: choose phases where pmlogger was logging power.system\n",
                    pmGetProgname(), pr->p->label);
            goto done;
        }
        /* shorter than the logging, or both ends between the same two logged samples: interpolated */
        pr->short_warning = pr->r.logged < 1 ||
                            (pr->r.log_interval > 0 && pr->end - pr->start < pr->r.log_interval) ||
                            (pr->r.interval > 0 && pr->end - pr->start < pr->r.interval);
        ph->sum += pp_system_joules(&pr->r);
    }
    if (!ok[np]) {
        fprintf(stderr, "%s: the phases' span has no energy (see above)\n", pmGetProgname());
        goto done;
    }
    ph->span = out[np];
    out[np].w.slots = NULL;
    ph->have_span = true;
    for (long g = 0; g < ngaps; g++)
        if (ok[np + 1 + (size_t)g]) {
            ph->gap_j += pp_system_joules(&out[np + 1 + (size_t)g]);
            ph->gap_s += gaps[g].b - gaps[g].a;
            ph->ngaps++;
        }
    sts = 0;
done:
    for (size_t i = 0; out && i < n; i++)
        window_free(&out[i].w);
    free(start);
    free(end);
    free(out);
    free(ok);
    free(gaps);
    return sts;
}

static void
print_json(struct pp_ctx *c, struct pp_metric m[S_COUNT], int top, const struct phases *ph)
{
    char a[64], b[64];

    printf("{");
    json_key(stdout, "archive");
    json_string(stdout, c->source);
    printf(",\"phases\":[");
    for (size_t i = 0; i < ph->list.count; i++) {
        const struct phase_result *pr = &ph->res[i];
        double j = pp_system_joules(&pr->r), d = pr->end - pr->start;
        bool first = true;
        pp_format_time(pr->start, a, sizeof(a));
        pp_format_time(pr->end, b, sizeof(b));
        printf("%s{", i ? "," : "");
        json_key(stdout, "label");
        json_string(stdout, pr->p->label);
        printf(",");
        json_window(stdout, a, b, pr->start, pr->end);
        json_more_number(stdout, "joules", j);
        json_more_number(stdout, "wh", j / 3600);
        json_more_number(stdout, "mean_w", d > 0 ? j / d : NAN);
        printf(",\"samples\":%ld,\"interpolated\":%s,\"overlaps\":[", pr->r.samples,
               pr->short_warning ? "true" : "false");
        for (size_t k = 0; k < ph->list.count; k++)
            if (k != i && overlap(pr, &ph->res[k])) {
                if (!first)
                    printf(",");
                json_string(stdout, ph->res[k].p->label);
                first = false;
            }
        printf("]");
        if (top > 0) {
            printf(",\"top\":");
            pp_top_json(stdout, c, m, &pr->r, top);
        }
        printf("}");
    }
    pp_format_time(ph->span_a, a, sizeof(a));
    pp_format_time(ph->span_b, b, sizeof(b));
    printf("],\"total\":{\"phases_joules\":");
    json_number(stdout, ph->sum);
    printf(",\"span\":{");
    json_key(stdout, "start");
    json_string(stdout, a);
    printf(",");
    json_key(stdout, "end");
    json_string(stdout, b);
    json_more_number(stdout, "duration_s", ph->span_b - ph->span_a);
    json_more_number(stdout, "joules", pp_system_joules(&ph->span));
    printf("},\"uncovered_joules\":");
    json_number(stdout, ph->gap_j);
    json_more_number(stdout, "uncovered_s", ph->gap_s);
    printf(",\"gaps\":%zu,\"overlapping_pairs\":%zu}}\n", ph->ngaps, ph->noverlaps);
}

static void
print_text(struct pp_ctx *c, struct pp_metric m[S_COUNT], int top, const struct phases *ph)
{
    char a[64];

    printf("archive %s (host %s); source %s\n\n", c->source, c->hostname,
           ph->span.sources[0] ? ph->span.sources : "(unknown)");
    printf("%-20s %-26s %10s %12s %10s %8s\n", "phase", "start", "seconds", "energy J", "mean W", "samples");
    for (size_t i = 0; i < ph->list.count; i++) {
        const struct phase_result *pr = &ph->res[i];
        double j = pp_system_joules(&pr->r), d = pr->end - pr->start;
        pp_format_time(pr->start, a, sizeof(a));
        printf("%-20s %-26.26s %10.3f %12.3f %10.3f %8ld\n", pr->p->label, a, d, j,
               d > 0 ? j / d : NAN, pr->r.samples);
        if (pr->short_warning)
            printf("%20s   warning: shorter than the sampling (%ld samples inside): its energy is "
                   "interpolated between samples\n", "", pr->r.samples);
        for (size_t k = 0; k < ph->list.count; k++)
            if (k != i && overlap(pr, &ph->res[k])) {
                const struct phase_result *o = &ph->res[k];
                printf("%20s   overlaps \"%s\" for %.3f s\n", "", o->p->label,
                       fmin(pr->end, o->end) - fmax(pr->start, o->start));
            }
        if (top > 0)
            pp_top_text(stdout, c, m, &pr->r, top, "                       ");
    }
    printf("\ntotal of the phases   %12.3f J%s\n", ph->sum,
           ph->noverlaps ? "  (overlapping phases are counted in each)" : "");
    printf("span                  %12.3f J over %.3f s (first start to last end)\n",
           pp_system_joules(&ph->span), ph->span_b - ph->span_a);
    printf("between phases        %12.3f J over %.3f s in %zu gap%s no phase covers\n",
           ph->gap_j, ph->gap_s, ph->ngaps, ph->ngaps == 1 ? "" : "s");
}

static void
phases_free(struct phases *ph)
{
    for (size_t i = 0; i < ph->list.count; i++)
        if (ph->res[i].ok)
            pp_window_result_free(&ph->res[i].r);
    if (ph->have_span)
        pp_window_result_free(&ph->span);
    free(ph->res);
    phaselist_free(&ph->list);
}

/* --db: the phases as one run, each phase with its sources' energies. 0, or 1. */
static int
store_phases(const char *path, struct pp_ctx *c, const struct pp_metric m[S_COUNT], const struct phases *ph)
{
    struct resultsdb *db;
    struct resultsdb_run run;
    long long id;
    int sts = 0;

    if (resultsdb_open(path, &db) < 0)
        return 1;
    results_run_init(&run, "phases", c, &ph->span);
    run.joules = ph->sum;
    if ((id = resultsdb_add_run(db, &run)) < 0)
        sts = 1;
    for (size_t i = 0; sts == 0 && i < ph->list.count; i++) {
        const struct phase_result *pr = &ph->res[i];
        if (resultsdb_add_phase(db, id, (int)i, pr->p->label, pr->r.start, pr->r.end, pp_system_joules(&pr->r),
                                pr->r.samples) < 0 ||
            results_energies(db, id, (int)i, c, m, &pr->r) < 0)
            sts = 1;
    }
    resultsdb_close(db);
    return sts;
}

/* --html: the span's report with each phase's row, shaded in the plot. 0, or 1. */
static int
html_phases(const char *path, struct pp_ctx *c, const struct pp_metric m[S_COUNT], const struct phases *ph)
{
    struct html_row *rows = calloc(ph->list.count + 1, sizeof(*rows));
    int sts;

    if (!rows)
        return 1;
    for (size_t i = 0; i < ph->list.count; i++)
        rows[i] = (struct html_row){ ph->res[i].p->label, ph->res[i].r.start, ph->res[i].r.end,
                                     pp_system_joules(&ph->res[i].r), ph->res[i].r.samples };
    sts = report_html(path, c, m, &ph->span, rows, ph->list.count);
    free(rows);
    return sts;
}

int
phases_report(struct pp_ctx *c, struct pp_metric m[S_COUNT], const char *file, int top, bool json,
              const char *db, const char *html)
{
    struct phases ph = { 0 };
    int sts;

    if (!c->archive) {
        fprintf(stderr, "%s: --phases reads windows in the past: give -a ARCHIVE\n", pmGetProgname());
        return 2;
    }
    if ((sts = phases_load(c, file, &ph.list)) != 0)
        return sts;
    if (!m[S_SYSTEM].ok) {
        fprintf(stderr, "%s: archive \"%s\" has no power metrics (power.system.energy): log them with "
                "the power pmlogconf group (pmlogconf -r)\n", pmGetProgname(), c->source);
        sts = 1;
    } else if ((ph.res = calloc(ph.list.count, sizeof(*ph.res))) == NULL)
        sts = 1;
    else if ((sts = resolve_phases(c, &ph)) == 0 && (sts = measure_phases(c, m, top, &ph)) == 0) {
        if (json)
            print_json(c, m, top, &ph);
        else
            print_text(c, m, top, &ph);
        if (db)
            sts = store_phases(db, c, m, &ph);
        if (html && sts == 0)
            sts = html_phases(html, c, m, &ph);
    }
    phases_free(&ph);
    return sts;
}
