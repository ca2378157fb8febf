/*
 * power.c: the PCP face of the agent: metric table, instance domains,
 * fetch, store, labels and the main loop with its sampling timer.
 *
 * Shaped after PCP's simple and nvidia agents: two tables say what every
 * metric is, one fetch callback reads the latest sample, and a select()
 * loop samples the sources on the agent's own timer between PDUs.
 */
#include <pcp/pmapi.h>
#include <pcp/pmda.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <syslog.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "domain.h"
#include "export.h"
#include "model.h"
#include "rapl.h"

/* PCP 6.1 renamed the PMDA's result type; the build detects which it has */
#ifndef HAVE_PMDARESULT
typedef pmResult pmdaResult;
#endif

static char *username;

static struct power_agent *
agent_of(pmdaExt *pmda)
{
    (void)pmda;
    return export_agent();
}

static int
power_fetchCallBack(pmdaMetric *mdesc, unsigned int inst, pmAtomValue *atom)
{
    unsigned cluster = pmID_cluster(mdesc->m_desc.pmid);
    unsigned item = pmID_item(mdesc->m_desc.pmid);

    return export_fetch(export_agent(), cluster, item, inst, atom);
}

static int
power_fetch(int numpmid, pmID pmidlist[], pmdaResult **resp, pmdaExt *pmda)
{
    export_refresh_indoms(agent_of(pmda), pmda);
    return pmdaFetch(numpmid, pmidlist, resp, pmda);
}

static int
power_instance(pmInDom indom, int inst, char *name, pmInResult **result, pmdaExt *pmda)
{
    export_refresh_indoms(agent_of(pmda), pmda);
    return pmdaInstance(indom, inst, name, result, pmda);
}

static int
power_label(int ident, int type, pmLabelSet **lpp, pmdaExt *pmda)
{
    const char *units;

    if (type == PM_LABEL_ITEM && (units = export_units_label(ident)) != NULL)
        pmdaAddLabels(lpp, "{\"units\":\"%s\"}", units);
    if (type == PM_LABEL_ITEM && export_is_estimate(ident))
        pmdaAddLabels(lpp, "{\"estimate\":true}");
    return pmdaLabel(ident, type, lpp, pmda);
}

static int
power_labelCallBack(pmInDom indom, unsigned int inst, pmLabelSet **lp)
{
    return export_instance_labels(export_agent(), indom, inst, lp);
}

static int
power_store(pmdaResult *result, pmdaExt *pmda)
{
    struct power_agent *agent = agent_of(pmda);

    for (int i = 0; i < result->numpmid; i++) {
        int sts = export_store(agent, pmda->e_context, result->vset[i]);
        if (sts < 0)
            return sts;
    }
    return 0;
}

/* pmcd's credentials for each client context (PMDA_FLAG_AUTHORIZE): who may store */
static int
power_attribute(int client, int attr, const char *value, int length, pmdaExt *pmda)
{
    export_client_attribute(client, attr, value, length);
    return pmdaAttribute(client, attr, value, length, pmda);
}

static void
power_end_context(int client)
{
    export_client_end(client);
}

void
power_init(pmdaInterface *dp, struct power_agent *agent)
{
    if (dp->status != 0)
        return;

    dp->version.seven.fetch = power_fetch;
    dp->version.seven.instance = power_instance;
    dp->version.seven.label = power_label;
    dp->version.seven.store = power_store;
    dp->version.seven.attribute = power_attribute;
    /* before pmdaConnect: the flag travels in the agent's first PDU to pmcd */
    pmdaSetCommFlags(dp, PMDA_FLAG_AUTHORIZE);
    pmdaSetEndContextCallBack(dp, power_end_context);
    pmdaSetFetchCallBack(dp, power_fetchCallBack);
    pmdaSetLabelCallBack(dp, power_labelCallBack);
    pmdaSetFlags(dp, PMDA_EXT_FLAG_HASHED);
    export_init(agent, dp);
}

