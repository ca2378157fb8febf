/* power.gpu: every GPU, from NVML and the GPU drivers' hwmon sensors
 * (sources/gpu.h); ids from the GPU's UUID or PCI address, so they survive
 * restarts and a reordering of the GPUs. */
#include "family.h"
#include "gpu.h"

#include <ctype.h>

#define CLUSTER_GPU 16
#define CLUSTER_GPU_TOTAL 17
#define INDOM_GPU 11

enum gpu_item {
    GPU_ENERGY = 0,
    GPU_POWER = 1,
    GPU_LIMIT = 2,
    GPU_RESETS = 3,
    GPU_INTEGRATED = 4,
};

enum gpu_total_item {
    GPU_TOTAL_ENERGY = 0,
    GPU_TOTAL_POWER = 1,
};

static pmdaMetric gpu_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_GPU, GPU_ENERGY,     PM_TYPE_DOUBLE, INDOM_GPU, PM_SEM_COUNTER,  NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_GPU, GPU_POWER,      PM_TYPE_DOUBLE, INDOM_GPU, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_GPU, GPU_LIMIT,      PM_TYPE_DOUBLE, INDOM_GPU, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_GPU, GPU_RESETS,     PM_TYPE_U64,    INDOM_GPU, PM_SEM_COUNTER,  COUNT_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_GPU, GPU_INTEGRATED, PM_TYPE_U32,    INDOM_GPU, PM_SEM_DISCRETE, NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_GPU_TOTAL, GPU_TOTAL_ENERGY, PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_GPU_TOTAL, GPU_TOTAL_POWER,  PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT, NO_UNITS),
};

static size_t
gpu_family_count(struct family_ctx *f)
{
    return f->source ? gpu_count(f->source) : 0;
}

static void
gpu_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    struct gpu_info g;

    gpu_get(f->source, index, &g);
    *id = g.id;
    *name = g.name;
}

static int
gpu_total_fetch(struct family_ctx *f, unsigned item, pmAtomValue *atom)
{
    double energy_j, power_w;
    bool valid = f->source && gpu_total(f->source, &energy_j, &power_w);

    switch ((enum gpu_total_item)item) {
    case GPU_TOTAL_ENERGY: atom->d = valid ? energy_j : 0.0; return valid;
    case GPU_TOTAL_POWER:  atom->d = valid ? power_w : 0.0; return valid;
    }
    return PM_ERR_PMID;
}

static int
gpu_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    struct gpu_info g;

    if (rq->cluster == CLUSTER_GPU_TOTAL)
        return gpu_total_fetch(f, rq->item, atom);
    if (!f->source || !gpu_get(f->source, rq->index, &g))
        return PM_ERR_INST;
    switch ((enum gpu_item)rq->item) {
    case GPU_ENERGY:     atom->d = g.energy_j; return g.has_energy;
    case GPU_POWER:      atom->d = g.power_w; return g.has_power;
    case GPU_LIMIT:      atom->d = g.limit_w; return g.has_limit;
    case GPU_RESETS:     atom->ull = g.resets; return 1;
    case GPU_INTEGRATED: atom->ul = g.integrated; return 1;
    }
    return PM_ERR_PMID;
}

/* A label's text as a JSON string's contents: a driver's text is not trusted to be JSON. */
static void
json_text(const char *text, char *out, size_t size)
{
    size_t n = 0;

    for (; *text && n + 1 < size; text++)
        if (isprint((unsigned char)*text) && *text != '"' && *text != '\\')
            out[n++] = *text;
    out[n] = '\0';
}

/* Returns the labels added, as pmdaLabel's instance callback must (pmdaLabel(3)). */
static int
gpu_labels(struct family_ctx *f, size_t index, pmLabelSet **lp)
{
    struct gpu_info g;
    char model[128], uuid[128], pci[64];
    int sts;

    if (!f->source || !gpu_get(f->source, index, &g))
        return 0;
    json_text(g.model, model, sizeof(model));
    json_text(g.uuid, uuid, sizeof(uuid));
    json_text(g.pci_bus_id, pci, sizeof(pci));
    sts = pmdaAddLabels(lp, "{\"driver\":\"%s\",\"via\":\"%s\"}", g.driver, g.via);
    if (sts >= 0 && model[0])
        sts = pmdaAddLabels(lp, "{\"model\":\"%s\"}", model);
    if (sts >= 0 && uuid[0])
        sts = pmdaAddLabels(lp, "{\"uuid\":\"%s\"}", uuid);
    if (sts >= 0 && pci[0])
        sts = pmdaAddLabels(lp, "{\"pci_bus_id\":\"%s\"}", pci);
    if (sts >= 0 && g.energy_method[0])
        sts = pmdaAddLabels(lp, "{\"energy_method\":\"%s\"}", g.energy_method);
    return sts;
}

/* NVML's energy counter (since the driver loaded) or hwmon's energyN_input
 * counts on while the agent is down; a power integral has nothing to add */
static bool
gpu_hardware(struct family_ctx *f, const struct fetch_request *rq, struct persist_hw *hw)
{
    struct gpu_info g;

    if (rq->cluster != CLUSTER_GPU || rq->item != GPU_ENERGY || !f->source || !gpu_get(f->source, rq->index, &g)
        || !g.has_counter)
        return false;
    *hw = (struct persist_hw){ .valid = true, .raw_j = g.counter_j };
    return true;
}

const struct family gpu_family = {
    .name = "gpu",
    .metrics = gpu_metrics,
    .nmetrics = sizeof(gpu_metrics) / sizeof(gpu_metrics[0]),
    .indom = INDOM_GPU,
    .ids = IDS_NATURAL,
    .source = &gpu_source,
    .count = gpu_family_count,
    .instance = gpu_instance,
    .fetch = gpu_fetch,
    .hardware = gpu_hardware,
    .labels = gpu_labels,
};
