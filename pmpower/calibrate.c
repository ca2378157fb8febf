/*
 * calibrate.c: pmpower calibrate: measure the model's curve on this host.
 *
 * It steps the host's load, idle and then 1, 2, ... N CPUs busy with its
 * own burners (burners.h), holds each step until a reference the host has
 * (a wall meter, RAPL psys or package+dram, a battery on discharge, as the
 * agent publishes them) settles, and fits the model (calfit.h). Every
 * figure is a delta of the agent's counters over its own sample times
 * (power.control.sample_time, power.system.busy_time and cpu_time), read in
 * one fetch, so a loaded machine or a slow fetch shifts a window but never
 * mismatches its ends. With --write the [model] section of power.conf gets
 * the fit (modelconf.h); the agent re-reads it when the file changes.
 *
 * It refuses to start on a host busy with other work, and stops its
 * burners on an interrupt or an error (and they die with it in any case).
 */
#include "calibrate.h"
#include "commands.h"
#include "options.h"
#include "stop.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const cal_metric_names[C_COUNT] = {
    [C_SAMPLE_TIME]  = "power.control.sample_time",
    [C_BUSY]         = "power.system.busy_time",
    [C_CPU]          = "power.system.cpu_time",
    [C_METER]        = "power.meter.total.energy",
    [C_RAPL]         = "power.rapl.energy",
    [C_BATTERY]      = "power.battery.energy",
    [C_HWMON]        = "power.hwmon.energy",
    [C_DISCHARGING]  = "power.battery.discharging",
    [C_REASON]       = "power.source.reason",
};

static int
cal_option(void *state, const char *name, const char *arg)
{
    struct cal_settings *s = state;
    char *end;

    if (strcmp(name, "window") == 0 || strcmp(name, "step-time") == 0) {
        double v;
        if (pp_parse_interval(arg, strcmp(name, "window") == 0 ? "--window" : "--step-time", &v) < 0)
            return 2;
        if (!(v > 0)) {
            fprintf(stderr, "%s: --%s takes a duration above 0, not \"%s\"\n", pmGetProgname(), name, arg);
            return 2;
        }
        *(strcmp(name, "window") == 0 ? &s->window_s : &s->step_max_s) = v;
        return 0;
    }
    if (strcmp(name, "settle") == 0 || strcmp(name, "max-busy") == 0 || strcmp(name, "wall-ratio") == 0) {
        double v = strtod(arg, &end);
        bool ratio = strcmp(name, "wall-ratio") == 0;
        if (end == arg || *end || !isfinite(v) || v < 0 || (!ratio && v > 1) || (ratio && !(v >= 0.5 && v <= 10))) {
            fprintf(stderr, "%s: --%s takes %s, not \"%s\"\n", pmGetProgname(), name,
                    ratio ? "the wall/RAPL ratio of a sibling (0.5 to 10; power.system.wall_ratio there)"
                          : "a fraction from 0 to 1", arg);
            return 2;
        }
        *(strcmp(name, "settle") == 0 ? &s->settle : ratio ? &s->wall_ratio : &s->max_busy) = v;
        return 0;
    }
    if (strcmp(name, "cpus") == 0)
        return pp_parse_count(arg, "--cpus", BURNERS_MAX, &s->cpus);
    if (strcmp(name, "reference") == 0) {
        if (strcmp(arg, "meter") && strcmp(arg, "hwmon:power_meter") && strcmp(arg, "rapl:psys") &&
            strcmp(arg, "rapl:package+dram") && strcmp(arg, "battery")) {
            fprintf(stderr, "%s: --reference takes meter, hwmon:power_meter, rapl:psys, rapl:package+dram or "
                    "battery, not \"%s\"\n",
                    pmGetProgname(), arg);
            return 2;
        }
        s->reference = arg;
        return 0;
    }
    if (strcmp(name, "config") == 0) {
        s->config = arg;
        return 0;
    }
    if (strcmp(name, "write") == 0)
        s->write = true;
    return 0;
}

/* Sleep a poll, unless interrupted. False on an interrupt. */
static bool
poll_wait(struct cal *c)
{
    pp_sleep_until(pp_now() + c->poll_s);
    return !pp_stop_requested();
}

struct window {
    double seconds, watts, busy_cpus, util;
    double cpus;          /* all CPU time over the window's time: the CPUs there are */
};

