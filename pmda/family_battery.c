/* power.battery: laptop batteries (sources/battery.h); ids from their names (battery_instance_id). */
#include "family.h"
#include "battery.h"

#define CLUSTER_BATTERY 7
#define INDOM_BATTERY 4

enum battery_item {
    BATTERY_POWER = 0,
    BATTERY_ENERGY = 1,
    BATTERY_ENERGY_NOW = 2,
    BATTERY_CAPACITY = 3,
    BATTERY_STATUS = 4,
    BATTERY_DISCHARGING = 5,
    BATTERY_METHOD = 6,
};

static pmdaMetric battery_metrics[] = {
    FAMILY_METRIC(UNITS_W, CLUSTER_BATTERY, BATTERY_POWER,       PM_TYPE_DOUBLE, INDOM_BATTERY, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_BATTERY, BATTERY_ENERGY,      PM_TYPE_DOUBLE, INDOM_BATTERY, PM_SEM_COUNTER,  NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_BATTERY, BATTERY_ENERGY_NOW,  PM_TYPE_DOUBLE, INDOM_BATTERY, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_BATTERY, BATTERY_CAPACITY,    PM_TYPE_DOUBLE, INDOM_BATTERY, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_BATTERY, BATTERY_STATUS,      PM_TYPE_STRING, INDOM_BATTERY, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_BATTERY, BATTERY_DISCHARGING, PM_TYPE_U32,    INDOM_BATTERY, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_BATTERY, BATTERY_METHOD,      PM_TYPE_STRING, INDOM_BATTERY, PM_SEM_DISCRETE, NO_UNITS),
};

static size_t
battery_family_count(struct family_ctx *f)
{
    const struct battery_state *bat = f->source;

    return bat ? battery_count(bat) : 0;
}

static void
battery_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    const struct battery_state *bat = f->source;
    struct battery_info b;

    battery_get(bat, index, &b);
    *id = b.inst;
    *name = b.name;
}

static int
battery_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct battery_state *bat = f->source;
    struct battery_info b;

    if (!bat || !battery_get(bat, rq->index, &b))
        return PM_ERR_INST;
    switch ((enum battery_item)rq->item) {
    case BATTERY_POWER:       atom->d = b.power_w; return b.has_power;
    case BATTERY_ENERGY:      atom->d = b.energy_j; return b.has_energy;
    case BATTERY_ENERGY_NOW:  atom->d = b.energy_now_j; return b.has_energy_now;
    case BATTERY_CAPACITY:    atom->d = b.capacity_pct; return b.has_capacity;
    case BATTERY_STATUS:      atom->cp = (char *)b.status; return PMDA_FETCH_STATIC;
    case BATTERY_DISCHARGING: atom->ul = b.discharging; return b.has_direction;
    case BATTERY_METHOD:      atom->cp = (char *)b.method; return b.present ? PMDA_FETCH_STATIC : 0;
    }
    return PM_ERR_PMID;
}

/* A discharging battery's energy_now falls by what the host drew, whether
 * the agent ran or the host was down; charging in between hides some of
 * it, so what is added is then a lower bound (or nothing). Not a level
 * priced from charge_now at the present voltage, which moves with the load:
 * the same charge reads more joules idle than busy. */
static bool
battery_hardware(struct family_ctx *f, const struct fetch_request *rq, struct persist_hw *hw)
{
    struct battery_info b;

    if (rq->item != BATTERY_ENERGY || !f->source || !battery_get(f->source, rq->index, &b)
        || !b.has_energy_now || b.energy_now_priced || !b.has_direction || !b.discharging)
        return false;
    *hw = (struct persist_hw){ .valid = true, .raw_j = b.energy_now_j, .survives_reboot = true, .falling = true,
                               .min_gap_s = PERSIST_LEVEL_MIN_GAP_S };
    return true;
}

const struct family battery_family = {
    .name = "battery",
    .metrics = battery_metrics,
    .nmetrics = sizeof(battery_metrics) / sizeof(battery_metrics[0]),
    .indom = INDOM_BATTERY,
    .ids = IDS_NATURAL,
    .source = &battery_source,
    .count = battery_family_count,
    .instance = battery_instance,
    .fetch = battery_fetch,
    .hardware = battery_hardware,
};
