/*
 * measuretrial.c: pmpower measure's trials. Each starts right after a
 * fresh agent sample and ends at the first sample after the command's last
 * run, so its energy is an exact counter delta over whole agent intervals;
 * the command's own processes are tracked by their parent chain
 * (proctree.h). Warm-up runs and the cool-down between trials too.
 */
#include "measure.h"
#include "child.h"
#include "edge.h"
#include "stop.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

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
int
measure_boundary(struct measure *ms, double *t, double *energy)
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

/* One trial: the command, repeated until min_time passed, between two
 * agent samples. Returns its wait status (0: it succeeded every time), or
 * -1 when the command or the counter failed (message printed). */
int
measure_trial(struct measure *ms, struct trial *t, double min_time, double baseline_w)
{
    double t0, e0, t1, e1, g0, elapsed, started;
    pid_t zombie = 0;
    int status = 0;
    double z0[ZONES_MAX];

    proctree_forget(&ms->tree);
    if (measure_boundary(ms, &t0, &e0) < 0)
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
    if (measure_boundary(ms, &t1, &e1) < 0)
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

/* The host's conditions now (root: where its sysfs is) and the agent's
 * interval and source. */
void
measure_conditions(struct measure *ms, const char *root, struct conditions *c)
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
int
measure_warm_up(struct measure *ms, long runs, bool quiet)
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
int
measure_cool_down(struct measure *ms, double seconds, double within_pct, double baseline_w, bool quiet)
{
    double t0, e0, t1, e1, limit;

    if (seconds > 0)
        pp_sleep_until(pp_now() + seconds);
    if (!(within_pct > 0) || pp_stop_requested())
        return 0;
    limit = pp_now() + 60;
    if (measure_boundary(ms, &t0, &e0) < 0)
        return -1;
    for (;;) {
        if (measure_boundary(ms, &t1, &e1) < 0)
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
