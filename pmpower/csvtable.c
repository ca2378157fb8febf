#include "csvtable.h"
#include "stats.h"
#include "timeparse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct csv_column {
    int           metric;        /* index into the metric array */
    int           inst;
    char          label[512];
    FILE         *fp;            /* its own file with --separate-files */
    bool          have;          /* a previous reading */
    bool          fresh;         /* a reading in this row */
    double        last_raw;      /* the counter's latest reading, at last_t */
    double        last_t;
    double        energy;        /* since the first reading */
    double        power;         /* over the latest step; NAN before the second reading */
    struct movavg avg;
    bool          hidden;        /* bare_names: another metric has this name's column */
};

static void
sanitize(char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            *s = '_';
}

/* power.meter.total.energy -> "meter_total" */
static void
metric_label(const char *name, char *buf, size_t size)
{
    const char *p = strncmp(name, "power.", 6) == 0 ? name + 6 : name;
    size_t len = strlen(p);

    if (len > 7 && strcmp(p + len - 7, ".energy") == 0)
        len -= 7;
    snprintf(buf, size, "%.*s", (int)len, p);
    sanitize(buf);
}

static int
open_column_file(struct csv_table *tab, struct csv_column *col)
{
    char path[PATH_MAX + 300];

    snprintf(path, sizeof(path), "%s%s.csv", tab->path, col->label);
    if ((col->fp = fopen(path, "w")) == NULL) {
        fprintf(stderr, "%s: cannot write %s: %s\n", pmGetProgname(), path, strerror(errno));
        return -1;
    }
    fprintf(col->fp, "ts,%s_energy_j,%s_power_w", col->label, col->label);
    if (tab->smooth)
        fprintf(col->fp, ",%s_power_w_avg%d", col->label, tab->smooth);
    fputc('\n', col->fp);
    return 0;
}

static int
add_column(struct csv_table *tab, int metric, int inst)
{
    struct csv_column *grown = realloc(tab->cols, (tab->ncols + 1) * sizeof(*grown)), *col;
    char base[200];

    if (!grown)
        return -1;
    tab->cols = grown;
    col = &tab->cols[tab->ncols];
    memset(col, 0, sizeof(*col));
    col->metric = metric;
    col->inst = inst;
    metric_label(tab->m[metric].name, base, sizeof(base));
    if (tab->bare_names && inst != PP_IN_NULL) {
        snprintf(col->label, sizeof(col->label), "%s", pp_inst_name(tab->ctx, tab->m[metric].desc.indom, inst));
        sanitize(col->label);
        for (size_t i = 0; i < tab->ncols; i++)
            if (strcmp(tab->cols[i].label, col->label) == 0)
                col->hidden = true;
        if (col->hidden) {
            tab->ncols++;
            return 0;
        }
    } else if (inst == PP_IN_NULL)
        snprintf(col->label, sizeof(col->label), "%s", base);
    else {
        char inst_name[200];
        snprintf(inst_name, sizeof(inst_name), "%s",
                 pp_inst_name(tab->ctx, tab->m[metric].desc.indom, inst));
        sanitize(inst_name);
        snprintf(col->label, sizeof(col->label), "%s_%s", base, inst_name);
    }
    if (tab->smooth && movavg_init(&col->avg, (size_t)tab->smooth) < 0)
        return -1;
    if (tab->separate && open_column_file(tab, col) < 0)
        return -1;
    tab->ncols++;
    return 0;
}

static struct csv_column *
find_column(struct csv_table *tab, int metric, int inst)
{
    for (size_t i = 0; i < tab->ncols; i++)
        if (tab->cols[i].metric == metric && tab->cols[i].inst == inst)
            return &tab->cols[i];
    return NULL;
}

int
csv_table_columns(struct csv_table *tab, const pmHighResResult *first)
{
    for (size_t i = 0; i < tab->nm; i++) {
        pmDesc *d = &tab->m[i].desc;
        if (d->indom == PM_INDOM_NULL) {
            if (add_column(tab, (int)i, PP_IN_NULL) < 0)
                return -1;
            continue;
        }
        if (tab->ctx->archive) {
            int *insts = NULL, n;
            char **names = NULL;
            if ((n = pmGetInDomArchive(d->indom, &insts, &names)) > 0) {
                for (int j = 0; j < n; j++)
                    if (add_column(tab, (int)i, insts[j]) < 0) {
                        free(insts);
                        free(names);
                        return -1;
                    }
            }
            free(insts);
            free(names);
        } else {
            pmValueSet *vs = first ? pp_vset(first, tab->m, tab->nm, i) : NULL;
            for (int j = 0; vs && j < vs->numval; j++)
                if (add_column(tab, (int)i, vs->vlist[j].inst) < 0)
                    return -1;
        }
    }
    return 0;
}

