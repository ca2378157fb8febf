/* power.source: each source's state, reason and error count (common/status.h). */
#include "family.h"

#define CLUSTER_SOURCE 4
#define INDOM_SOURCE 0

enum source_item {
    SOURCE_STATE = 0,
    SOURCE_REASON = 1,
    SOURCE_ERRORS = 2,
};

static pmdaMetric source_metrics[] = {
    FAMILY_METRIC(NULL, CLUSTER_SOURCE, SOURCE_STATE,  PM_TYPE_STRING, INDOM_SOURCE, PM_SEM_DISCRETE, NO_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_SOURCE, SOURCE_REASON, PM_TYPE_STRING, INDOM_SOURCE, PM_SEM_DISCRETE, NO_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_SOURCE, SOURCE_ERRORS, PM_TYPE_U64,    INDOM_SOURCE, PM_SEM_COUNTER,  COUNT_UNITS),
};

static size_t
source_count(struct family_ctx *f)
{
    return f->agent->nsources;
}

static void
source_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    *id = (int)index;
    *name = f->agent->sources[index].ops->name;
}

static int
source_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct source_slot *slot;
    const struct source_status *st;

    if (rq->index >= f->agent->nsources)
        return PM_ERR_INST;
    slot = &f->agent->sources[rq->index];
    st = slot->ops->status(slot->state);
    switch ((enum source_item)rq->item) {
    case SOURCE_STATE:  atom->cp = (char *)source_state_name(st->state); return PMDA_FETCH_STATIC;
    case SOURCE_REASON: atom->cp = (char *)st->reason; return PMDA_FETCH_STATIC;
    case SOURCE_ERRORS: atom->ull = st->errors; return 1;
    }
    return PM_ERR_PMID;
}

/* named to pmdaCache: a source added to the agent later gets a new id, and
 * the ids it had (rapl 0, model 1, meter 2, ...) stay */
const struct family source_family = {
    .name = "source",
    .metrics = source_metrics,
    .nmetrics = sizeof(source_metrics) / sizeof(source_metrics[0]),
    .indom = INDOM_SOURCE,
    .ids = IDS_CACHED,
    .count = source_count,
    .instance = source_instance,
    .fetch = source_fetch,
};
