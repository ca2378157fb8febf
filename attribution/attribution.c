/*
 * attribution.c: the ledger behind power.proc.* and power.cgroup.*.
 *
 * Processes and cgroups live in dense arrays of pointers (cheap iteration
 * for the agent's fetch, O(1) removal by swapping with the last) indexed by
 * the hash tables of ptrtable.h.
 */
#include "attribution.h"
#include "ptrtable.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the ledger */

struct cgroup_entry {
    struct cgroup_account pub;
    uint64_t hash;
    size_t   slot;          /* index in ledger->cgroups */
    double   interval_j;    /* members' energy in the current interval */
    char     path[];
};

struct proc_entry {
    struct proc_account  pub;
    struct cgroup_entry *cg;
    size_t   slot;          /* index in ledger->procs */
    uint64_t seen_gen;      /* the update that last listed it */
    uint64_t pending_c;     /* its c_i in the current update */
    double   interval_j;    /* its energy in the current update, GPUs' included */
    double   gone_at;
    char     name[];
};

struct ledger {
    enum attribute_mode  mode;
    enum idle_basis      idle_basis;
    double               idle_w;
    double               grace_s;
    uint64_t             gen;
    struct ptr_table     proc_index;
    struct proc_entry  **procs;
    size_t               nprocs, procs_cap;
    struct ptr_table     cgroup_index;
    struct cgroup_entry **cgroups;
    size_t               ncgroups, cgroups_cap;
    struct ledger_energy total, last;
    struct ledger_stats  stats;
    size_t               bytes;
};

static bool
proc_matches(const void *value, const void *key)
{
    return ((const struct proc_entry *)value)->pub.pid == *(const int32_t *)key;
}

static bool
cgroup_matches(const void *value, const void *key)
{
    return strcmp(((const struct cgroup_entry *)value)->path, (const char *)key) == 0;
}

/* Grows a dense pointer array so one more fits. */
static int
reserve_one(void ***array, size_t count, size_t *cap, size_t *bytes)
{
    if (count < *cap)
        return 0;
    size_t grown_cap = *cap ? 2 * *cap : 64;
    void **grown = realloc(*array, grown_cap * sizeof(void *));
    if (grown == NULL)
        return -ENOMEM;
    *bytes += (grown_cap - *cap) * sizeof(void *);
    *array = grown;
    *cap = grown_cap;
    return 0;
}

struct ledger *
ledger_new(enum attribute_mode mode, double grace_s)
{
    struct ledger *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->mode = mode;
    l->grace_s = (grace_s > 0 && isfinite(grace_s)) ? grace_s : 0;
    l->bytes = sizeof(*l);
    return l;
}

void
ledger_free(struct ledger *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->nprocs; i++)
        free(l->procs[i]);
    for (size_t i = 0; i < l->ncgroups; i++)
        free(l->cgroups[i]);
    free(l->procs);
    free(l->cgroups);
    free(l->proc_index.slots);
    free(l->cgroup_index.slots);
    free(l);
}

void
ledger_set_mode(struct ledger *l, enum attribute_mode mode)
{
    l->mode = mode;
}

void
ledger_set_idle(struct ledger *l, enum idle_basis basis, double idle_w)
{
    l->idle_basis = basis;
    l->idle_w = idle_w;
}

void
ledger_rebase(struct ledger *l)
{
    /* Skipping a generation makes every process look absent from the
     * previous snapshot, so the next update re-bases them all. */
    l->gen++;
}

enum attribute_mode
ledger_mode(const struct ledger *l)
{
    return l->mode;
}

static struct cgroup_entry *
cgroup_get(struct ledger *l, const char *path)
{
    uint64_t hash = ptr_hash_string(path);
    struct cgroup_entry *cg = ptr_table_find(&l->cgroup_index, hash, cgroup_matches, path);
    if (cg)
        return cg;

    size_t len = strlen(path);
    if (reserve_one((void ***)&l->cgroups, l->ncgroups, &l->cgroups_cap, &l->bytes) < 0)
        return NULL;
    if ((cg = calloc(1, sizeof(*cg) + len + 1)) == NULL)
        return NULL;
    memcpy(cg->path, path, len + 1);
    cg->pub.path = cg->path;
    cg->hash = hash;
    if (ptr_table_insert(&l->cgroup_index, hash, cg, &l->bytes) < 0) {
        free(cg);
        return NULL;
    }
    cg->slot = l->ncgroups;
    l->cgroups[l->ncgroups++] = cg;
    l->bytes += sizeof(*cg) + len + 1;
    return cg;
}

