/*
 * csvtable.h: pmpower csv's table. Columns: ts (ISO 8601 with microseconds
 * and zone), then per counter instance <label>_energy_j (energy since the
 * first row), <label>_power_w (the counter's rate over the step: the exact
 * mean power of the step, nothing lost between rows) and, with smooth N,
 * <label>_power_w_avgN. One file, or one file per instance.
 */
#ifndef PMPOWER_CSVTABLE_H
#define PMPOWER_CSVTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pmctx.h"

struct csv_column;

struct csv_table {
    struct pp_ctx     *ctx;
    struct pp_metric  *m;          /* the energy counters (names malloc'd: csv_table_close frees them) */
    size_t             nm;
    int                smooth;     /* rows of the moving average, 0 for none */
    bool               separate;   /* a file per instance, named path<label>.csv */
    const char        *path;
    FILE              *fp;         /* the one file, when not separate */
    struct csv_column *cols;
    size_t             ncols;
    bool               warned_new;
    /* per-VM series as VM tools write them: columns named by the instance
     * alone (<vm>_energy_j); an instance name already given a column by an
     * earlier metric gets none from a later one (its readings are ignored) */
    bool               bare_names;
};

/* The columns: every instance the archive ever held (first is NULL), or
 * those in the first live reading. 0, or -1 (a file cannot be written). */
int  csv_table_columns(struct csv_table *t, const pmHighResResult *first);
void csv_table_header(struct csv_table *t);
/* A row of the readings in r: false when an archive has nothing yet. */
bool csv_table_row(struct csv_table *t, const pmHighResResult *r);
void csv_table_close(struct csv_table *t);

#endif
