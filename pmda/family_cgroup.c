/* power.cgroup: per-cgroup energy, the sums of their processes' (attribution/attribution.h);
 * ids and counters that survive restarts and returning paths: cgroup_ids.h. */
#include "family.h"
#include "cgroup_ids.h"
#include "cgroup_names.h"

#include <stdio.h>
#include <stdlib.h>

#define CLUSTER_CGROUP 6
#define INDOM_CGROUP 3

enum cgroup_item {
    CGROUP_ENERGY = 0,
    CGROUP_POWER = 1,
};

static pmdaMetric cgroup_metrics[] = {
    FAMILY_METRIC(UNITS_J, CLUSTER_CGROUP, CGROUP_ENERGY, PM_TYPE_DOUBLE, INDOM_CGROUP, PM_SEM_COUNTER, NO_UNITS),
    FAMILY_METRIC(UNITS_W, CLUSTER_CGROUP, CGROUP_POWER,  PM_TYPE_DOUBLE, INDOM_CGROUP, PM_SEM_INSTANT, NO_UNITS),
};

static int
cgroup_init(struct family_ctx *f)
{
    struct cgroup_ids *ids = calloc(1, sizeof(*ids));

    if (!ids)
        return -1;
    cgroup_ids_init(ids, f->indom);
    f->own = ids;
    return 0;
}

static void
cgroup_close(struct family_ctx *f)
{
    cgroup_ids_free(f->own);
    free(f->own);
    f->own = NULL;
}

static void
cgroup_refresh(struct family_ctx *f)
{
    const struct attribute_state *a = &f->agent->attribution;

    cgroup_ids_sync(f->own, a->ledger, f->agent->now.mono_s, a->cgroup_retain_s, f->agent->env.log);
}

static int
cgroup_fetch(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom)
{
    const struct cgroup_account *acct;
    double energy_j;

    if (!cgroup_ids_find(f->own, f->agent->attribution.ledger, rq->inst, &acct, &energy_j))
        return PM_ERR_INST;
    switch ((enum cgroup_item)rq->item) {
    case CGROUP_ENERGY: atom->d = energy_j; return 1;
    case CGROUP_POWER:  atom->d = acct->power_w; return 1;
    }
    return PM_ERR_PMID;
}

/* One "name":"value" label; the value JSON-escaped (a unit's \x2d). */
static int
add_label(pmLabelSet **lp, const char *name, const char *value)
{
    char escaped[2 * 256 + 1];
    size_t o = 0;

    if (!value[0])
        return 0;
    for (const char *v = value; *v && o + 2 < sizeof(escaped); v++) {
        if (*v == '\\' || *v == '"')
            escaped[o++] = '\\';
        escaped[o++] = (unsigned char)*v < 0x20 ? '?' : *v;
    }
    escaped[o] = '\0';
    return pmdaAddLabels(lp, "{\"%s\":\"%s\"}", name, escaped) < 0 ? 0 : 1;
}

/* The names people look for: systemd unit, container and runtime, pod and QoS, VM. */
static int
cgroup_labels(struct family_ctx *f, size_t index, pmLabelSet **lp)
{
    const struct cgroup_account *acct;
    struct cgroup_names n;
    double energy_j;
    int count = 0;

    if (!cgroup_ids_find(f->own, f->agent->attribution.ledger, (unsigned)index, &acct, &energy_j) ||
        !cgroup_names_parse(acct->path, &n))
        return 0;
    count += add_label(lp, "unit", n.unit);
    count += add_label(lp, "container_id", n.container_id);
    count += add_label(lp, "container_runtime", n.runtime);
    count += add_label(lp, "pod_uid", n.pod_uid);
    count += add_label(lp, "qos_class", n.qos_class);
    count += add_label(lp, "vm", n.vm);
    return count;
}

const struct family cgroup_family = {
    .name = "cgroup",
    .metrics = cgroup_metrics,
    .nmetrics = sizeof(cgroup_metrics) / sizeof(cgroup_metrics[0]),
    .indom = INDOM_CGROUP,
    .ids = IDS_OWN,
    .init = cgroup_init,
    .close = cgroup_close,
    .refresh = cgroup_refresh,
    .fetch = cgroup_fetch,
    .labels = cgroup_labels,
};