static void
cgroup_remove(struct ledger *l, struct cgroup_entry *cg)
{
    l->total.cgroups_removed += cg->pub.energy_j;
    l->last.cgroups_removed += cg->pub.energy_j;
    ptr_table_remove(&l->cgroup_index, cg->hash, cg);
    struct cgroup_entry *moved = l->cgroups[--l->ncgroups];
    l->cgroups[cg->slot] = moved;
    moved->slot = cg->slot;
    l->bytes -= sizeof(*cg) + strlen(cg->path) + 1;
    free(cg);
}

static struct proc_entry *
proc_add(struct ledger *l, const struct proc_sample *s)
{
    char fallback[16];
    const char *name = s->name;
    if (name == NULL) {
        snprintf(fallback, sizeof(fallback), "%06d", (int)s->pid);
        name = fallback;
    }
    struct cgroup_entry *cg = cgroup_get(l, s->cgroup ? s->cgroup : "/");
    if (cg == NULL)
        return NULL;
    if (reserve_one((void ***)&l->procs, l->nprocs, &l->procs_cap, &l->bytes) < 0)
        return NULL;

    size_t len = strlen(name);
    struct proc_entry *e = calloc(1, sizeof(*e) + len + 1);
    if (e == NULL)
        return NULL;
    memcpy(e->name, name, len + 1);
    e->pub.pid = s->pid;
    e->pub.start_ticks = s->start_ticks;
    e->pub.name = e->name;
    e->pub.cgroup = &cg->pub;
    e->pub.cpu_ns = s->cpu_ns;
    e->cg = cg;
    e->seen_gen = l->gen;
    if (ptr_table_insert(&l->proc_index, ptr_hash_pid(s->pid), e, &l->bytes) < 0) {
        free(e);
        return NULL;
    }
    e->slot = l->nprocs;
    l->procs[l->nprocs++] = e;
    cg->pub.members++;
    l->bytes += sizeof(*e) + len + 1;
    l->stats.procs_new++;
    return e;
}

/* The process leaves the table; its energy stays in the totals as exited
 * and in its cgroup. */
static void
proc_remove(struct ledger *l, struct proc_entry *e)
{
    l->total.exited += e->pub.energy_j;
    l->last.exited += e->pub.energy_j;
    e->cg->pub.members--;
    ptr_table_remove(&l->proc_index, ptr_hash_pid(e->pub.pid), e);
    struct proc_entry *moved = l->procs[--l->nprocs];
    l->procs[e->slot] = moved;
    moved->slot = e->slot;
    l->bytes -= sizeof(*e) + strlen(e->name) + 1;
    l->stats.procs_removed++;
    free(e);
}

/* Matches the snapshot against the table: records each process's c_i in
 * pending_c and returns C. */
static double
match_snapshot(struct ledger *l, const struct proc_sample *procs, size_t n, int *status)
{
    double C = 0;

    for (size_t k = 0; k < n; k++) {
        const struct proc_sample *s = &procs[k];
        struct proc_entry *e = ptr_table_find(&l->proc_index, ptr_hash_pid(s->pid), proc_matches, &s->pid);

        if (e && e->seen_gen == l->gen) {
            l->stats.duplicates++;
            continue;
        }
        if (e && e->pub.start_ticks != s->start_ticks) {
            /* One PCP instance per PID: the old holder goes now, grace
             * or not, so the new process can have the id. */
            l->stats.pid_reuses++;
            proc_remove(l, e);
            e = NULL;
        }
        if (e == NULL) {
            /* New: its basis is recorded, it contributes from next time. */
            if (proc_add(l, s) == NULL) {
                l->stats.dropped++;
                *status = -ENOMEM;
            }
            continue;
        }

        uint64_t c = 0;
        if (s->cpu_ns < e->pub.cpu_ns)
            l->stats.counter_resets++;
        else if (e->seen_gen + 1 == l->gen)
            c = s->cpu_ns - e->pub.cpu_ns;
        /* else it was missing from the previous snapshot: the growth spans
         * intervals whose energy is already apportioned, so only re-base. */
        e->pub.cpu_ns = s->cpu_ns;
        e->pub.gone = false;
        e->seen_gen = l->gen;
        e->pending_c = c;
        C += (double)c;
    }
    return C;
}

