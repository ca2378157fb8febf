/* power.control: the agent's controls (root may store them: storegate.h) and its own cost. */
#include "family.h"
#include "config.h"

#include <stdlib.h>
#include <syslog.h>

#define CLUSTER_CONTROL 3

enum control_item {
    CONTROL_INTERVAL = 0,
    CONTROL_ATTRIBUTE_MODE = 1,
    CONTROL_CONFIG_ERRORS = 2,
    CONTROL_SAMPLES = 3,
    CONTROL_REFRESH_TIME = 4,
    CONTROL_PROC_SCAN_TIME = 5,
    CONTROL_STORES_REFUSED = 6,
    CONTROL_PROC_MEMORY = 7,
    CONTROL_SAMPLE_TIME = 8,
    CONTROL_START_TIME = 9,
    CONTROL_GAP_TIME = 10,
    CONTROL_CONTINUED = 11,
};

static pmdaMetric control_metrics[] = {
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_INTERVAL,       PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_DISCRETE, SECONDS_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_ATTRIBUTE_MODE, PM_TYPE_STRING, NO_INDOM, PM_SEM_DISCRETE, NO_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_CONFIG_ERRORS,  PM_TYPE_U32,    NO_INDOM, PM_SEM_DISCRETE, COUNT_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_SAMPLES,        PM_TYPE_U64,    NO_INDOM, PM_SEM_COUNTER,  COUNT_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_REFRESH_TIME,   PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT,  MSEC_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_PROC_SCAN_TIME, PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_INSTANT,  MSEC_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_STORES_REFUSED, PM_TYPE_U64,    NO_INDOM, PM_SEM_COUNTER,  COUNT_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_PROC_MEMORY,    PM_TYPE_U64,    NO_INDOM, PM_SEM_INSTANT,  BYTE_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_SAMPLE_TIME,    PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER,  SECONDS_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_START_TIME,     PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_DISCRETE, NO_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_GAP_TIME,       PM_TYPE_DOUBLE, NO_INDOM, PM_SEM_COUNTER,  SECONDS_UNITS),
    FAMILY_METRIC(NULL, CLUSTER_CONTROL, CONTROL_CONTINUED,      PM_TYPE_U64,    NO_INDOM, PM_SEM_COUNTER,  COUNT_UNITS),
};

/* The wall-clock time of this agent's first sample (epoch seconds), fixed
 * once known: a client holding two readings with the same start time knows
 * the counters ran on between them, so a window is one difference, and
 * start_time + sample_time is when the latest sample was taken (pmpower). */
struct control_own {
    double start_wall_s;       /* 0 until the first fetch after a sample */
};

static int
control_init(struct family_ctx *f)
{
    struct control_own *own = calloc(1, sizeof(*own));

    if (!own)
        return -1;
    f->own = own;
    return 0;
}

static bool
start_time(struct control_own *own, const struct power_agent *agent, double *out)
{
    if (!own || agent->samples == 0)
        return false;
    /* the latest sample's wall time less the monotonic time since the first */
    if (own->start_wall_s == 0)
        own->start_wall_s = agent->now.wall_s - (agent->now.mono_s - agent->started_s);
    *out = own->start_wall_s;
    return true;
}

static void
control_close(struct family_ctx *f)
{
    free(f->own);
    f->own = NULL;
}

static int
control_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct power_agent *agent = f->agent;
    const struct attribute_state *a = &agent->attribution;

    switch ((enum control_item)rq->item) {
    case CONTROL_INTERVAL:       atom->d = agent->interval_s; return 1;
    case CONTROL_ATTRIBUTE_MODE: atom->cp = (char *)attribute_mode_name(a); return PMDA_FETCH_STATIC;
    case CONTROL_CONFIG_ERRORS:  atom->ul = config_error_count(agent->config); return 1;
    case CONTROL_SAMPLES:        atom->ull = agent->samples; return 1;
    case CONTROL_REFRESH_TIME:   atom->d = agent->refresh_ms; return agent->samples > 0;
    case CONTROL_PROC_SCAN_TIME: atom->d = a->scan_ms; return a->enabled && agent->samples > 0;
    case CONTROL_STORES_REFUSED: atom->ull = f->gate->clients.refused; return 1;
    case CONTROL_PROC_MEMORY:    atom->ull = attribute_memory(a); return a->ledger != NULL;
    case CONTROL_SAMPLE_TIME:    atom->d = agent->now.mono_s - agent->started_s; return agent->samples > 0;
    case CONTROL_START_TIME:     return start_time(f->own, agent, &atom->d);
    case CONTROL_GAP_TIME:       if (!f->counters) return 0; atom->d = persist_gap_s(f->counters); return 1;
    case CONTROL_CONTINUED:      if (!f->counters) return 0; atom->ull = persist_continued(f->counters); return 1;
    }
    return PM_ERR_PMID;
}

static int
store_interval(struct family_ctx *f, pmValueSet *vs)
{
    pmAtomValue av;
    int sts;

    if (vs->numval != 1)
        return PM_ERR_INST;
    if ((sts = pmExtractValue(vs->valfmt, &vs->vlist[0], PM_TYPE_DOUBLE, &av, PM_TYPE_DOUBLE)) < 0)
        return sts;
    if (!agent_set_interval(f->agent, av.d))
        return PM_ERR_BADSTORE;
    pmNotifyErr(LOG_INFO, "sampling interval set to %g s by pmstore", av.d);
    return 0;
}

static int
store_attribute_mode(struct family_ctx *f, pmValueSet *vs)
{
    struct attribute_state *a = &f->agent->attribution;
    const char *text = family_stored_string(vs);

    if (!text)
        return PM_ERR_BADSTORE;
    if (!a->ledger)
        return PM_ERR_APPVERSION;
    if (!attribute_set_mode(a, text))
        return PM_ERR_BADSTORE;
    pmNotifyErr(LOG_INFO, "attribution mode set to %s by pmstore", attribute_mode_name(a));
    return 0;
}

static int
control_store(struct family_ctx *f, int client, pmValueSet *vs)
{
    int sts;

    switch ((enum control_item)pmID_item(vs->pmid)) {
    case CONTROL_INTERVAL:
        if ((sts = store_gate_check(f->gate, client, REQUEST_CONTROL, "power.control.interval")) < 0)
            return sts;
        return store_interval(f, vs);
    case CONTROL_ATTRIBUTE_MODE:
        if ((sts = store_gate_check(f->gate, client, REQUEST_CONTROL, "power.control.attribute_mode")) < 0)
            return sts;
        return store_attribute_mode(f, vs);
    default:
        return PM_ERR_PERMISSION;
    }
}

const struct family control_family = {
    .name = "control",
    .metrics = control_metrics,
    .nmetrics = sizeof(control_metrics) / sizeof(control_metrics[0]),
    .indom = -1,
    .fetch = control_fetch,
    .init = control_init,
    .close = control_close,
    .store = control_store,
};
