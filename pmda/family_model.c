/* power.model: the utilisation model's estimate (sources/model.h), labelled as one. */
#include "family.h"
#include "model.h"

#define CLUSTER_MODEL 2

enum model_item {
    MODEL_ENERGY = 0,
    MODEL_POWER = 1,
    MODEL_UTILIZATION = 2,
};

static pmdaMetric model_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_MODEL, MODEL_ENERGY,      PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_MODEL, MODEL_POWER,       PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_MODEL, MODEL_UTILIZATION, PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT, NO_UNITS),
};

static int
model_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct model_state *model = f->source;
    struct model_reading r;

    if (!model)
        return 0;
    model_reading(model, &r);
    switch ((enum model_item)rq->item) {
    case MODEL_ENERGY:      atom->d = r.energy_j; return r.valid;
    case MODEL_POWER:       atom->d = r.power_w; return r.valid;
    case MODEL_UTILIZATION: atom->d = r.utilization; return r.valid;
    }
    return PM_ERR_PMID;
}

const struct family model_family = {
    .name = "model",
    .metrics = model_metrics,
    .nmetrics = sizeof(model_metrics) / sizeof(model_metrics[0]),
    .indom = -1,
    .source = &model_source,
    .estimate = true,
    .fetch = model_fetch,
};
