/*
 * csv.c: pmpower csv: time series of energy and power per instance
 * (csvtable.h), over an archive at a fixed step or live on the agent's
 * fresh samples, until -s rows, -T, or an interrupt.
 */
#include "commands.h"
#include "csvtable.h"
#include "energy.h"
#include "options.h"
#include "stop.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *default_metrics[] = {
    "power.system", "power.rapl", "power.meter", "power.vm", "power.soc", "power.battery", "power.gpu",
    "power.hwmon", NULL
};

static bool
ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);

    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* Expand the METRIC arguments into energy counters; returns how many or -1. */
static int
expand_metrics(const char **args, size_t nargs, bool explicit_args, struct pp_metric **out)
{
    struct pp_metric *m = NULL;
    size_t n = 0;

    for (size_t a = 0; a < nargs; a++) {
        char **leaves = NULL;
        int count = pp_children(args[a], &leaves), added = 0;

        if (count < 0) {
            if (explicit_args) {
                fprintf(stderr, "%s: no metric \"%s\" here: list them with pminfo power\n",
                        pmGetProgname(), args[a]);
                free(m);
                return -1;
            }
            continue;
        }
        for (int i = 0; i < count; i++) {
            bool leaf_named = count == 1 && strcmp(leaves[i], args[a]) == 0;
            struct pp_metric one = { .name = leaves[i] };
            if ((leaf_named || ends_with(leaves[i], ".energy")) && pp_lookup(&one, 1) == 1 &&
                one.desc.sem == PM_SEM_COUNTER && one.desc.type != PM_TYPE_STRING) {
                struct pp_metric *grown = realloc(m, (n + 1) * sizeof(*m));
                if (grown) {
                    m = grown;
                    m[n++] = one;
                    added++;
                    continue;
                }
            }
            if (leaf_named && explicit_args)
                fprintf(stderr, "%s: %s is not an energy counter: give power.*.energy metrics "
                        "or their parents\n", pmGetProgname(), leaves[i]);
            free(leaves[i]);
        }
        free(leaves);
        if (!added && explicit_args) {
            fprintf(stderr, "%s: no energy counter under \"%s\"\n", pmGetProgname(), args[a]);
            for (size_t i = 0; i < n; i++)
                free((char *)m[i].name);
            free(m);
            return -1;
        }
    }
    *out = m;
    return (int)n;
}

/* Over an archive: rows interpolated every interval from start to end. */
static int
archive_rows(struct csv_table *tab, double start, double end, double interval, long samples)
{
    pmHighResResult *r;
    long written = 0;
    int sts;

    if ((sts = pp_set_interp(tab->ctx, start, interval)) < 0) {
        fprintf(stderr, "%s: cannot position the archive: %s\n", pmGetProgname(), pmErrStr(sts));
        return 1;
    }
    if (csv_table_columns(tab, NULL) < 0)
        return 1;
    csv_table_header(tab);
    while (!pp_stop_requested() && (samples == 0 || written < samples) &&
           pp_fetch(tab->m, tab->nm, &r) >= 0) {
        if (pp_time(&r->timestamp) > end + 1e-6) {
            pmFreeHighResResult(r);
            break;
        }
        if (csv_table_row(tab, r))
            written++;
        pmFreeHighResResult(r);
    }
    return 0;
}

