/*
 * persist.c: energy counters continued across agent restarts (persist.h):
 * the offsets, fixed when a counter is first seen in a run, and the lookup
 * a fetch makes. The file is persist_file.c's.
 */
#include "persist_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

uint32_t
persist_name_hash(const char *name)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 16777619u;
    return h;
}

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

/* A table for the seen entries at most half full; false when out of memory. */
static bool
index_rebuild(struct persist *p, size_t want)
{
    size_t nslots = 64, *slots;

    while (want * 2 > nslots)
        nslots *= 2;
    if ((slots = calloc(nslots, sizeof(*slots))) == NULL) {
        p->index_lost = true;          /* lookups scan the entries from now on */
        return false;
    }
    free(p->index);
    p->index = slots;
    p->nindex = nslots;
    for (size_t k = 0; k < p->n; k++)
        if (p->entries[k].seen && !p->entries[k].retired)
            index_insert(p, k);
    return true;
}

static struct persist_entry *
index_find(const struct persist *p, unsigned metric, int inst)
{
    if (p->index_lost) {
        for (size_t k = 0; k < p->n; k++) {
            struct persist_entry *e = &p->entries[k];
            if (e->seen && !e->retired && e->metric == metric && e->inst == inst)
                return e;
        }
        return NULL;
    }
    if (!p->nindex)
        return NULL;
    for (size_t i = hash_of(metric, inst, p->nindex); p->index[i]; i = (i + 1) & (p->nindex - 1)) {
        struct persist_entry *e = &p->entries[p->index[i] - 1];
        if (e->metric == metric && e->inst == inst && !e->retired)
            return e;
    }
    return NULL;
}

struct persist_entry *
persist_entry_add(struct persist *p, unsigned metric, const char *name)
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
    e->name_hash = persist_name_hash(name);
    p->n++;
    return e;
}

void
persist_prune(struct persist *p)
{
    size_t kept = 0, seen = 0;
    bool dropped = false;

    for (size_t i = 0; i < p->n; i++) {
        struct persist_entry *e = &p->entries[i];
        /* a counter not seen for a month (a cgroup or VM long gone) */
        if (e->retired || p->wall_s - e->saved_wall_s > PERSIST_MAX_AGE_S) {
            free(e->name);
            dropped = true;
            continue;
        }
        seen += e->seen;
        p->entries[kept++] = *e;
    }
    p->n = kept;
    if (dropped && !p->index_lost)
        index_rebuild(p, seen);
}

static void
drop_entries(struct persist *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->entries[i].name);
    p->n = 0;
}

struct persist *
persist_open(const char *path, const char *boot_id, power_log_fn log)
{
    struct persist *p = calloc(1, sizeof(*p));
    const char *why;
    FILE *f;

    if (!p || !(p->path = strdup(path))) {
        free(p);
        return NULL;
    }
    p->log = log;
    snprintf(p->boot_id, sizeof(p->boot_id), "%s", boot_id && *boot_id ? boot_id : "-");
    persist_remove_leftovers(path);
    if ((f = fopen(path, "r")) == NULL) {
        if (errno != ENOENT)
            log(LOG_ERR, "counters: cannot read %s: %s; every counter starts again from its own zero",
                path, strerror(errno));
        return p;
    }
    why = persist_load(p, f);
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

static bool
same_boot(const struct persist *p)
{
    return strcmp(p->boot_id, "-") != 0 && strcmp(p->boot_id, p->saved_boot) == 0;
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
    /* readings of counters the kernel starts again at boot mean nothing on
     * another: dropped now, so a line this run does not see is not written
     * back under this boot's id with the old boot's reading */
    if (!same_boot(p))
        for (size_t i = 0; i < p->n; i++)
            if (!p->entries[i].hw.survives_reboot)
                p->entries[i].hw.valid = false;
    p->log(LOG_INFO, "counters: continued from %s, saved %.3f s before this first sample (%s boot)",
           p->path, wall_s - p->saved_wall_s, same_boot(p) ? "the same" : "another");
}

/* Joules the hardware counted between the saved reading and now, or NAN when it cannot say. */
static double
hardware_gap(const struct persist *p, const struct persist_entry *e, const struct persist_hw *now)
{
    const struct persist_hw *then = &e->hw;
    double d, watts, gap_s = p->wall_s - e->saved_wall_s;

    if (!then->valid || !now || !now->valid || then->falling != now->falling)
        return NAN;
    if (!same_boot(p) && !(then->survives_reboot && now->survives_reboot))
        return NAN;
    if (gap_s < now->min_gap_s)
        return NAN;                /* a level refreshed now and then: its staleness is most of a short fall */
    watts = then->power_w > now->power_w ? then->power_w : now->power_w;
    if (now->wrap_j > 0 && (watts > 0 ? gap_s * watts * 2 >= now->wrap_j : gap_s > PERSIST_UNKNOWN_POWER_MAX_GAP_S))
        return NAN;                /* it may have wrapped more than once: how often, nothing says */
    d = now->falling ? then->raw_j - now->raw_j : now->raw_j - then->raw_j;
    if (d < 0 && !now->falling && now->wrap_j > 0 && now->wrap_j == then->wrap_j)
        d += now->wrap_j;          /* one wrap */
    return d >= 0 ? d : NAN;       /* went back: a reset (or a charge) nothing can measure */
}

struct persist_entry *
persist_entry_named(struct persist *p, unsigned metric, const char *name)
{
    uint32_t hash = persist_name_hash(name);

    for (size_t i = 0; i < p->n; i++) {
        struct persist_entry *e = &p->entries[i];
        if (!e->retired && e->metric == metric && e->name_hash == hash && strcmp(e->name, name) == 0)
            return e;
    }
    return NULL;
}

/* The unseen saved line of this counter, or NULL; a line of it already
 * seen under another id is retired: the name is back as a new instance. */
static struct persist_entry *
saved_line(struct persist *p, unsigned metric, const char *name)
{
    struct persist_entry *e = persist_entry_named(p, metric, name);

    if (e && e->seen) {
        e->retired = true;
        return NULL;
    }
    return e;
}

double
persist_see(struct persist *p, unsigned metric, int inst, const char *name, double value,
            const struct persist_hw *hw)
{
    struct persist_entry *e = index_find(p, metric, inst);

    if (e && strcmp(e->name, name) != 0) {
        e->retired = true;         /* its id now names another instance */
        e = NULL;
    }
    if (!e) {
        if ((e = saved_line(p, metric, name)) != NULL) {
            /* the hardware's count reaches this sample, so this run's count
             * so far is inside it; without one, this run's count is all new,
             * less where the counter began (RAPL's at its first reading) */
            double gap = hardware_gap(p, e, hw);
            if (isfinite(gap))
                p->exact++;
            e->offset = isfinite(gap) ? e->value + gap - value
                                      : e->value - (hw && hw->valid && hw->value_is_raw ? value : 0.0);
        } else if ((e = persist_entry_add(p, metric, name)) == NULL) {
            return value;
        }
        e->seen = true;
        e->inst = inst;
        if (!p->index_lost && (p->n + 1) * 2 > p->nindex)
            index_rebuild(p, p->n + 1);
        else if (!p->index_lost)
            index_insert(p, (size_t)(e - p->entries));
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
