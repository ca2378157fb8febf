#include "cgroup_ids.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define PURGE_EVERY_S 600.0

struct cgroup_offset {
    int    inst;        /* its path's id in the cache */
    double base;        /* added to the ledger's energy */
    double last;        /* the last published energy */
};

void
cgroup_ids_init(struct cgroup_ids *c, pmInDom indom)
{
    memset(c, 0, sizeof(*c));
    c->indom = indom;
    pmdaCacheOp(indom, PMDA_CACHE_LOAD);
}

void
cgroup_ids_free(struct cgroup_ids *c)
{
    for (size_t i = 0; i < c->noffsets; i++)
        free(c->offsets[i]);
    free(c->offsets);
    c->offsets = NULL;
    c->noffsets = 0;
}

static struct cgroup_offset *
offset_new(struct cgroup_ids *c)
{
    struct cgroup_offset *off, **grown;

    grown = realloc(c->offsets, (c->noffsets + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    c->offsets = grown;
    if ((off = calloc(1, sizeof(*off))) == NULL)
        return NULL;
    c->offsets[c->noffsets++] = off;
    return off;
}

/* Offsets whose path the purge took from the cache go too. (pmdaCachePurgeCallback
 * would hand them over, but with no context of ours to find them in.) */
static void
forget_purged(struct cgroup_ids *c)
{
    for (size_t i = 0; i < c->noffsets;) {
        if (pmdaCacheLookup(c->indom, c->offsets[i]->inst, NULL, NULL) < 0) {
            free(c->offsets[i]);
            c->offsets[i] = c->offsets[--c->noffsets];
        } else
            i++;
    }
}

static void
purge_idle(struct cgroup_ids *c, double now_s, double retain_s, power_log_fn log)
{
    double period = retain_s / 2 < PURGE_EVERY_S ? retain_s / 2 : PURGE_EVERY_S;
    int idle, culled;

    if (period < 1)
        period = 1;
    if (c->next_purge_s == 0)
        c->next_purge_s = now_s + period;
    if (now_s < c->next_purge_s)
        return;
    c->next_purge_s = now_s + period;
    pmdaCacheOp(c->indom, PMDA_CACHE_SYNC);        /* stamps the paths that went idle */
    /* pmdaCachePurge counts the entries it purged before too: count the idle ones that went */
    idle = pmdaCacheOp(c->indom, PMDA_CACHE_SIZE_INACTIVE);
    pmdaCachePurge(c->indom, (time_t)retain_s);
    forget_purged(c);
    if ((culled = idle - pmdaCacheOp(c->indom, PMDA_CACHE_SIZE_INACTIVE)) > 0 && log)
        log(LOG_INFO, "cgroups: purged %d path%s with no process for %.0f s "
            "([attribution] cgroup_retain) from the instance cache",
            culled, culled == 1 ? "" : "s", retain_s);
}

void
cgroup_ids_sync(struct cgroup_ids *c, const struct ledger *ledger, double now_s,
                double retain_s, power_log_fn log)
{
    size_t n = ledger ? ledger_cgroup_count(ledger) : 0;

    pmdaCacheOp(c->indom, PMDA_CACHE_INACTIVE);
    for (size_t i = 0; i < n; i++) {
        const struct cgroup_account *acct = ledger_cgroup(ledger, i);
        struct cgroup_offset *off = NULL;
        int inst;

        if (pmdaCacheLookupName(c->indom, acct->path, &inst, (void **)&off) < 0 || !off)
            off = offset_new(c);
        if (off) {
            if (off->base + acct->energy_j < off->last)
                off->base = off->last;      /* the ledger started this path again */
            off->last = off->base + acct->energy_j;
        }
        inst = pmdaCacheStore(c->indom, PMDA_CACHE_ADD, acct->path, off);
        if (off)
            off->inst = inst;
    }
    purge_idle(c, now_s, retain_s, log);
    pmdaCacheOp(c->indom, PMDA_CACHE_SAVE);
}

bool
cgroup_ids_find(const struct cgroup_ids *c, const struct ledger *ledger, unsigned inst,
                const struct cgroup_account **account, double *energy_j)
{
    struct cgroup_offset *off = NULL;
    char *path = NULL;

    if (!ledger || pmdaCacheLookup(c->indom, (int)inst, &path, (void **)&off) != PMDA_CACHE_ACTIVE ||
        (*account = ledger_cgroup_find(ledger, path)) == NULL)
        return false;
    *energy_j = off ? off->last : (*account)->energy_j;
    return true;
}
