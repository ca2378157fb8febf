/*
 * top.c: pmpower top: live power by process and cgroup, plain ANSI.
 * With -n N (or when standard output is not a terminal) frames are printed
 * one after another with no escape codes, for scripts and tests.
 */
#include "commands.h"
#include "options.h"
#include "series.h"
#include "stop.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

enum {
    T_SYS_POWER, T_SOURCE, T_PROC, T_CGROUP, T_RAPL, T_METER, T_VM, T_SOC, T_BATTERY, T_GPU, T_HWMON, T_MODEL,
    T_INTERVAL, T_UNATTR, T_COUNT
};

static const char *top_metrics[T_COUNT] = {
    [T_SYS_POWER] = "power.system.power", [T_SOURCE] = "power.system.source",
    [T_PROC] = "power.proc.power", [T_CGROUP] = "power.cgroup.power",
    [T_RAPL] = "power.rapl.power", [T_METER] = "power.meter.power", [T_VM] = "power.vm.power",
    [T_SOC] = "power.soc.power", [T_BATTERY] = "power.battery.power",
    [T_GPU] = "power.gpu.power", [T_HWMON] = "power.hwmon.power", [T_MODEL] = "power.model.power",
    [T_INTERVAL] = "power.control.interval", [T_UNATTR] = "power.proc.unattributed.energy",
};
static const char *top_prefix[T_COUNT] = {
    [T_RAPL] = "rapl", [T_METER] = "meter", [T_VM] = "vm", [T_SOC] = "soc",
    [T_BATTERY] = "battery", [T_GPU] = "gpu", [T_HWMON] = "hwmon", [T_MODEL] = "model",
};

/* the instances of metric which, by watts */
static size_t
sorted_rows(const pmHighResResult *r, struct pp_metric *m, int which, struct pp_ranked **out)
{
    pmValueSet *vs = pp_vset(r, m, T_COUNT, (size_t)which);
    struct pp_ranked *rows;
    size_t n = 0;

    *out = NULL;
    if (!vs || vs->numval <= 0 || (rows = calloc((size_t)vs->numval, sizeof(*rows))) == NULL)
        return 0;
    for (int j = 0; j < vs->numval; j++) {
        double v;
        if (pp_double(vs, &m[which].desc, j, &v) > 0) {
            rows[n].inst = vs->vlist[j].inst;
            rows[n].value = v;
            n++;
        }
    }
    pp_rank(rows, n);
    *out = rows;
    return n;
}

static void
frame(struct pp_ctx *c, struct pp_metric *m, const pmHighResResult *r, int rows_max, double interval)
{
    double sys = NAN;
    char *source = NULL, when[64];
    struct pp_ranked *rows;
    size_t n;
    int shown;
    time_t now = (time_t)pp_time(&r->timestamp);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(when, sizeof(when), "%H:%M:%S", &tm);
    pp_get_double(r, m, T_COUNT, T_SYS_POWER, PP_IN_NULL, &sys);
    {
        pmValueSet *vs = pp_vset(r, m, T_COUNT, T_SOURCE);
        if (vs && vs->numval > 0)
            pp_string(vs, &m[T_SOURCE].desc, 0, &source);
    }
    printf("pmpower top  %s  %s  every %g s\n", c->hostname, when, interval);
    if (isfinite(sys))
        printf("system  %9.2f W   source %s\n", sys, source ? source : "?");
    else
        printf("system  no value yet (source %s)\n", source ? source : "none");
    free(source);
    /* the sources' instances on one or two lines */
    {
        int col = 0;
        for (int s = T_RAPL; s <= T_MODEL; s++) {
            pmValueSet *vs = pp_vset(r, m, T_COUNT, (size_t)s);
            for (int j = 0; vs && j < vs->numval; j++) {
                double v;
                char label[300];
                if (pp_double(vs, &m[s].desc, j, &v) <= 0)
                    continue;
                if (m[s].desc.indom == PM_INDOM_NULL)
                    snprintf(label, sizeof(label), "%s", top_prefix[s]);
                else
                    snprintf(label, sizeof(label), "%s:%s", top_prefix[s],
                             pp_inst_name(c, m[s].desc.indom, vs->vlist[j].inst));
                col += printf("%s%s %.2f W", col ? "   " : "sources ", label, v);
                if (col > 70) {
                    putchar('\n');
                    col = 0;
                }
            }
        }
        if (col)
            putchar('\n');
    }
    putchar('\n');
    if (!m[T_PROC].ok)
        printf("processes: not available (no power.proc.power: enable the agent's attribution)\n");
    else {
        n = sorted_rows(r, m, T_PROC, &rows);
        printf("%8s %9s %7s  %s\n", "PID", "W", "share", "COMMAND");
        shown = 0;
        for (size_t i = 0; i < n && shown < rows_max; i++, shown++) {
            const char *name = pp_inst_name(c, m[T_PROC].desc.indom, rows[i].inst);
            printf("%8d %9.3f %6.1f%%  %s\n", rows[i].inst, rows[i].value,
                   sys > 0 ? 100 * rows[i].value / sys : 0.0, pp_proc_command(name));
        }
        if (n == 0)
            printf("%8s (no process has used CPU in the latest interval)\n", "");
        free(rows);
    }
    putchar('\n');
    if (!m[T_CGROUP].ok)
        printf("cgroups: not available (no power.cgroup.power)\n");
    else {
        n = sorted_rows(r, m, T_CGROUP, &rows);
        printf("%9s %7s  %s\n", "W", "share", "CGROUP");
        shown = 0;
        for (size_t i = 0; i < n && shown < rows_max / 2 + 1; i++, shown++)
            printf("%9.3f %6.1f%%  %s\n", rows[i].value, sys > 0 ? 100 * rows[i].value / sys : 0.0,
                   pp_inst_name(c, m[T_CGROUP].desc.indom, rows[i].inst));
        free(rows);
    }
    fflush(stdout);
}

