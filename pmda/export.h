/*
 * export.h: the glue between the metric families (family.h) and PCP's
 * PMDA library, for power.c's callbacks. Knows no family by name.
 */
#ifndef POWER_EXPORT_H
#define POWER_EXPORT_H

#include <pcp/pmapi.h>
#include <pcp/pmda.h>

#include "agent.h"

/* The sources every family needs, once each, in the families' order:
 * what the agent opens. Returns the count (at most max). */
size_t export_sources(const struct source_ops **out, size_t max);

/* Join the families' tables and instance domains and hand them to
 * pmdaInit; false when two families claim one cluster or domain. */
bool export_init(struct power_agent *agent, pmdaInterface *dp);
void export_close(struct power_agent *agent);
struct power_agent *export_agent(void);

/* After each timer sample: families refresh, instance domains follow. */
void export_after_refresh(struct power_agent *agent);

int export_fetch(const pmdaMetric *mdesc, unsigned inst, pmAtomValue *atom);
/* client: pmcd's context number of the storing client (pmdaExt e_context) */
int export_store(int client, pmValueSet *vs);
/* pmcd's credentials for a client context (the attribute callback), and its end */
void export_client_attribute(int client, int attr, const char *value, int length);
void export_client_end(int client);

/* {"units":...} and {"estimate":true} of a metric; a family's instance labels */
int export_item_labels(int pmid, pmLabelSet **lp);
int export_instance_labels(pmInDom indom, unsigned inst, pmLabelSet **lp);

#endif