/* Sample on our own schedule; answer PDUs as they come. */
static void
power_main(pmdaInterface *dp, struct power_agent *agent)
{
    int pmcdfd = __pmdaInFd(dp);
    double next = monotonic_seconds() + agent->interval_s;

    if (pmcdfd < 0)
        exit(1);
    for (;;) {
        fd_set ready;
        struct timeval timeout;
        double wait = next - monotonic_seconds();
        int nready;

        if (wait < 0)
            wait = 0;
        timeout.tv_sec = (time_t)wait;
        timeout.tv_usec = (suseconds_t)((wait - (double)timeout.tv_sec) * 1e6);
        FD_ZERO(&ready);
        FD_SET(pmcdfd, &ready);
        nready = select(pmcdfd + 1, &ready, NULL, NULL, &timeout);
        if (nready < 0) {
            if (errno == EINTR)
                continue;
            pmNotifyErr(LOG_ERR, "select: %s", strerror(errno));
            break;
        }
        if (nready > 0 && FD_ISSET(pmcdfd, &ready)) {
            if (__pmdaMainPDU(dp) < 0)
                break;      /* pmcd has gone: exit quietly */
        }
        if (monotonic_seconds() >= next) {
            agent_refresh(agent);
            export_after_refresh(agent);
            next += agent->interval_s;
            /* a store of a longer interval, or a stall: do not fire a burst to catch up */
            if (next < monotonic_seconds())
                next = monotonic_seconds() + agent->interval_s;
        }
        if (export_interval_changed(agent))
            next = monotonic_seconds() + agent->interval_s;
    }
}

static pmdaOptions opts = {
    .short_options = "D:d:h:l:U:r:c:t:?",
    .long_options = (pmLongOptions[]) {
        PMDA_OPTIONS_HEADER("Options"),
        PMOPT_DEBUG,
        PMDAOPT_DOMAIN,
        PMDAOPT_HELPTEXT,
        PMDAOPT_LOGFILE,
        PMDAOPT_USERNAME,
        { "root", 1, 'r', "DIR", "read /sys and /proc below DIR (for tests)" },
        { "config", 1, 'c', "FILE", "configuration file [$PCP_PMDAS_DIR/power/power.conf]" },
        { "interval", 1, 't', "SECONDS", "sampling interval [1]" },
        PMOPT_HELP,
        PMDA_OPTIONS_END
    },
};

int
main(int argc, char **argv)
{
    pmdaInterface dispatch;
    char helppath[MAXPATHLEN], confpath[MAXPATHLEN];
    const char *root = "", *config = NULL;
    double interval = 0;
    int sep = pmPathSeparator(), c;
    struct power_agent *agent;

    pmSetProgname(argv[0]);
    pmGetUsername(&username);
    pmsprintf(helppath, sizeof(helppath), "%s%c" "power" "%c" "help",
              pmGetConfig("PCP_PMDAS_DIR"), sep, sep);
    pmsprintf(confpath, sizeof(confpath), "%s%c" "power" "%c" "power.conf",
              pmGetConfig("PCP_PMDAS_DIR"), sep, sep);
    pmdaDaemon(&dispatch, PMDA_INTERFACE_7, pmGetProgname(), POWER_DOMAIN, "power.log", helppath);

    while ((c = pmdaGetOptions(argc, argv, &opts, &dispatch)) != EOF) {
        switch (c) {
        case 'r':
            root = opts.optarg;
            break;
        case 'c':
            config = opts.optarg;
            break;
        case 't': {
            char *end;
            interval = strtod(opts.optarg, &end);
            if (*end != '\0' || !(interval >= POWER_MIN_INTERVAL && interval <= POWER_MAX_INTERVAL)) {
                pmprintf("%s: -t takes seconds from %g to %g, not \"%s\"\n", pmGetProgname(),
                         POWER_MIN_INTERVAL, POWER_MAX_INTERVAL, opts.optarg);
                opts.errors++;
            }
            break;
        }
        }
    }
    if (opts.errors) {
        pmdaUsageMessage(&opts);
        exit(1);
    }
    if (opts.username)
        username = opts.username;
    if (!config && access(confpath, R_OK) == 0)
        config = confpath;

    pmdaOpenLog(&dispatch);
    /* drop privileges before any source opens: an energy_uj that needs root
     * must say so in the log, not work by accident until the next rescan */
    if (username)
        pmSetProcessIdentity(username);
    if ((agent = agent_open(root, config, interval, pmNotifyErr)) == NULL) {
        pmNotifyErr(LOG_ERR, "out of memory");
        exit(1);
    }
    power_init(&dispatch, agent);
    pmdaConnect(&dispatch);
    agent_refresh(agent);
    export_after_refresh(agent);
    power_main(&dispatch, agent);
    export_close(agent);
    agent_close(agent);
    exit(0);
}
