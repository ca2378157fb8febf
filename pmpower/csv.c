/*
 * csv.c: pmpower csv: time series of energy and power per instance.
 *
 * Columns: ts (ISO 8601 with microseconds and zone), then per instance
 * <label>_energy_j (energy since the first row), <label>_power_w (the
 * counter's rate over the step: the exact mean power of the step, nothing
 * lost between rows) and, with --smooth N, <label>_power_w_avgN.
 */
#include "pmpower.h"
#include "stats.h"
#include "timeparse.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct column {
    int           metric;        /* index into the metric array */
    int           inst;
    char          label[512];
    FILE         *fp;            /* its own file with --separate-files */
    bool          have;          /* a previous reading */
    bool          fresh;         /* a reading in this row */
    double        last_raw;      /* the counter's latest reading, at last_t */
    double        last_t;
    double        energy;        /* since the first reading */
    double        power;         /* over the latest step; NAN before the second reading */
    struct movavg avg;
};

struct csv_run {
    struct pp_ctx     *ctx;
    struct pp_metric  *m;
    size_t             nm;
    struct column     *cols;
    size_t             ncols;
    int                smooth;
    bool               separate;
    const char        *path;
    FILE              *fp;       /* the one file */
    bool               warned_new;
};

static void
csv_usage(FILE *fp)
{
    fprintf(fp,
        "Usage: %s csv [-h HOST | -a ARCHIVE] -o PATH [-t INTERVAL] [-s SAMPLES] [-S START] [-T END]\n"
        "              [--smooth N] [--separate-files] [METRIC...]\n"
        "Energy and power per instance as CSV: ts, <label>_energy_j, <label>_power_w[, _avgN].\n"
        "  -o PATH            output file (- for stdout); with --separate-files a prefix:\n"
        "                     one PATH<label>.csv per instance\n"
        "  -t INTERVAL        step between rows [1s]\n"
        "  -s SAMPLES         rows to write (live default: until interrupted; archive: to its end)\n"
        "  --smooth N         add a moving average of the power over N rows\n"
        "  METRIC             energy counters or their parents [power.system power.rapl power.meter\n"
        "                     power.vm power.soc power.battery]\n", pp_progname);
}

static const char *default_metrics[] = {
    "power.system", "power.rapl", "power.meter", "power.vm", "power.soc", "power.battery", NULL
};

static void
sanitize(char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            *s = '_';
}

/* power.meter.total.energy -> "meter_total" */
static void
metric_label(const char *name, char *buf, size_t size)
{
    const char *p = strncmp(name, "power.", 6) == 0 ? name + 6 : name;
    size_t len = strlen(p);

    if (len > 7 && strcmp(p + len - 7, ".energy") == 0)
        len -= 7;
    snprintf(buf, size, "%.*s", (int)len, p);
    sanitize(buf);
}

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
                        pp_progname, args[a]);
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
                        "or their parents\n", pp_progname, leaves[i]);
            free(leaves[i]);
        }
        free(leaves);
        if (!added && explicit_args) {
            fprintf(stderr, "%s: no energy counter under \"%s\"\n", pp_progname, args[a]);
            for (size_t i = 0; i < n; i++)
                free((char *)m[i].name);
            free(m);
            return -1;
        }
    }
    *out = m;
    return (int)n;
}

static int
open_column_file(struct csv_run *run, struct column *col)
{
    char path[PATH_MAX + 300];

    snprintf(path, sizeof(path), "%s%s.csv", run->path, col->label);
    if ((col->fp = fopen(path, "w")) == NULL) {
        fprintf(stderr, "%s: cannot write %s: %s\n", pp_progname, path, strerror(errno));
        return -1;
    }
    fprintf(col->fp, "ts,%s_energy_j,%s_power_w", col->label, col->label);
    if (run->smooth)
        fprintf(col->fp, ",%s_power_w_avg%d", col->label, run->smooth);
    fputc('\n', col->fp);
    return 0;
}

