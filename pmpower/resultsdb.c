#include "resultsdb.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct resultsdb {
    sqlite3 *h;
    char     path[4096];
};

/* Version 1. Times are epoch seconds (REAL); energies joules. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS runs ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind IN ('report', 'phases', 'measure')),"
    " recorded REAL NOT NULL,"           /* when pmpower wrote it */
    " host TEXT NOT NULL, source TEXT NOT NULL,"
    " command TEXT,"
    " start REAL, end REAL, interval_s REAL, system_source TEXT,"
    " cpus TEXT, zones TEXT, warmup INTEGER,"
    " baseline_w REAL, baseline_s REAL,"
    " governor TEXT, turbo INTEGER, temp_c REAL, conditions_changed TEXT,"
    " joules REAL, cv REAL);"
    "CREATE TABLE IF NOT EXISTS trials ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, n INTEGER NOT NULL,"
    " runs INTEGER, time_s REAL, window_s REAL, energy_j REAL, net_energy_j REAL, power_w REAL,"
    " process_energy_j REAL, zones_energy_j REAL, PRIMARY KEY (run_id, n));"
    "CREATE TABLE IF NOT EXISTS phases ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, n INTEGER NOT NULL,"
    " label TEXT NOT NULL, start REAL, end REAL, joules REAL, samples INTEGER, PRIMARY KEY (run_id, n));"
    "CREATE TABLE IF NOT EXISTS energies ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, phase INTEGER,"
    " label TEXT NOT NULL, joules REAL);"
    "CREATE INDEX IF NOT EXISTS runs_by_kind ON runs(kind, recorded);"
    "CREATE INDEX IF NOT EXISTS runs_by_command ON runs(command);"
    "CREATE INDEX IF NOT EXISTS phases_by_label ON phases(label);"
    "CREATE INDEX IF NOT EXISTS energies_by_run ON energies(run_id, phase);";

static int
fail(struct resultsdb *db, const char *what)
{
    fprintf(stderr, "pmpower: results database %s: %s: %s\n", db->path, what, sqlite3_errmsg(db->h));
    return -1;
}

