/*
 * fleet.c: pmpower report over several archives, one host each (several -a,
 * or a pmlogger farm's directory, farm.h). Each host is reported by report
 * itself, run again with the command line it was given and the host's
 * archive in place of the -a options, so a host's report is exactly what
 * report gives for that archive alone. Then the fleet's total over the
 * window: the sum of the hosts' power.system energies, read again here; a
 * host without data in the window leaves the total unknown rather than
 * short.
 */
#include "energy.h"
#include "json.h"
#include "fleet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* windows that differ by more than this were read against different archives */
#define SAME_WINDOW_S 1e-3

struct fleet_host {
    char        hostname[256];
    const char *archive;
    int         status;
    double      start, end;      /* the window as measured */
    double      joules;          /* power.system's energy in it */
    char        sources[256];    /* power.system.source values seen */
};

struct fleet_sum {
    size_t n, ok, ref;        /* hosts, hosts with data, the first of them (its window is shown) */
    double joules, watts;
    bool   same;
};

/* The argument list without its -a options (as pmgetopt_r reads them with
 * the command's own options: "-a X", "-aX", "--archive X", "--archive=X",
 * or an a at the end of a cluster, "-ja X"), then "-a ARCHIVE". NULL when
 * out of memory; every string is the list's own (argv_free). */
static char **
host_argv(int argc, char **argv, const struct pp_command_line *cl, const char *archive, int *outc)
{
    pmOptions o = { .short_options = cl->short_options, .long_options = cl->long_options,
                    .flags = PM_OPTFLAG_POSIX | PM_OPTFLAG_QUIET };
    bool *drop = calloc((size_t)argc + 1, sizeof(*drop));
    char **out = calloc((size_t)argc + 3, sizeof(*out));
    size_t *cut = calloc((size_t)argc + 1, sizeof(*cut));    /* keep only this many chars (0: all) */
    int c, n = 0;

    if (!drop || !out || !cut) {
        free(drop), free(out), free(cut);
        return NULL;
    }
    while ((c = pmgetopt_r(argc, argv, &o)) != EOF) {
        int at = o.optind - 1;
        bool separate;
        const char *opt;

        if (c != 'a' || at < 1)
            continue;
        separate = o.optarg == argv[at];    /* the value is an argument of its own */
        if (separate)
            drop[at--] = true;
        opt = argv[at];
        if (strncmp(opt, "--", 2) == 0)
            drop[at] = true;                                       /* --archive X, --archive=X */
        else if (separate && strlen(opt) == 2)
            drop[at] = true;                                       /* -a X */
        else if (separate)
            cut[at] = strlen(opt) - 1;                             /* -ja X: keep -j */
        else if (o.optarg == opt + 2)
            drop[at] = true;                                       /* -aX */
        else
            cut[at] = (size_t)(o.optarg - opt) - 1;                /* -jaX: keep -j */
    }
    out[n++] = strdup(argv[0]);
    for (int i = 1; i < argc; i++)
        if (!drop[i])
            out[n++] = cut[i] ? strndup(argv[i], cut[i]) : strdup(argv[i]);
    out[n++] = strdup("-a");
    out[n++] = strdup(archive);
    free(drop);
    free(cut);
    *outc = n;
    for (int i = 0; i < n; i++)
        if (!out[i]) {
            for (int k = 0; k < n; k++)
                free(out[k]);
            free(out);
            return NULL;
        }
    return out;
}

