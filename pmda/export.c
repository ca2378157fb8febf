#include "export.h"
#include "clients.h"
#include "phaselog.h"
#include "battery.h"
#include "config.h"
#include "domain.h"
#include "meter.h"
#include "model.h"
#include "powermetrics.h"
#include "rapl.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define J "joules"
#define W "watts"
#define NONE PMDA_PMUNITS(0, 0, 0, 0, 0, 0)
#define SECONDS PMDA_PMUNITS(0, 1, 0, 0, PM_TIME_SEC, 0)
#define COUNT PMDA_PMUNITS(0, 0, 1, 0, 0, PM_COUNT_ONE)
#define MSEC PMDA_PMUNITS(0, 1, 0, 0, PM_TIME_MSEC, 0)
#define BYTES PMDA_PMUNITS(1, 0, 0, PM_SPACE_BYTE, 0, 0)

#define METRIC(units_label, cluster, item, type, indom, sem, units) \
    { (void *)(units_label), { PMDA_PMID(cluster, item), type, indom, sem, units } }

/* The indom field holds the serial until export_init() builds full pmInDoms. */
static pmdaMetric metrictab[] = {
    /* power.system */
    METRIC(J,    CLUSTER_SYSTEM, 0, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_SYSTEM, 1, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_SYSTEM, 2, PM_TYPE_STRING, PM_INDOM_NULL, PM_SEM_DISCRETE, NONE),
    METRIC(J,    CLUSTER_SYSTEM, 3, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(J,    CLUSTER_SYSTEM, 4, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(NULL, CLUSTER_SYSTEM, 5, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    METRIC(W,    CLUSTER_SYSTEM, 6, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    /* power.rapl */
    METRIC(J,    CLUSTER_RAPL, 0, PM_TYPE_DOUBLE, INDOM_RAPL, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_RAPL, 1, PM_TYPE_DOUBLE, INDOM_RAPL, PM_SEM_INSTANT, NONE),
    METRIC(J,    CLUSTER_RAPL, 2, PM_TYPE_DOUBLE, INDOM_RAPL, PM_SEM_DISCRETE, NONE),
    METRIC(NULL, CLUSTER_RAPL, 3, PM_TYPE_U64,    INDOM_RAPL, PM_SEM_COUNTER, COUNT),
    METRIC(NULL, CLUSTER_RAPL, 4, PM_TYPE_U64,    INDOM_RAPL, PM_SEM_COUNTER, COUNT),
    /* power.model */
    METRIC(J,    CLUSTER_MODEL, 0, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_MODEL, 1, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_MODEL, 2, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    /* power.control */
    METRIC(NULL, CLUSTER_CONTROL, 0, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_DISCRETE, SECONDS),
    METRIC(NULL, CLUSTER_CONTROL, 2, PM_TYPE_U32,    PM_INDOM_NULL, PM_SEM_DISCRETE, COUNT),
    METRIC(NULL, CLUSTER_CONTROL, 3, PM_TYPE_U64,    PM_INDOM_NULL, PM_SEM_COUNTER, COUNT),
    /* power.source */
    METRIC(NULL, CLUSTER_SOURCE, 0, PM_TYPE_STRING, INDOM_SOURCE, PM_SEM_DISCRETE, NONE),
    METRIC(NULL, CLUSTER_SOURCE, 1, PM_TYPE_STRING, INDOM_SOURCE, PM_SEM_DISCRETE, NONE),
    METRIC(NULL, CLUSTER_SOURCE, 2, PM_TYPE_U64,    INDOM_SOURCE, PM_SEM_COUNTER, COUNT),
    /* power.proc */
    METRIC(J,    CLUSTER_PROC, 0, PM_TYPE_DOUBLE, INDOM_PROC, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_PROC, 1, PM_TYPE_DOUBLE, INDOM_PROC, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_PROC, 2, PM_TYPE_DOUBLE, INDOM_PROC, PM_SEM_INSTANT, NONE),
    METRIC(J,    CLUSTER_PROC, 3, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(J,    CLUSTER_PROC, 4, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(J,    CLUSTER_PROC, 5, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(NULL, CLUSTER_PROC, 6, PM_TYPE_U32,    PM_INDOM_NULL, PM_SEM_INSTANT, COUNT),
    /* power.cgroup */
    METRIC(J,    CLUSTER_CGROUP, 0, PM_TYPE_DOUBLE, INDOM_CGROUP, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_CGROUP, 1, PM_TYPE_DOUBLE, INDOM_CGROUP, PM_SEM_INSTANT, NONE),
    /* power.control: attribution and the agent's own cost */
    METRIC(NULL, CLUSTER_CONTROL, 1, PM_TYPE_STRING, PM_INDOM_NULL, PM_SEM_DISCRETE, NONE),
    METRIC(NULL, CLUSTER_CONTROL, 4, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, MSEC),
    METRIC(NULL, CLUSTER_CONTROL, 5, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, MSEC),
    METRIC(NULL, CLUSTER_CONTROL, 6, PM_TYPE_U64,    PM_INDOM_NULL, PM_SEM_COUNTER, COUNT),
    METRIC(NULL, CLUSTER_CONTROL, 7, PM_TYPE_U64,    PM_INDOM_NULL, PM_SEM_INSTANT, BYTES),
    /* power.battery */
    METRIC(W,    CLUSTER_BATTERY, 0, PM_TYPE_DOUBLE, INDOM_BATTERY, PM_SEM_INSTANT, NONE),
    METRIC(J,    CLUSTER_BATTERY, 1, PM_TYPE_DOUBLE, INDOM_BATTERY, PM_SEM_COUNTER, NONE),
    METRIC(J,    CLUSTER_BATTERY, 2, PM_TYPE_DOUBLE, INDOM_BATTERY, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_BATTERY, 3, PM_TYPE_DOUBLE, INDOM_BATTERY, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_BATTERY, 4, PM_TYPE_STRING, INDOM_BATTERY, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_BATTERY, 5, PM_TYPE_U32,    INDOM_BATTERY, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_BATTERY, 6, PM_TYPE_STRING, INDOM_BATTERY, PM_SEM_DISCRETE, NONE),
    /* power.meter */
    METRIC(J,    CLUSTER_METER, 0, PM_TYPE_DOUBLE, INDOM_METER, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_METER, 1, PM_TYPE_DOUBLE, INDOM_METER, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_METER, 2, PM_TYPE_DOUBLE, INDOM_METER, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_METER, 3, PM_TYPE_DOUBLE, INDOM_METER, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_METER, 4, PM_TYPE_DOUBLE, INDOM_METER, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_METER, 5, PM_TYPE_U32,    INDOM_METER, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_METER, 6, PM_TYPE_U64,    INDOM_METER, PM_SEM_COUNTER, COUNT),
    METRIC(NULL, CLUSTER_METER, 7, PM_TYPE_U64,    INDOM_METER, PM_SEM_COUNTER, COUNT),
    METRIC(J,    CLUSTER_METER_TOTAL, 0, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_METER_TOTAL, 1, PM_TYPE_DOUBLE, PM_INDOM_NULL, PM_SEM_INSTANT, NONE),
    /* power.vm */
    METRIC(J,    CLUSTER_VM, 0, PM_TYPE_DOUBLE, INDOM_VM, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_VM, 1, PM_TYPE_DOUBLE, INDOM_VM, PM_SEM_INSTANT, NONE),
    METRIC(NULL, CLUSTER_VM, 2, PM_TYPE_U64,    INDOM_VM, PM_SEM_COUNTER, COUNT),
    /* power.soc */
    METRIC(J,    CLUSTER_SOC, 0, PM_TYPE_DOUBLE, INDOM_SOC, PM_SEM_COUNTER, NONE),
    METRIC(W,    CLUSTER_SOC, 1, PM_TYPE_DOUBLE, INDOM_SOC, PM_SEM_INSTANT, NONE),
    /* power.phase: marks stored by pmpower mark, for pmlogger to keep */
    METRIC(NULL, CLUSTER_PHASE, 0, PM_TYPE_STRING, PM_INDOM_NULL, PM_SEM_DISCRETE, NONE),
    METRIC(NULL, CLUSTER_PHASE, 1, PM_TYPE_STRING, INDOM_PHASE, PM_SEM_DISCRETE, NONE),
    METRIC(NULL, CLUSTER_PHASE, 2, PM_TYPE_U64,    PM_INDOM_NULL, PM_SEM_COUNTER, COUNT),
    METRIC(NULL, CLUSTER_PHASE, 3, PM_TYPE_U64,    PM_INDOM_NULL, PM_SEM_COUNTER, COUNT),
};

struct export_context {
    struct power_agent *agent;
    pmdaIndom           indoms[NUM_INDOMS];
    pmdaInstid         *proc_set;           /* power.proc instances: id = PID */
    size_t              proc_capacity;
    struct cgroup_offset **cgroup_offsets;  /* owned here, one per cgroup path in the cache */
    size_t              ncgroup_offsets;
    double              next_cgroup_purge_s;    /* monotonic; 0: at the first refresh */
    bool                interval_changed;
    struct phaselog     phases;
    pmdaInstid          phase_set[PHASELOG_SIZE];
    struct clients      clients;            /* who may store what (clients.h) */
};

/* The agent's one PCP-side context: PCP's fetch callback carries no user pointer. */
static struct export_context ctx;

static void rebuild_proc_indom(struct power_agent *agent);

struct power_agent *
export_agent(void)
{
    return ctx.agent;
}


/* RAPL instance ids follow the kernel's zone ids (intel-rapl:N:M -> N*100+M+1),
 * so an instance keeps its id across agent restarts and in archives. */
static int
rapl_instance_id(const char *sysfs_id, size_t index)
{
    const char *colon = strchr(sysfs_id, ':');
    int base = strncmp(sysfs_id, "intel-rapl-mmio", 15) == 0 ? 10000 : 0;
    int n = 0, m = -1;

    if (!colon || sscanf(colon + 1, "%d:%d", &n, &m) < 1 || n < 0 || n > 98 || m > 98)
        return 20000 + (int)index;
    return base + n * 100 + m + 1;
}

/*
 * Instance domains listed from a source's own table. The sources only ever
 * add to their tables (an instance that goes away stays, without values),
 * so a change in length is the only change; the names live as long as the
 * source. Each fill function gives one instance's id and name.
 */
typedef void (*instance_fill_fn)(void *source, size_t index, pmdaInstid *out);

static void
list_indom(unsigned serial, void *source, size_t n, instance_fill_fn fill)
{
    pmdaIndom *idp = &ctx.indoms[serial];
    pmdaInstid *set;

    if (idp->it_set && (size_t)idp->it_numinst == n)
        return;
    if ((set = calloc(n ? n : 1, sizeof(*set))) == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        fill(source, i, &set[i]);
    free(idp->it_set);
    idp->it_set = set;
    idp->it_numinst = (int)n;
}

/* the index in the source's table of a listed instance id */
static bool
indom_index_of(unsigned serial, unsigned inst, size_t *index)
{
    const pmdaIndom *idp = &ctx.indoms[serial];

    for (int i = 0; i < idp->it_numinst; i++) {
        if ((unsigned)idp->it_set[i].i_inst == inst) {
            *index = (size_t)i;
            return true;
        }
    }
    return false;
}

static void
fill_rapl(void *rapl, size_t i, pmdaInstid *out)
{
    struct rapl_zone_info z;

    rapl_zone(rapl, i, &z);
    out->i_inst = rapl_instance_id(z.sysfs_id, i);
    out->i_name = (char *)z.name;
}

/* ids from battery_instance_id(): stable across restarts */
static void
fill_battery(void *battery, size_t i, pmdaInstid *out)
{
    struct battery_info b;

    battery_get(battery, i, &b);
    out->i_inst = b.inst;
    out->i_name = (char *)b.name;
}

/* VM ids are the order of first sight (vm.h), kept while the agent runs */
static void
fill_vm(void *vm, size_t i, pmdaInstid *out)
{
    struct vm_info v;

    vm_get(vm, i, &v);
    out->i_inst = (int)v.id;
    out->i_name = (char *)v.name;
}

/* meters are fixed at open in config order: the id is that index */
static void
fill_meter(void *meter, size_t i, pmdaInstid *out)
{
    struct meter_info m;

    meter_get(meter, i, &m);
    out->i_inst = (int)i;
    out->i_name = (char *)m.label;
}

static void
fill_source(void *agent, size_t i, pmdaInstid *out)
{
    out->i_inst = (int)i;
    out->i_name = (char *)((struct power_agent *)agent)->sources[i].ops->name;
}

static void
list_source_indoms(struct power_agent *agent)
{
    void *rapl = agent_source(agent, "rapl"), *battery = agent_source(agent, "battery");
    void *vm = agent_source(agent, "vm"), *meter = agent_source(agent, "meter");

    list_indom(INDOM_SOURCE, agent, agent->nsources, fill_source);
    list_indom(INDOM_RAPL, rapl, rapl ? rapl_zone_count(rapl) : 0, fill_rapl);
    list_indom(INDOM_BATTERY, battery, battery ? battery_count(battery) : 0, fill_battery);
    list_indom(INDOM_VM, vm, vm ? vm_count(vm) : 0, fill_vm);
    list_indom(INDOM_METER, meter, meter ? meter_count(meter) : 0, fill_meter);
}

/* The SoC components are fixed; the ids are enum soc_component. */
static pmdaInstid soc_instances[] = {
    { SOC_CPU,      (char *)"cpu" },
    { SOC_GPU,      (char *)"gpu" },
    { SOC_ANE,      (char *)"ane" },
    { SOC_DRAM,     (char *)"dram" },
    { SOC_COMBINED, (char *)"combined" },
};

/* power.phase.log: one instance per kept mark, id and name its sequence number */
static void
rebuild_phase_indom(void)
{
    pmdaIndom *idp = &ctx.indoms[INDOM_PHASE];

    for (size_t i = 0; i < ctx.phases.count; i++) {
        const struct phase_mark *m = phaselog_at(&ctx.phases, i);
        ctx.phase_set[i].i_inst = m->seq;
        ctx.phase_set[i].i_name = (char *)m->name;
    }
    idp->it_set = ctx.phase_set;
    idp->it_numinst = (int)ctx.phases.count;
}

/*
 * Phase marks pass one token bucket shared by every client: BURST at once,
 * then RATE a second. BURST + RATE x 10 s stays within the 64 marks kept,
 * so at the power pmlogconf group's 10 s no accepted mark leaves the ring
 * before pmlogger has logged it.
 */
#define MARK_BURST 32.0
#define MARK_RATE 3.0

static void
init_clients(struct power_agent *agent)
{
    const char *who = config_string(agent->config, "phase", "marks", "anyone");
    double rate = config_double(agent->config, "phase", "rate", MARK_RATE, 0.01, 1000.0);
    bool root_only = strcmp(who, "root") == 0;

    if (!root_only && strcmp(who, "anyone") != 0)
        config_bad_value(agent->config, "phase", "marks", "anyone or root");
    clients_init(&ctx.clients, root_only, rate, MARK_BURST);
}

void
export_init(struct power_agent *agent, pmdaInterface *dp)
{
    size_t nmetrics = sizeof(metrictab) / sizeof(metrictab[0]);

    ctx.agent = agent;
    for (unsigned i = 0; i < NUM_INDOMS; i++)
        ctx.indoms[i].it_indom = pmInDom_build(POWER_DOMAIN, i);
    for (size_t i = 0; i < nmetrics; i++) {
        pmDesc *d = &metrictab[i].m_desc;
        if (d->indom != PM_INDOM_NULL)
            d->indom = pmInDom_build(POWER_DOMAIN, d->indom);
    }
    list_source_indoms(agent);
    rebuild_proc_indom(agent);
    pmdaCacheOp(ctx.indoms[INDOM_CGROUP].it_indom, PMDA_CACHE_LOAD);
    ctx.indoms[INDOM_SOC].it_set = soc_instances;
    ctx.indoms[INDOM_SOC].it_numinst = (int)(sizeof(soc_instances) / sizeof(soc_instances[0]));
    phaselog_init(&ctx.phases);
    rebuild_phase_indom();
    init_clients(agent);
    pmdaInit(dp, ctx.indoms, NUM_INDOMS, metrictab, (int)nmetrics);
}

void
export_close(struct power_agent *agent)
{
    free(ctx.proc_set);
    ctx.proc_set = NULL;
    ctx.indoms[INDOM_PROC].it_set = NULL;
    ctx.proc_capacity = 0;
    for (size_t i = 0; i < ctx.ncgroup_offsets; i++)
        free(ctx.cgroup_offsets[i]);
    free(ctx.cgroup_offsets);
    ctx.cgroup_offsets = NULL;
    ctx.ncgroup_offsets = 0;
    clients_free(&ctx.clients);
    (void)agent;
    for (unsigned i = 0; i < NUM_INDOMS; i++) {
        if (i == INDOM_RAPL || i == INDOM_SOURCE || i == INDOM_BATTERY ||
            i == INDOM_VM || i == INDOM_METER)
            free(ctx.indoms[i].it_set);
        ctx.indoms[i].it_set = NULL;
    }
}

/* Instance id = PID, name as the proc PMDA gives it, so power.proc.* joins
 * proc.* in pmrep and Grafana. Rebuilt from the ledger after every update;
 * the names belong to the ledger, which keeps them until the next update. */
static void
rebuild_proc_indom(struct power_agent *agent)
{
    const struct ledger *ledger = agent->attribution.ledger;
    size_t n = ledger ? ledger_proc_count(ledger) : 0;
    pmdaIndom *idp = &ctx.indoms[INDOM_PROC];

    if (n > ctx.proc_capacity) {
        size_t want = n + n / 4 + 64;
        pmdaInstid *grown = realloc(ctx.proc_set, want * sizeof(*grown));
        if (!grown) {
            idp->it_numinst = 0;
            return;
        }
        ctx.proc_set = grown;
        ctx.proc_capacity = want;
    }
    for (size_t i = 0; i < n; i++) {
        const struct proc_account *p = ledger_proc(ledger, i);
        ctx.proc_set[i].i_inst = p->pid;
        ctx.proc_set[i].i_name = (char *)p->name;
    }
    idp->it_set = ctx.proc_set;
    idp->it_numinst = (int)n;
}

/*
 * cgroup paths have no natural number: pmdaCache gives each a stable id,
 * saved across restarts. The ledger forgets a cgroup once its last process
 * has gone, and starts it again at 0 if the path returns (a restarted
 * service); pmdaCache hands the path its old id, so the published counter
 * carries an offset that keeps it from going backwards for that id.
 *
 * A host that runs containers or transient units sees a new path for each,
 * so a path with no process for [attribution] cgroup_retain seconds is
 * purged from the cache (pmdaCachePurge; PMDA_CACHE_SYNC stamps the
 * entries, so a purge comes up to two CGROUP_PURGE_EVERY_S periods late).
 * Purged, a path that returns gets a new id. The saved stamps say when the
 * agent last saw a path, so its own downtime counts: the first purge waits
 * a period after start, for the services that start after pmcd.
 */
#define CGROUP_PURGE_EVERY_S 600.0
struct cgroup_offset {
    double base;        /* added to the ledger's energy */
    double last;        /* the last published energy */
};

static struct cgroup_offset *
cgroup_offset_new(void)
{
    struct cgroup_offset *off, **grown;

    grown = realloc(ctx.cgroup_offsets, (ctx.ncgroup_offsets + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    ctx.cgroup_offsets = grown;
    if ((off = calloc(1, sizeof(*off))) == NULL)
        return NULL;
    ctx.cgroup_offsets[ctx.ncgroup_offsets++] = off;
    return off;
}

/* pmdaCachePurgeCallback hands over each purged entry's private data. */
static void
forget_cgroup_offset(void *private)
{
    for (size_t i = 0; i < ctx.ncgroup_offsets; i++) {
        if (ctx.cgroup_offsets[i] == private) {
            ctx.cgroup_offsets[i] = ctx.cgroup_offsets[--ctx.ncgroup_offsets];
            free(private);
            return;
        }
    }
}

static void
purge_idle_cgroups(struct power_agent *agent, pmInDom indom)
{
    double retain = agent->attribution.cgroup_retain_s;
    double period = retain / 2 < CGROUP_PURGE_EVERY_S ? retain / 2 : CGROUP_PURGE_EVERY_S;
    int idle, culled;

    if (period < 1)
        period = 1;
    if (ctx.next_cgroup_purge_s == 0)
        ctx.next_cgroup_purge_s = agent->now.mono_s + period;
    if (agent->now.mono_s < ctx.next_cgroup_purge_s)
        return;
    ctx.next_cgroup_purge_s = agent->now.mono_s + period;
    pmdaCacheOp(indom, PMDA_CACHE_SYNC);        /* stamps the paths that went idle */
    /* pmdaCachePurge counts the entries it purged before too: count the idle ones that went */
    idle = pmdaCacheOp(indom, PMDA_CACHE_SIZE_INACTIVE);
    pmdaCachePurgeCallback(indom, (time_t)retain, forget_cgroup_offset);
    if ((culled = idle - pmdaCacheOp(indom, PMDA_CACHE_SIZE_INACTIVE)) > 0)
        agent->env.log(LOG_INFO, "cgroups: purged %d path%s with no process for %.0f s "
                       "([attribution] cgroup_retain) from the instance cache",
                       culled, culled == 1 ? "" : "s", retain);
}

static void
rebuild_cgroup_indom(struct power_agent *agent)
{
    const struct ledger *ledger = agent->attribution.ledger;
    pmInDom indom = ctx.indoms[INDOM_CGROUP].it_indom;
    size_t n = ledger ? ledger_cgroup_count(ledger) : 0;

    pmdaCacheOp(indom, PMDA_CACHE_INACTIVE);
    for (size_t i = 0; i < n; i++) {
        const struct cgroup_account *c = ledger_cgroup(ledger, i);
        struct cgroup_offset *off = NULL;
        int inst;

        if (pmdaCacheLookupName(indom, c->path, &inst, (void **)&off) < 0 || !off)
            off = cgroup_offset_new();
        if (off) {
            if (off->base + c->energy_j < off->last)
                off->base = off->last;      /* the ledger started this path again */
            off->last = off->base + c->energy_j;
        }
        pmdaCacheStore(indom, PMDA_CACHE_ADD, c->path, off);
    }
    purge_idle_cgroups(agent, indom);
    pmdaCacheOp(indom, PMDA_CACHE_SAVE);
}

void
export_after_refresh(struct power_agent *agent)
{
    rebuild_proc_indom(agent);
    rebuild_cgroup_indom(agent);
    list_source_indoms(agent);
}

void
export_refresh_indoms(struct power_agent *agent, pmdaExt *pmda)
{
    (void)agent;
    (void)pmda;
}

static int
fetch_system(struct power_agent *agent, unsigned item, pmAtomValue *atom)
{
    const struct system_state *s = &agent->system;

    switch (item) {
    case 0: atom->d = s->energy_j; return s->have_power;
    case 1: atom->d = s->power_w; return s->power_fresh;
    case 2: atom->cp = (char *)system_source_name(s); return PMDA_FETCH_STATIC;
    case 3: atom->d = s->active_j; return s->have_power;
    case 4: atom->d = s->idle_j; return s->have_power;
    case 5: atom->d = s->utilization; return s->have_cpu && agent->samples > 1;
    case 6: atom->d = s->active_power_w; return s->power_fresh;
    }
    return PM_ERR_PMID;
}

static int
fetch_rapl(struct power_agent *agent, unsigned item, unsigned inst, pmAtomValue *atom)
{
    void *rapl = agent_source(agent, "rapl");
    struct rapl_zone_info z;
    size_t index;

    if (!rapl || !indom_index_of(INDOM_RAPL, inst, &index) || !rapl_zone(rapl, index, &z))
        return PM_ERR_INST;
    switch (item) {
    case 0: atom->d = z.energy_j; return z.present;
    case 1: atom->d = z.power_w; return z.present && z.has_power;
    case 2: atom->d = z.max_range_j; return z.max_range_j > 0;
    case 3: atom->ull = z.wraps; return 1;
    case 4: atom->ull = z.resets; return 1;
    }
    return PM_ERR_PMID;
}

static int
fetch_model(struct power_agent *agent, unsigned item, pmAtomValue *atom)
{
    void *model = agent_source(agent, "model");
    struct model_reading r;

    if (!model)
        return 0;
    model_reading(model, &r);
    switch (item) {
    case 0: atom->d = r.energy_j; return r.valid;
    case 1: atom->d = r.power_w; return r.valid;
    case 2: atom->d = r.utilization; return r.valid;
    }
    return PM_ERR_PMID;
}

static int
fetch_proc(struct power_agent *agent, unsigned item, unsigned inst, pmAtomValue *atom)
{
    const struct ledger *ledger = agent->attribution.ledger;
    const struct proc_account *p;

    if (!ledger)
        return item <= 2 ? PM_ERR_INST : 0;
    switch (item) {
    case 3: atom->d = ledger_total(ledger)->unattributed; return 1;
    case 4: atom->d = ledger_total(ledger)->exited; return 1;
    case 5: atom->d = ledger_total(ledger)->attributed; return 1;
    case 6: atom->ul = (uint32_t)ledger_proc_count(ledger); return 1;
    }
    if ((p = ledger_proc_find(ledger, (int32_t)inst)) == NULL)
        return PM_ERR_INST;
    switch (item) {
    case 0: atom->d = p->energy_j; return 1;
    case 1: atom->d = p->power_w; return !p->gone;
    case 2: atom->d = p->share; return !p->gone;
    }
    return PM_ERR_PMID;
}

static int
fetch_cgroup(struct power_agent *agent, unsigned item, unsigned inst, pmAtomValue *atom)
{
    const struct ledger *ledger = agent->attribution.ledger;
    const struct cgroup_account *c;
    struct cgroup_offset *off = NULL;
    char *path = NULL;

    if (!ledger ||
        pmdaCacheLookup(ctx.indoms[INDOM_CGROUP].it_indom, (int)inst, &path, (void **)&off) != PMDA_CACHE_ACTIVE ||
        (c = ledger_cgroup_find(ledger, path)) == NULL)
        return PM_ERR_INST;
    switch (item) {
    case 0: atom->d = off ? off->last : c->energy_j; return 1;
    case 1: atom->d = c->power_w; return 1;
    }
    return PM_ERR_PMID;
}

/* what per-process attribution holds, as its modules account for it:
 * bounded by the processes alive (and within the grace), not by churn */
static uint64_t
proc_memory(const struct power_agent *agent)
{
    const struct attribute_state *a = &agent->attribution;

    return (a->scan ? procscan_memory(a->scan) : 0) + (a->ledger ? ledger_memory(a->ledger) : 0) +
           ctx.proc_capacity * sizeof(*ctx.proc_set);
}

static int
fetch_control(struct power_agent *agent, unsigned item, pmAtomValue *atom)
{
    switch (item) {
    case 0: atom->d = agent->interval_s; return 1;
    case 1: atom->cp = (char *)attribute_mode_name(&agent->attribution); return PMDA_FETCH_STATIC;
    case 4: atom->d = agent->refresh_ms; return agent->samples > 0;
    case 5: atom->d = agent->attribution.scan_ms; return agent->attribution.enabled && agent->samples > 0;
    case 6: atom->ull = ctx.clients.refused; return 1;
    case 7: atom->ull = proc_memory(agent); return agent->attribution.ledger != NULL;
    case 2: atom->ul = config_error_count(agent->config); return 1;
    case 3: atom->ull = agent->samples; return 1;
    }
    return PM_ERR_PMID;
}

static int
fetch_source(struct power_agent *agent, unsigned item, unsigned inst, pmAtomValue *atom)
{
    const struct source_slot *slot;
    const char *why = "";
    enum source_state state;

    if (inst >= agent->nsources)
        return PM_ERR_INST;
    slot = &agent->sources[inst];
    state = slot->ops->state(slot->state, &why);
    switch (item) {
    case 0: atom->cp = (char *)source_state_name(state); return PMDA_FETCH_STATIC;
    case 1: atom->cp = (char *)(why ? why : ""); return PMDA_FETCH_STATIC;
    case 2: atom->ull = slot->ops->errors(slot->state); return 1;
    }
    return PM_ERR_PMID;
}

static int
fetch_battery(struct power_agent *agent, unsigned item, unsigned inst, pmAtomValue *atom)
{
    void *battery = agent_source(agent, "battery");
    struct battery_info b;
    size_t index;

    if (!battery || !indom_index_of(INDOM_BATTERY, inst, &index) || !battery_get(battery, index, &b))
        return PM_ERR_INST;
    switch (item) {
    case 0: atom->d = b.power_w; return b.has_power;
    case 1: atom->d = b.energy_j; return b.has_energy;
    case 2: atom->d = b.energy_now_j; return b.has_energy_now;
    case 3: atom->d = b.capacity_pct; return b.has_capacity;
    case 4: atom->cp = (char *)b.status; return PMDA_FETCH_STATIC;
    case 5: atom->ul = b.discharging; return b.has_direction;
    case 6: atom->cp = (char *)b.method; return b.present ? PMDA_FETCH_STATIC : 0;
    }
    return PM_ERR_PMID;
}

static int
fetch_vm(struct power_agent *agent, unsigned item, unsigned inst, pmAtomValue *atom)
{
    void *vm = agent_source(agent, "vm");
    struct vm_info v;

    if (!vm || !vm_get(vm, inst, &v))     /* the instance id is the index */
        return PM_ERR_INST;
    switch (item) {
    case 0: atom->d = v.energy_j; return v.present && v.has_energy;
    case 1: atom->d = v.power_w; return v.has_power;
    case 2: atom->ull = v.resets; return v.present;
    }
    return PM_ERR_PMID;
}

static int
fetch_soc(struct power_agent *agent, unsigned item, unsigned inst, pmAtomValue *atom)
{
    void *pm = agent_source(agent, "powermetrics");
    struct soc_reading r;

    if (inst >= SOC_NCOMPONENTS)
        return PM_ERR_INST;
    if (!pm || !powermetrics_reading(pm, inst, &r))
        return 0;
    switch (item) {
    case 0: atom->d = r.energy_j; return r.valid;
    case 1: atom->d = r.power_w; return r.valid;
    }
    return PM_ERR_PMID;
}

/* A meter's readings have values only while it is live: a stalled or
 * unplugged meter shows none rather than its last figure as if current. */
static int
fetch_meter(struct power_agent *agent, unsigned item, unsigned inst, pmAtomValue *atom)
{
    void *meter = agent_source(agent, "meter");
    struct meter_info m;

    if (!meter || !meter_get(meter, inst, &m))
        return PM_ERR_INST;
    switch (item) {
    case 0: atom->d = m.energy_j; return m.live;
    case 1: atom->d = m.power_w; return m.live;
    case 2: atom->d = m.voltage_v; return m.live && m.has_voltage;
    case 3: atom->d = m.current_a; return m.live && m.has_current;
    case 4: atom->d = m.power_factor; return m.live && m.has_power_factor;
    case 5: atom->ul = m.connected; return 1;
    case 6: atom->ull = m.samples; return 1;
    case 7: atom->ull = m.errors; return 1;
    }
    return PM_ERR_PMID;
}

static int
fetch_meter_total(struct power_agent *agent, unsigned item, pmAtomValue *atom)
{
    void *meter = agent_source(agent, "meter");
    struct meter_total t;

    if (!meter)
        return 0;
    meter_get_total(meter, &t);
    switch (item) {
    case 0: atom->d = t.energy_j; return t.valid;
    case 1: atom->d = t.power_w; return t.valid;
    }
    return PM_ERR_PMID;
}

static int
fetch_phase(unsigned item, unsigned inst, pmAtomValue *atom)
{
    const struct phase_mark *m;

    switch (item) {
    case 0:
        if ((m = phaselog_latest(&ctx.phases)) == NULL)
            return 0;
        atom->cp = (char *)m->text;
        return PMDA_FETCH_STATIC;
    case 1:
        for (size_t i = 0; i < ctx.phases.count; i++) {
            m = phaselog_at(&ctx.phases, i);
            if ((unsigned)m->seq == inst) {
                atom->cp = (char *)m->text;
                return PMDA_FETCH_STATIC;
            }
        }
        return PM_ERR_INST;
    case 2:
        atom->ull = ctx.phases.stored;
        return 1;
    case 3:
        atom->ull = ctx.clients.throttled;
        return 1;
    }
    return PM_ERR_PMID;
}

int
export_fetch(struct power_agent *agent, unsigned cluster, unsigned item,
             unsigned inst, pmAtomValue *atom)
{
    switch (cluster) {
    case CLUSTER_SYSTEM:  return fetch_system(agent, item, atom);
    case CLUSTER_RAPL:    return fetch_rapl(agent, item, inst, atom);
    case CLUSTER_MODEL:   return fetch_model(agent, item, atom);
    case CLUSTER_CONTROL: return fetch_control(agent, item, atom);
    case CLUSTER_SOURCE:  return fetch_source(agent, item, inst, atom);
    case CLUSTER_PROC:    return fetch_proc(agent, item, inst, atom);
    case CLUSTER_CGROUP:  return fetch_cgroup(agent, item, inst, atom);
    case CLUSTER_VM:      return fetch_vm(agent, item, inst, atom);
    case CLUSTER_SOC:     return fetch_soc(agent, item, inst, atom);
    case CLUSTER_BATTERY: return fetch_battery(agent, item, inst, atom);
    case CLUSTER_METER:   return fetch_meter(agent, item, inst, atom);
    case CLUSTER_METER_TOTAL: return fetch_meter_total(agent, item, atom);
    case CLUSTER_PHASE:   return fetch_phase(item, inst, atom);
    }
    return PM_ERR_PMID;
}

/* The one string of a store, or NULL unless it is a single NUL-terminated
 * value (a hand-made PDU must not make us read past its buffer). */
static const char *
stored_string(const pmValueSet *vsp)
{
    const pmValueBlock *vb;
    size_t len;

    if (vsp->numval != 1 || vsp->valfmt == PM_VAL_INSITU)
        return NULL;
    vb = vsp->vlist[0].value.pval;
    if (vb->vtype != PM_TYPE_STRING || vb->vlen <= PM_VAL_HDR_SIZE)
        return NULL;
    len = vb->vlen - PM_VAL_HDR_SIZE;
    return vb->vbuf[len - 1] == '\0' ? vb->vbuf : NULL;
}

void
export_client_attribute(int client, int attr, const char *value, int length)
{
    if (attr == PMDA_ATTR_USERID)
        clients_set_uid(&ctx.clients, client, value, length > 0 ? (size_t)length : 0);
    else if (attr == PMDA_ATTR_GROUPID)
        clients_set_gid(&ctx.clients, client, value, length > 0 ? (size_t)length : 0);
}

void
export_client_end(int client)
{
    clients_end(&ctx.clients, client);
}

/* Once per identity and kind, say why and what to do; the rest are counted
 * (power.control.stores_refused, power.phase.throttled). */
static void
tell_refusal(int client, enum client_request req, enum client_verdict verdict, const char *metric)
{
    char who[96];
    bool last;

    if (!clients_first_refusal(&ctx.clients, client, req, &last))
        return;
    clients_describe(&ctx.clients, client, who, sizeof(who));
    if (last)
        pmNotifyErr(LOG_WARNING, "store refused for %s; refusals from further clients are only "
                    "counted (power.control.stores_refused, power.phase.throttled)", who);
    else if (verdict == CLIENT_THROTTLED)
        pmNotifyErr(LOG_WARNING, "phase marks throttled for %s: the agent takes %g marks at once, "
                    "then %g a second, from all clients together ([phase] rate in power.conf); "
                    "further ones are counted in power.phase.throttled", who, MARK_BURST,
                    ctx.clients.mark_rate);
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

static int
store_allowed(int client, enum client_request req, const char *metric)
{
    enum client_verdict verdict = clients_check(&ctx.clients, client, req, monotonic_seconds());

    if (verdict == CLIENT_ALLOWED)
        return 0;
    tell_refusal(client, req, verdict, metric);
    return verdict == CLIENT_THROTTLED ? -EAGAIN : PM_ERR_PERMISSION;
}

int
export_store(struct power_agent *agent, int client, pmValueSet *vsp)
{
    const char *text;
    pmID pmid = vsp->pmid;
    pmAtomValue av;
    int sts;

    if (pmID_cluster(pmid) == CLUSTER_PHASE && pmID_item(pmid) == 0) {
        if ((sts = store_allowed(client, REQUEST_MARK, "power.phase.mark")) < 0)
            return sts;
        if ((text = stored_string(vsp)) == NULL ||
            phaselog_store(&ctx.phases, text, wall_seconds()) < 0)
            return PM_ERR_BADSTORE;
        rebuild_phase_indom();
        return 0;
    }
    if (pmID_cluster(pmid) != CLUSTER_CONTROL)
        return PM_ERR_PERMISSION;
    if ((pmID_item(pmid) == 0 || pmID_item(pmid) == 1) &&
        (sts = store_allowed(client, REQUEST_CONTROL, pmID_item(pmid) == 0 ?
                             "power.control.interval" : "power.control.attribute_mode")) < 0)
        return sts;
    switch (pmID_item(pmid)) {
    case 0:
        if (vsp->numval != 1)
            return PM_ERR_INST;
        if ((sts = pmExtractValue(vsp->valfmt, &vsp->vlist[0], PM_TYPE_DOUBLE, &av, PM_TYPE_DOUBLE)) < 0)
            return sts;
        if (!(av.d >= POWER_MIN_INTERVAL && av.d <= POWER_MAX_INTERVAL))
            return PM_ERR_BADSTORE;
        agent->interval_s = av.d;
        ctx.interval_changed = true;
        pmNotifyErr(LOG_INFO, "sampling interval set to %g s by pmstore", av.d);
        return 0;
    case 1:
        if ((text = stored_string(vsp)) == NULL)
            return PM_ERR_BADSTORE;
        if (!agent->attribution.ledger)
            return PM_ERR_APPVERSION;
        if (!attribute_set_mode(&agent->attribution, text))
            return PM_ERR_BADSTORE;
        pmNotifyErr(LOG_INFO, "attribution mode set to %s by pmstore",
                    attribute_mode_name(&agent->attribution));
        return 0;
    }
    return PM_ERR_PERMISSION;
}

bool
export_interval_changed(struct power_agent *agent)
{
    bool changed = ctx.interval_changed;

    (void)agent;
    ctx.interval_changed = false;
    return changed;
}

int
export_instance_labels(struct power_agent *agent, pmInDom indom, unsigned inst, pmLabelSet **lp)
{
    (void)agent;
    (void)indom;
    (void)inst;
    (void)lp;
    return 0;
}

const char *
export_units_label(int ident)
{
    for (size_t i = 0; i < sizeof(metrictab) / sizeof(metrictab[0]); i++)
        if ((int)metrictab[i].m_desc.pmid == ident)
            return metrictab[i].m_user;
    return NULL;
}

bool
export_is_estimate(int ident)
{
    return pmID_cluster((pmID)ident) == CLUSTER_MODEL;
}
