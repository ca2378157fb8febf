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
#include "burners.h"
#include "calfit.h"
#include "commands.h"
#include "modelconf.h"
#include "options.h"
#include "stop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum cal_metric {
    C_SAMPLE_TIME, C_BUSY, C_CPU, C_METER, C_RAPL, C_BATTERY, C_DISCHARGING, C_REASON, C_COUNT
};

static const char *const cal_metric_names[C_COUNT] = {
    [C_SAMPLE_TIME]  = "power.control.sample_time",
    [C_BUSY]         = "power.system.busy_time",
    [C_CPU]          = "power.system.cpu_time",
    [C_METER]        = "power.meter.total.energy",
    [C_RAPL]         = "power.rapl.energy",
    [C_BATTERY]      = "power.battery.energy",
    [C_DISCHARGING]  = "power.battery.discharging",
    [C_REASON]       = "power.source.reason",
};

#define MAX_PARTS 64

struct cal_settings {
    double window_s, settle, step_max_s, max_busy, wall_ratio;
    long   cpus;
    const char *reference;          /* NULL: the best the host has */
    const char *config;             /* the power.conf to write */
    bool   write;
};

struct reference {
    char    name[32];               /* meter, rapl:psys, rapl:package+dram, battery */
    char    parts[256];             /* what it sums, for the user */
    int     metric;
    int     inst[MAX_PARTS];        /* instances summed; PP_IN_NULL for a singular metric */
    size_t  ninst;
};

struct reading {
    double t, busy, cpu, energy;
};

