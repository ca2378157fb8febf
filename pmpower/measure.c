/*
 * measure.c: pmpower measure: the energy of one command, over trials.
 *
 * Each trial starts right after a fresh agent sample and ends at the first
 * sample after the command's last run, so its energy is an exact counter
 * delta over whole agent intervals. An idle baseline (mean power over
 * --baseline seconds before the trials) times the trial's length is
 * subtracted to give the command's own (net) energy. The command's own
 * processes are found by their parent chain (pmpower is their subreaper,
 * so orphans stay findable) and their power.proc.energy summed.
 *
 * With the rigour of JouleTrace and perf stat (issue 14 part 3): one
 * measurement at a time on the host (hostlock.h), the command pinned to
 * --cpus, --warmup runs not counted, a --cooldown between trials, the
 * conditions that change results recorded and checked (conditions.h), a
 * baseline kept and reused while young enough (baselinefile.h), and trials
 * sized to the stated --precision.
 */
#include "baselinefile.h"
#include "child.h"
#include "commands.h"
#include "conditions.h"
#include "cpulist.h"
#include "edge.h"
#include "hostlock.h"
#include "json.h"
#include "options.h"
#include "proctree.h"
#include "resultsdb.h"
#include "series.h"
#include "stats.h"
#include "stop.h"
#include "zones.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct trial {
    double gross_j, net_j, window_s, command_s, power_w;
    double zone_j[ZONES_MAX];  /* --zone: each zone's energy */
    double zones_j, zones_net_j;   /* their sum, and less their idle baseline */
    double proc_j;          /* NAN when power.proc is absent */
    double gpu_j;           /* the GPUs' energy in the window; NAN without GPUs */
    int    runs;
};

/* beside the series, a boundary fetches the GPUs' total */
#define F_GPU_TOTAL S_COUNT

struct measure {
    struct pp_ctx    *ctx;
    struct pp_metric *m;
    char            **argv;
    double            interval;
    struct proctree   tree;          /* the command's processes */
    const cpu_set_t  *cpus;          /* --cpus, NULL: not pinned */
    /* what the reports say besides the trials */
    char              cpus_text[128];
    long              warmup;
    double            cooldown_s;
    double            baseline_age;  /* NAN: measured now */
    const char       *baseline_file;
    double            precision;     /* --precision asked, 0: not */
    struct conditions before, after;
    bool              changed;
    char              change[512];
    struct zones      zones;         /* --zone (n 0: none) */
    struct pp_metric  fetch[S_COUNT + 1];    /* what a boundary fetches: the series and F_GPU_TOTAL */
    double            gpu_e;         /* power.gpu.total.energy at the latest boundary, NAN without */
    double            zone_e[ZONES_MAX]; /* the zones' counters at the latest boundary */
    double            zones_baseline_w;  /* NAN unknown */
    double            first_start, last_end;   /* the trials' span */
};

static double
mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run the command once and leave it unreaped (*zombie), so the agent can
 * still see its last interval; the caller reaps it. Returns the wait
 * status, or -1 when it could not start (message printed). */
static int
run_once(struct measure *ms, double *elapsed, pid_t *zombie)
{
    double t0 = mono(), next_track = t0 + ms->interval;
    pid_t pid = child_start_on(ms->argv, ms->cpus);
    siginfo_t info;
    int status = 0;

    *zombie = 0;
    if (pid < 0) {
        fprintf(stderr, "%s: cannot run \"%s\": %s: check the command name and PATH\n",
                pmGetProgname(), ms->argv[0], strerror(errno));
        return -1;
    }
    for (;;) {
        memset(&info, 0, sizeof(info));
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
            break;
        if (ms->m[S_PROC].ok && mono() >= next_track) {
            proctree_track(&ms->tree, &ms->m[S_PROC]);
            next_track += ms->interval;
        }
        {
            struct timespec ts = { 0, 2000000 };     /* 2 ms: the end of a run is known that closely */
            nanosleep(&ts, NULL);
        }
    }
    *elapsed = mono() - t0;
    *zombie = pid;
    /* as a wait status, for WIFEXITED and friends */
    status = info.si_code == CLD_EXITED ? (info.si_status & 0xff) << 8 : (info.si_status & 0x7f);
    return status;
}

/* power.system.energy and the time of the agent's sample it comes from, in
 * one fetch (so both are of the same sample); *sampled stays as it was
 * when the agent does not say (power.control.start_time + sample_time). */
static int
read_system(struct measure *ms, double *energy, double *sampled)
{
    pmHighResResult *r;
    double since_first = NAN, start_time = NAN;
    bool ok;

    if (pp_fetch(ms->fetch, S_COUNT + 1, &r) < 0)
        return -1;
    ok = pp_get_double(r, ms->fetch, S_COUNT + 1, S_SYSTEM, PP_IN_NULL, energy);
    if (!pp_get_double(r, ms->fetch, S_COUNT + 1, F_GPU_TOTAL, PP_IN_NULL, &ms->gpu_e))
        ms->gpu_e = NAN;
    if (pp_get_double(r, ms->fetch, S_COUNT + 1, S_SAMPLE_TIME, PP_IN_NULL, &since_first) &&
        pp_get_double(r, ms->fetch, S_COUNT + 1, S_START_TIME, PP_IN_NULL, &start_time))
        *sampled = edge_sample_epoch(start_time, since_first, pp_time(&r->timestamp));
    if (ok && ms->zones.n && !zones_read(r, ms->fetch, &ms->zones, ms->zone_e)) {
        fprintf(stderr, "%s: a --zone counter has no value on %s (%s)\n", pmGetProgname(), ms->ctx->source,
                ms->zones.text);
        ok = false;
    }
    pmFreeHighResResult(r);
    return ok ? 0 : -1;
}

