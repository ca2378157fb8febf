/*
 * persist.c: energy counters continued across agent restarts (persist.h).
 *
 * The file, one counter a line, the instance name last because it may hold
 * blanks ("" for a metric without instances):
 *
 *   pcp-power counters 1
 *   boot 9d5c...            this boot's id, "-" when unknown
 *   saved 1764612345.250    wall time of the sample saved
 *   gap 12.5                power.control.gap_time so far
 *   continued 3             power.control.continued so far
 *   c METRIC VALUE SAVED HW RAW WRAP WATTS REBOOT FALLING\tNAME
 *
 * METRIC is cluster x 1024 + item; SAVED the wall time the value was last
 * true; HW whether RAW, WRAP and WATTS (persist_hw) hold a reading.
 */
#include "persist.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PERSIST_MAGIC "pcp-power counters 1"
#define PERSIST_LINE_MAX 4096
#define PERSIST_NAME_MAX 3800     /* a line's nine numbers take at most 250 bytes more */

struct persist_entry {
    unsigned          metric;
    int               inst;          /* runtime id once seen this run */
    char             *name;
    bool              seen;          /* its offset is fixed */
    double            offset;
    double            value;         /* exported at the latest sample (or as saved) */
    double            saved_wall_s;  /* when value was last true */
    struct persist_hw hw;            /* the hardware's reading with it */
};

struct persist {
    char                 *path;
    char                  boot_id[64];
    power_log_fn          log;
    struct persist_entry *entries;
    size_t                n, cap;
    size_t               *index;     /* open addressing over seen entries, by (metric, inst) */
    size_t                nindex;
    /* from the file */
    bool                  loaded;
    char                  saved_boot[64];
    double                saved_wall_s;
    double                saved_gap_s;
    uint64_t              saved_continued;
    /* this run */
    bool                  begun;
    double                wall_s;
    double                gap_s;
    uint64_t              continued;
    uint64_t              exact;
    bool                  save_failing;
};

static size_t
hash_of(unsigned metric, int inst, size_t nslots)
{
    uint64_t h = (uint64_t)metric * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)inst * 0xC2B2AE3D27D4EB4Full;

    return (size_t)(h ^ (h >> 29)) & (nslots - 1);
}

/* index holds entry number + 1; 0 is an empty slot */
static void
index_insert(struct persist *p, size_t entry)
{
    const struct persist_entry *e = &p->entries[entry];
    size_t i;

    for (i = hash_of(e->metric, e->inst, p->nindex); p->index[i]; i = (i + 1) & (p->nindex - 1))
        ;
    p->index[i] = entry + 1;
}

/* Index a newly seen entry, growing the table to stay at most half full. */
static bool
index_put(struct persist *p, size_t entry)
{
    if ((p->n + 1) * 2 > p->nindex) {
        size_t nslots = p->nindex ? p->nindex : 64, *slots;
        while ((p->n + 1) * 2 > nslots)
            nslots *= 2;
        if ((slots = calloc(nslots, sizeof(*slots))) == NULL)
            return false;
        free(p->index);
        p->index = slots;
        p->nindex = nslots;
        for (size_t k = 0; k < p->n; k++)
            if (p->entries[k].seen && k != entry)
                index_insert(p, k);
    }
    index_insert(p, entry);
    return true;
}

static struct persist_entry *
index_find(const struct persist *p, unsigned metric, int inst)
{
    if (!p->nindex)
        return NULL;
    for (size_t i = hash_of(metric, inst, p->nindex); p->index[i]; i = (i + 1) & (p->nindex - 1)) {
        struct persist_entry *e = &p->entries[p->index[i] - 1];
        if (e->metric == metric && e->inst == inst)
            return e;
    }
    return NULL;
}

static struct persist_entry *
entry_add(struct persist *p, unsigned metric, const char *name)
{
    struct persist_entry *e;

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        struct persist_entry *grown = realloc(p->entries, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        p->entries = grown;
        p->cap = cap;
    }
    e = &p->entries[p->n];
    memset(e, 0, sizeof(*e));
    if (!(e->name = strdup(name)))
        return NULL;
    e->metric = metric;
    e->inst = -1;
    p->n++;
    return e;
}

static void
drop_entries(struct persist *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->entries[i].name);
    p->n = 0;
}

