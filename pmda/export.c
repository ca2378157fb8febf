/*
 * export.c: the glue between the metric families and PCP. It joins the
 * families' rows into one metric table, builds each instance domain the
 * way its family asks (family.h), and sends each fetch, store and label
 * request to the family that owns the metric. It knows no family by name.
 */
#include "export.h"
#include "clock.h"
#include "domain.h"
#include "family.h"
#include "instset.h"
#include "persist.h"
#include "sysfs.h"
#include "units.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

struct family_slot {
    struct family_ctx ctx;
    bool              ready;         /* init() succeeded (or there was none) */
    struct instset    listed;        /* IDS_NATURAL */
    size_t            named;         /* IDS_CACHED: instances named to the cache so far */
};

struct export_context {
    struct power_agent  *agent;
    struct family_slot  *slots;
    size_t               nslots;
    pmdaMetric          *metrics;
    size_t               nmetrics;
    pmdaIndom           *indoms;
    size_t               nindoms;
    struct family_slot **by_cluster;     /* the family that owns each cluster */
    size_t               nclusters;
    struct store_gate    gate;
    struct persist      *counters;       /* energy counters continued across restarts */
};

/* The agent's one PCP-side context: PCP's fetch callback carries no user pointer. */
static struct export_context ctx;

struct power_agent *
export_agent(void)
{
    return ctx.agent;
}

static struct family_slot *
slot_of_cluster(unsigned cluster)
{
    return cluster < ctx.nclusters ? ctx.by_cluster[cluster] : NULL;
}

static bool index_of(struct family_slot *slot, unsigned inst, size_t *index);

static struct family_slot *
slot_of_indom(pmInDom indom)
{
    for (size_t i = 0; i < ctx.nslots; i++)
        if (ctx.slots[i].ctx.indom == indom && indom != PM_INDOM_NULL)
            return &ctx.slots[i];
    return NULL;
}

/* Every family's sources, once each, in table order: what the agent opens. */
size_t
export_sources(const struct source_ops **out, size_t max)
{
    size_t n = 0;

    for (const struct family *const *f = power_families; *f; f++) {
        bool seen = false;
        if (!(*f)->source)
            continue;
        for (size_t i = 0; i < n && !seen; i++)
            seen = out[i] == (*f)->source;
        if (!seen && n < max)
            out[n++] = (*f)->source;
    }
    return n;
}

/* Rows of every family in one table; clusters and indom serials must not clash. */
static bool
join_tables(void)
{
    size_t nfamilies = 0, nmetrics = 0, maxcluster = 0, maxindom = 0;

    for (const struct family *const *f = power_families; *f; f++) {
        nfamilies++;
        nmetrics += (*f)->nmetrics;
        if ((*f)->indom >= 0 && (size_t)(*f)->indom + 1 > maxindom)
            maxindom = (size_t)(*f)->indom + 1;
        for (size_t m = 0; m < (*f)->nmetrics; m++)
            if (pmID_cluster((*f)->metrics[m].m_desc.pmid) + 1 > maxcluster)
                maxcluster = pmID_cluster((*f)->metrics[m].m_desc.pmid) + 1;
    }
    ctx.slots = calloc(nfamilies, sizeof(*ctx.slots));
    ctx.metrics = calloc(nmetrics ? nmetrics : 1, sizeof(*ctx.metrics));
    ctx.indoms = calloc(maxindom ? maxindom : 1, sizeof(*ctx.indoms));
    ctx.by_cluster = calloc(maxcluster ? maxcluster : 1, sizeof(*ctx.by_cluster));
    if (!ctx.slots || !ctx.metrics || !ctx.indoms || !ctx.by_cluster)
        return false;
    ctx.nclusters = maxcluster;
    ctx.nindoms = maxindom;
    for (size_t i = 0; i < maxindom; i++)
        ctx.indoms[i].it_indom = pmInDom_build(POWER_DOMAIN, (unsigned)i);

    for (const struct family *const *f = power_families; *f; f++) {
        struct family_slot *slot = &ctx.slots[ctx.nslots++];
        slot->ctx.family = *f;
        slot->ctx.indom = (*f)->indom >= 0 ? ctx.indoms[(*f)->indom].it_indom : PM_INDOM_NULL;
        for (size_t m = 0; m < (*f)->nmetrics; m++) {
            pmdaMetric *row = &ctx.metrics[ctx.nmetrics++];
            unsigned cluster = pmID_cluster((*f)->metrics[m].m_desc.pmid);
            *row = (*f)->metrics[m];
            units_apply(row->m_user, &row->m_desc.units);    /* PCP 7.2's power unit (units.h) */
            if (row->m_desc.indom != PM_INDOM_NULL)
                row->m_desc.indom = slot->ctx.indom;
            if (ctx.by_cluster[cluster] && ctx.by_cluster[cluster] != slot) {
                pmNotifyErr(LOG_ERR, "families %s and %s both claim cluster %u",
                            ctx.by_cluster[cluster]->ctx.family->name, (*f)->name, cluster);
                return false;
            }
            ctx.by_cluster[cluster] = slot;
        }
        for (size_t k = 0; k + 1 < ctx.nslots; k++)
            if ((*f)->indom >= 0 && ctx.slots[k].ctx.family->indom == (*f)->indom) {
                pmNotifyErr(LOG_ERR, "families %s and %s both claim instance domain %d",
                            ctx.slots[k].ctx.family->name, (*f)->name, (*f)->indom);
                return false;
            }
    }
    return true;
}