int
ledger_update(struct ledger *l, double now_s, double dt_s,
              double dE_j, uint64_t busy_ns, uint64_t total_ns,
              const struct proc_sample *procs, size_t n)
{
    int status = 0;

    l->gen++;
    l->stats.updates++;
    memset(&l->last, 0, sizeof(l->last));

    double C = match_snapshot(l, procs, n, &status);

    /* The interval's apportioning: scale turns c_i into joules. A
     * baseline splits dE without the CPU totals, but without them the c_i
     * compare to nothing: that active energy all goes to unattributed. */
    double E = (isfinite(dE_j) && dE_j > 0) ? dE_j : 0;
    double active = 0, base = 0, scale = 0;
    struct idle_split split;
    idle_split(l->idle_basis, l->idle_w, E, dt_s, busy_ns, total_ns, &split);
    if (total_ns == 0 || E == 0) {
        l->stats.no_attribution++;
        active = split.active;
        base = l->mode == ATTRIBUTE_ALL ? 0 : active;
    } else {
        double B = (double)(busy_ns < total_ns ? busy_ns : total_ns);
        active = split.active;
        if (l->mode == ATTRIBUTE_ALL) {
            base = E;
            scale = C > 0 ? E / C : 0;
        } else {
            double denom = B > C ? B : C;
            base = active;
            scale = denom > 0 ? active / denom : 0;
        }
    }

    for (size_t i = 0; i < l->ncgroups; i++)
        l->cgroups[i]->interval_j = 0;

    /* Descending, so a removal (swap with the last) only moves an entry
     * already visited. */
    double attributed = 0;
    for (size_t i = l->nprocs; i-- > 0;) {
        struct proc_entry *e = l->procs[i];
        if (e->seen_gen == l->gen) {
            double e_i = scale * (double)e->pending_c;
            e->pub.energy_j += e_i;
            e->pub.power_w = dt_s > 0 ? e_i / dt_s : 0;
            e->pub.share = base > 0 ? e_i / base : 0;
            e->interval_j = e_i;
            e->cg->pub.energy_j += e_i;
            e->cg->interval_j += e_i;
            attributed += e_i;
            continue;
        }
        if (!e->pub.gone) {
            e->pub.gone = true;
            e->gone_at = now_s;
            e->pub.power_w = 0;
            e->pub.share = 0;
        }
        if (now_s - e->gone_at >= l->grace_s)
            proc_remove(l, e);
    }

    for (size_t i = l->ncgroups; i-- > 0;) {
        struct cgroup_entry *cg = l->cgroups[i];
        cg->pub.power_w = dt_s > 0 ? cg->interval_j / dt_s : 0;
        cg->pub.last_j = cg->interval_j;
        if (cg->pub.members == 0)
            cgroup_remove(l, cg);
    }

    /* Rounding can leave sum e_i an ulp above base; never go negative. */
    double unattributed = base - attributed;
    if (unattributed < 0)
        unattributed = 0;

    l->last.system = E;
    l->last.active = active;
    l->last.idle = E - active;
    l->last.unexplained = split.unexplained;
    l->last.base = base;
    l->last.attributed = attributed;
    l->last.unattributed = unattributed;
    l->total.system += E;
    l->total.active += active;
    l->total.idle += E - active;
    l->total.unexplained += split.unexplained;
    l->total.base += base;
    l->total.attributed += attributed;
    l->total.unattributed += unattributed;
    return status;
}

