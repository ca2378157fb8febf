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
 */
#include "child.h"
#include "commands.h"
#include "json.h"
#include "options.h"
#include "proctree.h"
#include "series.h"
#include "stats.h"
#include "stop.h"

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
    double proc_j;          /* NAN when power.proc is absent */
    int    runs;
};

struct measure {
    struct pp_ctx    *ctx;
    struct pp_metric *m;
    char            **argv;
    double            interval;
    struct proctree   tree;          /* the command's processes */
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
    pid_t pid = child_start(ms->argv);
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
 * when the agent does not say (power.control.sample_time). */
static int
read_system(struct measure *ms, double *energy, double *sampled)
{
    struct pp_metric pair[2] = { ms->m[S_SYSTEM], ms->m[S_SAMPLE_TIME] };
    pmHighResResult *r;
    double t;
    bool ok;

    if (pp_fetch(pair, 2, &r) < 0)
        return -1;
    ok = pp_get_double(r, pair, 2, 0, PP_IN_NULL, energy);
    if (pp_get_double(r, pair, 2, 1, PP_IN_NULL, &t) && t > 0)
        *sampled = t;
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
    double gross_j, net_j, net_per_run_j, command_s, power_w, proc_j;
};

static struct trial_medians
trial_medians(const struct trial *tr, int n)
{
    double g[n], e[n], per_run[n], c[n], p[n], pj[n];

    for (int i = 0; i < n; i++) {
        g[i] = tr[i].gross_j;
        e[i] = tr[i].net_j;
        per_run[i] = tr[i].net_j / tr[i].runs;
        c[i] = tr[i].command_s;
        p[i] = tr[i].power_w;
        pj[i] = tr[i].proc_j;
    }
    return (struct trial_medians){ stats_median(g, (size_t)n), stats_median(e, (size_t)n),
                                   stats_median(per_run, (size_t)n), stats_median(c, (size_t)n),
                                   stats_median(p, (size_t)n), stats_median(pj, (size_t)n) };
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
    if (baseline_s > 0)
        printf("baseline  %.3f W idle, measured over %.3f s before the trials\n", baseline_w, baseline_s);
    else
        printf("baseline  none (--baseline S to subtract idle power)\n");
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
    if (have_proc)
        printf("processes the command's own processes: median %.3f J (power.proc.energy, sampled every %g s:\n"
               "          the last partial interval of processes that exit early is in power.proc.unattributed)\n",
               med.proc_j, ms->interval);
    else
        printf("processes not available: no power.proc.energy on this host (the agent's attribution)\n");
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
        printf("}");
    } else
        printf("null");
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
    double t0, e0, t1, e1, elapsed, started;
    pid_t zombie = 0;
    int status = 0;

    proctree_forget(&ms->tree);
    if (boundary(ms, &t0, &e0) < 0)
        return -1;
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
    t->net_j = t->gross_j - baseline_w * t->window_s;
    t->power_w = t->window_s > 0 ? t->gross_j / t->window_s : NAN;
    t->proc_j = ms->m[S_PROC].ok ? proctree_energy(&ms->tree) : NAN;
    return status;
}

/* Idle power over about seconds (then the exact span in *seconds): 0, or -1. */
static int
measure_baseline(struct measure *ms, double *seconds, double *watts, bool quiet)
{
    double t0, e0, t1, e1;

    if (boundary(ms, &t0, &e0) < 0)
        return -1;
    if (!quiet)
        fprintf(stderr, "%s: measuring idle power for %g s\n", pmGetProgname(), *seconds);
    pp_sleep_until(pp_now() + *seconds);
    if (boundary(ms, &t1, &e1) < 0)
        return -1;
    *seconds = t1 - t0;
    *watts = *seconds > 0 ? (e1 - e0) / *seconds : 0;
    return 0;
}

struct measure_settings {
    long   trials;
    double min_time, cv_goal, baseline_s;
    bool   json;
};

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
    }
    return 0;
}

static int
measure_check(void *state, const struct pp_args *args)
{
    (void)state;
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
        { "json", 0, 'j', 0, "JSON instead of a summary" },
        PP_OPTIONS_END
    };
    struct measure_settings s = { .trials = 5, .min_time = 1.0 };
    const struct pp_command_line cl = {
        .synopsis = "measure [-h HOST] [--trials N] [--min-trial-time S] [--cv X] [--baseline S] [--json]\n"
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
    struct measure ms = { .ctx = &ctx, .m = m, .interval = 1.0 };
    struct trial *tr = NULL;
    double baseline_w = 0, cv = NAN;
    bool early = false;
    int n = 0, sts;

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
    /* orphans of the command reparent to us, so its whole tree stays findable */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pp_stop_on_signals();
    if (s.baseline_s > 0 && measure_baseline(&ms, &s.baseline_s, &baseline_w, s.json) < 0) {
        sts = 1;
        goto out;
    }
    while (n < s.trials && !pp_stop_requested()) {
        int status = run_trial(&ms, &tr[n], s.min_time, baseline_w);

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
    if (s.json)
        print_json(&ms, tr, n, baseline_w, s.baseline_s, cv, early, 0);
    else
        print_summary(&ms, tr, n, baseline_w, s.baseline_s, cv, early, s.cv_goal);
out:
    free(tr);
    proctree_free(&ms.tree);
    pp_close(&ctx);
    return sts;
}
