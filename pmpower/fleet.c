/*
 * fleet.c: pmpower report over several archives, one host each (several -a,
 * or a pmlogger farm's directory, farm.h): each host's report as for one
 * archive, then the fleet's total over the window. The total is the sum of
 * the hosts' power.system energies; a host without data in the window
 * leaves the total unknown rather than short.
 */
#include "json.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* windows that differ by more than this were read against different archives */
#define SAME_WINDOW_S 1e-3

struct fleet_host {
    char                hostname[256];
    const char         *archive;
    int                 status;
    struct report_total t;
};

static double
mean_w(const struct report_total *t)
{
    return t->end > t->start ? t->joules / (t->end - t->start) : NAN;
}

/* whether every host with data measured the window of the reference host */
static bool
same_window(const struct fleet_host *h, size_t n, size_t ref)
{
    for (size_t i = 0; i < n; i++)
        if (h[i].status == 0 && (fabs(h[i].t.start - h[ref].t.start) > SAME_WINDOW_S ||
                                 fabs(h[i].t.end - h[ref].t.end) > SAME_WINDOW_S))
            return false;
    return true;
}

struct fleet_sum {
    size_t n, ok, ref;        /* hosts, hosts with data, the first of them (its window is shown) */
    double joules, watts;
    bool   same;
};

static void
print_total_text(const struct fleet_host *h, const struct fleet_sum *f)
{
    char a[64], b[64];
    const struct report_total *w = &h[f->ref].t;

    pp_format_time(w->start, a, sizeof(a));
    pp_format_time(w->end, b, sizeof(b));
    printf("\nfleet   %zu hosts, window %s .. %s  (%.3f s)\n", f->n, a, b, w->end - w->start);
    if (!f->same)
        printf("note    the hosts' windows differ (relative -S/-T are read against each archive): "
               "give absolute times for one window\n");
    printf("\n%-28s %14s %12s %10s  %s\n", "host", "energy J", "Wh", "mean W", "source");
    for (size_t i = 0; i < f->n; i++) {
        if (h[i].status != 0) {
            printf("%-28s %14s %12s %10s  no data in the window (%s)\n", h[i].hostname, "-", "-", "-",
                   h[i].archive);
            continue;
        }
        printf("%-28s %14.3f %12.6f %10.3f  %s\n", h[i].hostname, h[i].t.joules, h[i].t.joules / 3600.0,
               mean_w(&h[i].t), h[i].t.sources);
    }
    if (f->ok == f->n)
        printf("%-28s %14.3f %12.6f %10.3f\n", "total", f->joules, f->joules / 3600.0, f->watts);
    else
        printf("%-28s %14s %12s %10s  unknown: %zu of %zu hosts have no data\n", "total", "-", "-", "-",
               f->n - f->ok, f->n);
}

static void
print_total_json(const struct fleet_host *h, const struct fleet_sum *f)
{
    bool all = f->ok == f->n;

    printf("],\"fleet\":{\"hosts\":[");
    for (size_t i = 0; i < f->n; i++) {
        printf("%s{", i ? "," : "");
        json_key(stdout, "hostname");
        json_string(stdout, h[i].hostname);
        printf(",");
        json_key(stdout, "archive");
        json_string(stdout, h[i].archive);
        printf(",\"joules\":");
        json_number(stdout, h[i].status ? NAN : h[i].t.joules);
        printf(",\"mean_w\":");
        json_number(stdout, h[i].status ? NAN : mean_w(&h[i].t));
        printf("}");
    }
    printf("],\"start\":");
    json_number(stdout, h[f->ref].t.start);
    printf(",\"end\":");
    json_number(stdout, h[f->ref].t.end);
    printf(",\"same_window\":%s,\"joules\":", f->same ? "true" : "false");
    json_number(stdout, all ? f->joules : NAN);
    printf(",\"wh\":");
    json_number(stdout, all ? f->joules / 3600.0 : NAN);
    printf(",\"mean_w\":");
    json_number(stdout, all ? f->watts : NAN);
    printf("}}\n");
}

int
report_fleet(const struct pp_args *args, const struct report_settings *s)
{
    struct fleet_host *h = calloc(args->narchives, sizeof(*h));
    struct fleet_sum f = { .n = args->narchives };
    int sts = 0;

    if (!h) {
        fprintf(stderr, "%s: out of memory\n", pmGetProgname());
        return 1;
    }
    if (s->json)
        printf("{\"reports\":[");
    for (size_t i = 0; i < f.n; i++) {
        struct pp_ctx ctx;

        h[i].archive = args->archives[i];
        snprintf(h[i].hostname, sizeof(h[i].hostname), "%s", args->archives[i]);
        if (i > 0)
            printf(s->json ? "," : "\n");
        fflush(stdout);
        if (pp_open(&ctx, NULL, args->archives[i]) < 0)
            h[i].status = 1;
        else {
            snprintf(h[i].hostname, sizeof(h[i].hostname), "%s", ctx.hostname);
            h[i].status = report_window(&ctx, args, s, &h[i].t);
            pp_close(&ctx);
            if (h[i].status == 0 && isnan(h[i].t.joules)) {
                fprintf(stderr, "%s: %s: no power.system energy in the window\n", pmGetProgname(),
                        h[i].archive);
                h[i].status = 1;
            }
        }
        /* a report that printed nothing holds its place in the JSON array */
        if (s->json && h[i].status != 0 && !(h[i].t.end > 0))
            printf("null");
        if (h[i].status == 0) {
            if (f.ok++ == 0)
                f.ref = i;
            f.joules += h[i].t.joules;
            f.watts += mean_w(&h[i].t);
        } else if (h[i].status > sts)
            sts = h[i].status;
    }
    if (f.ok == 0) {
        if (s->json)
            printf("]}\n");
        free(h);
        return sts;
    }
    f.same = same_window(h, f.n, f.ref);
    if (s->json)
        print_total_json(h, &f);
    else
        print_total_text(h, &f);
    free(h);
    return f.ok == f.n ? 0 : sts;
}
