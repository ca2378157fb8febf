/*
 * measure.h: the parts of pmpower measure (measure.c, its command line):
 * the trials (measuretrial.c), the idle baseline (measurebaseline.c) and
 * what is reported (measurereport.c).
 */
#ifndef PMPOWER_MEASURE_H
#define PMPOWER_MEASURE_H

#include <sched.h>
#include <stdbool.h>

#include "conditions.h"
#include "pmctx.h"
#include "proctree.h"
#include "series.h"
#include "zones.h"

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

/* A boundary: the next fresh agent sample, its counter and its time. 0, or -1 after a message. */
int  measure_boundary(struct measure *ms, double *t, double *energy);

/* One trial: the command, repeated until min_time passed, between two
 * agent samples. Returns its wait status (0: it succeeded every time), or
 * -1 when the command or the counter failed (message printed). */
int  measure_trial(struct measure *ms, struct trial *t, double min_time, double baseline_w);

/* The host's conditions now (root: where its sysfs is) and the agent's
 * interval and source. */
void measure_conditions(struct measure *ms, const char *root, struct conditions *c);

/* Runs of the command that are not counted: 0, or -1 after a message. */
int  measure_warm_up(struct measure *ms, long runs, bool quiet);

/* Between trials: seconds of rest, then (within_pct > 0) until the power is
 * back near the idle baseline. 0, or -1 when the counter failed. */
int  measure_cool_down(struct measure *ms, double seconds, double within_pct, double baseline_w, bool quiet);

/* Idle power over about seconds (then the exact span in *seconds): 0, or -1. */
int  measure_baseline(struct measure *ms, double *seconds, double *watts, bool quiet);

/* The baseline from --baseline-file: 0, or the exit status after a message. */
int  measure_baseline_load(struct measure *ms, const char *path, bool allow_old, double *seconds, double *watts);

/* The baseline into --baseline-file: 0, or 1 after a message. */
int  measure_baseline_save(const struct measure *ms, const char *path, double seconds, double watts);

/* The summary, and the JSON (status_failed: a trial failed, the trials so far). */
void measure_print_text(struct measure *ms, const struct trial *tr, int n, double baseline_w, double baseline_s,
                        double cv, bool early, double cv_goal);
void measure_print_json(struct measure *ms, const struct trial *tr, int n, double baseline_w, double baseline_s,
                        double cv, bool early, int status_failed);

/* --db: the measurement as one run with its trials. 0, or 1 after a message. */
int  measure_store(const char *path, const struct measure *ms, const struct trial *tr, int n, double baseline_w,
                   double baseline_s, double cv);

#endif
