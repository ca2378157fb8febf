/* power.rapl: one instance per powercap zone (sources/rapl.h). */
#include "family.h"
#include "rapl.h"

#include <stdio.h>
#include <string.h>

#define CLUSTER_RAPL 1
#define INDOM_RAPL 1

enum rapl_item {
    RAPL_ENERGY = 0,
    RAPL_POWER = 1,
    RAPL_MAX_ENERGY_RANGE = 2,
    RAPL_WRAPS = 3,
    RAPL_RESETS = 4,
};

static pmdaMetric rapl_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_RAPL, RAPL_ENERGY,           PM_TYPE_DOUBLE, INDOM_RAPL, PM_SEM_COUNTER,  NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_RAPL, RAPL_POWER,            PM_TYPE_DOUBLE, INDOM_RAPL, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_RAPL, RAPL_MAX_ENERGY_RANGE, PM_TYPE_DOUBLE, INDOM_RAPL, PM_SEM_DISCRETE, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_RAPL, RAPL_WRAPS,            PM_TYPE_U64,    INDOM_RAPL, PM_SEM_COUNTER,  COUNT_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_RAPL, RAPL_RESETS,           PM_TYPE_U64,    INDOM_RAPL, PM_SEM_COUNTER,  COUNT_UNITS),
};

/* Ids follow the kernel's zone ids (intel-rapl:N:M -> N*100+M+1, MMIO
 * zones from 10000), so a zone keeps its id across restarts and in archives. */
static int
rapl_instance_id(const char *sysfs_id, size_t index)
{
    const char *colon = strchr(sysfs_id, ':');
    int base = strncmp(sysfs_id, "intel-rapl-mmio", 15) == 0 ? 10000 : 0;
    int n = 0, m = -1;

    if (!colon || sscanf(colon + 1, "%d:%d", &n, &m) < 1 || n < 0 || n > 98 || m > 98)
        return 20000 + (int)index;
    return base + n * 100 + m + 1;
}

static size_t
rapl_count(struct family_ctx *f)
{
    const struct rapl_state *rapl = f->source;

    return rapl ? rapl_zone_count(rapl) : 0;
}

static void
rapl_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    const struct rapl_state *rapl = f->source;
    struct rapl_zone_info z;

    rapl_zone(rapl, index, &z);
    *id = rapl_instance_id(z.sysfs_id, index);
    *name = z.name;
}

static int
rapl_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct rapl_state *rapl = f->source;
    struct rapl_zone_info z;

    if (!rapl || !rapl_zone(rapl, rq->index, &z))
        return PM_ERR_INST;
    switch ((enum rapl_item)rq->item) {
    case RAPL_ENERGY:           atom->d = z.energy_j; return z.present;
    case RAPL_POWER:            atom->d = z.power_w; return z.present && z.has_power;
    case RAPL_MAX_ENERGY_RANGE: atom->d = z.max_range_j; return z.max_range_j > 0;
    case RAPL_WRAPS:            atom->ull = z.wraps; return 1;
    case RAPL_RESETS:           atom->ull = z.resets; return 1;
    }
    return PM_ERR_PMID;
}

/* energy_uj itself: RAPL counts on while the agent is down, until the next boot */
static bool
rapl_hardware(struct family_ctx *f, const struct fetch_request *rq, struct persist_hw *hw)
{
    struct rapl_zone_info z;

    if (rq->item != RAPL_ENERGY || !f->source || !rapl_zone(f->source, rq->index, &z) || !z.present)
        return false;
    *hw = (struct persist_hw){ .valid = true, .raw_j = z.raw_j, .wrap_j = z.wrap_j,
                               .power_w = z.has_power ? z.power_w : 0.0, .value_is_raw = true };
    return true;
}

const struct family rapl_family = {
    .name = "rapl",
    .metrics = rapl_metrics,
    .nmetrics = sizeof(rapl_metrics) / sizeof(rapl_metrics[0]),
    .indom = INDOM_RAPL,
    .ids = IDS_NATURAL,
    .source = &rapl_source,
    .count = rapl_count,
    .instance = rapl_instance,
    .fetch = rapl_fetch,
    .hardware = rapl_hardware,
};