/* a boundary: the next fresh agent sample, its counter and its time */
static int
boundary(struct measure *ms, double *t, double *energy)
{
    double seen = pp_wait_sample(ms->ctx, &ms->interval, 10 * ms->interval + 5);

    *t = seen > 0 ? seen : pp_now();
    if (read_system(ms, energy, t) < 0) {
        fprintf(stderr, "%s: power.system.energy has no value on %s: is a source active? "
                "(pminfo -f power.source.state)\n", pmGetProgname(), ms->ctx->source);
        return -1;
    }
    return 0;
}

/* The medians over the trials, as both reports print them. */
struct trial_medians {
    double gross_j, net_j, net_per_run_j, command_s, power_w, proc_j, gpu_j;
};

static struct trial_medians
trial_medians(const struct trial *tr, int n)
{
    double g[n], e[n], per_run[n], c[n], p[n], pj[n], gj[n];

    for (int i = 0; i < n; i++) {
        g[i] = tr[i].gross_j;
        e[i] = tr[i].net_j;
        per_run[i] = tr[i].net_j / tr[i].runs;
        c[i] = tr[i].command_s;
        p[i] = tr[i].power_w;
        pj[i] = tr[i].proc_j;
        gj[i] = tr[i].gpu_j;
    }
    return (struct trial_medians){ stats_median(g, (size_t)n), stats_median(e, (size_t)n),
                                   stats_median(per_run, (size_t)n), stats_median(c, (size_t)n),
                                   stats_median(p, (size_t)n), stats_median(pj, (size_t)n),
                                   stats_median(gj, (size_t)n) };
}

/* The sampling adds at most one agent interval to a trial (the wait for
 * the sample after the command's end): that interval over the shortest
 * trial's window is the precision the trials have. */
static double
trial_precision(const struct measure *ms, const struct trial *tr, int n)
{
    double shortest = INFINITY;

    for (int i = 0; i < n; i++)
        shortest = fmin(shortest, tr[i].window_s);
    return n > 0 && shortest > 0 ? ms->interval / shortest : NAN;
}

static void
print_rigour_text(const struct measure *ms, const struct trial *tr, int n)
{
    char line[512];

    if (ms->cpus)
        printf("pinned    the command to CPUs %s (sched_setaffinity)\n", ms->cpus_text);
    else
        printf("pinned    no (--cpus LIST pins the command)\n");
    printf("runs      %ld warm-up run%s not counted; cooldown %g s between trials\n", ms->warmup,
           ms->warmup == 1 ? "" : "s", ms->cooldown_s);
    conditions_describe(&ms->before, line, sizeof(line));
    printf("conditions %s\n", line);
    if (ms->changed)
        printf("WARNING   changed during the run: %s: the trials may not be comparable\n", ms->change);
    printf("precision the sampling adds at most %.2f%% to a trial (interval %g s over the shortest window)%s\n",
           100 * trial_precision(ms, tr, n), ms->interval,
           ms->precision > 0 ? "" : "; --precision X sizes the trials for X");
}

static void
json_conditions(const struct conditions *c)
{
    printf("{\"governor\":");
    json_string(stdout, c->governor);
    printf(",\"turbo\":%s,\"temperature_c\":", c->turbo < 0 ? "null" : c->turbo ? "true" : "false");
    json_number(stdout, c->temp_c);
    printf(",\"interval_s\":");
    json_number(stdout, c->interval);
    printf(",\"source\":");
    json_string(stdout, c->source);
    printf("}");
}

static void
print_rigour_json(const struct measure *ms, const struct trial *tr, int n)
{
    printf(",\"cpus\":");
    if (ms->cpus)
        json_string(stdout, ms->cpus_text);
    else
        printf("null");
    printf(",\"warmup_runs\":%ld,\"cooldown_s\":", ms->warmup);
    json_number(stdout, ms->cooldown_s);
    printf(",\"precision\":");
    json_number(stdout, trial_precision(ms, tr, n));
    printf(",\"conditions\":{\"before\":");
    json_conditions(&ms->before);
    printf(",\"after\":");
    json_conditions(&ms->after);
    printf(",\"changed\":");
    if (ms->changed)
        json_string(stdout, ms->change);
    else
        printf("null");
    printf("}");
}

/* The medians of the zones' energy and net energy, over n trials. */
static void
zones_medians(const struct trial *tr, int n, double *gross, double *net)
{
    double g[n], e[n];

    for (int i = 0; i < n; i++) {
        g[i] = tr[i].zones_j;
        e[i] = tr[i].zones_net_j;
    }
    *gross = stats_median(g, (size_t)n);
    *net = stats_median(e, (size_t)n);
}