/* Read until the agent's time has moved window_s past *start; the window's
 * figures from *start to the end, and *start becomes the end. 0, 1 on an
 * interrupt, -1 when the agent stopped answering or sampling. */
static int
hold_window(struct cal *c, struct reading *start, struct window *w)
{
    struct reading now;
    double deadline = pp_now() + 10 * c->set.window_s + 30;

    for (;;) {
        if (!poll_wait(c))
            return 1;
        if (!cal_read_now(c, &now)) {
            fprintf(stderr, "%s: the reference %s or the agent's counters stopped giving values\n",
                    pmGetProgname(), c->ref.name);
            return -1;
        }
        if (now.t - start->t >= c->set.window_s)
            break;
        if (pp_now() > deadline) {
            fprintf(stderr, "%s: the agent has not sampled for %.0f s: is it stuck?\n", pmGetProgname(),
                    pp_now() - deadline + 10 * c->set.window_s + 30);
            return -1;
        }
    }
    w->seconds = now.t - start->t;
    w->watts = (now.energy - start->energy) / w->seconds * c->set.wall_ratio;
    w->busy_cpus = (now.busy - start->busy) / w->seconds;
    w->util = now.cpu > start->cpu ? (now.busy - start->busy) / (now.cpu - start->cpu) : 0;
    w->cpus = (now.cpu - start->cpu) / w->seconds;
    *start = now;
    return 0;
}

/* Hold one step until two windows in a row agree within settle, or
 * step_max_s is up. 0, 1 on an interrupt, -1 on an error. */
static int
hold_step(struct cal *c, size_t k, struct cal_step *step, bool *settled)
{
    struct reading start;
    struct window w, prev = { 0 };
    double held = 0;
    int sts, windows = 0;

    if (burners_set(&c->burners, k) < 0) {
        fprintf(stderr, "%s: cannot start a burner: %s\n", pmGetProgname(), strerror(errno));
        return -1;
    }
    if (!cal_read_now(c, &start)) {
        fprintf(stderr, "%s: the reference %s has no value\n", pmGetProgname(), c->ref.name);
        return -1;
    }
    *settled = false;
    for (;;) {
        if ((sts = hold_window(c, &start, &w)) != 0)
            return sts;
        held += w.seconds;
        windows++;
        if (windows > 1 && fabs(w.watts - prev.watts) <= c->set.settle * fabs(prev.watts))
            *settled = true;
        if (*settled || held >= c->set.step_max_s)
            break;
        prev = w;
    }
    step->busy_cpus = w.busy_cpus;
    step->util = w.util;
    step->watts = w.watts;
    printf("step %zu: %zu burner%s, %.2f CPUs busy (%.1f%%), %.2f W, %s after %.0f s\n", k, k,
           k == 1 ? "" : "s", w.busy_cpus, 100 * w.util, w.watts,
           *settled ? "settled" : "NOT settled (--step-time reached)", held);
    fflush(stdout);
    return 0;
}

/* How busy the host is before any burner: the fraction of all its CPU time. */
static int
check_idle(struct cal *c, unsigned *ncpu)
{
    struct reading start;
    struct window w;
    int sts;

    if (!cal_read_now(c, &start)) {
        fprintf(stderr, "%s: the agent on %s publishes no power.system.busy_time or "
                "power.control.sample_time: a newer agent is needed\n", pmGetProgname(), c->ctx->source);
        return -1;
    }
    if ((sts = hold_window(c, &start, &w)) != 0)
        return sts;
    *ncpu = w.cpus >= 0.5 ? (unsigned)lround(w.cpus) : 0;
    printf("before the steps: the host was %.1f%% busy (%.2f CPUs) over %.1f s of the agent's time "
           "(limit %.0f%%, --max-busy)\n", 100 * w.util, w.busy_cpus, w.seconds, 100 * c->set.max_busy);
    if (w.util > c->set.max_busy) {
        fprintf(stderr, "%s: the host is %.1f%% busy (%.2f CPUs) with other work: calibrate needs it idle, "
                "or that work's power is taken for idle power and is added to every step, and the fit "
                "is off by it. Stop that work, or allow it with --max-busy %.2f\n", pmGetProgname(),
                100 * w.util, w.busy_cpus, w.util + 0.05 > 1 ? 1.0 : w.util + 0.05);
        return 2;
    }
    return 0;
}

