/* power.phase: marks stored by pmpower mark (agent/phaselog.h), kept for pmlogger. */
#include "family.h"
#include "phaselog.h"

#include <stdlib.h>

#define CLUSTER_PHASE 12
#define INDOM_PHASE 8

enum phase_item {
    PHASE_MARK = 0,
    PHASE_LOG = 1,
    PHASE_MARKS = 2,
    PHASE_THROTTLED = 3,
};

static pmdaMetric phase_metrics[] = {
    FAMILY_METRIC(NULL, CLUSTER_PHASE, PHASE_MARK,      PM_TYPE_STRING, NO_INDOM,    PM_SEM_DISCRETE, NO_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_PHASE, PHASE_LOG,       PM_TYPE_STRING, INDOM_PHASE, PM_SEM_DISCRETE, NO_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_PHASE, PHASE_MARKS,     PM_TYPE_U64,    NO_INDOM,    PM_SEM_COUNTER,  COUNT_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_PHASE, PHASE_THROTTLED, PM_TYPE_U64,    NO_INDOM,    PM_SEM_COUNTER,  COUNT_UNITS),
};

static int
phase_init(struct family_ctx *f)
{
    struct phaselog *log = malloc(sizeof(*log));

    if (!log)
        return -1;
    phaselog_init(log);
    f->own = log;
    return 0;
}

static void
phase_close(struct family_ctx *f)
{
    free(f->own);
    f->own = NULL;
}

static size_t
phase_count(struct family_ctx *f)
{
    return ((const struct phaselog *)f->own)->count;
}

/* one instance per kept mark: id and name its sequence number */
static void
phase_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    const struct phase_mark *m = phaselog_at(f->own, index);

    *id = m->seq;
    *name = m->name;
}

static int
phase_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct phaselog *log = f->own;
    const struct phase_mark *m;

    switch ((enum phase_item)rq->item) {
    case PHASE_MARK:
        if ((m = phaselog_latest(log)) == NULL)
            return 0;
        atom->cp = (char *)m->text;
        return PMDA_FETCH_STATIC;
    case PHASE_LOG:
        if (rq->index >= log->count)
            return PM_ERR_INST;
        atom->cp = (char *)phaselog_at(log, rq->index)->text;
        return PMDA_FETCH_STATIC;
    case PHASE_MARKS:
        atom->ull = log->stored;
        return 1;
    case PHASE_THROTTLED:
        atom->ull = f->gate->clients.throttled;
        return 1;
    }
    return PM_ERR_PMID;
}

static int
phase_store(struct family_ctx *f, int client, pmValueSet *vs)
{
    const char *text;
    int sts;

    if (pmID_item(vs->pmid) != PHASE_MARK)
        return PM_ERR_PERMISSION;
    if ((sts = store_gate_check(f->gate, client, REQUEST_MARK, "power.phase.mark")) < 0)
        return sts;
    if ((text = family_stored_string(vs)) == NULL || phaselog_store(f->own, text, wall_seconds()) < 0)
        return PM_ERR_BADSTORE;
    return 0;
}

const struct family phase_family = {
    .name = "phase",
    .metrics = phase_metrics,
    .nmetrics = sizeof(phase_metrics) / sizeof(phase_metrics[0]),
    .indom = INDOM_PHASE,
    .ids = IDS_NATURAL,
    .init = phase_init,
    .close = phase_close,
    .count = phase_count,
    .instance = phase_instance,
    .fetch = phase_fetch,
    .store = phase_store,
};