struct cal {
    struct pp_ctx      *ctx;
    struct pp_metric    m[C_COUNT];
    struct reference    ref;
    struct cal_settings set;
    struct burners      burners;
    double              poll_s;
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
        if (strcmp(arg, "meter") && strcmp(arg, "rapl:psys") && strcmp(arg, "rapl:package+dram") &&
            strcmp(arg, "battery")) {
            fprintf(stderr, "%s: --reference takes meter, rapl:psys, rapl:package+dram or battery, not \"%s\"\n",
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

/* One fetch: the agent's time, CPU counters and the reference's energy. */
static bool
read_now(struct cal *c, struct reading *out)
{
    pmHighResResult *r;
    pmValueSet *vs;
    bool ok;

    if (pp_fetch(c->m, C_COUNT, &r) < 0)
        return false;
    ok = pp_get_double(r, c->m, C_COUNT, C_SAMPLE_TIME, PP_IN_NULL, &out->t) &&
         pp_get_double(r, c->m, C_COUNT, C_BUSY, PP_IN_NULL, &out->busy) &&
         pp_get_double(r, c->m, C_COUNT, C_CPU, PP_IN_NULL, &out->cpu);
    out->energy = 0;
    for (size_t i = 0; ok && i < c->ref.ninst; i++) {
        double e;
        ok = pp_get_double(r, c->m, C_COUNT, (size_t)c->ref.metric, c->ref.inst[i], &e);
        out->energy += e;
    }
    /* a battery that stops discharging (a charger plugged in) is no reference */
    if (ok && strcmp(c->ref.name, "battery") == 0 && (vs = pp_vset(r, c->m, C_COUNT, C_DISCHARGING)))
        for (size_t i = 0; i < c->ref.ninst; i++) {
            double d;
            if (!pp_get_double(r, c->m, C_COUNT, C_DISCHARGING, c->ref.inst[i], &d) || d != 1)
                ok = false;
        }
    pmFreeHighResResult(r);
    return ok;
}

static bool
named(const char *name, const char *prefix, const char *suffix)
{
    size_t p = strlen(prefix), n = strlen(name), s = strlen(suffix);
    size_t i = p;

    if (n < p + 1 + s || strncmp(name, prefix, p) != 0 || strcmp(name + n - s, suffix) != 0)
        return false;
    for (; i < n - s; i++)
        if (name[i] < '0' || name[i] > '9')
            return false;
    return true;
}

static void
add_part(struct reference *ref, int inst, const char *name)
{
    size_t used = strlen(ref->parts);

    if (ref->ninst >= MAX_PARTS)
        return;
    ref->inst[ref->ninst++] = inst;
    snprintf(ref->parts + used, sizeof(ref->parts) - used, "%s%s", used ? " + " : "", name);
}

/* Can this candidate be the reference now? Fills ref when it can. */
static bool
try_reference(struct cal *c, const pmHighResResult *r, const char *name, struct reference *ref)
{
    pmValueSet *vs;

    memset(ref, 0, sizeof(*ref));
    snprintf(ref->name, sizeof(ref->name), "%s", name);
    if (strcmp(name, "meter") == 0) {
        double e;
        ref->metric = C_METER;
        if (!pp_get_double(r, c->m, C_COUNT, C_METER, PP_IN_NULL, &e))
            return false;
        add_part(ref, PP_IN_NULL, "power.meter.total.energy");
        return true;
    }
    if (strncmp(name, "rapl:", 5) == 0) {
        bool psys = strcmp(name, "rapl:psys") == 0;
        int lowest = -1;
        ref->metric = C_RAPL;
        if (!(vs = pp_vset(r, c->m, C_COUNT, C_RAPL)))
            return false;
        for (int j = 0; j < vs->numval; j++) {
            const char *iname = pp_inst_name(c->ctx, c->m[C_RAPL].desc.indom, vs->vlist[j].inst);
            if (psys) {
                /* the lowest package's platform zone, never a sum (as the agent) */
                if ((strcmp(iname, "psys") == 0 || named(iname, "psys-", "")) &&
                    (lowest < 0 || strcmp(iname, "psys") == 0))
                    lowest = vs->vlist[j].inst;
            } else if (named(iname, "package-", "") || named(iname, "package-", "/dram")) {
                add_part(ref, vs->vlist[j].inst, iname);
            }
        }
        if (psys && lowest >= 0)
            add_part(ref, lowest, pp_inst_name(c->ctx, c->m[C_RAPL].desc.indom, lowest));
        return ref->ninst > 0;
    }
    if (strcmp(name, "battery") == 0) {
        ref->metric = C_BATTERY;
        if (!(vs = pp_vset(r, c->m, C_COUNT, C_BATTERY)))
            return false;
        for (int j = 0; j < vs->numval; j++) {
            double d;
            if (!pp_get_double(r, c->m, C_COUNT, C_DISCHARGING, vs->vlist[j].inst, &d) || d != 1)
                return false;
            add_part(ref, vs->vlist[j].inst, pp_inst_name(c->ctx, c->m[C_BATTERY].desc.indom, vs->vlist[j].inst));
        }
        return ref->ninst > 0;
    }
    return false;
}

static int
find_reference(struct cal *c)
{
    static const char *const order[] = { "meter", "rapl:psys", "rapl:package+dram", "battery" };
    pmHighResResult *r;
    int sts;

    if ((sts = pp_fetch(c->m, C_COUNT, &r)) < 0) {
        fprintf(stderr, "%s: fetch failed: %s\n", pmGetProgname(), pmErrStr(sts));
        return -1;
    }
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (c->set.reference && strcmp(c->set.reference, order[i]) != 0)
            continue;
        if (try_reference(c, r, order[i], &c->ref)) {
            pmFreeHighResResult(r);
            return 0;
        }
    }
    pmFreeHighResResult(r);
    if (c->set.reference)
        fprintf(stderr, "%s: the reference %s has no value on %s now%s\n", pmGetProgname(), c->set.reference,
                c->ctx->source, strcmp(c->set.reference, "battery") == 0 ? " (is the host on its battery?)" : "");
    else
        fprintf(stderr, "%s: %s has no reference to calibrate against: no wall meter (power.meter), no RAPL "
                "(power.rapl), no battery on discharge (power.battery). Plug in a meter ([meter] in "
                "power.conf), or calibrate a sibling that has one and copy its [model] section here\n",
                pmGetProgname(), c->ctx->source);
    return -1;
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
        if (!read_now(c, &now)) {
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
    if (!read_now(c, &start)) {
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

    if (!read_now(c, &start)) {
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

static void
utc_now(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *
read_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0, cap = 0;

    if (!fp)
        return errno == ENOENT ? strdup("") : NULL;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *grown = realloc(buf, cap = cap ? 2 * cap : 8192);
            if (!grown) {
                free(buf);
                fclose(fp);
                errno = ENOMEM;
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, fp);
        len += got;
        if (got == 0)
            break;
    }
    buf[len] = '\0';
    fclose(fp);
    return buf;
}

/* The new text into a file beside the old, then renamed over it: the agent
 * sees a whole file or the old one, never half. */
static int
write_config(const char *path, const char *text)
{
    char tmp[PATH_MAX];
    struct stat st;
    size_t len = strlen(text);
    int fd;

    if (snprintf(tmp, sizeof(tmp), "%s.calibrate.XXXXXX", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((fd = mkstemp(tmp)) < 0)
        return -1;
    fchmod(fd, stat(path, &st) == 0 ? st.st_mode & 07777 : 0644);
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

/* After --write: does the agent report the new calibration? */
static void
confirm_agent(struct cal *c, const char *stamp)
{
    pmHighResResult *r;
    pmValueSet *vs;
    double until = pp_now() + 5 * c->poll_s * 10 + 5;

    while (pp_now() < until && !pp_stop_requested()) {
        bool seen = false;
        if (pp_fetch(c->m, C_COUNT, &r) < 0)
            break;
        if ((vs = pp_vset(r, c->m, C_COUNT, C_REASON)))
            for (int j = 0; j < vs->numval && !seen; j++) {
                char *why = NULL;
                if (strcmp(pp_inst_name(c->ctx, c->m[C_REASON].desc.indom, vs->vlist[j].inst), "model") == 0 &&
                    pp_string(vs, &c->m[C_REASON].desc, j, &why) > 0) {
                    seen = strstr(why, stamp) != NULL;
                    if (seen)
                        printf("the agent took it: power.source.reason[model] \"%s\"\n", why);
                }
                free(why);
            }
        pmFreeHighResResult(r);
        if (seen)
            return;
        pp_sleep_until(pp_now() + c->poll_s);
    }
    printf("the agent has not reported the new calibration yet: does it read this power.conf "
           "(its -c option)? It re-reads the file when it changes\n");
}

static int
write_model(struct cal *c, const struct cal_fit *fit, const char *curve)
{
    char stamp[32], note[512], path[PATH_MAX];
    struct model_keys keys;
    char *old, *text;

    if (c->set.config)
        snprintf(path, sizeof(path), "%s", c->set.config);
    else
        snprintf(path, sizeof(path), "%s/power/power.conf", pmGetConfig("PCP_PMDAS_DIR"));
    utc_now(stamp, sizeof(stamp));
    snprintf(note, sizeof(note), "against %s (%s), %u CPUs, largest error of the line %.1f%%", c->ref.name,
             c->ref.parts, fit->ncpu, 100 * fit->worst_error);
    if (c->set.wall_ratio != 1) {
        size_t used = strlen(note);
        snprintf(note + used, sizeof(note) - used, " (wall ratio %.4g)", c->set.wall_ratio);
    }
    keys = (struct model_keys){
        .idle_w = fit->idle_w, .max_w = fit->max_w, .per_core_w = fit->per_core_w, .curve = curve,
        .calibrated = stamp, .note = note,
        /* with a wall ratio the model predicts the wall, a meter's scale */
        .reference = c->set.wall_ratio != 1 ? "meter" : c->ref.name,
    };
    if ((old = read_file(path)) == NULL) {
        fprintf(stderr, "%s: cannot read %s: %s\n", pmGetProgname(), path, strerror(errno));
        return 1;
    }
    text = modelconf_rewrite(old, &keys);
    free(old);
    if (!text || write_config(path, text) < 0) {
        fprintf(stderr, "%s: cannot write %s: %s%s\n", pmGetProgname(), path, strerror(text ? errno : ENOMEM),
                errno == EACCES ? " (run as root, or give --config a file you may write)" : "");
        free(text);
        return 1;
    }
    free(text);
    printf("wrote [model] of %s\n", path);
    confirm_agent(c, stamp);
    return 0;
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
        return write_model(c, &fit, curve);
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
        { "reference", 1, 'r', "NAME", "meter, rapl:psys, rapl:package+dram or battery [the best there is]" },
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
    if (find_reference(&c) < 0) {
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