static void
print_fit(const struct cal *c, const struct cal_step *steps, size_t n, const struct cal_fit *fit,
          const char *curve)
{
    printf("\n%-5s %9s %11s %11s %9s %7s\n", "step", "busy CPUs", "utilisation", "measured W", "fit W", "error");
    for (size_t i = 0; i < n; i++) {
        double f = calfit_line(fit, steps[i].busy_cpus);
        printf("%-5zu %9.2f %10.1f%% %11.2f %9.2f %6.1f%%\n", i, steps[i].busy_cpus, 100 * steps[i].util,
               steps[i].watts, f, steps[i].watts != 0 ? 100 * (f - steps[i].watts) / steps[i].watts : 0);
    }
    printf("\nfit against %s (%s%s): idle_watts %.4g, max_watts %.4g (%u CPUs), per_core_watts %.4g; "
           "largest error of the line %.1f%%; the curve goes through every step\n",
           c->ref.name, c->ref.parts, c->set.wall_ratio != 1 ? ", times the wall ratio" : "",
           fit->idle_w, fit->max_w, fit->ncpu, fit->per_core_w, 100 * fit->worst_error);
    printf("curve = %s\n", curve);
}

/* The steps, the fit, and --write; burners stopped on every way out. */
static int
calibrate(struct cal *c)
{
    struct cal_step *steps = NULL;
    struct cal_fit fit;
    char curve[1024];
    unsigned ncpu = 0;
    size_t nsteps;
    int sts;

    if (check_idle(c, &ncpu) != 0)
        return 1;
    if (ncpu == 0)
        ncpu = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    nsteps = (c->set.cpus > 0 ? (size_t)c->set.cpus : ncpu) + 1;
    if (nsteps > CALFIT_MAX_STEPS)
        nsteps = CALFIT_MAX_STEPS;
    if ((steps = calloc(nsteps, sizeof(*steps))) == NULL) {
        fprintf(stderr, "%s: out of memory\n", pmGetProgname());
        return 1;
    }
    printf("reference %s (%s%s); %u CPUs; steps of 0 to %zu burners, each held until two %.3g s windows "
           "agree within %.3g%% (at most %.0f s)\n", c->ref.name, c->ref.parts,
           c->set.wall_ratio != 1 ? ", times the wall ratio" : "", ncpu, nsteps - 1, c->set.window_s,
           100 * c->set.settle, c->set.step_max_s);
    fflush(stdout);
    for (size_t k = 0; k < nsteps; k++) {
        bool settled;
        if ((sts = hold_step(c, k, &steps[k], &settled)) != 0) {
            burners_stop(&c->burners);
            if (sts > 0)
                fprintf(stderr, "%s: interrupted: burners stopped, nothing written\n", pmGetProgname());
            free(steps);
            return 1;
        }
        if (k == 0 && !(steps[0].watts > 0)) {
            burners_stop(&c->burners);
            fprintf(stderr, "%s: the reference %s (%s) read %.3g W with the host idle: it is not measuring "
                    "this host; choose another with --reference\n", pmGetProgname(), c->ref.name,
                    c->ref.parts, steps[0].watts);
            free(steps);
            return 1;
        }
    }
    burners_stop(&c->burners);
    if (calfit_fit(steps, nsteps, ncpu, &fit) < 0) {
        fprintf(stderr, "%s: the steps cannot be fitted: the burners did not change how busy the host was "
                "(is something pinning pmpower to one CPU?)\n", pmGetProgname());
        free(steps);
        return 1;
    }
    calfit_curve_text(&fit, curve, sizeof(curve));
    print_fit(c, steps, nsteps, &fit, curve);
    free(steps);
    if (c->set.write)
        return cal_write_model(c, &fit, curve);
    printf("(pmpower calibrate --write puts this in power.conf's [model])\n");
    return 0;
}

/* Is the context's pmcd on this machine (where the burners run)? */
static bool
this_host(const struct pp_ctx *ctx, char *here, size_t size)
{
    static const char *const local[] = { "local:", "unix:", "localhost", "127.", "::1", "[::1]" };
    size_t len;

    if (gethostname(here, size) != 0)
        snprintf(here, size, "?");
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        if (strncmp(ctx->source, local[i], strlen(local[i])) == 0 ||
            strncmp(ctx->hostname, local[i], strlen(local[i])) == 0)
            return true;
    len = strlen(here);
    return strcmp(ctx->hostname, here) == 0 ||
           (strncmp(ctx->hostname, here, len) == 0 && ctx->hostname[len] == '.');
}