/* One "c ..." line; false when it is not one. */
static bool
parse_counter(struct persist *p, char *line)
{
    char *tab = strchr(line, '\t'), *end;
    unsigned metric;
    double value, saved, raw, wrap, watts;
    int hw, reboot, falling, used = 0;
    struct persist_entry *e;

    if (!tab || (end = strchr(tab + 1, '\n')) == NULL || end - (tab + 1) > PERSIST_NAME_MAX)
        return false;
    *tab = *end = '\0';
    if (sscanf(line, "c %u %lf %lf %d %lf %lf %lf %d %d%n", &metric, &value, &saved, &hw, &raw, &wrap,
               &watts, &reboot, &falling, &used) != 9 || line[used] != '\0'
        || !isfinite(value) || !isfinite(saved) || !isfinite(raw) || !(wrap >= 0) || !isfinite(wrap)
        || !(watts >= 0) || !isfinite(watts)
        || (hw | reboot | falling) & ~1)
        return false;
    if (!(e = entry_add(p, metric, tab + 1)))
        return false;
    e->value = value;
    e->saved_wall_s = saved;
    e->hw = (struct persist_hw){ .valid = hw == 1, .raw_j = raw, .wrap_j = wrap, .power_w = watts,
                                 .survives_reboot = reboot == 1, .falling = falling == 1 };
    return true;
}

/* The whole file, or nothing: half a state would continue some counters and restart others. */
static const char *
load(struct persist *p, FILE *f)
{
    char line[PERSIST_LINE_MAX];
    unsigned long long continued;

    if (!fgets(line, sizeof(line), f) || strcmp(line, PERSIST_MAGIC "\n") != 0)
        return "not a pcp-power counters file (or another version of it)";
    if (!fgets(line, sizeof(line), f) || sscanf(line, "boot %63s", p->saved_boot) != 1)
        return "no boot line";
    if (!fgets(line, sizeof(line), f) || sscanf(line, "saved %lf", &p->saved_wall_s) != 1
        || !isfinite(p->saved_wall_s))
        return "no saved line";
    if (!fgets(line, sizeof(line), f) || sscanf(line, "gap %lf", &p->saved_gap_s) != 1
        || !(p->saved_gap_s >= 0) || !isfinite(p->saved_gap_s))
        return "no gap line";
    if (!fgets(line, sizeof(line), f) || sscanf(line, "continued %llu", &continued) != 1)
        return "no continued line";
    p->saved_continued = continued;
    while (fgets(line, sizeof(line), f))
        if (!parse_counter(p, line))
            return "a counter line is malformed";
    return ferror(f) ? "read error" : NULL;
}

struct persist *
persist_open(const char *path, const char *boot_id, power_log_fn log)
{
    struct persist *p = calloc(1, sizeof(*p));
    FILE *f;

    if (!p || !(p->path = strdup(path))) {
        free(p);
        return NULL;
    }
    p->log = log;
    snprintf(p->boot_id, sizeof(p->boot_id), "%s", boot_id && *boot_id ? boot_id : "-");
    if ((f = fopen(path, "r")) == NULL) {
        if (errno != ENOENT)
            log(LOG_ERR, "counters: cannot read %s: %s; every counter starts again from its own zero",
                path, strerror(errno));
        return p;
    }
    const char *why = load(p, f);
    fclose(f);
    if (why) {
        log(LOG_ERR, "counters: %s: %s; every counter starts again from its own zero", path, why);
        drop_entries(p);
        return p;
    }
    p->loaded = true;
    return p;
}

void
persist_close(struct persist *p)
{
    if (!p)
        return;
    drop_entries(p);
    free(p->entries);
    free(p->index);
    free(p->path);
    free(p);
}

void
persist_begin(struct persist *p, double wall_s)
{
    p->wall_s = wall_s;
    if (p->begun)
        return;
    p->begun = true;
    if (!p->loaded)
        return;
    /* a clock stepped back across the restart: no gap rather than a negative one */
    p->gap_s = p->saved_gap_s + (wall_s > p->saved_wall_s ? wall_s - p->saved_wall_s : 0.0);
    p->continued = p->saved_continued + 1;
    p->log(LOG_INFO, "counters: continued from %s, saved %.3f s before this first sample (%s boot)",
           p->path, wall_s - p->saved_wall_s,
           strcmp(p->boot_id, "-") != 0 && strcmp(p->boot_id, p->saved_boot) == 0 ? "the same" : "another");
}

