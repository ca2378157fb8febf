/* power.cgroup: per-cgroup energy, the sums of their processes' (attribution/attribution.h);
 * ids and counters that survive restarts and returning paths: cgroup_ids.h. */
#include "family.h"
#include "cgroup_ids.h"

#include <stdlib.h>

#define CLUSTER_CGROUP 6
#define INDOM_CGROUP 3

enum cgroup_item {
    CGROUP_ENERGY = 0,
    CGROUP_POWER = 1,
};

static pmdaMetric cgroup_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_CGROUP, CGROUP_ENERGY, PM_TYPE_DOUBLE, INDOM_CGROUP, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_CGROUP, CGROUP_POWER,  PM_TYPE_DOUBLE, INDOM_CGROUP, PM_SEM_INSTANT, NO_UNITS),
};

static int
cgroup_init(struct family_ctx *f)
{
    struct cgroup_ids *ids = calloc(1, sizeof(*ids));

    if (!ids)
        return -1;
    cgroup_ids_init(ids, f->indom);
    f->own = ids;
    return 0;
}

static void
cgroup_close(struct family_ctx *f)
{
    cgroup_ids_free(f->own);
    free(f->own);
    f->own = NULL;
}

static void
cgroup_refresh(struct family_ctx *f)
{
    const struct attribute_state *a = &f->agent->attribution;

    cgroup_ids_sync(f->own, a->ledger, f->agent->now.mono_s, a->cgroup_retain_s, f->agent->env.log);
}

static int
cgroup_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct cgroup_account *acct;
    double energy_j;

    if (!cgroup_ids_find(f->own, f->agent->attribution.ledger, rq->inst, &acct, &energy_j))
        return PM_ERR_INST;
    switch ((enum cgroup_item)rq->item) {
    case CGROUP_ENERGY: atom->d = energy_j; return 1;
    case CGROUP_POWER:  atom->d = acct->power_w; return 1;
    }
    return PM_ERR_PMID;
}

const struct family cgroup_family = {
    .name = "cgroup",
    .metrics = cgroup_metrics,
    .nmetrics = sizeof(cgroup_metrics) / sizeof(cgroup_metrics[0]),
    .indom = INDOM_CGROUP,
    .ids = IDS_OWN,
    .init = cgroup_init,
    .close = cgroup_close,
    .refresh = cgroup_refresh,
    .fetch = cgroup_fetch,
};
