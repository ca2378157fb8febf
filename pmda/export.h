/*
 * export.h: between the agent's plain structs and PCP. The metric table,
 * the instance domains, what each metric's fetch reads, and stores.
 * Each family's values come from its own small function; adding a source
 * adds one table block and one case in export_fetch().
 */
#ifndef POWER_EXPORT_H
#define POWER_EXPORT_H

#include <pcp/pmapi.h>
#include <pcp/pmda.h>

#include "agent.h"

void export_init(struct power_agent *agent, pmdaInterface *dp);
void export_close(struct power_agent *agent);
struct power_agent *export_agent(void);

/* After each timer sample: rebuild instance domains whose members changed. */
void export_after_refresh(struct power_agent *agent);
void export_refresh_indoms(struct power_agent *agent, pmdaExt *pmda);

int export_fetch(struct power_agent *agent, unsigned cluster, unsigned item,
                 unsigned inst, pmAtomValue *atom);
/* client: pmcd's context number of the storing client (pmdaExt e_context) */
int export_store(struct power_agent *agent, int client, pmValueSet *vsp);
/* pmcd's credentials for a client context (the attribute callback), and its end */
void export_client_attribute(int client, int attr, const char *value, int length);
void export_client_end(int client);
int export_instance_labels(struct power_agent *agent, pmInDom indom, unsigned inst,
                           pmLabelSet **lp);

/* "joules" or "watts" for energy and power metrics, else NULL. */
const char *export_units_label(int pmid);
bool export_is_estimate(int pmid);

/* True once after a store changed power.control.interval. */
bool export_interval_changed(struct power_agent *agent);

#endif