static void
argv_free(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* The host's name, and (energy) its power.system energy over the window
 * report just measured. */
static int
measure(struct fleet_host *h, const struct pp_args *args, bool energy)
{
    struct pp_ctx ctx;
    struct pp_metric m[S_COUNT];
    struct pp_window_result r;
    double start, end;
    int sts;

    if (pp_open(&ctx, NULL, h->archive) < 0)
        return 1;
    snprintf(h->hostname, sizeof(h->hostname), "%s", ctx.hostname);
    if (!energy) {
        pp_close(&ctx);
        return 0;
    }
    pp_series_init(m);
    pp_lookup(m, S_COUNT);
    if ((sts = pp_window_resolve(&ctx, args->start, args->finish, &start, &end)) == 0 &&
        (sts = pp_window_energy(&ctx, m, start, end, false, &r)) == 0) {
        h->start = r.start;
        h->end = r.end;
        h->joules = pp_system_joules(&r);
        snprintf(h->sources, sizeof(h->sources), "%s", r.sources);
        pp_window_result_free(&r);
        if (isnan(h->joules)) {
            fprintf(stderr, "%s: %s: no power.system energy in the window\n", pmGetProgname(), h->archive);
            sts = 1;
        }
    }
    pp_close(&ctx);
    return sts;
}

static double
mean_w(const struct fleet_host *h)
{
    return h->end > h->start ? h->joules / (h->end - h->start) : NAN;
}

/* whether every host with data measured the window of the reference host */
static bool
same_window(const struct fleet_host *h, size_t n, size_t ref)
{
    for (size_t i = 0; i < n; i++)
        if (h[i].status == 0 && (fabs(h[i].start - h[ref].start) > SAME_WINDOW_S ||
                                 fabs(h[i].end - h[ref].end) > SAME_WINDOW_S))
            return false;
    return true;
}

static void
print_total_text(const struct fleet_host *h, const struct fleet_sum *f)
{
    char a[64], b[64];
    const struct fleet_host *w = &h[f->ref];

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
        printf("%-28s %14.3f %12.6f %10.3f  %s\n", h[i].hostname, h[i].joules, h[i].joules / 3600.0,
               mean_w(&h[i]), h[i].sources);
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
        json_more_number(stdout, "joules", h[i].status ? NAN : h[i].joules);
        json_more_number(stdout, "mean_w", h[i].status ? NAN : mean_w(&h[i]));
        printf("}");
    }
    printf("],\"start\":");
    json_number(stdout, f->ok ? h[f->ref].start : NAN);
    json_more_number(stdout, "end", f->ok ? h[f->ref].end : NAN);
    printf(",\"same_window\":%s,\"joules\":", f->same ? "true" : "false");
    json_number(stdout, all ? f->joules : NAN);
    json_more_number(stdout, "wh", all ? f->joules / 3600.0 : NAN);
    json_more_number(stdout, "mean_w", all ? f->watts : NAN);
    printf("}}\n");
}

int
report_fleet(int argc, char **argv, const struct pp_command_line *cl, struct pp_args *args, bool json,
             int (*report_one)(int argc, char **argv))
{
    struct fleet_host *h = calloc(args->narchives, sizeof(*h));
    struct fleet_sum f = { .n = args->narchives, .same = true };
    int sts = 0;

    if (!h) {
        fprintf(stderr, "%s: out of memory\n", pmGetProgname());
        pp_args_free(args);
        return 1;
    }
    if (json)
        printf("{\"reports\":[");
    for (size_t i = 0; i < f.n; i++) {
        int hargc;
        char **hargv = host_argv(argc, argv, cl, args->archives[i], &hargc);

        h[i].archive = args->archives[i];
        snprintf(h[i].hostname, sizeof(h[i].hostname), "%s", args->archives[i]);
        if (i > 0)
            printf(json ? "," : "\n");
        fflush(stdout);
        if (!hargv) {
            fprintf(stderr, "%s: out of memory\n", pmGetProgname());
            h[i].status = 1;
        } else {
            h[i].status = report_one(hargc, hargv);
            argv_free(hargv, hargc);
            if (json && h[i].status != 0)
                printf("null");    /* a host that printed no report keeps its place */
            if (h[i].status == 0)
                h[i].status = measure(&h[i], args, true);
            else
                measure(&h[i], args, false);
        }
        fflush(stdout);
        if (h[i].status == 0) {
            if (f.ok++ == 0)
                f.ref = i;
            f.joules += h[i].joules;
            f.watts += mean_w(&h[i]);
        } else if (h[i].status > sts)
            sts = h[i].status;
    }
    if (f.ok)
        f.same = same_window(h, f.n, f.ref);
    if (json)
        print_total_json(h, &f);
    else if (f.ok)
        print_total_text(h, &f);
    /* the archives' names are args', which the table used */
    pp_args_free(args);
    free(h);
    return f.ok == f.n ? 0 : sts;
}