static void
print_zones_text(const struct measure *ms, const struct trial *tr, int n)
{
    double gross, net;

    if (!ms->zones.n)
        return;
    printf("\nzones     %s (--zone), beside the system\n", ms->zones.text);
    printf("%5s %12s %12s", "trial", "zones J", isfinite(ms->zones_baseline_w) ? "net J" : "(net J)");
    for (size_t z = 0; z < ms->zones.n; z++)
        printf(" %20.20s", ms->zones.label[z]);
    printf(" %12s\n", "system J");
    for (int i = 0; i < n; i++) {
        printf("%5d %12.3f %12.3f", i + 1, tr[i].zones_j, tr[i].zones_net_j);
        for (size_t z = 0; z < ms->zones.n; z++)
            printf(" %20.3f", tr[i].zone_j[z]);
        printf(" %12.3f\n", tr[i].gross_j);
    }
    zones_medians(tr, n, &gross, &net);
    printf("median    zones %.3f J (net %.3f J; idle %.3f W)\n", gross, net, ms->zones_baseline_w);
}

static void
print_zones_json(const struct measure *ms, const struct trial *tr, int n)
{
    double gross, net;

    if (!ms->zones.n)
        return;
    zones_medians(tr, n, &gross, &net);
    printf(",\"zones\":{\"labels\":[");
    for (size_t z = 0; z < ms->zones.n; z++) {
        json_string(stdout, ms->zones.label[z]);
        if (z + 1 < ms->zones.n)
            putchar(',');
    }
    printf("],\"baseline_w\":");
    json_number(stdout, ms->zones_baseline_w);
    printf(",\"median\":{\"energy_j\":");
    json_number(stdout, gross);
    printf(",\"net_energy_j\":");
    json_number(stdout, net);
    printf("}}");
}

static void
print_summary(struct measure *ms, const struct trial *tr, int n, double baseline_w, double baseline_s,
              double cv, bool early, double cv_goal)
{
    struct trial_medians med = trial_medians(tr, n);
    bool have_proc = ms->m[S_PROC].ok;

    printf("command   ");
    for (char **a = ms->argv; *a; a++)
        printf("%s%s", *a, a[1] ? " " : "\n");
    printf("host      %s (power.system from the agent, interval %g s)\n", ms->ctx->source, ms->interval);
    if (baseline_s > 0 && isfinite(ms->baseline_age)) {
        char age[64];
        baselinefile_age_text(ms->baseline_age, age, sizeof(age));
        printf("baseline  %.3f W idle, measured over %.3f s, from %s (saved %s ago)\n", baseline_w, baseline_s,
               ms->baseline_file, age);
    } else if (baseline_s > 0)
        printf("baseline  %.3f W idle, measured over %.3f s before the trials%s%s\n", baseline_w, baseline_s,
               ms->baseline_file ? ", saved to " : "", ms->baseline_file ? ms->baseline_file : "");
    else
        printf("baseline  none (--baseline S to subtract idle power)\n");
    print_rigour_text(ms, tr, n);
    printf("\n%5s %5s %10s %10s %12s %12s %10s %12s\n", "trial", "runs", "time s", "window s",
           "energy J", baseline_s > 0 ? "net J" : "(net J)", "mean W", "process J");
    for (int i = 0; i < n; i++) {
        printf("%5d %5d %10.3f %10.3f %12.3f %12.3f %10.3f ", i + 1, tr[i].runs, tr[i].command_s,
               tr[i].window_s, tr[i].gross_j, tr[i].net_j, tr[i].power_w);
        if (have_proc)
            printf("%12.3f\n", tr[i].proc_j);
        else
            printf("%12s\n", "-");
    }
    printf("\nmedian    energy %.3f J (net %.3f J, %.3f J per run), time %.3f s, power %.3f W\n",
           med.gross_j, med.net_j, med.net_per_run_j, med.command_s, med.power_w);
    printf("spread    coefficient of variation of the %s energy %.4f over %d trials%s\n",
           baseline_s > 0 ? "net" : "", cv, n,
           early ? " (stopped early: below --cv)" : cv_goal > 0 ? " (--cv not reached)" : "");
    print_zones_text(ms, tr, n);
    if (have_proc)
        printf("processes the command's own processes: median %.3f J (power.proc.energy, sampled every %g s:\n"
               "          the last partial interval of processes that exit early is in power.proc.unattributed)\n",
               med.proc_j, ms->interval);
    else
        printf("processes not available: no power.proc.energy on this host (the agent's attribution)\n");
    if (isfinite(med.gpu_j))
        printf("gpus      median %.3f J of the GPUs (power.gpu.total.energy; in the energy above as\n"
               "          power.system.source says)\n", med.gpu_j);
}

