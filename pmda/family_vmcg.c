/* power.vm.attributed: VMs measured from their qemu cgroups (agent/vmcg.h);
 * ids from pmdaCache by domain name, kept across restarts. */
#include "family.h"
#include "vmcg.h"

#include <stdlib.h>
#include <syslog.h>

#define CLUSTER_VMCG 13
#define INDOM_VMCG 9

enum vmcg_item {
    VMCG_ENERGY = 0,
    VMCG_POWER = 1,
};

static pmdaMetric vmcg_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_VMCG, VMCG_ENERGY, PM_TYPE_DOUBLE, INDOM_VMCG, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_VMCG, VMCG_POWER,  PM_TYPE_DOUBLE, INDOM_VMCG, PM_SEM_INSTANT, NO_UNITS),
};

static int
vmcg_init(struct family_ctx *f)
{
    return (f->own = calloc(1, sizeof(struct vm_cgroups))) ? 0 : -1;
}

static void
vmcg_close(struct family_ctx *f)
{
    vmcg_free(f->own);
    free(f->own);
    f->own = NULL;
}

static void
vmcg_refresh(struct family_ctx *f)
{
    if (vmcg_update(f->own, f->agent->attribution.ledger) < 0)
        f->agent->env.log(LOG_ERR, "vm: out of memory: a VM found in the cgroups is not listed");
}

static size_t
vmcg_count(struct family_ctx *f)
{
    return ((struct vm_cgroups *)f->own)->count;
}

static void
vmcg_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    *id = (int)index;
    *name = ((struct vm_cgroups *)f->own)->vms[index].name;
}

static int
vmcg_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct vm_cgroups *v = f->own;
    const struct vm_account *vm;

    if (rq->index >= v->count)
        return PM_ERR_INST;
    vm = &v->vms[rq->index];
    switch ((enum vmcg_item)rq->item) {
    case VMCG_ENERGY: atom->d = vm->energy_j; return 1;
    case VMCG_POWER:  atom->d = vm->power_w; return vm->present;
    }
    return PM_ERR_PMID;
}

/* attributed, not exported: and the scope it was measured from */
static int
vmcg_labels(struct family_ctx *f, size_t index, pmLabelSet **lp)
{
    const struct vm_cgroups *v = f->own;

    if (index >= v->count)
        return 0;
    return pmdaAddLabels(lp, "{\"measured\":\"attributed\"}") < 0 ? 0 : 1;
}

const struct family vmcg_family = {
    .name = "vm.attributed",
    .metrics = vmcg_metrics,
    .nmetrics = sizeof(vmcg_metrics) / sizeof(vmcg_metrics[0]),
    .indom = INDOM_VMCG,
    .ids = IDS_CACHED,
    .init = vmcg_init,
    .close = vmcg_close,
    .refresh = vmcg_refresh,
    .count = vmcg_count,
    .instance = vmcg_instance,
    .fetch = vmcg_fetch,
    .labels = vmcg_labels,
};
