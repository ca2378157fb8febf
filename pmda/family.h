/*
 * family.h: one metric family (power.rapl, power.meter, ...), the unit of
 * extension of the agent's PCP face.
 *
 * A family is one file in pmda/: its metric rows, each item named by an
 * enum beside it; how its instances are found and numbered; its fetch.
 * export.c is generic glue: it joins every family's rows into PCP's
 * metric table, builds each instance domain the same way, and sends each
 * fetch to the family that owns the metric's cluster. A new source adds
 * its family file and one line in families.c (and its names in pmns and
 * help); nothing else in pmda/ changes.
 *
 * Instance ids, the users' contract in archives:
 *   IDS_NATURAL  the family says each instance's id (RAPL zone numbers,
 *                BATn, PIDs, fixed tables): the glue lists them;
 *   IDS_CACHED   the glue names them to pmdaCache, which gives each name an
 *                id and saves it ($PCP_VAR_DIR/config/pmda/DOMAIN.SERIAL),
 *                so an id survives agent restarts (meters, VMs, GPUs);
 *   IDS_OWN      the family keeps its own pmdaCache (cgroups: offsets and
 *                purges, cgroup_ids.c) in its refresh().
 */
#ifndef POWER_FAMILY_H
#define POWER_FAMILY_H

#include <pcp/pmapi.h>
#include <pcp/pmda.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent.h"
#include "persist.h"
#include "storegate.h"

/* UNITS_J, UNITS_W: the units label of a figure, and PCP 7.2's units for it */
#include "units.h"
#define NO_UNITS PMDA_PMUNITS(0, 0, 0, 0, 0, 0)
#define SECONDS_UNITS PMDA_PMUNITS(0, 1, 0, 0, PM_TIME_SEC, 0)
#define MSEC_UNITS PMDA_PMUNITS(0, 1, 0, 0, PM_TIME_MSEC, 0)
#define COUNT_UNITS PMDA_PMUNITS(0, 0, 1, 0, 0, PM_COUNT_ONE)
#define BYTE_UNITS PMDA_PMUNITS(1, 0, 0, PM_SPACE_BYTE, 0, 0)

/* One metric row; the indom field holds the family's serial until the glue builds the pmInDom. */
#define FAMILY_METRIC(units_label, cluster, item, type, indom, sem, units) \
    { (void *)(units_label), { PMDA_PMID(cluster, item), type, indom, sem, units } }
#define NO_INDOM PM_INDOM_NULL

enum family_ids { IDS_NATURAL, IDS_CACHED, IDS_OWN };

struct family;

/* One value asked of a family: the instance as PCP numbers it (inst) and
 * as the family's own index (for IDS_OWN, inst; 0 for a singular metric). */
struct fetch_request {
    unsigned cluster, item;
    unsigned inst;
    size_t   index;
};

/* What a family's callbacks get: resolved once at start. */
struct family_ctx {
    const struct family *family;
    struct power_agent  *agent;
    void                *source;     /* the source's state (family->source), NULL when not compiled in */
    void                *own;        /* the family's own state: init() makes it, close() frees it */
    pmInDom              indom;      /* its instance domain, PM_INDOM_NULL when it has none */
    struct store_gate   *gate;       /* who may store what (storegate.h) */
    struct persist      *counters;   /* energy counters across restarts (persist.h); NULL when out of memory */
};

struct family {
    const char              *name;
    pmdaMetric              *metrics;
    size_t                   nmetrics;
    int                      indom;          /* serial of its instance domain, -1 for none */
    enum family_ids          ids;
    const struct source_ops *source;         /* NULL: the agent's own figures */
    bool                     estimate;       /* its figures are estimates: label "estimate":true */
    bool                     per_run;        /* its instances are processes: their energy counters
                                                begin when the agent first sees them (persist.h) */

    /* IDS_NATURAL and IDS_CACHED: the instances, by index. */
    size_t (*count)(struct family_ctx *f);
    void   (*instance)(struct family_ctx *f, size_t index, int *id, const char **name);

    /* One value of one metric (cluster and item) for one instance. */
    int    (*fetch)(struct family_ctx *f, const struct fetch_request *rq, pmAtomValue *atom);

    /* Optional. */
    int    (*init)(struct family_ctx *f);
    void   (*close)(struct family_ctx *f);
    void   (*refresh)(struct family_ctx *f);          /* after each timer sample */
    int    (*store)(struct family_ctx *f, int client, pmValueSet *vs);
    int    (*labels)(struct family_ctx *f, size_t index, pmLabelSet **lp);
    /* The hardware's own counter behind an energy counter, so that after a
     * restart the counter adds what the hardware counted meanwhile (persist.h);
     * false when it has none. */
    bool   (*hardware)(struct family_ctx *f, const struct fetch_request *rq, struct persist_hw *hw);
};

/* The one table of families (families.c), NULL-terminated. */
extern const struct family *const power_families[];

/* The single NUL-terminated string of a store, or NULL (a hand-made PDU
 * must not make the agent read past its buffer). */
const char *family_stored_string(const pmValueSet *vs);

#endif