static void
print_json(struct measure *ms, const struct trial *tr, int n, double baseline_w, double baseline_s,
           double cv, bool early, int status_failed)
{
    struct trial_medians med = trial_medians(tr, n);

    printf("{\"command\":[");
    for (char **a = ms->argv; *a; a++) {
        json_string(stdout, *a);
        if (a[1])
            putchar(',');
    }
    printf("],");
    json_key(stdout, "host");
    json_string(stdout, ms->ctx->source);
    printf(",\"interval_s\":");
    json_number(stdout, ms->interval);
    printf(",\"baseline\":");
    if (baseline_s > 0) {
        printf("{\"seconds\":");
        json_number(stdout, baseline_s);
        printf(",\"power_w\":");
        json_number(stdout, baseline_w);
        printf(",\"file\":");
        if (ms->baseline_file)
            json_string(stdout, ms->baseline_file);
        else
            printf("null");
        printf(",\"age_s\":");
        json_number(stdout, isfinite(ms->baseline_age) ? ms->baseline_age : 0);
        printf("}");
    } else
        printf("null");
    print_rigour_json(ms, tr, n);
    print_zones_json(ms, tr, n);
    printf(",\"trials\":[");
    for (int i = 0; i < n; i++) {
        printf("%s{\"runs\":%d,\"time_s\":", i ? "," : "", tr[i].runs);
        json_number(stdout, tr[i].command_s);
        printf(",\"window_s\":");
        json_number(stdout, tr[i].window_s);
        printf(",\"energy_j\":");
        json_number(stdout, tr[i].gross_j);
        printf(",\"net_energy_j\":");
        json_number(stdout, tr[i].net_j);
        printf(",\"power_w\":");
        json_number(stdout, tr[i].power_w);
        printf(",\"process_energy_j\":");
        json_number(stdout, tr[i].proc_j);
        printf(",\"gpu_energy_j\":");
        json_number(stdout, tr[i].gpu_j);
        if (ms->zones.n) {
            printf(",\"zones_energy_j\":");
            json_number(stdout, tr[i].zones_j);
            printf(",\"zones_net_energy_j\":");
            json_number(stdout, tr[i].zones_net_j);
            printf(",\"zone_energy_j\":{");
            for (size_t z = 0; z < ms->zones.n; z++) {
                json_key(stdout, ms->zones.label[z]);
                json_number(stdout, tr[i].zone_j[z]);
                if (z + 1 < ms->zones.n)
                    putchar(',');
            }
            printf("}");
        }
        printf("}");
    }
    printf("],\"median\":{\"energy_j\":");
    json_number(stdout, med.gross_j);
    printf(",\"net_energy_j\":");
    json_number(stdout, med.net_j);
    printf(",\"net_energy_per_run_j\":");
    json_number(stdout, med.net_per_run_j);
    printf(",\"time_s\":");
    json_number(stdout, med.command_s);
    printf(",\"power_w\":");
    json_number(stdout, med.power_w);
    printf(",\"process_energy_j\":");
    json_number(stdout, ms->m[S_PROC].ok ? med.proc_j : NAN);
    printf(",\"gpu_energy_j\":");
    json_number(stdout, med.gpu_j);
    printf("},\"cv\":");
    json_number(stdout, cv);
    printf(",\"stopped_early\":%s,\"process_energy\":", early ? "true" : "false");
    json_string(stdout, ms->m[S_PROC].ok ? "power.proc.energy of the command's process tree"
                                         : "not available: no power.proc.energy on this host");
    printf(",\"failed\":%s}\n", status_failed ? "true" : "false");
}

/* One trial: the command, repeated until min_time passed, between two
 * agent samples. Returns its wait status (0: it succeeded every time), or
 * -1 when the command or the counter failed (message printed). */
static int
run_trial(struct measure *ms, struct trial *t, double min_time, double baseline_w)
{
    double t0, e0, t1, e1, g0, elapsed, started;
    pid_t zombie = 0;
    int status = 0;
    double z0[ZONES_MAX];

    proctree_forget(&ms->tree);
    if (boundary(ms, &t0, &e0) < 0)
        return -1;
    memcpy(z0, ms->zone_e, sizeof(z0));
    g0 = ms->gpu_e;
    started = mono();
    t->runs = 0;
    t->command_s = 0;
    do {
        /* each run stays a zombie until the next starts: the run that
         * ends the trial is still visible to the agent at the end sample */
        if (zombie)
            waitpid(zombie, NULL, 0);
        if ((status = run_once(ms, &elapsed, &zombie)) < 0)
            return -1;
        t->runs++;
        t->command_s += elapsed;
    } while (status == 0 && mono() - started < min_time && !pp_stop_requested());
    if (boundary(ms, &t1, &e1) < 0)
        return -1;
    proctree_track(&ms->tree, &ms->m[S_PROC]);
    if (zombie)
        waitpid(zombie, NULL, 0);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;   /* orphans handed to us */
    t->window_s = t1 - t0;
    t->gross_j = e1 - e0;
    if (!(ms->first_start > 0))
        ms->first_start = t0;
    ms->last_end = t1;
    t->net_j = t->gross_j - baseline_w * t->window_s;
    t->power_w = t->window_s > 0 ? t->gross_j / t->window_s : NAN;
    t->proc_j = ms->m[S_PROC].ok ? proctree_energy(&ms->tree) : NAN;
    t->gpu_j = ms->gpu_e - g0;     /* NAN when either end had no GPU figure */
    t->zones_j = 0;
    for (size_t z = 0; z < ms->zones.n; z++) {
        t->zone_j[z] = ms->zone_e[z] - z0[z];
        t->zones_j += t->zone_j[z];
    }
    t->zones_net_j = ms->zones.n ? t->zones_j - ms->zones_baseline_w * t->window_s : NAN;
    return status;
}

/* Idle power over about seconds (then the exact span in *seconds): 0, or -1. */
static int
measure_baseline(struct measure *ms, double *seconds, double *watts, bool quiet)
{
    double t0, e0, t1, e1, z0 = 0, z1 = 0;

    if (boundary(ms, &t0, &e0) < 0)
        return -1;
    for (size_t z = 0; z < ms->zones.n; z++)
        z0 += ms->zone_e[z];
    if (!quiet)
        fprintf(stderr, "%s: measuring idle power for %g s\n", pmGetProgname(), *seconds);
    pp_sleep_until(pp_now() + *seconds);
    if (boundary(ms, &t1, &e1) < 0)
        return -1;
    for (size_t z = 0; z < ms->zones.n; z++)
        z1 += ms->zone_e[z];
    *seconds = t1 - t0;
    *watts = *seconds > 0 ? (e1 - e0) / *seconds : 0;
    ms->zones_baseline_w = *seconds > 0 && ms->zones.n ? (z1 - z0) / *seconds : NAN;
    return 0;
}