int
cmd_calibrate(int argc, char **argv)
{
    pmLongOptions longopts[] = {
        PMAPI_OPTIONS_TEXT("Measure the model's curve: idle, then 1..N CPUs busy, against a reference."),
        PP_OPTIONS_LIVE,
        { "reference", 1, 'r', "NAME", "meter, hwmon:power_meter, rapl:psys, rapl:package+dram or battery [the best there is]" },
        { "cpus", 1, 'n', "N", "up to N CPUs busy [every CPU]" },
        { "window", 1, 'w', "TIME", "a step's measuring window, in the agent's time [10s]" },
        { "settle", 1, 's', "FRACTION", "two windows in a row within this are settled [0.02]" },
        { "step-time", 1, 'm', "TIME", "longest hold of one step [120s]" },
        { "max-busy", 1, 'b', "FRACTION", "refuse when other work keeps the host busier [0.05]" },
        { "wall-ratio", 1, 'R', "RATIO", "scale RAPL to the wall by a sibling's power.system.wall_ratio" },
        { "write", 0, 'W', NULL, "put the fit in power.conf's [model]; the agent re-reads it" },
        { "config", 1, 'c', "FILE", "the power.conf to write [$PCP_PMDAS_DIR/power/power.conf]" },
        PP_OPTIONS_END
    };
    struct cal c = {
        .set = { .window_s = 10, .settle = 0.02, .step_max_s = 120, .max_busy = 0.05, .wall_ratio = 1 },
    };
    const struct pp_command_line cl = {
        .synopsis = "calibrate [-h HOST] [--reference NAME] [--cpus N] [--window TIME] [--write [--config FILE]]",
        .short_options = "h:a:r:n:w:s:m:b:R:Wc:?",
        .long_options = longopts,
        .live_only = "calibrate loads this host and measures it live (-h local:)",
        .option = cal_option,
        .state = &c.set,
    };
    struct pp_args args;
    struct pp_ctx ctx;
    char here[256];
    double interval = 1;
    int sts;

    if (!pp_options_parse(argc, argv, &cl, &args, &ctx, &sts))
        return sts;
    c.ctx = &ctx;
    if (!this_host(&ctx, here, sizeof(here))) {
        fprintf(stderr, "%s: %s is host %s, not this one (%s): calibrate's burners load the host it runs on; "
                "run it there\n", pmGetProgname(), ctx.source, ctx.hostname, here);
        pp_close(&ctx);
        return 1;
    }
    if (c.set.wall_ratio != 1 && c.set.reference && strncmp(c.set.reference, "rapl:", 5) != 0) {
        fprintf(stderr, "%s: --wall-ratio scales a RAPL reference: give --reference rapl:psys or "
                "rapl:package+dram\n", pmGetProgname());
        pp_close(&ctx);
        return 2;
    }
    for (int i = 0; i < C_COUNT; i++)
        c.m[i] = (struct pp_metric){ .name = cal_metric_names[i] };
    pp_lookup(c.m, C_COUNT);
    if (!c.m[C_SAMPLE_TIME].ok || !c.m[C_BUSY].ok) {
        fprintf(stderr, "%s: %s has no power.control.sample_time or power.system.busy_time: install the "
                "agent of this version (cd $PCP_PMDAS_DIR/power && ./Install)\n", pmGetProgname(), ctx.source);
        pp_close(&ctx);
        return 1;
    }
    if (cal_find_reference(&c) < 0) {
        pp_close(&ctx);
        return 1;
    }
    if (c.set.wall_ratio != 1 && strncmp(c.ref.name, "rapl:", 5) != 0) {
        fprintf(stderr, "%s: --wall-ratio scales a RAPL reference, and the reference here is %s\n",
                pmGetProgname(), c.ref.name);
        pp_close(&ctx);
        return 2;
    }
    pp_wait_sample(&ctx, &interval, 0);
    c.poll_s = interval / 2 < c.set.window_s / 10 ? interval / 2 : c.set.window_s / 10;
    if (c.poll_s < 0.02)
        c.poll_s = 0.02;
    pp_stop_on_signals();
    sts = calibrate(&c);
    burners_stop(&c.burners);
    pp_close(&ctx);
    return sts;
}
