/*
 * measurereport.c: what pmpower measure reports: the trials and their
 * medians, the rigour kept (pinning, warm-up, conditions, precision) and
 * the zones, as a summary or JSON, and into a results database.
 */
#include "measure.h"
#include "baselinefile.h"
#include "json.h"
#include "resultsdb.h"
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
    json_more_number(stdout, "interval_s", c->interval);
    json_more_string(stdout, "source", c->source);
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
    json_more_number(stdout, "precision", trial_precision(ms, tr, n));
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
    json_more_number(stdout, "net_energy_j", net);
    printf("}}");
}

void
measure_print_text(struct measure *ms, const struct trial *tr, int n, double baseline_w, double baseline_s,
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

void
measure_print_json(struct measure *ms, const struct trial *tr, int n, double baseline_w, double baseline_s,
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
    json_more_number(stdout, "interval_s", ms->interval);
    printf(",\"baseline\":");
    if (baseline_s > 0) {
        printf("{\"seconds\":");
        json_number(stdout, baseline_s);
        json_more_number(stdout, "power_w", baseline_w);
        printf(",\"file\":");
        if (ms->baseline_file)
            json_string(stdout, ms->baseline_file);
        else
            printf("null");
        json_more_number(stdout, "age_s", isfinite(ms->baseline_age) ? ms->baseline_age : 0);
        printf("}");
    } else
        printf("null");
    print_rigour_json(ms, tr, n);
    print_zones_json(ms, tr, n);
    printf(",\"trials\":[");
    for (int i = 0; i < n; i++) {
        printf("%s{\"runs\":%d,\"time_s\":", i ? "," : "", tr[i].runs);
        json_number(stdout, tr[i].command_s);
        json_more_number(stdout, "window_s", tr[i].window_s);
        json_more_number(stdout, "energy_j", tr[i].gross_j);
        json_more_number(stdout, "net_energy_j", tr[i].net_j);
        json_more_number(stdout, "power_w", tr[i].power_w);
        json_more_number(stdout, "process_energy_j", tr[i].proc_j);
        json_more_number(stdout, "gpu_energy_j", tr[i].gpu_j);
        if (ms->zones.n) {
            json_more_number(stdout, "zones_energy_j", tr[i].zones_j);
            json_more_number(stdout, "zones_net_energy_j", tr[i].zones_net_j);
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
    json_more_number(stdout, "net_energy_j", med.net_j);
    json_more_number(stdout, "net_energy_per_run_j", med.net_per_run_j);
    json_more_number(stdout, "time_s", med.command_s);
    json_more_number(stdout, "power_w", med.power_w);
    json_more_number(stdout, "process_energy_j", ms->m[S_PROC].ok ? med.proc_j : NAN);
    json_more_number(stdout, "gpu_energy_j", med.gpu_j);
    printf("},\"cv\":");
    json_number(stdout, cv);
    printf(",\"stopped_early\":%s,\"process_energy\":", early ? "true" : "false");
    json_string(stdout, ms->m[S_PROC].ok ? "power.proc.energy of the command's process tree"
                                         : "not available: no power.proc.energy on this host");
    printf(",\"failed\":%s}\n", status_failed ? "true" : "false");
}

/* --db: the measurement as one run with its trials. 0, or 1 after a message. */
int
measure_store(const char *path, const struct measure *ms, const struct trial *tr, int n, double baseline_w,
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