/* Joules the hardware counted between the saved reading and now, or NAN when it cannot say. */
static double
hardware_gap(const struct persist *p, const struct persist_entry *e, const struct persist_hw *now)
{
    const struct persist_hw *then = &e->hw;
    bool same_boot = strcmp(p->boot_id, "-") != 0 && strcmp(p->boot_id, p->saved_boot) == 0;
    double d, watts;

    if (!then->valid || !now || !now->valid || then->falling != now->falling)
        return NAN;
    if (!same_boot && !(then->survives_reboot && now->survives_reboot))
        return NAN;
    watts = then->power_w > now->power_w ? then->power_w : now->power_w;
    if (now->wrap_j > 0 && watts > 0 && (p->wall_s - e->saved_wall_s) * watts * 2 >= now->wrap_j)
        return NAN;                /* it may have wrapped more than once: how often, nothing says */
    d = now->falling ? then->raw_j - now->raw_j : now->raw_j - then->raw_j;
    if (d < 0 && !now->falling && now->wrap_j > 0 && now->wrap_j == then->wrap_j)
        d += now->wrap_j;          /* one wrap; more than one is as invisible here as between samples */
    return d >= 0 ? d : NAN;       /* went back: a reset (or a charge) nothing can measure */
}

double
persist_see(struct persist *p, unsigned metric, int inst, const char *name, double value,
            const struct persist_hw *hw)
{
    struct persist_entry *e = index_find(p, metric, inst);

    if (!e) {
        /* first sight this run: its saved line, if any, else a new counter from its own zero */
        for (size_t i = 0; i < p->n && !e; i++)
            if (!p->entries[i].seen && p->entries[i].metric == metric && strcmp(p->entries[i].name, name) == 0)
                e = &p->entries[i];
        if (e) {
            /* the hardware's count reaches this sample, so this run's count
             * so far is inside it; without one, this run's count is all new,
             * less where the counter began (RAPL's at its first reading) */
            double gap = hardware_gap(p, e, hw);
            if (isfinite(gap))
                p->exact++;
            e->offset = isfinite(gap) ? e->value + gap - value
                                      : e->value - (hw && hw->valid && hw->value_is_raw ? value : 0.0);
        } else if ((e = entry_add(p, metric, name)) == NULL) {
            return value;
        }
        e->seen = true;
        e->inst = inst;
        if (!index_put(p, (size_t)(e - p->entries)))
            e->seen = false;       /* out of memory: looked for again next sample */
    }
    e->value = value + e->offset;
    e->saved_wall_s = p->wall_s;
    e->hw = hw ? *hw : (struct persist_hw){ 0 };
    return e->value;
}

bool
persist_offset(const struct persist *p, unsigned metric, int inst, double *offset)
{
    const struct persist_entry *e = index_find(p, metric, inst);

    if (!e)
        return false;
    *offset = e->offset;
    return true;
}

static bool
write_state(const struct persist *p, FILE *f)
{
    fprintf(f, PERSIST_MAGIC "\nboot %s\nsaved %.6f\ngap %.9g\ncontinued %llu\n", p->boot_id, p->wall_s,
            p->gap_s, (unsigned long long)p->continued);
    for (size_t i = 0; i < p->n; i++) {
        const struct persist_entry *e = &p->entries[i];
        if (!e->seen && p->wall_s - e->saved_wall_s > PERSIST_MAX_AGE_S)
            continue;          /* a cgroup or VM gone for a month */
        if (strchr(e->name, '\n') || strlen(e->name) > PERSIST_NAME_MAX)
            continue;          /* not continued rather than a file that does not read back */
        fprintf(f, "c %u %.17g %.6f %d %.17g %.17g %.9g %d %d\t%s\n", e->metric, e->value, e->saved_wall_s,
                e->hw.valid, e->hw.raw_j, e->hw.wrap_j, e->hw.power_w, e->hw.survives_reboot, e->hw.falling,
                e->name);
    }
    return !ferror(f);
}

bool
persist_save(struct persist *p, bool sync)
{
    char tmp[4200];
    const char *step = "create";
    FILE *f;
    bool ok = false;

    if (!p->begun)
        return true;           /* nothing seen yet: the saved state is still the truth */
    snprintf(tmp, sizeof(tmp), "%s.tmp", p->path);
    if ((f = fopen(tmp, "w")) != NULL) {
        step = "write";
        ok = write_state(p, f);
        if (ok && sync && fflush(f) == 0)
            ok = fsync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok;
        if (ok) {
            step = "rename";
            ok = rename(tmp, p->path) == 0;
        }
        if (!ok)
            unlink(tmp);
    }
    if (!ok && !p->save_failing)
        p->log(LOG_ERR, "counters: cannot %s %s: %s; energy counters will start again from zero "
               "after a restart (the agent's user must be able to write its directory)",
               step, tmp, strerror(errno));
    else if (ok && p->save_failing)
        p->log(LOG_INFO, "counters: %s saved again", p->path);
    p->save_failing = !ok;
    return ok;
}

double
persist_gap_s(const struct persist *p)
{
    return p->gap_s;
}

uint64_t
persist_continued(const struct persist *p)
{
    return p->continued;
}

uint64_t
persist_exact(const struct persist *p)
{
    return p->exact;
}
