/* power.hwmon: hwmon power and energy sensors that are not a GPU's
 * (sources/hwmon.h); ids from pmdaCache by name, kept across restarts. */
#include "family.h"
#include "hwmon.h"

#define CLUSTER_HWMON 15
#define INDOM_HWMON 10

enum hwmon_item {
    HWMON_ENERGY_ITEM = 0,
    HWMON_POWER_ITEM = 1,
    HWMON_RESETS_ITEM = 2,
};

static pmdaMetric hwmon_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_HWMON, HWMON_ENERGY_ITEM, PM_TYPE_DOUBLE, INDOM_HWMON, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_HWMON, HWMON_POWER_ITEM,  PM_TYPE_DOUBLE, INDOM_HWMON, PM_SEM_INSTANT, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_HWMON, HWMON_RESETS_ITEM, PM_TYPE_U64,    INDOM_HWMON, PM_SEM_COUNTER, COUNT_UNITS),
};

static size_t
hwmon_family_count(struct family_ctx *f)
{
    return f->source ? hwmon_count(f->source) : 0;
}

static void
hwmon_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    struct hwmon_info h;

    hwmon_get(f->source, index, &h);
    *id = (int)index;
    *name = h.name;
}

static int
hwmon_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    struct hwmon_info h;

    if (!f->source || !hwmon_get(f->source, rq->index, &h))
        return PM_ERR_INST;
    switch ((enum hwmon_item)rq->item) {
    case HWMON_ENERGY_ITEM: atom->d = h.energy_j; return h.has_energy;
    case HWMON_POWER_ITEM:  atom->d = h.power_w; return h.has_power;
    case HWMON_RESETS_ITEM: atom->ull = h.resets; return 1;
    }
    return PM_ERR_PMID;
}

/* Returns the labels added, as pmdaLabel's instance callback must. */
static int
hwmon_labels(struct family_ctx *f, size_t index, pmLabelSet **lp)
{
    struct hwmon_info h;

    if (!f->source || !hwmon_get(f->source, index, &h))
        return 0;
    /* kernel names: [a-z0-9_] drivers, device names of [A-Za-z0-9:._] */
    return pmdaAddLabels(lp, "{\"driver\":\"%s\",\"device\":\"%s\",\"sensor\":\"%s\",\"class\":\"%s\"}",
                         h.driver, h.device, h.kind, h.hwmon_class);
}

/* an energyN_input counts on while the agent is down, until the next boot */
static bool
hwmon_hardware(struct family_ctx *f, const struct fetch_request *rq, struct persist_hw *hw)
{
    struct hwmon_info h;

    if (rq->item != HWMON_ENERGY_ITEM || !f->source || !hwmon_get(f->source, rq->index, &h) || !h.has_counter)
        return false;
    *hw = (struct persist_hw){ .valid = true, .raw_j = h.counter_j };
    return true;
}

const struct family hwmon_family = {
    .name = "hwmon",
    .metrics = hwmon_metrics,
    .nmetrics = sizeof(hwmon_metrics) / sizeof(hwmon_metrics[0]),
    .indom = INDOM_HWMON,
    .ids = IDS_CACHED,
    .source = &hwmon_source,
    .count = hwmon_family_count,
    .instance = hwmon_instance,
    .fetch = hwmon_fetch,
    .hardware = hwmon_hardware,
    .labels = hwmon_labels,
};