static int
add_column(struct csv_run *run, int metric, int inst)
{
    struct column *grown = realloc(run->cols, (run->ncols + 1) * sizeof(*grown)), *col;
    char base[200];

    if (!grown)
        return -1;
    run->cols = grown;
    col = &run->cols[run->ncols];
    memset(col, 0, sizeof(*col));
    col->metric = metric;
    col->inst = inst;
    metric_label(run->m[metric].name, base, sizeof(base));
    if (inst == PP_IN_NULL)
        snprintf(col->label, sizeof(col->label), "%s", base);
    else {
        char inst_name[200];
        snprintf(inst_name, sizeof(inst_name), "%s",
                 pp_inst_name(run->ctx, run->m[metric].desc.indom, inst));
        sanitize(inst_name);
        snprintf(col->label, sizeof(col->label), "%s_%s", base, inst_name);
    }
    if (run->smooth && movavg_init(&col->avg, (size_t)run->smooth) < 0)
        return -1;
    if (run->separate && open_column_file(run, col) < 0)
        return -1;
    run->ncols++;
    return 0;
}

static struct column *
find_column(struct csv_run *run, int metric, int inst)
{
    for (size_t i = 0; i < run->ncols; i++)
        if (run->cols[i].metric == metric && run->cols[i].inst == inst)
            return &run->cols[i];
    return NULL;
}

/* Columns from the instances: all the archive ever held, or those live now. */
static int
build_columns(struct csv_run *run, const pmHighResResult *first)
{
    for (size_t i = 0; i < run->nm; i++) {
        pmDesc *d = &run->m[i].desc;
        if (d->indom == PM_INDOM_NULL) {
            if (add_column(run, (int)i, PP_IN_NULL) < 0)
                return -1;
            continue;
        }
        if (run->ctx->archive) {
            int *insts = NULL, n;
            char **names = NULL;
            if ((n = pmGetInDomArchive(d->indom, &insts, &names)) > 0) {
                for (int j = 0; j < n; j++)
                    if (add_column(run, (int)i, insts[j]) < 0) {
                        free(insts);
                        free(names);
                        return -1;
                    }
            }
            free(insts);
            free(names);
        } else {
            pmValueSet *vs = first ? pp_vset(first, run->m, run->nm, i) : NULL;
            for (int j = 0; vs && j < vs->numval; j++)
                if (add_column(run, (int)i, vs->vlist[j].inst) < 0)
                    return -1;
        }
    }
    return 0;
}

static void
write_header(struct csv_run *run)
{
    if (run->separate)
        return;
    fputs("ts", run->fp);
    for (size_t i = 0; i < run->ncols; i++) {
        fprintf(run->fp, ",%s_energy_j,%s_power_w", run->cols[i].label, run->cols[i].label);
        if (run->smooth)
            fprintf(run->fp, ",%s_power_w_avg%d", run->cols[i].label, run->smooth);
    }
    fputc('\n', run->fp);
}

static void
put_number(FILE *fp, bool have, double v)
{
    fputc(',', fp);
    if (have && isfinite(v))
        fprintf(fp, "%.6f", v);
}

/* Take this row's readings into the columns: fresh ones get a step power. */
static void
take_readings(struct csv_run *run, const pmHighResResult *r, double t)
{
    for (size_t i = 0; i < run->ncols; i++)
        run->cols[i].fresh = false;
    for (size_t i = 0; i < run->nm; i++) {
        pmValueSet *vs = pp_vset(r, run->m, run->nm, i);
        for (int j = 0; vs && j < vs->numval; j++) {
            struct column *col = find_column(run, (int)i, vs->vlist[j].inst);
            double v;
            if (!col) {
                if (!run->warned_new)
                    fprintf(stderr, "%s: warning: instance \"%s\" of %s appeared after the first row: "
                            "it is not in the CSV (restart pmpower csv to include it)\n", pp_progname,
                            pp_inst_name(run->ctx, run->m[i].desc.indom, vs->vlist[j].inst),
                            run->m[i].name);
                run->warned_new = true;
                continue;
            }
            if (pp_double(vs, &run->m[i].desc, j, &v) <= 0)
                continue;
            col->power = NAN;
            if (col->have) {
                double step = v >= col->last_raw ? v - col->last_raw
                                                 : v;   /* the agent restarted: counting from zero */
                col->energy += step;
                if (t > col->last_t)
                    col->power = step / (t - col->last_t);
            }
            col->last_raw = v;
            col->last_t = t;
            col->have = col->fresh = true;
        }
    }
}

