/*
 * cgroup_ids.h: stable instance ids for cgroup paths, and counters that
 * never go backwards for an id.
 *
 * cgroup paths have no natural number: pmdaCache gives each a stable id,
 * saved across restarts. The ledger forgets a cgroup once its last process
 * has gone, and starts it again at 0 if the path returns (a restarted
 * service); pmdaCache hands the path its old id, so the published counter
 * carries an offset that keeps it from going backwards for that id.
 *
 * A host that runs containers or transient units sees a new path for each,
 * so a path with no process for [attribution] cgroup_retain seconds is
 * purged from the cache (pmdaCachePurge; PMDA_CACHE_SYNC stamps the
 * entries, so a purge comes up to two periods late). Purged, a path that
 * returns gets a new id. The saved stamps say when the agent last saw a
 * path, so its own downtime counts: the first purge waits a period after
 * start, for the services that start after pmcd.
 */
#ifndef POWER_CGROUP_IDS_H
#define POWER_CGROUP_IDS_H

#include <pcp/pmapi.h>
#include <pcp/pmda.h>
#include <stdbool.h>
#include <stddef.h>

#include "attribution.h"
#include "log.h"

struct cgroup_offset;

struct cgroup_ids {
    pmInDom                indom;
    struct cgroup_offset **offsets;     /* owned here, one per cached path */
    size_t                 noffsets;
    double                 next_purge_s;    /* monotonic; 0: at the first sync */
};

/* Loads the saved cache. */
void cgroup_ids_init(struct cgroup_ids *c, pmInDom indom);
void cgroup_ids_free(struct cgroup_ids *c);

/* After each ledger update: every listed path active with its counter,
 * the rest inactive; paths idle beyond retain_s purged; the cache saved. */
void cgroup_ids_sync(struct cgroup_ids *c, const struct ledger *ledger, double now_s,
                     double retain_s, power_log_fn log);

/* The account of an active instance and its published counter. */
bool cgroup_ids_find(const struct cgroup_ids *c, const struct ledger *ledger, unsigned inst,
                     const struct cgroup_account **account, double *energy_j);

#endif