/* The host's conditions now (root: where its sysfs is) and the agent's
 * interval and source. */
static void
read_conditions(struct measure *ms, const char *root, struct conditions *c)
{
    struct pp_metric pair[2] = { ms->m[S_INTERVAL], ms->m[S_SOURCE] };
    pmHighResResult *r;
    pmValueSet *vs;
    char *text;

    conditions_read(root, c);
    if (pp_fetch(pair, 2, &r) < 0)
        return;
    pp_get_double(r, pair, 2, 0, PP_IN_NULL, &c->interval);
    if ((vs = pp_vset(r, pair, 2, 1)) != NULL && vs->numval > 0 && pp_string(vs, &pair[1].desc, 0, &text) > 0) {
        snprintf(c->source, sizeof(c->source), "%s", text);
        free(text);
    }
    pmFreeHighResResult(r);
}

/* Runs of the command that are not counted (caches, JITs, page cache):
 * 0, or -1 after a message. */
static int
warm_up(struct measure *ms, long runs, bool quiet)
{
    for (long i = 0; i < runs && !pp_stop_requested(); i++) {
        double elapsed;
        pid_t zombie;
        int status = run_once(ms, &elapsed, &zombie);

        if (status < 0)
            return -1;
        if (zombie)
            waitpid(zombie, NULL, 0);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (status != 0) {
            char why[128];
            child_describe(status, why, sizeof(why));
            fprintf(stderr, "%s: the command %s in warm-up run %ld: the measurement failed\n",
                    pmGetProgname(), why, i + 1);
            return -1;
        }
    }
    if (!quiet && runs > 0)
        fprintf(stderr, "%s: %ld warm-up run%s done\n", pmGetProgname(), runs, runs == 1 ? "" : "s");
    return 0;
}

/* Between trials: seconds of rest, then (within_pct > 0) on until the power
 * over an agent interval is back within within_pct percent of the idle
 * baseline, for at most a minute more. 0, or -1 when the counter failed. */
static int
cool_down(struct measure *ms, double seconds, double within_pct, double baseline_w, bool quiet)
{
    double t0, e0, t1, e1, limit;

    if (seconds > 0)
        pp_sleep_until(pp_now() + seconds);
    if (!(within_pct > 0) || pp_stop_requested())
        return 0;
    limit = pp_now() + 60;
    if (boundary(ms, &t0, &e0) < 0)
        return -1;
    for (;;) {
        if (boundary(ms, &t1, &e1) < 0)
            return -1;
        if (t1 > t0 && (e1 - e0) / (t1 - t0) <= baseline_w * (1 + within_pct / 100))
            return 0;
        if (pp_now() > limit || pp_stop_requested()) {
            if (!quiet)
                fprintf(stderr, "%s: power stayed above %g%% over the idle baseline for a minute: "
                        "trial started anyway\n", pmGetProgname(), within_pct);
            return 0;
        }
        t0 = t1;
        e0 = e1;
    }
}