/* Bring a family's instance domain up to its instances. */
static void
sync_indom(struct family_slot *slot)
{
    const struct family *f = slot->ctx.family;
    pmdaIndom *idp;
    size_t n;

    if (f->indom < 0 || f->ids == IDS_OWN || !f->count || !slot->ready)
        return;
    idp = &ctx.indoms[f->indom];
    n = f->count(&slot->ctx);
    if (f->ids == IDS_NATURAL) {
        if (!instset_begin(&slot->listed, n)) {
            idp->it_numinst = 0;
            return;
        }
        for (size_t i = 0; i < n; i++) {
            int id;
            const char *name;
            f->instance(&slot->ctx, i, &id, &name);
            instset_put(&slot->listed, i, id, name);
        }
        idp->it_set = slot->listed.set;
        idp->it_numinst = (int)n;
        return;
    }
    /* cached: a source only ever adds instances, each keeping its index and name */
    if (n == slot->named)
        return;
    for (size_t i = slot->named; i < n; i++) {
        int id;
        const char *name;
        f->instance(&slot->ctx, i, &id, &name);
        if (pmdaCacheStore(slot->ctx.indom, PMDA_CACHE_ADD, name, (void *)(uintptr_t)(i + 1)) < 0)
            pmNotifyErr(LOG_ERR, "%s: cannot add instance \"%s\" to its cache", f->name, name);
    }
    slot->named = n;
    pmdaCacheOp(slot->ctx.indom, PMDA_CACHE_SAVE);
}

/* $PCP_VAR_DIR/config/pmda/power.counters, beside the instance caches */
static struct persist *
open_counters(const struct power_agent *agent)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], boot_path[PATH_MAX + 64], boot_id[64];

    snprintf(dir, sizeof(dir), "%s/config/pmda", pmGetConfig("PCP_VAR_DIR"));
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        pmNotifyErr(LOG_ERR, "counters: cannot make %s: %s", dir, strerror(errno));
    snprintf(path, sizeof(path), "%s/power.counters", dir);
    snprintf(boot_path, sizeof(boot_path), "%s/proc/sys/kernel/random/boot_id", agent->root);
    if (sysfs_read_text(boot_path, boot_id, sizeof(boot_id)) < 0)
        boot_id[0] = '\0';
    boot_id[strcspn(boot_id, " \t")] = '\0';      /* one word: the file's boot line holds one */
    if (!boot_id[0])
        pmNotifyErr(LOG_WARNING, "counters: %s unreadable: across a restart, only a battery's "
                    "counter can add what it counted", boot_path);
    return persist_open(path, boot_id, pmNotifyErr);
}