/* Live: rows on a fixed schedule, until -s rows, -T, or an interrupt. */
static int
live_rows(struct csv_table *tab, double start, double end, double interval, long samples)
{
    pmHighResResult *r;
    long written = 0;
    double next;
    int sts = 0;

    pp_sleep_until(start);
    next = pp_now();
    while (!pp_stop_requested() && (samples == 0 || written < samples)) {
        /* rows on fresh agent samples, so each step holds whole agent intervals
         * and its power is exact (fetch times would alias against the agent's timer) */
        pp_wait_sample(tab->ctx, NULL, 10 * interval + 5);
        if ((sts = pp_fetch(tab->m, tab->nm, &r)) < 0) {
            fprintf(stderr, "%s: fetch failed: %s\n", pmGetProgname(), pmErrStr(sts));
            return 1;
        }
        if (written == 0) {
            if (csv_table_columns(tab, r) < 0) {
                pmFreeHighResResult(r);
                return 1;
            }
            csv_table_header(tab);
        }
        csv_table_row(tab, r);
        written++;
        pmFreeHighResResult(r);
        sts = 0;
        next += interval;
        if (next > end)
            break;
        if (samples == 0 || written < samples)
            pp_sleep_until(next);
    }
    if (pp_stop_requested())
        fprintf(stderr, "%s: interrupted after %ld rows; files flushed\n", pmGetProgname(), written);
    return sts;
}

struct csv_settings {
    const char *path;
    long        samples;       /* rows to write; 0: to the end */
    long        smooth;
    bool        separate;
    const char *vms;           /* --vms: exported, attributed or either */
};

/* --vms: the per-VM counters, exported (Scaphandre's) before attributed */
static const char *vm_metrics[][3] = {
    { "power.vm.energy", "power.vm.attributed.energy", NULL },     /* either */
    { "power.vm.energy", NULL, NULL },                             /* exported */
    { "power.vm.attributed.energy", NULL, NULL },                  /* attributed */
};

static int
csv_option(void *state, const char *name, const char *arg)
{
    struct csv_settings *s = state;

    if (strcmp(name, "output") == 0)
        s->path = arg;
    else if (strcmp(name, "separate-files") == 0)
        s->separate = true;
    else if (strcmp(name, "samples") == 0)
        return pp_parse_count(arg, "-s", LONG_MAX, &s->samples);
    else if (strcmp(name, "smooth") == 0)
        return pp_parse_count(arg, "--smooth", 100000, &s->smooth);
    else if (strcmp(name, "vms") == 0) {
        if (strcmp(arg, "either") && strcmp(arg, "exported") && strcmp(arg, "attributed")) {
            fprintf(stderr, "%s: --vms takes either, exported or attributed, not \"%s\"\n", pmGetProgname(), arg);
            return 2;
        }
        s->vms = arg;
    }
    return 0;
}

static int
csv_check(void *state, const struct pp_args *args)
{
    const struct csv_settings *s = state;

    if (args->have_interval && !(args->interval > 0)) {
        fprintf(stderr, "%s: -t must be more than zero\n", pmGetProgname());
        return 2;
    }
    if (!s->path) {
        fprintf(stderr, "%s: csv needs -o PATH (a file, - for stdout, or a prefix with --separate-files)\n",
                pmGetProgname());
        return 2;
    }
    if (s->vms && args->argc > 0) {
        fprintf(stderr, "%s: --vms chooses the metrics itself: give no METRIC with it\n", pmGetProgname());
        return 2;
    }
    if (s->separate && strcmp(s->path, "-") == 0) {
        fprintf(stderr, "%s: --separate-files needs -o PREFIX, not stdout\n", pmGetProgname());
        return 2;
    }
    return 0;
}