int
resultsdb_open(const char *path, struct resultsdb **out)
{
    struct resultsdb *db = calloc(1, sizeof(*db));
    sqlite3_stmt *st;
    int version = -1;

    *out = NULL;
    if (!db)
        return -1;
    snprintf(db->path, sizeof(db->path), "%s", path);
    if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        fprintf(stderr, "pmpower: cannot open the results database %s: %s (check the path)\n", path,
                db->h ? sqlite3_errmsg(db->h) : "out of memory");
        resultsdb_close(db);
        return -1;
    }
    /* another pmpower writing the same file waits its turn rather than failing */
    sqlite3_busy_timeout(db->h, 10000);
    if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "pmpower: %s is not an SQLite database (%s): give another --db FILE\n", path,
                sqlite3_errmsg(db->h));
        resultsdb_close(db);
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version < 0) {
        fprintf(stderr, "pmpower: %s is not an SQLite database: give another --db FILE\n", path);
        resultsdb_close(db);
        return -1;
    }
    if (version > RESULTSDB_VERSION) {
        fprintf(stderr, "pmpower: %s holds results of a newer pmpower (schema %d, this one writes %d): "
                "update pmpower or give another --db FILE\n", path, version, RESULTSDB_VERSION);
        resultsdb_close(db);
        return -1;
    }
    if (sqlite3_exec(db->h, "PRAGMA foreign_keys = ON; BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db->h, schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db->h, "PRAGMA user_version = 1", NULL, NULL, NULL) != SQLITE_OK) {
        fail(db, "cannot create its tables");
        resultsdb_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

void
resultsdb_close(struct resultsdb *db)
{
    if (!db)
        return;
    if (db->h && !sqlite3_get_autocommit(db->h) && sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        fail(db, "cannot save the results");
    sqlite3_close(db->h);
    free(db);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void
bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static int
finish(struct resultsdb *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(db, what);
}

long long
resultsdb_add_run(struct resultsdb *db, const struct resultsdb_run *r)
{
    sqlite3_stmt *st;
    struct timespec now;

    if (sqlite3_prepare_v2(db->h,
            "INSERT INTO runs (kind, recorded, host, source, command, start, end, interval_s, system_source,"
            " cpus, zones, warmup, baseline_w, baseline_s, governor, turbo, temp_c, conditions_changed,"
            " joules, cv) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
        return fail(db, "cannot add a run");
    clock_gettime(CLOCK_REALTIME, &now);
    bind_text(st, 1, r->kind);
    sqlite3_bind_double(st, 2, (double)now.tv_sec + (double)now.tv_nsec * 1e-9);
    bind_text(st, 3, r->host ? r->host : "");
    bind_text(st, 4, r->source ? r->source : "");
    bind_text(st, 5, r->command);
    bind_real(st, 6, r->start);
    bind_real(st, 7, r->end);
    bind_real(st, 8, r->interval > 0 ? r->interval : NAN);
    bind_text(st, 9, r->system_source && r->system_source[0] ? r->system_source : NULL);
    bind_text(st, 10, r->cpus);
    bind_text(st, 11, r->zones && r->zones[0] ? r->zones : NULL);
    sqlite3_bind_int64(st, 12, r->warmup);
    bind_real(st, 13, r->baseline_w);
    bind_real(st, 14, r->baseline_s);
    bind_text(st, 15, r->governor && r->governor[0] ? r->governor : NULL);
    if (r->turbo >= 0)
        sqlite3_bind_int(st, 16, r->turbo);
    else
        sqlite3_bind_null(st, 16);
    bind_real(st, 17, r->temp_c);
    bind_text(st, 18, r->conditions_changed);
    bind_real(st, 19, r->joules);
    bind_real(st, 20, r->cv);
    if (finish(db, st, "cannot add a run") < 0)
        return -1;
    return sqlite3_last_insert_rowid(db->h);
}

int
resultsdb_add_trial(struct resultsdb *db, long long run, int n, const struct resultsdb_trial *t)
{
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db->h, "INSERT INTO trials VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
        return fail(db, "cannot add a trial");
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int(st, 2, n);
    sqlite3_bind_int(st, 3, t->runs);
    bind_real(st, 4, t->time_s);
    bind_real(st, 5, t->window_s);
    bind_real(st, 6, t->energy_j);
    bind_real(st, 7, t->net_energy_j);
    bind_real(st, 8, t->power_w);
    bind_real(st, 9, t->process_energy_j);
    bind_real(st, 10, t->zones_energy_j);
    return finish(db, st, "cannot add a trial");
}

int
resultsdb_add_phase(struct resultsdb *db, long long run, int n, const char *label, double start, double end,
                    double joules, long samples)
{
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db->h, "INSERT INTO phases VALUES (?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
        return fail(db, "cannot add a phase");
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int(st, 2, n);
    bind_text(st, 3, label);
    bind_real(st, 4, start);
    bind_real(st, 5, end);
    bind_real(st, 6, joules);
    sqlite3_bind_int64(st, 7, samples);
    return finish(db, st, "cannot add a phase");
}

int
resultsdb_add_energy(struct resultsdb *db, long long run, int phase, const char *label, double joules)
{
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db->h, "INSERT INTO energies VALUES (?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
        return fail(db, "cannot add an energy");
    sqlite3_bind_int64(st, 1, run);
    if (phase >= 0)
        sqlite3_bind_int(st, 2, phase);
    else
        sqlite3_bind_null(st, 2);
    bind_text(st, 3, label);
    bind_real(st, 4, joules);
    return finish(db, st, "cannot add an energy");
}

static const char row_query[] =
    "SELECT r.id, r.kind, r.host, coalesce(r.command, r.source), r.recorded, r.joules, r.cv,"
    " (SELECT count(*) FROM trials t WHERE t.run_id = r.id) + (SELECT count(*) FROM phases p WHERE p.run_id = r.id)"
    " FROM runs r";

static void
read_row(sqlite3_stmt *st, struct resultsdb_row *row)
{
    time_t t = (time_t)sqlite3_column_double(st, 4);
    struct tm tm;

    row->id = sqlite3_column_int64(st, 0);
    snprintf(row->kind, sizeof(row->kind), "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(row->host, sizeof(row->host), "%s", (const char *)sqlite3_column_text(st, 2));
    snprintf(row->what, sizeof(row->what), "%s",
             sqlite3_column_text(st, 3) ? (const char *)sqlite3_column_text(st, 3) : "");
    gmtime_r(&t, &tm);
    strftime(row->recorded, sizeof(row->recorded), "%Y-%m-%dT%H:%M:%SZ", &tm);
    row->joules = sqlite3_column_type(st, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 5);
    row->cv = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 6);
    row->trials = sqlite3_column_int(st, 7);
}

long
resultsdb_list(struct resultsdb *db, struct resultsdb_row **rows)
{
    char sql[512];
    sqlite3_stmt *st;
    long n = 0, cap = 0;

    *rows = NULL;
    snprintf(sql, sizeof(sql), "%s ORDER BY r.id", row_query);
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(db, "cannot list the runs");
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            struct resultsdb_row *grown = realloc(*rows, (size_t)(cap = cap ? cap * 2 : 32) * sizeof(*grown));
            if (!grown)
                break;
            *rows = grown;
        }
        read_row(st, &(*rows)[n++]);
    }
    sqlite3_finalize(st);
    return n;
}

int
resultsdb_row(struct resultsdb *db, long long run, struct resultsdb_row *row)
{
    char sql[512];
    sqlite3_stmt *st;
    int found;

    snprintf(sql, sizeof(sql), "%s WHERE r.id = ?", row_query);
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(db, "cannot read a run");
    sqlite3_bind_int64(st, 1, run);
    if ((found = sqlite3_step(st) == SQLITE_ROW))
        read_row(st, row);
    sqlite3_finalize(st);
    return found ? 0 : -1;
}

long
resultsdb_trial_energies(struct resultsdb *db, long long run, double **x)
{
    sqlite3_stmt *st;
    long n = 0, cap = 0;

    *x = NULL;
    /* per command run, so trials of different lengths compare */
    if (sqlite3_prepare_v2(db->h, "SELECT coalesce(net_energy_j, energy_j) / max(runs, 1) FROM trials "
                           "WHERE run_id = ? ORDER BY n", -1, &st, NULL) != SQLITE_OK)
        return fail(db, "cannot read the trials");
    sqlite3_bind_int64(st, 1, run);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            double *grown = realloc(*x, (size_t)(cap = cap ? cap * 2 : 16) * sizeof(*grown));
            if (!grown)
                break;
            *x = grown;
        }
        (*x)[n++] = sqlite3_column_double(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}