bool
export_init(struct power_agent *agent, pmdaInterface *dp)
{
    ctx.agent = agent;
    if (!join_tables())
        return false;
    store_gate_init(&ctx.gate, agent->config);
    ctx.counters = open_counters(agent);
    for (size_t i = 0; i < ctx.nslots; i++) {
        struct family_slot *slot = &ctx.slots[i];
        const struct family *f = slot->ctx.family;

        slot->ctx.agent = agent;
        slot->ctx.gate = &ctx.gate;
        slot->ctx.counters = ctx.counters;
        slot->ctx.source = f->source ? agent_source_state(agent, f->source) : NULL;
        if (f->ids == IDS_CACHED && f->indom >= 0)
            pmdaCacheOp(slot->ctx.indom, PMDA_CACHE_LOAD);
        slot->ready = !f->init || f->init(&slot->ctx) == 0;
        if (!slot->ready)
            pmNotifyErr(LOG_ERR, "%s: out of memory: its metrics have no values", f->name);
        sync_indom(slot);
    }
    pmdaInit(dp, ctx.indoms, (int)ctx.nindoms, ctx.metrics, (int)ctx.nmetrics);
    return true;
}

/* An energy counter: what persist.h continues across restarts. */
static bool
continued_metric(const pmdaMetric *m)
{
    return m->m_desc.sem == PM_SEM_COUNTER && m->m_desc.type == PM_TYPE_DOUBLE
           && units_kind_of(m->m_user) == UNITS_KIND_ENERGY;
}

static unsigned
counter_key(pmID pmid)
{
    return pmID_cluster(pmid) * 1024 + pmID_item(pmid);
}

/* One counter of one instance at this sample: its value, and the hardware's behind it. */
static void
see_counter(struct family_slot *slot, const pmdaMetric *m, int inst, size_t index, const char *name)
{
    struct fetch_request rq = {
        .cluster = pmID_cluster(m->m_desc.pmid), .item = pmID_item(m->m_desc.pmid),
        .inst = (unsigned)inst, .index = index,
    };
    struct persist_hw hw = { 0 };
    pmAtomValue atom;

    if (slot->ctx.family->fetch(&slot->ctx, &rq, &atom) <= 0)
        return;           /* no value now: its saved line waits */
    if (slot->ctx.family->hardware && !slot->ctx.family->hardware(&slot->ctx, &rq, &hw))
        hw.valid = false;
    persist_see(ctx.counters, counter_key(m->m_desc.pmid), inst, name, atom.d, &hw);
}

/* Every energy counter of every instance at this sample. */
static void
see_counters(struct family_slot *slot)
{
    const struct family *f = slot->ctx.family;

    for (size_t m = 0; m < ctx.nmetrics; m++) {
        const pmdaMetric *row = &ctx.metrics[m];
        if (!continued_metric(row) || slot_of_cluster(pmID_cluster(row->m_desc.pmid)) != slot)
            continue;
        if (row->m_desc.indom == PM_INDOM_NULL) {
            see_counter(slot, row, (int)PM_IN_NULL, 0, "");
        } else if (f->per_run) {
            continue;
        } else if (f->ids != IDS_NATURAL) {
            int inst;
            pmdaCacheOp(slot->ctx.indom, PMDA_CACHE_WALK_REWIND);
            while ((inst = pmdaCacheOp(slot->ctx.indom, PMDA_CACHE_WALK_NEXT)) != -1) {
                char *name;
                size_t index;
                if (pmdaCacheLookup(slot->ctx.indom, inst, &name, NULL) == PMDA_CACHE_ACTIVE
                    && index_of(slot, (unsigned)inst, &index))
                    see_counter(slot, row, inst, index, name);
            }
        } else {
            /* sync_indom listed the family's index i at position i */
            const pmdaIndom *idp = &ctx.indoms[f->indom];
            for (int i = 0; i < idp->it_numinst; i++)
                if (idp->it_set[i].i_name)
                    see_counter(slot, row, idp->it_set[i].i_inst, (size_t)i, idp->it_set[i].i_name);
        }
    }
}

void
export_after_refresh(struct power_agent *agent)
{
    for (size_t i = 0; i < ctx.nslots; i++) {
        struct family_slot *slot = &ctx.slots[i];
        if (slot->ready && slot->ctx.family->refresh)
            slot->ctx.family->refresh(&slot->ctx);
        sync_indom(slot);
    }
    if (!ctx.counters)
        return;
    persist_begin(ctx.counters, agent->now.wall_s);
    for (size_t i = 0; i < ctx.nslots; i++)
        if (ctx.slots[i].ready)
            see_counters(&ctx.slots[i]);
    persist_save(ctx.counters, false);
}