/* The baseline from --baseline-file: 0, or the exit status after a message. */
static int
baseline_from_file(struct measure *ms, const char *path, bool allow_old, double *seconds, double *watts)
{
    struct baseline_record b;
    char err[1024], age[64];

    if (baselinefile_load(path, &b, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", pmGetProgname(), err);
        return 1;
    }
    ms->baseline_age = pp_now() - b.saved;
    baselinefile_age_text(ms->baseline_age, age, sizeof(age));
    if (ms->baseline_age > BASELINE_MAX_AGE_S && !allow_old) {
        fprintf(stderr, "%s: the baseline in %s is %s old, older than 7 days: idle power drifts, measure it again "
                "(--baseline S --baseline-file %s) or use it anyway with --allow-old-baseline\n",
                pmGetProgname(), path, age, path);
        return 1;
    }
    if (strcmp(b.host, ms->ctx->source) != 0)
        fprintf(stderr, "%s: warning: the baseline in %s was measured on %s, this is %s\n", pmGetProgname(),
                path, b.host, ms->ctx->source);
    if (b.source[0] && ms->before.source[0] && strcmp(b.source, ms->before.source) != 0)
        fprintf(stderr, "%s: warning: the baseline in %s was measured with power.system from %s, now %s\n",
                pmGetProgname(), path, b.source, ms->before.source);
    if (ms->zones.n && strcmp(b.zones, ms->zones.text) == 0)
        ms->zones_baseline_w = b.zones_w;
    else if (ms->zones.n)
        fprintf(stderr, "%s: warning: the baseline in %s has no idle power for --zone %s (save one with "
                "--baseline S --zone %s --baseline-file FILE): the zones' net energy is not given\n",
                pmGetProgname(), path, ms->zones.text, ms->zones.text);
    *seconds = b.seconds;
    *watts = b.power_w;
    return 0;
}

static int
baseline_to_file(const struct measure *ms, const char *path, double seconds, double watts)
{
    struct baseline_record b = { .power_w = watts, .seconds = seconds, .saved = pp_now(),
                                 .interval = ms->interval };
    char err[1024];

    snprintf(b.host, sizeof(b.host), "%s", ms->ctx->source);
    snprintf(b.source, sizeof(b.source), "%s", ms->before.source);
    snprintf(b.zones, sizeof(b.zones), "%s", ms->zones.text);
    b.zones_w = ms->zones_baseline_w;
    if (baselinefile_save(path, &b, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", pmGetProgname(), err);
        return 1;
    }
    return 0;
}

/* --cpus into ms: 0, or 2 after a message (a CPU this process may not use). */
static int
pin_cpus(struct measure *ms, const char *text, cpu_set_t *set)
{
    cpu_set_t allowed, both;
    char err[256];

    if (cpulist_parse(text, set, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", pmGetProgname(), err);
        return 2;
    }
    if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
        CPU_AND(&both, set, &allowed);
        if (!CPU_EQUAL(&both, set)) {
            char have[128];
            cpulist_format(&allowed, have, sizeof(have));
            fprintf(stderr, "%s: --cpus %s: not every CPU of it is online and allowed here (allowed: %s)\n",
                    pmGetProgname(), text, have);
            return 2;
        }
    }
    ms->cpus = set;
    cpulist_format(set, ms->cpus_text, sizeof(ms->cpus_text));
    return 0;
}

struct measure_settings {
    long        trials, warmup;
    double      min_time, cv_goal, baseline_s, cooldown_s, cooldown_pct, precision, lock_wait;
    bool        json, no_lock, old_baseline;
    const char *cpus, *lock_file, *baseline_file, *root, *zones, *db;
};

/* --db: the measurement as one run with its trials. 0, or 1 after a message. */
static int
store_measure(const char *path, const struct measure *ms, const struct trial *tr, int n, double baseline_w,
              double baseline_s, double cv)
{
    struct resultsdb *db;
    struct resultsdb_run run;
    struct trial_medians med = trial_medians(tr, n);
    char command[4096];
    size_t len = 0;
    long long id;
    int sts = 0;

    command[0] = '\0';
    for (char **a = ms->argv; *a && len < sizeof(command); a++)
        len += (size_t)snprintf(command + len, sizeof(command) - len, "%s%s", len ? " " : "", *a);
    if (resultsdb_open(path, &db) < 0)
        return 1;
    run = (struct resultsdb_run){
        .kind = "measure", .host = ms->ctx->hostname, .source = ms->ctx->source, .command = command,
        .system_source = ms->before.source, .cpus = ms->cpus ? ms->cpus_text : NULL, .zones = ms->zones.text,
        .governor = ms->before.governor, .conditions_changed = ms->changed ? ms->change : NULL,
        .start = ms->first_start, .end = ms->last_end, .interval = ms->interval, .joules = med.net_j,
        .baseline_w = baseline_s > 0 ? baseline_w : NAN, .baseline_s = baseline_s > 0 ? baseline_s : NAN,
        .temp_c = ms->before.temp_c, .cv = cv, .turbo = ms->before.turbo, .warmup = ms->warmup,
    };
    if ((id = resultsdb_add_run(db, &run)) < 0)
        sts = 1;
    for (int i = 0; sts == 0 && i < n; i++) {
        struct resultsdb_trial t = {
            .runs = tr[i].runs, .time_s = tr[i].command_s, .window_s = tr[i].window_s, .energy_j = tr[i].gross_j,
            .net_energy_j = tr[i].net_j, .power_w = tr[i].power_w, .process_energy_j = tr[i].proc_j,
            .zones_energy_j = ms->zones.n ? tr[i].zones_j : NAN,
        };
        if (resultsdb_add_trial(db, id, i + 1, &t) < 0)
            sts = 1;
    }
    resultsdb_close(db);
    return sts;
}

static int
parse_fraction(const char *arg, const char *what, double lo, double hi, double *out)
{
    char *end;

    *out = strtod(arg, &end);
    if (end == arg || *end || !(*out > lo && *out < hi)) {
        fprintf(stderr, "%s: %s takes a number between %g and %g, not \"%s\"\n", pmGetProgname(), what,
                lo, hi, arg);
        return 2;
    }
    return 0;
}

static int
measure_option(void *state, const char *name, const char *arg)
{
    struct measure_settings *s = state;
    char *end;

    if (strcmp(name, "json") == 0)
        s->json = true;
    else if (strcmp(name, "trials") == 0)
        return pp_parse_count(arg, "--trials", 10000, &s->trials);
    else if (strcmp(name, "min-trial-time") == 0)
        return pp_parse_interval(arg, "--min-trial-time", &s->min_time) < 0 ? 2 : 0;
    else if (strcmp(name, "baseline") == 0)
        return pp_parse_interval(arg, "--baseline", &s->baseline_s) < 0 ? 2 : 0;
    else if (strcmp(name, "cv") == 0) {
        s->cv_goal = strtod(arg, &end);
        if (end == arg || *end || !(s->cv_goal > 0 && s->cv_goal < 10)) {
            fprintf(stderr, "%s: --cv takes a fraction such as 0.02, not \"%s\"\n", pmGetProgname(), arg);
            return 2;
        }
    } else if (strcmp(name, "warmup") == 0) {
        if (strcmp(arg, "0") == 0)
            s->warmup = 0;
        else
            return pp_parse_count(arg, "--warmup", 10000, &s->warmup);
    } else if (strcmp(name, "cooldown") == 0)
        return pp_parse_interval(arg, "--cooldown", &s->cooldown_s) < 0 ? 2 : 0;
    else if (strcmp(name, "cooldown-within") == 0)
        return parse_fraction(arg, "--cooldown-within (percent of the idle baseline)", 0, 1000, &s->cooldown_pct);
    else if (strcmp(name, "precision") == 0)
        return parse_fraction(arg, "--precision (a fraction such as 0.01)", 0, 1, &s->precision);
    else if (strcmp(name, "cpus") == 0)
        s->cpus = arg;
    else if (strcmp(name, "lock-file") == 0)
        s->lock_file = arg;
    else if (strcmp(name, "lock-wait") == 0)
        return pp_parse_interval(arg, "--lock-wait", &s->lock_wait) < 0 ? 2 : 0;
    else if (strcmp(name, "no-lock") == 0)
        s->no_lock = true;
    else if (strcmp(name, "baseline-file") == 0)
        s->baseline_file = arg;
    else if (strcmp(name, "allow-old-baseline") == 0)
        s->old_baseline = true;
    else if (strcmp(name, "sysfs-root") == 0)
        s->root = arg;
    else if (strcmp(name, "zone") == 0)
        s->zones = arg;
    else if (strcmp(name, "db") == 0)
        s->db = arg;
    return 0;
}

static int
measure_check(void *state, const struct pp_args *args)
{
    struct measure_settings *s = state;

    if (s->cooldown_pct > 0 && s->baseline_s <= 0 && !s->baseline_file) {
        fprintf(stderr, "%s: --cooldown-within needs an idle baseline to come back to: "
                "give --baseline S or --baseline-file FILE\n", pmGetProgname());
        return 2;
    }
    if (args->argc == 0) {
        fprintf(stderr, "%s: measure needs a command: pmpower measure [options] -- COMMAND [ARG...]\n",
                pmGetProgname());
        return 2;
    }
    if (!child_on_path(args->argv[0])) {
        fprintf(stderr, "%s: cannot run \"%s\": no such executable (check the name and PATH)\n",
                pmGetProgname(), args->argv[0]);
        return 1;
    }
    return 0;
}

int
cmd_measure(int argc, char **argv)
{
    pmLongOptions longopts[] = {
        PMAPI_OPTIONS_TEXT("Runs COMMAND in trials and reports the medians of its energy, time and power"),
        PMAPI_OPTIONS_TEXT("from power.system.energy deltas at agent sample boundaries."),
        PP_OPTIONS_LIVE,
        { "trials", 1, 0, "N", "at most N trials [5]" },
        { "min-trial-time", 1, 0, "S", "repeat the command within a trial until S seconds passed [1]" },
        { "cv", 1, 0, "X", "stop once the energies' coefficient of variation is below X" },
        PMAPI_OPTIONS_TEXT("                        (after 3 trials or more)"),
        { "baseline", 1, 0, "S", "measure idle power for S seconds first and subtract it [0: none]" },
        { "baseline-file", 1, 0, "FILE", "reuse the baseline saved in FILE; with --baseline S, save it there" },
        { "allow-old-baseline", 0, 0, 0, "use a saved baseline older than 7 days" },
        { "precision", 1, 0, "X", "make each trial span enough agent samples that the sampling adds" },
        PMAPI_OPTIONS_TEXT("                        at most the fraction X (0.01: 1%)"),
        { "zone", 1, 0, "LIST", "also the energy of these zones (rapl:package-0,rapl:package-0/dram)" },
        { "cpus", 1, 0, "LIST", "pin the command to these CPUs (0, 0,2, 4-7)" },
        { "warmup", 1, 0, "N", "run the command N times first, not counted [0]" },
        { "cooldown", 1, 0, "S", "rest S seconds between trials [0]" },
        { "cooldown-within", 1, 0, "PCT", "and on until power is within PCT% of the idle baseline" },
        { "lock-file", 1, 0, "FILE", "the host-wide measurement lock [/run/lock/pmpower-measure.lock]" },
        { "lock-wait", 1, 0, "S", "wait up to S seconds for another measurement to end [0]" },
        { "no-lock", 0, 0, 0, "measure even while another measurement runs" },
        { "sysfs-root", 1, 0, "DIR", "read the CPU governor, turbo and temperatures under DIR [/]" },
        { "json", 0, 'j', 0, "JSON instead of a summary" },
        { "db", 1, 0, "FILE", "also append the run and its trials to the SQLite database FILE" },
        PP_OPTIONS_END
    };
    struct measure_settings s = { .trials = 5, .min_time = 1.0, .root = "/" };
    const struct pp_command_line cl = {
        .synopsis = "measure [-h HOST] [--trials N] [--min-trial-time S] [--cv X] [--baseline S] [--json]\n"
                    "                  [--baseline-file FILE] [--precision X] [--cpus LIST] [--warmup N]\n"
                    "                  [--cooldown S] [--cooldown-within PCT] [--lock-wait S] [--no-lock]\n"
                    "                  -- COMMAND [ARG...]",
        .short_options = "+h:a:j?",
        .long_options = longopts,
        .operands = true,
        .live_only = "measure runs a command now: it needs a live host (-h), not an archive",
        .option = measure_option,
        .check = measure_check,
        .state = &s,
    };
    struct pp_args args;
    struct pp_ctx ctx;
    struct pp_metric m[S_COUNT];
    struct measure ms = { .ctx = &ctx, .m = m, .interval = 1.0, .baseline_age = NAN, .zones_baseline_w = NAN };
    struct trial *tr = NULL;
    double baseline_w = 0, cv = NAN;
    cpu_set_t cpus;
    bool early = false;
    int n = 0, sts, lock = -1;

    if (!pp_options_parse(argc, argv, &cl, &args, &ctx, &sts))
        return sts;
    ms.argv = args.argv;
    pp_series_init(m);
    pp_lookup(m, S_COUNT);
    if (!m[S_SYSTEM].ok) {
        fprintf(stderr, "%s: host \"%s\" has no power metrics (power.system.energy): install the agent "
                "(cd $PCP_PMDAS_DIR/power && ./Install)\n", pmGetProgname(), ctx.source);
        sts = 1;
        goto out;
    }
    if ((tr = calloc((size_t)s.trials, sizeof(*tr))) == NULL) {
        sts = 1;
        goto out;
    }
    if (s.cpus && (sts = pin_cpus(&ms, s.cpus, &cpus)) != 0)
        goto out;
    if (s.zones && (sts = zones_parse(&ctx, m, s.zones, &ms.zones)) != 0)
        goto out;
    memcpy(ms.fetch, m, sizeof(m));
    zones_metrics(&ms.zones, ms.fetch);
    ms.fetch[F_GPU_TOTAL].name = "power.gpu.total.energy";
    pp_lookup(&ms.fetch[F_GPU_TOTAL], 1);
    ms.gpu_e = NAN;
    if (!s.no_lock) {
        char err[1024];
        if ((lock = hostlock_take(s.lock_file ? s.lock_file : hostlock_default_path(), s.lock_wait,
                                  ms.argv[0], err, sizeof(err))) < 0) {
            fprintf(stderr, "%s: %s\n", pmGetProgname(), err);
            sts = 1;
            goto out;
        }
    }
    ms.warmup = s.warmup;
    ms.cooldown_s = s.cooldown_s;
    ms.precision = s.precision;
    ms.baseline_file = s.baseline_file;
    read_conditions(&ms, s.root, &ms.before);
    if (ms.before.interval > 0)
        ms.interval = ms.before.interval;
    /* orphans of the command reparent to us, so its whole tree stays findable */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pp_stop_on_signals();
    if (s.baseline_file && s.baseline_s <= 0 &&
        (sts = baseline_from_file(&ms, s.baseline_file, s.old_baseline, &s.baseline_s, &baseline_w)) != 0)
        goto out;
    if (isnan(ms.baseline_age) && s.baseline_s > 0) {
        if (measure_baseline(&ms, &s.baseline_s, &baseline_w, s.json) < 0) {
            sts = 1;
            goto out;
        }
        if (s.baseline_file && (sts = baseline_to_file(&ms, s.baseline_file, s.baseline_s, baseline_w)) != 0)
            goto out;
    }
    if (warm_up(&ms, s.warmup, s.json) < 0) {
        sts = 1;
        goto out;
    }
    /* the sampling adds up to one interval to a trial: long enough trials make that the fraction asked */
    if (s.precision > 0 && ms.interval / s.precision > s.min_time) {
        s.min_time = ms.interval / s.precision;
        if (!s.json)
            fprintf(stderr, "%s: trials of at least %g s for a precision of %g%% at the agent's %g s interval\n",
                    pmGetProgname(), s.min_time, 100 * s.precision, ms.interval);
    }
    while (n < s.trials && !pp_stop_requested()) {
        int status;

        if (n > 0 && cool_down(&ms, s.cooldown_s, s.cooldown_pct, baseline_w, s.json) < 0) {
            sts = 1;
            goto out;
        }
        status = run_trial(&ms, &tr[n], s.min_time, baseline_w);

        if (status < 0) {
            sts = 1;
            goto out;
        }
        n++;
        if (status != 0) {
            char why[128];
            child_describe(status, why, sizeof(why));
            fprintf(stderr, "%s: the command %s in trial %d, run %d: the measurement failed\n",
                    pmGetProgname(), why, n, tr[n - 1].runs);
            if (s.json)
                print_json(&ms, tr, n, baseline_w, s.baseline_s, NAN, false, 1);
            sts = 1;
            goto out;
        }
        {
            double e[n];
            for (int i = 0; i < n; i++)
                e[i] = tr[i].net_j;
            cv = stats_cv(e, (size_t)n);
        }
        if (!s.json)
            fprintf(stderr, "%s: trial %d: %.3f J in %.3f s (%d run%s)\n", pmGetProgname(), n,
                    tr[n - 1].net_j, tr[n - 1].window_s, tr[n - 1].runs, tr[n - 1].runs == 1 ? "" : "s");
        if (s.cv_goal > 0 && n >= 3 && cv < s.cv_goal) {
            early = true;
            break;
        }
    }
    if (n == 0) {
        fprintf(stderr, "%s: interrupted before the first trial ended\n", pmGetProgname());
        sts = 1;
        goto out;
    }
    if (pp_stop_requested())
        fprintf(stderr, "%s: interrupted: reporting %d trial%s\n", pmGetProgname(), n, n == 1 ? "" : "s");
    read_conditions(&ms, s.root, &ms.after);
    if ((ms.changed = conditions_changed(&ms.before, &ms.after, ms.change, sizeof(ms.change))))
        fprintf(stderr, "%s: warning: changed during the run: %s\n", pmGetProgname(), ms.change);
    if (s.json)
        print_json(&ms, tr, n, baseline_w, s.baseline_s, cv, early, 0);
    else
        print_summary(&ms, tr, n, baseline_w, s.baseline_s, cv, early, s.cv_goal);
    if (s.db)
        sts = store_measure(s.db, &ms, tr, n, baseline_w, s.baseline_s, cv);
out:
    hostlock_release(lock);
    free(tr);
    proctree_free(&ms.tree);
    pp_close(&ctx);
    return sts;
}