/* Adds one interval's figure to the latest and the cumulative energies. */
static void
add_energy(struct ledger *l, double system, double active, double base, double attributed)
{
    double unattributed = base - attributed > 0 ? base - attributed : 0;
    struct ledger_energy *to[2] = { &l->last, &l->total };

    for (int k = 0; k < 2; k++) {
        to[k]->system += system;
        to[k]->active += active;
        to[k]->idle += system - active;
        to[k]->base += base;
        to[k]->attributed += attributed;
        to[k]->unattributed += unattributed;
        to[k]->gpu_system += system;
        to[k]->gpu_active += active;
        to[k]->gpu_base += base;
        to[k]->gpu_attributed += attributed;
        to[k]->gpu_unattributed += unattributed;
    }
}

void
ledger_add_gpu(struct ledger *l, double dt_s, double gpu_j, double gpu_active_j, double scale,
               const struct proc_gpu_energy *procs, size_t n)
{
    double base, attributed = 0, cpu_base = l->last.base;

    if (!(isfinite(gpu_j) && gpu_j > 0 && isfinite(scale) && scale > 0))
        return;
    if (!(isfinite(gpu_active_j) && gpu_active_j >= 0))
        gpu_active_j = 0;
    if (gpu_active_j > gpu_j)
        gpu_active_j = gpu_j;
    base = l->mode == ATTRIBUTE_ALL ? gpu_j : gpu_active_j;
    for (size_t i = 0; i < n; i++) {
        struct proc_entry *e = ptr_table_find(&l->proc_index, ptr_hash_pid(procs[i].pid), proc_matches, &procs[i].pid);
        double e_i = scale * (l->mode == ATTRIBUTE_ALL ? procs[i].all_j : procs[i].active_j);

        /* only a process the latest update listed alive; never more than the base */
        if (!e || e->seen_gen != l->gen || !(isfinite(e_i) && e_i > 0))
            continue;
        if (attributed + e_i > base)
            e_i = base - attributed;
        e->pub.energy_j += e_i;
        e->pub.gpu_energy_j += e_i;
        e->pub.power_w += dt_s > 0 ? e_i / dt_s : 0;
        e->cg->pub.energy_j += e_i;
        e->cg->pub.power_w += dt_s > 0 ? e_i / dt_s : 0;
        e->interval_j += e_i;
        attributed += e_i;
    }
    /* shares of the whole interval's base, CPU and GPU together */
    for (size_t i = 0; i < l->nprocs; i++) {
        struct proc_entry *e = l->procs[i];

        if (e->seen_gen == l->gen)
            e->pub.share = cpu_base + base > 0 ? e->interval_j / (cpu_base + base) : 0;
    }
    add_energy(l, gpu_j, gpu_active_j, base, attributed);
}

size_t
ledger_proc_count(const struct ledger *l)
{
    return l->nprocs;
}

const struct proc_account *
ledger_proc(const struct ledger *l, size_t i)
{
    return i < l->nprocs ? &l->procs[i]->pub : NULL;
}

const struct proc_account *
ledger_proc_find(const struct ledger *l, int32_t pid)
{
    const struct proc_entry *e = ptr_table_find(&l->proc_index, ptr_hash_pid(pid), proc_matches, &pid);
    return e ? &e->pub : NULL;
}

size_t
ledger_cgroup_count(const struct ledger *l)
{
    return l->ncgroups;
}

const struct cgroup_account *
ledger_cgroup(const struct ledger *l, size_t i)
{
    return i < l->ncgroups ? &l->cgroups[i]->pub : NULL;
}

const struct cgroup_account *
ledger_cgroup_find(const struct ledger *l, const char *path)
{
    const struct cgroup_entry *cg = ptr_table_find(&l->cgroup_index, ptr_hash_string(path), cgroup_matches, path);
    return cg ? &cg->pub : NULL;
}

const struct ledger_energy *
ledger_total(const struct ledger *l)
{
    return &l->total;
}

const struct ledger_energy *
ledger_last(const struct ledger *l)
{
    return &l->last;
}

const struct ledger_stats *
ledger_stats(const struct ledger *l)
{
    return &l->stats;
}

size_t
ledger_memory(const struct ledger *l)
{
    return l->bytes;
}
