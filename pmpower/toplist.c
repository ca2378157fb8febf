#include "toplist.h"
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The k instances of series that used most energy in w, most first. */
static size_t
top_rows(const struct window *w, int series, struct pp_ranked *rows, size_t k)
{
    const struct window_entry **all;
    struct pp_ranked *tmp;
    size_t n, m = 0;

    if (k == 0 || w->count == 0)
        return 0;
    all = malloc(w->count * sizeof(*all));
    tmp = malloc(w->count * sizeof(*tmp));
    if (!all || !tmp) {
        free(all);
        free(tmp);
        return 0;
    }
    n = window_entries(w, all, w->count);
    for (size_t i = 0; i < n; i++)
        if (all[i]->series == series) {
            tmp[m].inst = all[i]->inst;
            tmp[m].value = all[i]->energy;
            m++;
        }
    pp_rank(tmp, m);
    if (m > k)
        m = k;
    memcpy(rows, tmp, m * sizeof(*rows));
    free(all);
    free(tmp);
    return m;
}

/* a part of power.system's energy: JSON says null, text 0% when there is no total */
static double
share(double energy, double total)
{
    return total > 0 ? energy / total : NAN;
}

static double
percent(double energy, double total)
{
    return total > 0 ? 100 * energy / total : 0.0;
}

void
pp_top_text(FILE *fp, struct pp_ctx *c, const struct pp_metric m[S_COUNT],
            const struct pp_window_result *r, int k, const char *indent)
{
    struct pp_ranked rows[k > 0 ? k : 1];
    double total = pp_system_joules(r);
    size_t n;

    if (!m[S_PROC].ok)
        fprintf(fp, "%sprocesses: not available (no power.proc.energy: the agent's attribution is "
                "off, or the archive did not log power.proc)\n", indent);
    else {
        n = top_rows(&r->w, S_PROC, rows, (size_t)k);
        fprintf(fp, "%stop %d processes by energy\n", indent, k);
        fprintf(fp, "%s  %8s %12s %7s  %s\n", indent, "PID", "energy J", "share", "command");
        for (size_t i = 0; i < n; i++) {
            const char *name = pp_inst_name(c, m[S_PROC].desc.indom, rows[i].inst);
            fprintf(fp, "%s  %8d %12.3f %6.1f%%  %s\n", indent, rows[i].inst, rows[i].value,
                    percent(rows[i].value, total), pp_proc_command(name));
        }
        if (n == 0)
            fprintf(fp, "%s  (no process values in the window)\n", indent);
        if (m[S_UNATTRIBUTED].ok) {
            const struct window_entry *e = window_find(&r->w, S_UNATTRIBUTED, PP_IN_NULL);
            if (e)
                fprintf(fp, "%s  %8s %12.3f %6.1f%%  (busy energy of processes gone between samples)\n",
                        indent, "-", e->energy, percent(e->energy, total));
        }
    }
    if (!m[S_CGROUP].ok)
        fprintf(fp, "%scgroups: not available (no power.cgroup.energy)\n", indent);
    else {
        n = top_rows(&r->w, S_CGROUP, rows, (size_t)k);
        fprintf(fp, "%stop %d cgroups by energy\n", indent, k);
        fprintf(fp, "%s  %12s %7s  %s\n", indent, "energy J", "share", "cgroup");
        for (size_t i = 0; i < n; i++)
            fprintf(fp, "%s  %12.3f %6.1f%%  %s\n", indent, rows[i].value,
                    percent(rows[i].value, total),
                    pp_inst_name(c, m[S_CGROUP].desc.indom, rows[i].inst));
        if (n == 0)
            fprintf(fp, "%s  (no cgroup values in the window)\n", indent);
    }
}

/* ,"joules":E,"share":E/TOTAL} closing one row of a top list */
static void
json_row_energy(FILE *fp, double energy, double total)
{
    fputs(",\"joules\":", fp);
    json_number(fp, energy);
    fputs(",\"share\":", fp);
    json_number(fp, share(energy, total));
    fputs("}", fp);
}

void
pp_top_json(FILE *fp, struct pp_ctx *c, const struct pp_metric m[S_COUNT],
            const struct pp_window_result *r, int k)
{
    struct pp_ranked rows[k > 0 ? k : 1];
    double total = pp_system_joules(r);
    const struct window_entry *unattributed;
    size_t n;

    fputs("{", fp);
    json_key(fp, "processes");
    if (!m[S_PROC].ok)
        fputs("null", fp);
    else {
        n = top_rows(&r->w, S_PROC, rows, (size_t)k);
        fputs("[", fp);
        for (size_t i = 0; i < n; i++) {
            const char *name = pp_inst_name(c, m[S_PROC].desc.indom, rows[i].inst);
            fprintf(fp, "%s{\"pid\":%d,", i ? "," : "", rows[i].inst);
            json_key(fp, "command");
            json_string(fp, pp_proc_command(name));
            json_row_energy(fp, rows[i].value, total);
        }
        fputs("]", fp);
    }
    fputs(",\"unattributed_joules\":", fp);
    unattributed = m[S_UNATTRIBUTED].ok ? window_find(&r->w, S_UNATTRIBUTED, PP_IN_NULL) : NULL;
    json_number(fp, unattributed ? unattributed->energy : NAN);
    fputs(",", fp);
    json_key(fp, "cgroups");
    if (!m[S_CGROUP].ok)
        fputs("null", fp);
    else {
        n = top_rows(&r->w, S_CGROUP, rows, (size_t)k);
        fputs("[", fp);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",{" : "{", fp);
            json_key(fp, "cgroup");
            json_string(fp, pp_inst_name(c, m[S_CGROUP].desc.indom, rows[i].inst));
            json_row_energy(fp, rows[i].value, total);
        }
        fputs("]", fp);
    }
    fputs("}", fp);
}