void
export_close(struct power_agent *agent)
{
    (void)agent;
    for (size_t i = 0; i < ctx.nslots; i++) {
        struct family_slot *slot = &ctx.slots[i];
        if (slot->ready && slot->ctx.family->close)
            slot->ctx.family->close(&slot->ctx);
        instset_free(&slot->listed);
    }
    if (ctx.counters)
        persist_save(ctx.counters, true);
    persist_close(ctx.counters);
    store_gate_free(&ctx.gate);
    free(ctx.slots);
    free(ctx.metrics);
    free(ctx.indoms);
    free(ctx.by_cluster);
    memset(&ctx, 0, sizeof(ctx));
}

/* The family's index of an instance of its domain, or false. */
static bool
index_of(struct family_slot *slot, unsigned inst, size_t *index)
{
    void *private = NULL;

    switch (slot->ctx.family->ids) {
    case IDS_NATURAL:
        return instset_index(&slot->listed, (int)inst, index);
    case IDS_CACHED:
        if (pmdaCacheLookup(slot->ctx.indom, (int)inst, NULL, &private) != PMDA_CACHE_ACTIVE || !private)
            return false;
        *index = (size_t)((uintptr_t)private - 1);
        return true;
    case IDS_OWN:
        *index = inst;
        return true;
    }
    return false;
}

int
export_fetch(const pmdaMetric *mdesc, unsigned inst, pmAtomValue *atom)
{
    struct fetch_request rq = {
        .cluster = pmID_cluster(mdesc->m_desc.pmid), .item = pmID_item(mdesc->m_desc.pmid), .inst = inst,
    };
    struct family_slot *slot = slot_of_cluster(rq.cluster);
    double offset;
    int sts;

    if (!slot)
        return PM_ERR_PMID;
    if (!slot->ready)
        return 0;
    if (mdesc->m_desc.indom != PM_INDOM_NULL && !index_of(slot, inst, &rq.index))
        return PM_ERR_INST;
    sts = slot->ctx.family->fetch(&slot->ctx, &rq, atom);
    if (sts > 0 && ctx.counters && continued_metric(mdesc)
        && persist_offset(ctx.counters, counter_key(mdesc->m_desc.pmid), (int)inst, &offset))
        atom->d += offset;
    return sts;
}

int
export_store(int client, pmValueSet *vs)
{
    struct family_slot *slot = slot_of_cluster(pmID_cluster(vs->pmid));

    int sts;

    if (!slot || !slot->ready || !slot->ctx.family->store)
        return PM_ERR_PERMISSION;
    /* a store may add an instance (a phase mark): list it now, not at the next sample */
    if ((sts = slot->ctx.family->store(&slot->ctx, client, vs)) == 0)
        sync_indom(slot);
    return sts;
}

void
export_client_attribute(int client, int attr, const char *value, int length)
{
    size_t len = length > 0 ? (size_t)length : 0;

    if (attr == PMDA_ATTR_USERID)
        clients_set_uid(&ctx.gate.clients, client, value, len);
    else if (attr == PMDA_ATTR_GROUPID)
        clients_set_gid(&ctx.gate.clients, client, value, len);
}

void
export_client_end(int client)
{
    clients_end(&ctx.gate.clients, client);
}

int
export_item_labels(int pmid, pmLabelSet **lp)
{
    struct family_slot *slot = slot_of_cluster(pmID_cluster((pmID)pmid));

    for (size_t i = 0; i < ctx.nmetrics; i++)
        if ((int)ctx.metrics[i].m_desc.pmid == pmid && ctx.metrics[i].m_user)
            pmdaAddLabels(lp, "{\"units\":\"%s\"}", (const char *)ctx.metrics[i].m_user);
    if (slot && slot->ctx.family->estimate)
        pmdaAddLabels(lp, "{\"estimate\":true}");
    return 0;
}

int
export_instance_labels(pmInDom indom, unsigned inst, pmLabelSet **lp)
{
    struct family_slot *slot = slot_of_indom(indom);
    size_t index;

    if (!slot || !slot->ready || !slot->ctx.family->labels || !index_of(slot, inst, &index))
        return 0;
    return slot->ctx.family->labels(&slot->ctx, index, lp);
}
