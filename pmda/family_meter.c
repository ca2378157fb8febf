/* power.meter and power.meter.total: WattsUp wall meters (sources/meter.h);
 * ids from pmdaCache by label, kept across restarts and reordered sections. */
#include "family.h"
#include "meter.h"

#define CLUSTER_METER 8
#define CLUSTER_METER_TOTAL 9
#define INDOM_METER 5

enum meter_item {
    METER_ENERGY = 0,
    METER_POWER = 1,
    METER_VOLTAGE = 2,
    METER_CURRENT = 3,
    METER_POWER_FACTOR = 4,
    METER_CONNECTED = 5,
    METER_SAMPLES = 6,
    METER_ERRORS = 7,
};

enum meter_total_item {
    METER_TOTAL_ENERGY = 0,
    METER_TOTAL_POWER = 1,
};

static pmdaMetric meter_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_METER, METER_ENERGY,       PM_TYPE_DOUBLE, INDOM_METER, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_METER, METER_POWER,        PM_TYPE_DOUBLE, INDOM_METER, PM_SEM_INSTANT, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_METER, METER_VOLTAGE,      PM_TYPE_DOUBLE, INDOM_METER, PM_SEM_INSTANT, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_METER, METER_CURRENT,      PM_TYPE_DOUBLE, INDOM_METER, PM_SEM_INSTANT, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_METER, METER_POWER_FACTOR, PM_TYPE_DOUBLE, INDOM_METER, PM_SEM_INSTANT, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_METER, METER_CONNECTED,    PM_TYPE_U32,    INDOM_METER, PM_SEM_INSTANT, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_METER, METER_SAMPLES,      PM_TYPE_U64,    INDOM_METER, PM_SEM_COUNTER, COUNT_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_METER, METER_ERRORS,       PM_TYPE_U64,    INDOM_METER, PM_SEM_COUNTER, COUNT_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_METER_TOTAL, METER_TOTAL_ENERGY, PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_METER_TOTAL, METER_TOTAL_POWER,  PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT, NO_UNITS),
};

static size_t
meter_family_count(struct family_ctx *f)
{
    const struct meter_state *meters = f->source;

    return meters ? meter_count(meters) : 0;
}

static void
meter_instance(struct family_ctx *f, size_t index, int *id, const char **name)
{
    const struct meter_state *meters = f->source;
    struct meter_info m;

    meter_get(meters, index, &m);
    *id = (int)index;
    *name = m.label;
}

static int
meter_total_fetch(struct family_ctx *f, unsigned item, pmAtomValue *atom)
{
    const struct meter_state *meters = f->source;
    struct meter_total t;

    if (!meters)
        return 0;
    meter_get_total(meters, &t);
    switch ((enum meter_total_item)item) {
    case METER_TOTAL_ENERGY: atom->d = t.energy_j; return t.valid;
    case METER_TOTAL_POWER:  atom->d = t.power_w; return t.valid;
    }
    return PM_ERR_PMID;
}

/* A meter's readings have values only while it is live: a stalled or
 * unplugged meter shows none rather than its last figure as if current. */
static int
meter_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct meter_state *meters = f->source;
    struct meter_info m;

    if (rq->cluster == CLUSTER_METER_TOTAL)
        return meter_total_fetch(f, rq->item, atom);
    if (!meters || !meter_get(meters, rq->index, &m))
        return PM_ERR_INST;
    switch ((enum meter_item)rq->item) {
    case METER_ENERGY:       atom->d = m.energy_j; return m.live;
    case METER_POWER:        atom->d = m.power_w; return m.live;
    case METER_VOLTAGE:      atom->d = m.voltage_v; return m.live && m.has_voltage;
    case METER_CURRENT:      atom->d = m.current_a; return m.live && m.has_current;
    case METER_POWER_FACTOR: atom->d = m.power_factor; return m.live && m.has_power_factor;
    case METER_CONNECTED:    atom->ul = m.connected; return 1;
    case METER_SAMPLES:      atom->ull = m.samples; return 1;
    case METER_ERRORS:       atom->ull = m.errors; return 1;
    }
    return PM_ERR_PMID;
}

const struct family meter_family = {
    .name = "meter",
    .metrics = meter_metrics,
    .nmetrics = sizeof(meter_metrics) / sizeof(meter_metrics[0]),
    .indom = INDOM_METER,
    .ids = IDS_CACHED,
    .source = &meter_source,
    .count = meter_family_count,
    .instance = meter_instance,
    .fetch = meter_fetch,
};
