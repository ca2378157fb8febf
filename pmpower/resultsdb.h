/*
 * resultsdb.h: results that last (--db FILE): report's windows, --phases
 * and measure's trials appended to an SQLite database (libsqlite3), so past
 * runs can be listed and compared (pmpower runs). The schema, versioned by
 * PRAGMA user_version, is RESULTSDB_SCHEMA below and in README.md.
 * No PCP here: what to store comes in plain structs.
 */
#ifndef PMPOWER_RESULTSDB_H
#define PMPOWER_RESULTSDB_H

#include <stdbool.h>
#include <stddef.h>

#define RESULTSDB_VERSION 1

struct resultsdb;

struct resultsdb_run {
    const char *kind;              /* "report", "phases", "measure" */
    const char *host;              /* the host measured (its name) */
    const char *source;            /* -h HOST or -a ARCHIVE as given */
    const char *command;           /* measure: the command line; else NULL */
    const char *system_source;     /* power.system.source */
    const char *cpus, *zones;      /* measure --cpus, --zone (NULL: none) */
    const char *governor;          /* conditions (measure), NULL unknown */
    const char *conditions_changed;/* what changed during the run, NULL nothing */
    double      start, end;        /* epoch seconds */
    double      interval;          /* the agent's, 0 unknown */
    double      joules;            /* report: system energy; phases: their total; measure: median net per trial */
    double      baseline_w, baseline_s, temp_c, cv;   /* NAN: none */
    int         turbo;             /* 1, 0, -1 unknown */
    long        warmup;
};

struct resultsdb_trial {
    int    runs;
    double time_s, window_s, energy_j, net_energy_j, power_w, process_energy_j, zones_energy_j;
};

/* Open (creating the file and schema when new): 0, or -1 after a message. */
int  resultsdb_open(const char *path, struct resultsdb **db);
void resultsdb_close(struct resultsdb *db);   /* commits what was added */

/* The run's id (> 0), or -1 after a message; the rest attach to it. */
long long resultsdb_add_run(struct resultsdb *db, const struct resultsdb_run *run);
int  resultsdb_add_trial(struct resultsdb *db, long long run, int n, const struct resultsdb_trial *t);
int  resultsdb_add_phase(struct resultsdb *db, long long run, int n, const char *label, double start,
                         double end, double joules, long samples);
/* A source's energy in the run's window (phase < 0) or in phase n. */
int  resultsdb_add_energy(struct resultsdb *db, long long run, int phase, const char *label, double joules);

/* What pmpower runs lists and compares. */
struct resultsdb_row {
    long long id;
    char      kind[16], host[256], what[512], recorded[32];
    double    joules, cv;
    int       trials;
};
/* The runs in id order (malloc'd into *rows): their count, or -1 after a message. */
long resultsdb_list(struct resultsdb *db, struct resultsdb_row **rows);
/* A run's per-run net energies of its trials (measure), or its phases'
 * energies labelled (phases): count into *x (malloc'd), -1 after a message. */
long resultsdb_trial_energies(struct resultsdb *db, long long run, double **x);
int  resultsdb_row(struct resultsdb *db, long long run, struct resultsdb_row *row);

#endif
