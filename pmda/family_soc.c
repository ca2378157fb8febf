/* power.soc: Apple silicon from powermetrics (sources/powermetrics.h); fixed instances. */
#include "family.h"
#include "powermetrics.h"

#define CLUSTER_SOC 11
#define INDOM_SOC 7

enum soc_item {
    SOC_ENERGY = 0,
    SOC_POWER = 1,
};

static pmdaMetric soc_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_SOC, SOC_ENERGY, PM_TYPE_DOUBLE, INDOM_SOC, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_SOC, SOC_POWER,  PM_TYPE_DOUBLE, INDOM_SOC, PM_SEM_INSTANT, NO_UNITS),
};

static size_t
soc_count(struct family_ctx *f)
{
    (void)f;
    return SOC_NCOMPONENTS;
}

/* the components are fixed: the id is enum soc_component */
static void
soc_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    (void)f;
    *id = (int)index;
    *name = soc_component_name((unsigned)index);
}

static int
soc_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct pm_state *pm = f->source;
    struct soc_reading r;

    if (!pm || !powermetrics_reading(pm, (unsigned)rq->index, &r))
        return 0;
    switch ((enum soc_item)rq->item) {
    case SOC_ENERGY: atom->d = r.energy_j; return r.valid;
    case SOC_POWER:  atom->d = r.power_w; return r.valid;
    }
    return PM_ERR_PMID;
}

const struct family soc_family = {
    .name = "soc",
    .metrics = soc_metrics,
    .nmetrics = sizeof(soc_metrics) / sizeof(soc_metrics[0]),
    .indom = INDOM_SOC,
    .ids = IDS_NATURAL,
    .source = &powermetrics_source,
    .count = soc_count,
    .instance = soc_instance,
    .fetch = soc_fetch,
};
