/* power.system: the host's total from the best source, and its busy/idle split (agent/system.h). */
#include "family.h"

#define CLUSTER_SYSTEM 0

enum system_item {
    SYSTEM_ENERGY = 0,
    SYSTEM_POWER = 1,
    SYSTEM_SOURCE = 2,
    SYSTEM_ACTIVE_ENERGY = 3,
    SYSTEM_IDLE_ENERGY = 4,
    SYSTEM_UTILIZATION = 5,
    SYSTEM_ACTIVE_POWER = 6,
    SYSTEM_IDLE_BASIS = 7,
    SYSTEM_IDLE_POWER = 8,
    SYSTEM_UNEXPLAINED_ENERGY = 9,
    SYSTEM_BUSY_TIME = 10,
    SYSTEM_CPU_TIME = 11,
    SYSTEM_WALL_RATIO = 12,
    SYSTEM_WALL_RATIO_BASIS = 13,
};

static pmdaMetric system_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_SYSTEM, SYSTEM_ENERGY,        PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER,  NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_SYSTEM, SYSTEM_POWER,         PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_SYSTEM, SYSTEM_SOURCE,        PM_TYPE_STRING, NO_INDOM, PM_SEM_DISCRETE, NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_SYSTEM, SYSTEM_ACTIVE_ENERGY, PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER,  NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_SYSTEM, SYSTEM_IDLE_ENERGY,   PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER,  NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_SYSTEM, SYSTEM_UTILIZATION,   PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_SYSTEM, SYSTEM_ACTIVE_POWER,  PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_SYSTEM, SYSTEM_IDLE_BASIS,    PM_TYPE_STRING, NO_INDOM, PM_SEM_DISCRETE, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_SYSTEM, SYSTEM_IDLE_POWER,    PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(UNITS_J, CLUSTER_SYSTEM, SYSTEM_UNEXPLAINED_ENERGY, PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_SYSTEM, SYSTEM_BUSY_TIME,     PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER,  SECONDS_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_SYSTEM, SYSTEM_CPU_TIME,      PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER,  SECONDS_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_SYSTEM, SYSTEM_WALL_RATIO,    PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT,  NO_UNITS),
    FAMILY_METRIC(NULL,    CLUSTER_SYSTEM, SYSTEM_WALL_RATIO_BASIS, PM_TYPE_STRING, NO_INDOM, PM_SEM_DISCRETE, NO_UNITS),
};

static int
system_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct system_state *s = &f->agent->system;

    switch ((enum system_item)rq->item) {
    case SYSTEM_ENERGY:        atom->d = s->energy_j; return s->have_power;
    case SYSTEM_POWER:         atom->d = s->power_w; return s->power_fresh;
    case SYSTEM_SOURCE:        atom->cp = (char *)system_source_name(s); return PMDA_FETCH_STATIC;
    case SYSTEM_ACTIVE_ENERGY: atom->d = s->active_j; return s->have_power;
    case SYSTEM_IDLE_ENERGY:   atom->d = s->idle_j; return s->have_power;
    case SYSTEM_UTILIZATION:   atom->d = s->utilization; return s->have_cpu && f->agent->samples > 1;
    case SYSTEM_ACTIVE_POWER:  atom->d = s->active_power_w; return s->power_fresh;
    case SYSTEM_IDLE_BASIS:    atom->cp = f->agent->baseline.basis; return PMDA_FETCH_STATIC;
    case SYSTEM_IDLE_POWER:    atom->d = s->idle_w; return s->idle_basis == IDLE_BASELINE;
    case SYSTEM_UNEXPLAINED_ENERGY: atom->d = s->unexplained_j; return s->have_power;
    case SYSTEM_BUSY_TIME:     atom->d = s->busy_s; return s->have_cpu;
    case SYSTEM_CPU_TIME:      atom->d = s->cpu_s; return s->have_cpu;
    case SYSTEM_WALL_RATIO:    atom->d = f->agent->wall_ratio.ratio; return f->agent->wall_ratio.known;
    case SYSTEM_WALL_RATIO_BASIS: atom->cp = f->agent->wall_ratio.basis; return PMDA_FETCH_STATIC;
    }
    return PM_ERR_PMID;
}

const struct family system_family = {
    .name = "system",
    .metrics = system_metrics,
    .nmetrics = sizeof(system_metrics) / sizeof(system_metrics[0]),
    .indom = -1,
    .fetch = system_fetch,
};