void
csv_table_header(struct csv_table *tab)
{
    if (tab->separate)
        return;
    fputs("ts", tab->fp);
    for (size_t i = 0; i < tab->ncols; i++) {
        if (tab->cols[i].hidden)
            continue;
        fprintf(tab->fp, ",%s_energy_j,%s_power_w", tab->cols[i].label, tab->cols[i].label);
        if (tab->smooth)
            fprintf(tab->fp, ",%s_power_w_avg%d", tab->cols[i].label, tab->smooth);
    }
    fputc('\n', tab->fp);
}

static void
put_number(FILE *fp, bool have, double v)
{
    fputc(',', fp);
    if (have && isfinite(v))
        fprintf(fp, "%.6f", v);
}

/* Take this row's readings into the columns: fresh ones get a step power. */
static void
take_readings(struct csv_table *tab, const pmHighResResult *r, double t)
{
    for (size_t i = 0; i < tab->ncols; i++)
        tab->cols[i].fresh = false;
    for (size_t i = 0; i < tab->nm; i++) {
        pmValueSet *vs = pp_vset(r, tab->m, tab->nm, i);
        for (int j = 0; vs && j < vs->numval; j++) {
            struct csv_column *col = find_column(tab, (int)i, vs->vlist[j].inst);
            double v;
            if (!col) {
                if (!tab->warned_new)
                    fprintf(stderr, "%s: warning: instance \"%s\" of %s appeared after the first row: "
                            "it is not in the CSV (restart pmpower csv to include it)\n", pmGetProgname(),
                            pp_inst_name(tab->ctx, tab->m[i].desc.indom, vs->vlist[j].inst),
                            tab->m[i].name);
                tab->warned_new = true;
                continue;
            }
            if (pp_double(vs, &tab->m[i].desc, j, &v) <= 0)
                continue;
            col->power = NAN;
            if (col->have) {
                double step = v >= col->last_raw ? v - col->last_raw
                                                 : v;   /* the agent restarted: counting from zero */
                col->energy += step;
                if (t > col->last_t)
                    col->power = step / (t - col->last_t);
            }
            col->last_raw = v;
            col->last_t = t;
            col->have = col->fresh = true;
        }
    }
}

bool
csv_table_row(struct csv_table *tab, const pmHighResResult *r)
{
    double t = pp_time(&r->timestamp);
    char ts[64];

    timeparse_format(t, false, ts, sizeof(ts));
    take_readings(tab, r, t);
    if (tab->ctx->archive) {
        /* before the first sample of anything the archive interpolates nothing: skip */
        bool any = false;
        for (size_t i = 0; i < tab->ncols && !any; i++)
            any = tab->cols[i].fresh;
        if (!any)
            return false;
    }
    if (!tab->separate)
        fputs(ts, tab->fp);
    for (size_t i = 0; i < tab->ncols; i++) {
        struct csv_column *col = &tab->cols[i];
        FILE *fp = tab->separate ? col->fp : tab->fp;
        double avg = NAN;
        if (col->hidden)
            continue;
        if (tab->smooth && col->fresh && isfinite(col->power))
            avg = movavg_push(&col->avg, col->power);
        if (tab->separate)
            fputs(ts, fp);
        put_number(fp, col->fresh, col->energy);
        put_number(fp, col->fresh, col->power);
        if (tab->smooth)
            put_number(fp, true, avg);
        if (tab->separate) {
            fputc('\n', fp);
            fflush(fp);
        }
    }
    if (!tab->separate) {
        fputc('\n', tab->fp);
        fflush(tab->fp);
    }
    return true;
}

void
csv_table_close(struct csv_table *tab)
{
    for (size_t i = 0; i < tab->ncols; i++) {
        if (tab->cols[i].fp)
            fclose(tab->cols[i].fp);
        movavg_free(&tab->cols[i].avg);
    }
    free(tab->cols);
    if (tab->fp && tab->fp != stdout)
        fclose(tab->fp);
    else if (tab->fp)
        fflush(tab->fp);
    for (size_t i = 0; i < tab->nm; i++)
        free((char *)tab->m[i].name);
    free(tab->m);
}
