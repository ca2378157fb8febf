#include "storegate.h"
#include "clock.h"
#include "config.h"

#include <pcp/pmapi.h>
#include <pcp/pmda.h>

#include <errno.h>
#include <string.h>
#include <syslog.h>

/*
 * Phase marks pass one token bucket shared by every client: BURST at once,
 * then RATE a second. BURST + RATE x 10 s stays within the 64 marks kept,
 * so at the power pmlogconf group's 10 s no accepted mark leaves the ring
 * before pmlogger has logged it.
 */
#define MARK_BURST 32.0
#define MARK_RATE 3.0

void
store_gate_init(struct store_gate *g, struct power_config *config)
{
    const char *who = config_string(config, "phase", "marks", "anyone");
    double rate = config_double(config, "phase", "rate", MARK_RATE, 0.01, 1000.0);
    bool root_only = strcmp(who, "root") == 0;

    if (!root_only && strcmp(who, "anyone") != 0)
        config_bad_value(config, "phase", "marks", "anyone or root");
    clients_init(&g->clients, root_only, rate, MARK_BURST);
}

void
store_gate_free(struct store_gate *g)
{
    clients_free(&g->clients);
}

/* Once per identity and kind, say why and what to do; the rest are counted
 * (power.control.stores_refused, power.phase.throttled). */
static void
tell_refusal(struct store_gate *g, int client, enum client_request req,
             enum client_verdict verdict, const char *metric)
{
    char who[96];
    bool last;

    if (!clients_first_refusal(&g->clients, client, req, &last))
        return;
    clients_describe(&g->clients, client, who, sizeof(who));
    if (last)
        pmNotifyErr(LOG_WARNING, "store refused for %s; refusals from further clients are only "
                    "counted (power.control.stores_refused, power.phase.throttled)", who);
    else if (verdict == CLIENT_THROTTLED)
        pmNotifyErr(LOG_WARNING, "phase marks throttled for %s: the agent takes %g marks at once, "
                    "then %g a second, from all clients together ([phase] rate in power.conf); "
                    "further ones are counted in power.phase.throttled", who, MARK_BURST,
                    g->clients.mark_rate);
    else if (req == REQUEST_MARK)
        pmNotifyErr(LOG_WARNING, "phase mark refused for %s: power.conf has [phase] marks = root; "
                    "mark as root on this host (sudo pmpower mark -h local: ...), or set "
                    "marks = anyone to let users mark phases", who);
    else
        pmNotifyErr(LOG_WARNING, "store to %s refused for %s: only root may change the agent's "
                    "controls; store as root through pmcd's local socket "
                    "(sudo pmstore -h local: %s VALUE); further refusals are counted in "
                    "power.control.stores_refused", metric, who, metric);
}

int
store_gate_check(struct store_gate *g, int client, enum client_request req, const char *metric)
{
    enum client_verdict verdict = clients_check(&g->clients, client, req, monotonic_seconds());

    if (verdict == CLIENT_ALLOWED)
        return 0;
    tell_refusal(g, client, req, verdict, metric);
    return verdict == CLIENT_THROTTLED ? -EAGAIN : PM_ERR_PERMISSION;
}
