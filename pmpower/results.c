#include "results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void
results_run_init(struct resultsdb_run *run, const char *kind, const struct pp_ctx *c,
                 const struct pp_window_result *r)
{
    *run = (struct resultsdb_run){
        .kind = kind, .host = c->hostname, .source = c->source,
        .system_source = r ? r->sources : NULL,
        .start = r ? r->start : NAN, .end = r ? r->end : NAN, .interval = r ? r->interval : 0,
        .joules = r ? pp_system_joules(r) : NAN,
        .baseline_w = NAN, .baseline_s = NAN, .temp_c = NAN, .cv = NAN, .turbo = -1,
    };
}

int
results_energies(struct resultsdb *db, long long run, int phase, struct pp_ctx *c,
                 const struct pp_metric m[S_COUNT], const struct pp_window_result *r)
{
    const struct window_entry **all = malloc((r->w.count ? r->w.count : 1) * sizeof(*all));
    size_t n;
    int sts = 0;

    if (!all)
        return -1;
    n = window_entries(&r->w, all, r->w.count);
    for (size_t i = 0; i < n && sts == 0; i++) {
        char label[300];
        if (all[i]->series >= S_FIRST_TOP)
            continue;
        pp_series_label(c, m, all[i]->series, all[i]->inst, label, sizeof(label));
        sts = resultsdb_add_energy(db, run, phase, label, all[i]->energy);
    }
    free(all);
    return sts;
}

int
results_window(const char *path, struct pp_ctx *c, const struct pp_metric m[S_COUNT],
               const struct pp_window_result *r)
{
    struct resultsdb *db;
    struct resultsdb_run run;
    long long id;
    int sts = 1;

    if (resultsdb_open(path, &db) < 0)
        return 1;
    results_run_init(&run, "report", c, r);
    if ((id = resultsdb_add_run(db, &run)) > 0 && results_energies(db, id, -1, c, m, r) == 0)
        sts = 0;
    resultsdb_close(db);
    return sts;
}
