/* power.proc: per-process energy from the attribution ledger (attribution/attribution.h).
 * Instances are named as the proc PMDA names them, id = PID, name "%06d cmd",
 * so power.proc.* joins proc.* in pmrep and Grafana. */
#include "family.h"

#define CLUSTER_PROC 5
#define INDOM_PROC 2

enum proc_item {
    PROC_ENERGY = 0,
    PROC_POWER = 1,
    PROC_SHARE = 2,
    PROC_UNATTRIBUTED_ENERGY = 3,
    PROC_EXITED_ENERGY = 4,
    PROC_ATTRIBUTED_ENERGY = 5,
    PROC_COUNT = 6,
    PROC_GPU_ENERGY = 7,
    PROC_GPU_UNATTRIBUTED_ENERGY = 8,
};

static pmdaMetric proc_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_PROC, PROC_ENERGY,              PM_TYPE_DOUBLE, INDOM_PROC, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_PROC, PROC_POWER,               PM_TYPE_DOUBLE, INDOM_PROC, PM_SEM_INSTANT, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_PROC, PROC_SHARE,               PM_TYPE_DOUBLE, INDOM_PROC, PM_SEM_INSTANT, NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_PROC, PROC_UNATTRIBUTED_ENERGY, PM_TYPE_DOUBLE, NO_INDOM,   PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_PROC, PROC_EXITED_ENERGY,       PM_TYPE_DOUBLE, NO_INDOM,   PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_PROC, PROC_ATTRIBUTED_ENERGY,   PM_TYPE_DOUBLE, NO_INDOM,   PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_PROC, PROC_COUNT,               PM_TYPE_U32,    NO_INDOM,   PM_SEM_INSTANT, COUNT_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_PROC, PROC_GPU_ENERGY,          PM_TYPE_DOUBLE, INDOM_PROC, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_PROC, PROC_GPU_UNATTRIBUTED_ENERGY, PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER, NO_UNITS),
};

/* the ledger keeps the names until its next update, after which the glue lists again */
static size_t
proc_count(struct family_ctx *f)
{
    const struct ledger *ledger = f->agent->attribution.ledger;

    return ledger ? ledger_proc_count(ledger) : 0;
}

static void
proc_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    const struct proc_account *p = ledger_proc(f->agent->attribution.ledger, index);

    *id = p->pid;
    *name = p->name;
}

static int
proc_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct ledger *ledger = f->agent->attribution.ledger;
    const struct proc_account *p;

    if (!ledger)
        return rq->item <= PROC_SHARE || rq->item == PROC_GPU_ENERGY ? PM_ERR_INST : 0;
    switch ((enum proc_item)rq->item) {
    case PROC_UNATTRIBUTED_ENERGY: atom->d = ledger_total(ledger)->unattributed; return 1;
    case PROC_EXITED_ENERGY:       atom->d = ledger_total(ledger)->exited; return 1;
    case PROC_ATTRIBUTED_ENERGY:   atom->d = ledger_total(ledger)->attributed; return 1;
    case PROC_COUNT:               atom->ul = (uint32_t)ledger_proc_count(ledger); return 1;
    case PROC_GPU_UNATTRIBUTED_ENERGY: atom->d = ledger_total(ledger)->gpu_unattributed; return 1;
    default:
        break;
    }
    if (rq->index >= ledger_proc_count(ledger))
        return PM_ERR_INST;
    p = ledger_proc(ledger, rq->index);
    switch ((enum proc_item)rq->item) {
    case PROC_ENERGY: atom->d = p->energy_j; return 1;
    case PROC_POWER:  atom->d = p->power_w; return !p->gone;
    case PROC_SHARE:  atom->d = p->share; return !p->gone;
    case PROC_GPU_ENERGY: atom->d = p->gpu_energy_j; return 1;
    default:
        return PM_ERR_PMID;
    }
}

const struct family proc_family = {
    .name = "proc",
    .metrics = proc_metrics,
    .nmetrics = sizeof(proc_metrics) / sizeof(proc_metrics[0]),
    .indom = INDOM_PROC,
    .ids = IDS_NATURAL,
    .per_run = true,
    .count = proc_count,
    .instance = proc_instance,
    .fetch = proc_fetch,
};
