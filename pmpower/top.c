/*
 * top.c: pmpower top: live power by process and cgroup, plain ANSI.
 * With -n N (or when standard output is not a terminal) frames are printed
 * one after another with no escape codes, for scripts and tests.
 */
#include "pmpower.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

enum {
    T_SYS_POWER, T_SOURCE, T_PROC, T_CGROUP, T_RAPL, T_METER, T_VM, T_SOC, T_BATTERY, T_MODEL,
    T_INTERVAL, T_UNATTR, T_COUNT
};

static const char *top_metrics[T_COUNT] = {
    [T_SYS_POWER] = "power.system.power", [T_SOURCE] = "power.system.source",
    [T_PROC] = "power.proc.power", [T_CGROUP] = "power.cgroup.power",
    [T_RAPL] = "power.rapl.power", [T_METER] = "power.meter.power", [T_VM] = "power.vm.power",
    [T_SOC] = "power.soc.power", [T_BATTERY] = "power.battery.power", [T_MODEL] = "power.model.power",
    [T_INTERVAL] = "power.control.interval", [T_UNATTR] = "power.proc.unattributed.energy",
};
static const char *top_prefix[T_COUNT] = {
    [T_RAPL] = "rapl", [T_METER] = "meter", [T_VM] = "vm", [T_SOC] = "soc",
    [T_BATTERY] = "battery", [T_MODEL] = "model",
};

struct row {
    int    inst;
    double watts;
};

static int
cmp_row(const void *a, const void *b)
{
    const struct row *x = a, *y = b;

    return x->watts < y->watts ? 1 : x->watts > y->watts ? -1 : x->inst - y->inst;
}

static size_t
sorted_rows(const pmHighResResult *r, struct pp_metric *m, int which, struct row **out)
{
    pmValueSet *vs = pp_vset(r, m, T_COUNT, (size_t)which);
    struct row *rows;
    size_t n = 0;

    *out = NULL;
    if (!vs || vs->numval <= 0 || (rows = calloc((size_t)vs->numval, sizeof(*rows))) == NULL)
        return 0;
    for (int j = 0; j < vs->numval; j++) {
        double v;
        if (pp_double(vs, &m[which].desc, j, &v) > 0) {
            rows[n].inst = vs->vlist[j].inst;
            rows[n].watts = v;
            n++;
        }
    }
    qsort(rows, n, sizeof(*rows), cmp_row);
    *out = rows;
    return n;
}

static void
frame(struct pp_ctx *c, struct pp_metric *m, const pmHighResResult *r, int rows_max, double interval)
{
    double sys = NAN;
    char *source = NULL, when[64];
    struct row *rows;
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
            printf("%8d %9.3f %6.1f%%  %s\n", rows[i].inst, rows[i].watts,
                   sys > 0 ? 100 * rows[i].watts / sys : 0.0, pp_proc_command(name));
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
            printf("%9.3f %6.1f%%  %s\n", rows[i].watts, sys > 0 ? 100 * rows[i].watts / sys : 0.0,
                   pp_inst_name(c, m[T_CGROUP].desc.indom, rows[i].inst));
        free(rows);
    }
    fflush(stdout);
}

int
cmd_top(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'h' },
        { "archive", required_argument, NULL, 'a' },
        { "iterations", required_argument, NULL, 'n' },
        { "interval", required_argument, NULL, 't' },
        { "rows", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, '?' },
        { NULL, 0, NULL, 0 }
    };
    const char *host = NULL;
    long iterations = -1, done = 0;
    int c, rows = 0, sts = 0;
    double interval = 0, next;
    bool tty = isatty(STDOUT_FILENO);
    char *endp;
    struct pp_ctx ctx;
    struct pp_metric m[T_COUNT];

    optind = 1;
    while ((c = getopt_long(argc, argv, "h:a:n:t:k:?", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': host = optarg; break;
        case 'a':
            fprintf(stderr, "%s: top shows a live host (-h); for an archive use pmpower report --top K\n",
                    pp_progname);
            return 2;
        case 'n':
            iterations = strtol(optarg, &endp, 10);
            if (*endp || iterations < 1) {
                fprintf(stderr, "%s: -n takes a count of refreshes, not \"%s\"\n", pp_progname, optarg);
                return 2;
            }
            break;
        case 't':
            if (pp_parse_interval(optarg, "-t", &interval) < 0)
                return 2;
            break;
        case 'k':
            rows = (int)strtol(optarg, &endp, 10);
            if (*endp || rows < 1) {
                fprintf(stderr, "%s: --rows takes a count, not \"%s\"\n", pp_progname, optarg);
                return 2;
            }
            break;
        default:
            fprintf(c == '?' && optopt == 0 ? stdout : stderr,
                    "Usage: %s top [-h HOST] [-t INTERVAL] [-n ITERATIONS] [--rows K]\n"
                    "Live power by process and cgroup with the system total and source on top.\n"
                    "  -t INTERVAL   refresh period [the agent's interval, at least 1 s]\n"
                    "  -n N          N refreshes, printed one after another (batch mode)\n"
                    "  --rows K      processes to show [fits the terminal]\n", pp_progname);
            return c == '?' && optopt == 0 ? 0 : 2;
        }
    }
    if (pp_open(&ctx, host, NULL) < 0)
        return 1;
    for (int i = 0; i < T_COUNT; i++) {
        memset(&m[i], 0, sizeof(m[i]));
        m[i].name = top_metrics[i];
    }
    pp_lookup(m, T_COUNT);
    if (!m[T_SYS_POWER].ok) {
        fprintf(stderr, "%s: host \"%s\" has no power metrics (power.system.power): install the agent "
                "(cd $PCP_PMDAS_DIR/power && ./Install)\n", pp_progname, ctx.source);
        pp_close(&ctx);
        return 1;
    }
    if (interval <= 0) {
        double iv = 1.0;
        pp_wait_sample(&ctx, &iv, 0);
        interval = iv < 1.0 ? 1.0 : iv;
    }
    if (rows <= 0) {
        struct winsize ws;
        rows = 15;
        if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 12)
            rows = ws.ws_row - 10;
    }
    if (iterations > 0)
        tty = false;
    pp_catch_signals();
    next = pp_now();
    while (!pp_stop && (iterations < 0 || done < iterations)) {
        pmHighResResult *r;
        if ((sts = pp_fetch(m, T_COUNT, &r)) < 0) {
            fprintf(stderr, "%s: fetch failed: %s: is pmcd still running on %s?\n", pp_progname,
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
        if (iterations > 0 && done >= iterations)
            break;
        next += interval;
        pp_sleep_until(next);
    }
    pp_close(&ctx);
    return sts;
}
