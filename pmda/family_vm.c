/* power.vm: per-VM energy files (sources/vm.h); ids from pmdaCache, kept across restarts. */
#include "family.h"
#include "vm.h"

#define CLUSTER_VM 10
#define INDOM_VM 6

enum vm_item {
    VM_ENERGY = 0,
    VM_POWER = 1,
    VM_RESETS = 2,
};

static pmdaMetric vm_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_VM, VM_ENERGY, PM_TYPE_DOUBLE, INDOM_VM, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_VM, VM_POWER,  PM_TYPE_DOUBLE, INDOM_VM, PM_SEM_INSTANT, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_VM, VM_RESETS, PM_TYPE_U64,    INDOM_VM, PM_SEM_COUNTER, COUNT_UNITS),
};

static size_t
vm_family_count(struct family_ctx *f)
{
    const struct vm_state *vms = f->source;

    return vms ? vm_count(vms) : 0;
}

static void
vm_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    const struct vm_state *vms = f->source;
    struct vm_info v;

    vm_get(vms, index, &v);
    *id = (int)v.id;
    *name = v.name;
}

static int
vm_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct vm_state *vms = f->source;
    struct vm_info v;

    if (!vms || !vm_get(vms, rq->index, &v))
        return PM_ERR_INST;
    switch ((enum vm_item)rq->item) {
    case VM_ENERGY: atom->d = v.energy_j; return v.present && v.has_energy;
    case VM_POWER:  atom->d = v.power_w; return v.has_power;
    case VM_RESETS: atom->ull = v.resets; return v.present;
    }
    return PM_ERR_PMID;
}

/* exported by Scaphandre, not attributed by this agent (power.vm.attributed) */
static int
vm_labels(struct family_ctx *f, size_t index, pmLabelSet **lp)
{
    (void)f;
    (void)index;
    return pmdaAddLabels(lp, "{\"measured\":\"exported\"}") < 0 ? 0 : 1;
}

const struct family vm_family = {
    .name = "vm",
    .metrics = vm_metrics,
    .nmetrics = sizeof(vm_metrics) / sizeof(vm_metrics[0]),
    .indom = INDOM_VM,
    .ids = IDS_CACHED,
    .source = &vm_source,
    .count = vm_family_count,
    .instance = vm_instance,
    .fetch = vm_fetch,
    .labels = vm_labels,
};