static bool
write_row(struct csv_run *run, const pmHighResResult *r)
{
    double t = pp_time(&r->timestamp);
    char ts[64];

    timeparse_format(t, false, ts, sizeof(ts));
    take_readings(run, r, t);
    if (run->ctx->archive) {
        /* before the first sample of anything the archive interpolates nothing: skip */
        bool any = false;
        for (size_t i = 0; i < run->ncols && !any; i++)
            any = run->cols[i].fresh;
        if (!any)
            return false;
    }
    if (!run->separate)
        fputs(ts, run->fp);
    for (size_t i = 0; i < run->ncols; i++) {
        struct column *col = &run->cols[i];
        FILE *fp = run->separate ? col->fp : run->fp;
        double avg = NAN;
        if (run->smooth && col->fresh && isfinite(col->power))
            avg = movavg_push(&col->avg, col->power);
        if (run->separate)
            fputs(ts, fp);
        put_number(fp, col->fresh, col->energy);
        put_number(fp, col->fresh, col->power);
        if (run->smooth)
            put_number(fp, true, avg);
        if (run->separate) {
            fputc('\n', fp);
            fflush(fp);
        }
    }
    if (!run->separate) {
        fputc('\n', run->fp);
        fflush(run->fp);
    }
    return true;
}

static void
close_run(struct csv_run *run)
{
    for (size_t i = 0; i < run->ncols; i++) {
        if (run->cols[i].fp)
            fclose(run->cols[i].fp);
        movavg_free(&run->cols[i].avg);
    }
    free(run->cols);
    if (run->fp && run->fp != stdout)
        fclose(run->fp);
    else if (run->fp)
        fflush(run->fp);
    for (size_t i = 0; i < run->nm; i++)
        free((char *)run->m[i].name);
    free(run->m);
}