int
cmd_csv(int argc, char **argv)
{
    pmLongOptions longopts[] = {
        PMAPI_OPTIONS_TEXT("Energy and power per instance as CSV: ts, <label>_energy_j, <label>_power_w[, _avgN]."),
        PP_OPTIONS_SOURCE,
        { "output", 1, 'o', "PATH", "output file (- for stdout); with --separate-files a prefix:" },
        PMAPI_OPTIONS_TEXT("                        one PATH<label>.csv per instance"),
        { PMLONGOPT_INTERVAL, 1, 't', "INTERVAL", "step between rows [1s]" },
        { PMLONGOPT_SAMPLES, 1, 's', "N", "rows to write [live: until interrupted; archive: to its end]" },
        { PMLONGOPT_START, 1, 'S', "TIME", "first row [archive start; live: now]" },
        { PMLONGOPT_FINISH, 1, 'T', "TIME", "last row [archive end; live: until -s or interrupted]" },
        { "smooth", 1, 0, "N", "add a moving average of the power over N rows" },
        { "separate-files", 0, 0, 0, "one file per instance (-o is their prefix)" },
        { "vms", 1, 0, "FIGURE", "per-VM series named <vm>_energy_j, <vm>_power_w: FIGURE exported" },
        PMAPI_OPTIONS_TEXT("                        (power.vm), attributed (power.vm.attributed) or either"),
        PMAPI_OPTIONS_TEXT("                        (exported where a VM has it, else attributed)"),
        PP_OPT_TIME_TEXT,
        PMAPI_OPTIONS_TEXT("METRIC: energy counters or their parents [power.system power.rapl power.meter"),
        PMAPI_OPTIONS_TEXT("        power.vm power.soc power.battery power.gpu power.hwmon]"),
        PP_OPTIONS_END
    };
    struct csv_settings s = { 0 };
    const struct pp_command_line cl = {
        .synopsis = "csv [-h HOST | -a ARCHIVE] -o PATH [-t INTERVAL] [-s SAMPLES] [-S START] [-T END]\n"
                    "              [--smooth N] [--separate-files] [--vms FIGURE | METRIC...]",
        .short_options = "h:a:S:T:t:s:o:?",
        .long_options = longopts,
        .operands = true,
        .option = csv_option,
        .check = csv_check,
        .state = &s,
    };
    struct pp_args args;
    struct pp_ctx ctx;
    struct csv_table tab = { 0 };
    double start, end;
    int sts, n;

    if (!pp_options_parse(argc, argv, &cl, &args, &ctx, &sts))
        return sts;
    tab.ctx = &ctx;
    tab.path = s.path;
    tab.smooth = (int)s.smooth;
    tab.separate = s.separate;
    if (s.vms) {
        int k = strcmp(s.vms, "either") == 0 ? 0 : strcmp(s.vms, "exported") == 0 ? 1 : 2;
        tab.bare_names = true;
        n = expand_metrics(vm_metrics[k], k == 0 ? 2 : 1, false, &tab.m);
    } else if (args.argc > 0)
        n = expand_metrics((const char **)args.argv, (size_t)args.argc, true, &tab.m);
    else
        n = expand_metrics(default_metrics, sizeof(default_metrics) / sizeof(default_metrics[0]) - 1, false, &tab.m);
    if (n <= 0) {
        if (n == 0)
            fprintf(stderr, "%s: %s \"%s\" has no power energy counters: %s\n", pmGetProgname(),
                    ctx.archive ? "archive" : "host", ctx.source,
                    ctx.archive ? "log power.* with the power pmlogconf group"
                                : "install the power agent (cd $PCP_PMDAS_DIR/power && ./Install)");
        pp_close(&ctx);
        return 1;
    }
    tab.nm = (size_t)n;
    if ((sts = pp_window_resolve(&ctx, args.start, args.finish, &start, &end)) != 0)
        goto done;
    if (!tab.separate) {
        if (strcmp(tab.path, "-") == 0)
            tab.fp = stdout;
        else if ((tab.fp = fopen(tab.path, "w")) == NULL) {
            fprintf(stderr, "%s: cannot write %s: %s\n", pmGetProgname(), tab.path, strerror(errno));
            sts = 1;
            goto done;
        }
    }
    pp_stop_on_signals();
    if (ctx.archive)
        sts = archive_rows(&tab, start, end, args.have_interval ? args.interval : 1.0, s.samples);
    else
        sts = live_rows(&tab, start, end, args.have_interval ? args.interval : 1.0, s.samples);
done:
    csv_table_close(&tab);
    pp_close(&ctx);
    return sts;
}
