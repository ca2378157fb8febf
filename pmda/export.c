#include "export.h"
#include "config.h"
#include "domain.h"
#include "model.h"
#include "rapl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define J "joules"
#define W "watts"
#define NONE PMDA_PMUNITS(0, 0, 0, 0, 0, 0)
#define SECONDS PMDA_PMUNITS(0, 1, 0, 0, PM_TIME_SEC, 0)
#define COUNT PMDA_PMUNITS(0, 0, 1, 0, 0, PM_COUNT_ONE)

#define METRIC(units_label, cluster, item, type, indom, sem, units) \
    { (void *)(units_label), { PMDA_PMID(cluster, item), type, indom, sem, units } }

/* The indom field holds the serial until export_init() builds full pmInDoms. */
static pmdaMetric metrictab[] = {
    /* power.system */
    METRIC(J,    CLUSTER_SYSTEM, 0, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_SYSTEM, 1, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_SYSTEM, 2, PM_TYPE_STRING, PM_INDOM_NULL, PM_SEM_DISCRETE, NONE),
    METRIC(J,    CLUSTER_SYSTEM, 3, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(J,    CLUSTER_SYSTEM, 4, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(NULL, CLUSTER_SYSTEM, 5, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    METRIC(W,    CLUSTER_SYSTEM, 6, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    /* power.rapl */
    METRIC(J,    CLUSTER_RAPL, 0, PM_TYPE_DOUBLE, INDOM_RAPL, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_RAPL, 1, PM_TYPE_DOUBLE, INDOM_RAPL, PM_SEM_INSTANT, NONE),
    METRIC(J,    CLUSTER_RAPL, 2, PM_TYPE_DOUBLE, INDOM_RAPL, PM_SEM_DISCRETE, NONE),
    METRIC(NULL, CLUSTER_RAPL, 3, PM_TYPE_U64,    INDOM_RAPL, PM_SEM_COUNTER, COUNT),
    METRIC(NULL, CLUSTER_RAPL, 4, PM_TYPE_U64,    INDOM_RAPL, PM_SEM_COUNTER, COUNT),
    /* power.model */
    METRIC(J,    CLUSTER_MODEL, 0, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_MODEL, 1, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_MODEL, 2, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    /* power.control */
    METRIC(NULL, CLUSTER_CONTROL, 0, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_DISCRETE, SECONDS),
    METRIC(NULL, CLUSTER_CONTROL, 2, PM_TYPE_U32,    PM_INDOM_NULL, PM_SEM_DISCRETE, COUNT),
    METRIC(NULL, CLUSTER_CONTROL, 3, PM_TYPE_U64,    PM_INDOM_NULL, PM_SEM_COUNTER, COUNT),
    /* power.source */
    METRIC(NULL, CLUSTER_SOURCE, 0, PM_TYPE_STRING, INDOM_SOURCE, PM_SEM_DISCRETE, NONE),
    METRIC(NULL, CLUSTER_SOURCE, 1, PM_TYPE_STRING, INDOM_SOURCE, PM_SEM_DISCRETE, NONE),
    METRIC(NULL, CLUSTER_SOURCE, 2, PM_TYPE_U64,    INDOM_SOURCE, PM_SEM_COUNTER, COUNT),
};

struct export_context {
    struct power_agent *agent;
    pmdaIndom           indoms[NUM_INDOMS];
    size_t              rapl_zones_listed;
    bool                interval_changed;
};

/* The agent's one PCP-side context: PCP's fetch callback carries no user pointer. */
static struct export_context ctx;

struct power_agent *
export_agent(void)
{
    return ctx.agent;
}


/* RAPL instance ids follow the kernel's zone ids (intel-rapl:N:M -> N*100+M+1),
 * so an instance keeps its id across agent restarts and in archives. */
static int
rapl_instance_id(const char *sysfs_id, size_t index)
{
    const char *colon = strchr(sysfs_id, ':');
    int base = strncmp(sysfs_id, "intel-rapl-mmio", 15) == 0 ? 10000 : 0;
    int n = 0, m = -1;

    if (!colon || sscanf(colon + 1, "%d:%d", &n, &m) < 1 || n < 0 || n > 98 || m > 98)
        return 20000 + (int)index;
    return base + n * 100 + m + 1;
}

static void
rebuild_rapl_indom(struct power_agent *agent)
{
    void *rapl = agent_source(agent, "rapl");
    size_t n = rapl ? rapl_zone_count(rapl) : 0;
    pmdaIndom *idp = &ctx.indoms[INDOM_RAPL];
    pmdaInstid *set;

    if (n == ctx.rapl_zones_listed && idp->it_set)
        return;
    if ((set = calloc(n ? n : 1, sizeof(*set))) == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        struct rapl_zone_info z;
        rapl_zone(rapl, i, &z);
        set[i].i_inst = rapl_instance_id(z.sysfs_id, i);
        set[i].i_name = (char *)z.name;   /* zone names live as long as the source */
    }
    free(idp->it_set);
    idp->it_set = set;
    idp->it_numinst = (int)n;
    ctx.rapl_zones_listed = n;
}

static bool
rapl_index_of(struct power_agent *agent, unsigned inst, size_t *index)
{
    const pmdaIndom *idp = &ctx.indoms[INDOM_RAPL];

    (void)agent;
    for (int i = 0; i < idp->it_numinst; i++) {
        if ((unsigned)idp->it_set[i].i_inst == inst) {
            *index = (size_t)i;
            return true;
        }
    }
    return false;
}

static void
build_source_indom(struct power_agent *agent)
{
    pmdaIndom *idp = &ctx.indoms[INDOM_SOURCE];
    pmdaInstid *set = calloc(agent->nsources ? agent->nsources : 1, sizeof(*set));

    if (!set)
        return;
    for (unsigned i = 0; i < agent->nsources; i++) {
        set[i].i_inst = (int)i;
        set[i].i_name = (char *)agent->sources[i].ops->name;
    }
    idp->it_set = set;
    idp->it_numinst = (int)agent->nsources;
}

void
export_init(struct power_agent *agent, pmdaInterface *dp)
{
    size_t nmetrics = sizeof(metrictab) / sizeof(metrictab[0]);

    ctx.agent = agent;
    for (unsigned i = 0; i < NUM_INDOMS; i++)
        ctx.indoms[i].it_indom = pmInDom_build(POWER_DOMAIN, i);
    for (size_t i = 0; i < nmetrics; i++) {
        pmDesc *d = &metrictab[i].m_desc;
        if (d->indom != PM_INDOM_NULL)
            d->indom = pmInDom_build(POWER_DOMAIN, d->indom);
    }
    build_source_indom(agent);
    rebuild_rapl_indom(agent);
    pmdaInit(dp, ctx.indoms, NUM_INDOMS, metrictab, (int)nmetrics);
}

void
export_close(struct power_agent *agent)
{
    (void)agent;
    for (unsigned i = 0; i < NUM_INDOMS; i++) {
        if (i == INDOM_RAPL || i == INDOM_SOURCE)
            free(ctx.indoms[i].it_set);
        ctx.indoms[i].it_set = NULL;
    }
}

void
export_after_refresh(struct power_agent *agent)
{
    rebuild_rapl_indom(agent);
}

void
export_refresh_indoms(struct power_agent *agent, pmdaExt *pmda)
{
    (void)agent;
    (void)pmda;
}

static int
fetch_system(struct power_agent *agent, unsigned item, pmAtomValue *atom)
{
    const struct system_state *s = &agent->system;

    switch (item) {
    case 0: atom->d = s->energy_j; return s->have_power;
    case 1: atom->d = s->power_w; return s->have_power && s->chosen >= 0;
    case 2: atom->cp = (char *)system_source_name(s); return PMDA_FETCH_STATIC;
    case 3: atom->d = s->active_j; return s->have_power;
    case 4: atom->d = s->idle_j; return s->have_power;
    case 5: atom->d = s->utilization; return s->have_cpu && agent->samples > 1;
    case 6: atom->d = s->active_power_w; return s->have_power && s->chosen >= 0;
    }
    return PM_ERR_PMID;
}

static int
fetch_rapl(struct power_agent *agent, unsigned item, unsigned inst, pmAtomValue *atom)
{
    void *rapl = agent_source(agent, "rapl");
    struct rapl_zone_info z;
    size_t index;

    if (!rapl || !rapl_index_of(agent, inst, &index) || !rapl_zone(rapl, index, &z))
        return PM_ERR_INST;
    switch (item) {
    case 0: atom->d = z.energy_j; return z.present;
    case 1: atom->d = z.power_w; return z.present && z.has_power;
    case 2: atom->d = z.max_range_j; return z.max_range_j > 0;
    case 3: atom->ull = z.wraps; return 1;
    case 4: atom->ull = z.resets; return 1;
    }
    return PM_ERR_PMID;
}

static int
fetch_model(struct power_agent *agent, unsigned item, pmAtomValue *atom)
{
    void *model = agent_source(agent, "model");
    struct model_reading r;

    if (!model)
        return 0;
    model_reading(model, &r);
    switch (item) {
    case 0: atom->d = r.energy_j; return r.valid;
    case 1: atom->d = r.power_w; return r.valid;
    case 2: atom->d = r.utilization; return r.valid;
    }
    return PM_ERR_PMID;
}

static int
fetch_control(struct power_agent *agent, unsigned item, pmAtomValue *atom)
{
    switch (item) {
    case 0: atom->d = agent->interval_s; return 1;
    case 2: atom->ul = config_error_count(agent->config); return 1;
    case 3: atom->ull = agent->samples; return 1;
    }
    return PM_ERR_PMID;
}

static int
fetch_source(struct power_agent *agent, unsigned item, unsigned inst, pmAtomValue *atom)
{
    const struct source_slot *slot;
    const char *why = "";
    enum source_state state;

    if (inst >= agent->nsources)
        return PM_ERR_INST;
    slot = &agent->sources[inst];
    state = slot->ops->state(slot->state, &why);
    switch (item) {
    case 0: atom->cp = (char *)source_state_name(state); return PMDA_FETCH_STATIC;
    case 1: atom->cp = (char *)(why ? why : ""); return PMDA_FETCH_STATIC;
    case 2: atom->ull = slot->ops->errors(slot->state); return 1;
    }
    return PM_ERR_PMID;
}

int
export_fetch(struct power_agent *agent, unsigned cluster, unsigned item,
             unsigned inst, pmAtomValue *atom)
{
    switch (cluster) {
    case CLUSTER_SYSTEM:  return fetch_system(agent, item, atom);
    case CLUSTER_RAPL:    return fetch_rapl(agent, item, inst, atom);
    case CLUSTER_MODEL:   return fetch_model(agent, item, atom);
    case CLUSTER_CONTROL: return fetch_control(agent, item, atom);
    case CLUSTER_SOURCE:  return fetch_source(agent, item, inst, atom);
    }
    return PM_ERR_PMID;
}

int
export_store(struct power_agent *agent, pmValueSet *vsp)
{
    pmID pmid = vsp->pmid;
    pmAtomValue av;
    int sts;

    if (pmID_cluster(pmid) != CLUSTER_CONTROL)
        return PM_ERR_PERMISSION;
    switch (pmID_item(pmid)) {
    case 0:
        if (vsp->numval != 1)
            return PM_ERR_INST;
        if ((sts = pmExtractValue(vsp->valfmt, &vsp->vlist[0], PM_TYPE_DOUBLE, &av, PM_TYPE_DOUBLE)) < 0)
            return sts;
        if (!(av.d >= POWER_MIN_INTERVAL && av.d <= POWER_MAX_INTERVAL))
            return PM_ERR_BADSTORE;
        agent->interval_s = av.d;
        ctx.interval_changed = true;
        pmNotifyErr(LOG_INFO, "sampling interval set to %g s by pmstore", av.d);
        return 0;
    }
    return PM_ERR_PERMISSION;
}

bool
export_interval_changed(struct power_agent *agent)
{
    bool changed = ctx.interval_changed;

    (void)agent;
    ctx.interval_changed = false;
    return changed;
}

int
export_instance_labels(struct power_agent *agent, pmInDom indom, unsigned inst, pmLabelSet **lp)
{
    (void)agent;
    (void)indom;
    (void)inst;
    (void)lp;
    return 0;
}

const char *
export_units_label(int ident)
{
    for (size_t i = 0; i < sizeof(metrictab) / sizeof(metrictab[0]); i++)
        if ((int)metrictab[i].m_desc.pmid == ident)
            return metrictab[i].m_user;
    return NULL;
}

bool
export_is_estimate(int ident)
{
    return pmID_cluster((pmID)ident) == CLUSTER_MODEL;
}
