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
 *
 * This file reads the command line and runs the steps in order; the steps
 * are in measure.h.
 */
#include "measure.h"
#include "child.h"
#include "commands.h"
#include "cpulist.h"
#include "hostlock.h"
#include "options.h"
#include "stats.h"
#include "stop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

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
    measure_conditions(&ms, s.root, &ms.before);
    if (ms.before.interval > 0)
        ms.interval = ms.before.interval;
    /* orphans of the command reparent to us, so its whole tree stays findable */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pp_stop_on_signals();
    if (s.baseline_file && s.baseline_s <= 0 &&
        (sts = measure_baseline_load(&ms, s.baseline_file, s.old_baseline, &s.baseline_s, &baseline_w)) != 0)
        goto out;
    if (isnan(ms.baseline_age) && s.baseline_s > 0) {
        if (measure_baseline(&ms, &s.baseline_s, &baseline_w, s.json) < 0) {
            sts = 1;
            goto out;
        }
        if (s.baseline_file && (sts = measure_baseline_save(&ms, s.baseline_file, s.baseline_s, baseline_w)) != 0)
            goto out;
    }
    if (measure_warm_up(&ms, s.warmup, s.json) < 0) {
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

        if (n > 0 && measure_cool_down(&ms, s.cooldown_s, s.cooldown_pct, baseline_w, s.json) < 0) {
            sts = 1;
            goto out;
        }
        status = measure_trial(&ms, &tr[n], s.min_time, baseline_w);

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
                measure_print_json(&ms, tr, n, baseline_w, s.baseline_s, NAN, false, 1);
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
    measure_conditions(&ms, s.root, &ms.after);
    if ((ms.changed = conditions_changed(&ms.before, &ms.after, ms.change, sizeof(ms.change))))
        fprintf(stderr, "%s: warning: changed during the run: %s\n", pmGetProgname(), ms.change);
    if (s.json)
        measure_print_json(&ms, tr, n, baseline_w, s.baseline_s, cv, early, 0);
    else
        measure_print_text(&ms, tr, n, baseline_w, s.baseline_s, cv, early, s.cv_goal);
    if (s.db)
        sts = measure_store(s.db, &ms, tr, n, baseline_w, s.baseline_s, cv);
out:
    hostlock_release(lock);
    free(tr);
    proctree_free(&ms.tree);
    pp_close(&ctx);
    return sts;
}