struct top_settings {
    long iterations;       /* 0: until interrupted */
    long rows;             /* 0: fit the terminal */
};

static int
top_option(void *state, const char *name, const char *arg)
{
    struct top_settings *s = state;

    if (strcmp(name, "iterations") == 0)
        return pp_parse_count(arg, "-n", LONG_MAX, &s->iterations);
    if (strcmp(name, "rows") == 0)
        return pp_parse_count(arg, "--rows", INT_MAX, &s->rows);
    return 0;
}

int
cmd_top(int argc, char **argv)
{
    pmLongOptions longopts[] = {
        PMAPI_OPTIONS_TEXT("Live power by process and cgroup with the system total and source on top."),
        PP_OPTIONS_LIVE,
        { PMLONGOPT_INTERVAL, 1, 't', "INTERVAL", "refresh period [the agent's interval, at least 1 s]" },
        { "iterations", 1, 'n', "N", "N refreshes, printed one after another (batch mode)" },
        { "rows", 1, 'k', "K", "processes to show [fits the terminal]" },
        PP_OPTIONS_END
    };
    struct top_settings s = { 0 };
    const struct pp_command_line cl = {
        .synopsis = "top [-h HOST] [-t INTERVAL] [-n ITERATIONS] [--rows K]",
        .short_options = "h:a:n:t:k:?",
        .long_options = longopts,
        .live_only = "top shows a live host (-h); for an archive use pmpower report --top K",
        .option = top_option,
        .state = &s,
    };
    struct pp_args args;
    struct pp_ctx ctx;
    struct pp_metric m[T_COUNT];
    long done = 0;
    int rows, sts;
    double interval, next;
    bool tty = isatty(STDOUT_FILENO);

    if (!pp_options_parse(argc, argv, &cl, &args, &ctx, &sts))
        return sts;
    for (int i = 0; i < T_COUNT; i++)
        m[i] = (struct pp_metric){ .name = top_metrics[i] };
    pp_lookup(m, T_COUNT);
    if (!m[T_SYS_POWER].ok) {
        fprintf(stderr, "%s: host \"%s\" has no power metrics (power.system.power): install the agent "
                "(cd $PCP_PMDAS_DIR/power && ./Install)\n", pmGetProgname(), ctx.source);
        pp_close(&ctx);
        return 1;
    }
    interval = args.have_interval ? args.interval : 0;
    if (interval <= 0) {
        double iv = 1.0;
        pp_wait_sample(&ctx, &iv, 0);
        interval = iv < 1.0 ? 1.0 : iv;
    }
    rows = (int)s.rows;
    if (rows <= 0) {
        struct winsize ws;
        rows = 15;
        if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 12)
            rows = ws.ws_row - 10;
    }
    if (s.iterations > 0)
        tty = false;
    pp_stop_on_signals();
    next = pp_now();
    while (!pp_stop_requested() && (s.iterations == 0 || done < s.iterations)) {
        pmHighResResult *r;
        if ((sts = pp_fetch(m, T_COUNT, &r)) < 0) {
            fprintf(stderr, "%s: fetch failed: %s: is pmcd still running on %s?\n", pmGetProgname(),
                    pmErrStr(sts), ctx.source);
            sts = 1;
            break;
        }
        sts = 0;
        if (tty)
            fputs("\033[H\033[2J", stdout);
        else if (done)
            putchar('\n');
        frame(&ctx, m, r, rows, interval);
        pmFreeHighResResult(r);
        done++;
        if (s.iterations > 0 && done >= s.iterations)
            break;
        next += interval;
        pp_sleep_until(next);
    }
    pp_close(&ctx);
    return sts;
}