int
cmd_csv(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'h' },
        { "archive", required_argument, NULL, 'a' },
        { "start", required_argument, NULL, 'S' },
        { "finish", required_argument, NULL, 'T' },
        { "interval", required_argument, NULL, 't' },
        { "samples", required_argument, NULL, 's' },
        { "output", required_argument, NULL, 'o' },
        { "smooth", required_argument, NULL, 'm' },
        { "separate-files", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, '?' },
        { NULL, 0, NULL, 0 }
    };
    const char *host = NULL, *archive = NULL, *start_s = NULL, *end_s = NULL, *path = NULL;
    double interval = 1.0, start, end, next;
    long samples = -1, written = 0;
    int c, sts = 0, n;
    char *endp;
    struct pp_ctx ctx;
    struct csv_run run;
    pmHighResResult *r;

    memset(&run, 0, sizeof(run));
    optind = 1;
    while ((c = getopt_long(argc, argv, "h:a:S:T:t:s:o:?", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': host = optarg; break;
        case 'a': archive = optarg; break;
        case 'S': start_s = optarg; break;
        case 'T': end_s = optarg; break;
        case 'o': path = optarg; break;
        case 'f': run.separate = true; break;
        case 't':
            if (pp_parse_interval(optarg, "-t", &interval) < 0 || interval <= 0) {
                if (interval <= 0)
                    fprintf(stderr, "%s: -t must be more than zero\n", pp_progname);
                return 2;
            }
            break;
        case 's':
            samples = strtol(optarg, &endp, 10);
            if (*endp || samples < 1) {
                fprintf(stderr, "%s: -s takes a count of rows, not \"%s\"\n", pp_progname, optarg);
                return 2;
            }
            break;
        case 'm':
            run.smooth = (int)strtol(optarg, &endp, 10);
            if (*endp || run.smooth < 1 || run.smooth > 100000) {
                fprintf(stderr, "%s: --smooth takes a count of rows, not \"%s\"\n", pp_progname, optarg);
                return 2;
            }
            break;
        default:
            csv_usage(c == '?' && optopt == 0 ? stdout : stderr);
            return c == '?' && optopt == 0 ? 0 : 2;
        }
    }
    if (!path) {
        fprintf(stderr, "%s: csv needs -o PATH (a file, - for stdout, or a prefix with --separate-files)\n",
                pp_progname);
        return 2;
    }
    if (run.separate && strcmp(path, "-") == 0) {
        fprintf(stderr, "%s: --separate-files needs -o PREFIX, not stdout\n", pp_progname);
        return 2;
    }
    if (host && archive) {
        fprintf(stderr, "%s: give -h HOST or -a ARCHIVE, not both\n", pp_progname);
        return 2;
    }
    if (pp_open(&ctx, host, archive) < 0)
        return 1;
    run.ctx = &ctx;
    run.path = path;
    if (optind < argc)
        n = expand_metrics((const char **)argv + optind, (size_t)(argc - optind), true, &run.m);
    else
        n = expand_metrics(default_metrics, 6, false, &run.m);
    if (n <= 0) {
        if (n == 0)
            fprintf(stderr, "%s: %s \"%s\" has no power energy counters: %s\n", pp_progname,
                    archive ? "archive" : "host", ctx.source,
                    archive ? "log power.* with the power pmlogconf group"
                            : "install the power agent (cd $PCP_PMDAS_DIR/power && ./Install)");
        pp_close(&ctx);
        return 1;
    }
    run.nm = (size_t)n;

    start = ctx.archive ? ctx.start : pp_now();
    end = ctx.end;
    if ((start_s && pp_parse_time(&ctx, start_s, false, &start) < 0) ||
        (end_s && pp_parse_time(&ctx, end_s, true, &end) < 0)) {
        sts = 2;
        goto done;
    }
    if (pp_window_check(&ctx, &start, &end, false) != 0) {
        sts = 1;
        goto done;
    }
    if (!run.separate) {
        if (strcmp(path, "-") == 0)
            run.fp = stdout;
        else if ((run.fp = fopen(path, "w")) == NULL) {
            fprintf(stderr, "%s: cannot write %s: %s\n", pp_progname, path, strerror(errno));
            sts = 1;
            goto done;
        }
    }
    pp_catch_signals();

    if (ctx.archive) {
        if ((sts = pp_set_interp(&ctx, start, interval)) < 0) {
            fprintf(stderr, "%s: cannot position the archive: %s\n", pp_progname, pmErrStr(sts));
            sts = 1;
            goto done;
        }
        if (build_columns(&run, NULL) < 0) {
            sts = 1;
            goto done;
        }
        write_header(&run);
        while (!pp_stop && (samples < 0 || written < samples) && pp_fetch(run.m, run.nm, &r) >= 0) {
            if (pp_time(&r->timestamp) > end + 1e-6) {
                pmFreeHighResResult(r);
                break;
            }
            if (write_row(&run, r))
                written++;
            pmFreeHighResResult(r);
        }
        sts = 0;
        goto done;
    }

    /* live: rows on a fixed schedule, until -s rows, -T, or SIGINT */
    pp_sleep_until(start);
    next = pp_now();
    while (!pp_stop && (samples < 0 || written < samples)) {
        /* rows on fresh agent samples, so each step holds whole agent intervals
         * and its power is exact (fetch times would alias against the agent's timer) */
        pp_wait_sample(&ctx, NULL, 10 * interval + 5);
        if ((sts = pp_fetch(run.m, run.nm, &r)) < 0) {
            fprintf(stderr, "%s: fetch failed: %s\n", pp_progname, pmErrStr(sts));
            sts = 1;
            break;
        }
        if (written == 0) {
            if (build_columns(&run, r) < 0) {
                pmFreeHighResResult(r);
                sts = 1;
                break;
            }
            write_header(&run);
        }
        write_row(&run, r);
        written++;
        pmFreeHighResResult(r);
        sts = 0;
        next += interval;
        if (next > end)
            break;
        if (samples < 0 || written < samples)
            pp_sleep_until(next);
    }
    if (pp_stop)
        fprintf(stderr, "%s: interrupted after %ld rows; files flushed\n", pp_progname, written);
done:
    close_run(&run);
    pp_close(&ctx);
    return sts;
}
