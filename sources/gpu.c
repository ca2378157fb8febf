#include "gpu.h"
#include "config.h"
#include "counter.h"
#include "hwmon_scan.h"
#include "gpu_share.h"
#include "nvml_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* Above this a reading is a driver's garbage, not a GPU (the largest boards draw about 1.5 kW). */
#define GPU_PLAUSIBLE_W 5000.0
#define GPU_TEXT 1024

struct gpu_dev {
    char     name[160];
    char     model[96], uuid[96], pci_bus_id[64], driver[64];
    const char *via;
    int      id;
    bool     integrated;
    bool     live;
    const char *energy_method;
    bool     has_energy, has_power, has_limit;
    double   energy_j, power_w, limit_w;
    double   tick_j;                        /* energy added in the latest sample */
    struct wrap_counter counter;            /* NVML mJ or hwmon uJ; no range: a step back is a reset */
    double   counter_scale;                 /* joules of one unit of counter, as counter_step was given */
    struct energy_integrator integral;      /* its power over time, where there is no counter */
    char     noted[GPU_TEXT];               /* the condition logged last */
    struct hwmon_sensor sensor;             /* hwmon GPUs: the file read */
};

struct gpu_state {
    power_log_fn log;
    bool     enabled;
    struct source_status status;
    struct nvml_reader *reader;
    struct nvml_round  *round;              /* the latest taken; large, so on the heap */
    struct gpu_dev nvml[NVML_READER_MAX_GPUS];
    unsigned nnvml;
    struct gpu_dev *hwmon;
    size_t   nhwmon;
    char     nvml_noted[NVML_READER_TEXT];
    struct gpu_share share;                 /* the latest sample's NVML energy, by process */
};

int
gpu_instance_id(const char *key)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return (int)(h & 0x7fffffff);
}

/* Two keys whose hashes collide (one in 2^31): the later GPU takes the
 * next free id, so ids stay unique, if then in the order GPUs are found. */
static void
make_id_unique(const struct gpu_state *st, struct gpu_dev *g)
{
    bool clash = true;

    while (clash) {
        clash = false;
        for (size_t i = 0; i < st->nhwmon + st->nnvml && !clash; i++) {
            const struct gpu_dev *o = i < st->nhwmon ? &st->hwmon[i] : &st->nvml[i - st->nhwmon];

            clash = o != g && o->id == g->id;
        }
        if (clash)
            g->id = (g->id + 1) & 0x7fffffff;
    }
}

/* Log text unless it is what was logged last in noted; "" clears. */
static void
note(const struct gpu_state *st, char *noted, size_t size, int priority, const char *text)
{
    if (strcmp(noted, text) == 0)
        return;
    snprintf(noted, size, "%s", text);
    if (text[0])
        st->log(priority, "gpu: %s", text);
}

/* One reading of a cumulative counter in units of scale joules: a step
 * back (NVML's counter restarts when the driver reloads) adds nothing,
 * counts a reset and is the new base. */
static void
counter_step(struct gpu_state *st, struct gpu_dev *g, uint64_t raw, double scale)
{
    uint64_t resets = g->counter.resets;

    double added = (double)wrap_counter_update(&g->counter, raw) * scale;

    g->counter_scale = scale;
    g->energy_j += added;
    g->tick_j += added;
    g->has_energy = true;
    if (g->counter.resets == resets)
        return;
    status_count(&st->status, 1);
    st->log(LOG_INFO, "gpu: %s: energy counter went back to %llu (driver reloaded?): counted as a reset",
            g->name, (unsigned long long)raw);
}

/* ---- hwmon GPUs ---- */

/* The sensor that is the whole device's: an energy counter ("card" on xe,
 * whose "pkg" is a part of it), else the average power, else the input. */
static const struct hwmon_sensor *
device_sensor(const struct hwmon_device *d)
{
    for (size_t i = 0; i < d->nsensors; i++)
        if (d->sensor[i].kind == HWMON_ENERGY && !strcmp(d->sensor[i].label, "card"))
            return &d->sensor[i];
    return d->nsensors ? &d->sensor[0] : NULL;
}

static void
add_hwmon_gpus(struct gpu_state *st, const char *root)
{
    struct hwmon_scan scan = { 0 };

    if (hwmon_scan(root, &scan) < 0)
        return;
    if (!(st->hwmon = calloc(scan.count ? scan.count : 1, sizeof(*st->hwmon)))) {
        hwmon_scan_free(&scan);
        return;
    }
    for (size_t i = 0; i < scan.count; i++) {
        const struct hwmon_device *d = &scan.device[i];
        const struct hwmon_sensor *s = device_sensor(d);
        struct gpu_dev *g;

        /* i915_gtN is a part of its device's "i915" figure (power.hwmon lists it) */
        if (d->hwmon_class != HWMON_CLASS_GPU || d->part_of_device || !s)
            continue;
        g = &st->hwmon[st->nhwmon++];
        snprintf(g->driver, sizeof(g->driver), "%s", d->name);
        snprintf(g->pci_bus_id, sizeof(g->pci_bus_id), "%s", d->device);
        snprintf(g->name, sizeof(g->name), "%s-%s", d->name, d->device[0] ? d->device : "unknown");
        g->id = gpu_instance_id(g->name);
        make_id_unique(st, g);
        g->via = "hwmon";
        g->integrated = d->integrated;
        g->sensor = *s;
        g->energy_method = s->kind == HWMON_ENERGY ? "counter" : "power integral";
    }
    hwmon_scan_free(&scan);
}

static void
sample_hwmon(struct gpu_state *st, struct gpu_dev *g, double now_s)
{
    char text[GPU_TEXT];
    uint64_t raw;
    double was_j = g->energy_j, was_s = g->integral.last_s;
    bool had = g->counter.primed;
    int sts = hwmon_read_sensor(&g->sensor, &raw);

    if (sts < 0) {
        status_count(&st->status, 1);
        snprintf(text, sizeof(text), "%s: cannot read %s (%s)", g->name, g->sensor.path, strerror(-sts));
        note(st, g->noted, sizeof(g->noted), LOG_WARNING, text);
        g->live = g->has_power = false;
        return;
    }
    note(st, g->noted, sizeof(g->noted), LOG_INFO, "");
    if (g->sensor.kind == HWMON_ENERGY) {
        uint64_t resets = g->counter.resets;

        counter_step(st, g, raw, 1e-6);
        /* across a reset the interval's energy is unknown: no power rather than 0 W */
        g->has_power = had && now_s > was_s && g->counter.resets == resets;
        g->power_w = g->has_power ? (g->energy_j - was_j) / (now_s - was_s) : 0.0;
        g->integral.last_s = now_s;
        g->live = true;
        return;
    }
    if ((double)raw / 1e6 > GPU_PLAUSIBLE_W) {
        status_count(&st->status, 1);
        snprintf(text, sizeof(text), "%s: %s reads %llu uW, not a GPU's power: ignored",
                 g->name, g->sensor.path, (unsigned long long)raw);
        note(st, g->noted, sizeof(g->noted), LOG_WARNING, text);
        g->live = g->has_power = false;
        return;
    }
    g->power_w = (double)raw / 1e6;
    g->has_power = g->live = true;
    g->tick_j = energy_integrator_add(&g->integral, now_s, g->power_w);
    g->energy_j += g->tick_j;
    g->has_energy = true;
}

/* ---- NVML GPUs ---- */

static void
adopt_identity(const struct gpu_state *st, struct gpu_dev *g, const struct nvml_gpu_reading *r, unsigned index)
{
    snprintf(g->name, sizeof(g->name), "nvidia%u", index);
    snprintf(g->model, sizeof(g->model), "%s", r->model);
    snprintf(g->uuid, sizeof(g->uuid), "%s", r->uuid);
    snprintf(g->pci_bus_id, sizeof(g->pci_bus_id), "%s", r->pci_bus_id);
    snprintf(g->driver, sizeof(g->driver), "nvidia");
    g->via = "nvml";
    g->id = gpu_instance_id(r->uuid[0] ? r->uuid : r->pci_bus_id[0] ? r->pci_bus_id : g->name);
    make_id_unique(st, g);
}

/* One GPU's round: its counter where it answered, else its power
 * integrated over the reader's read times. */
static void
sample_nvml_gpu(struct gpu_state *st, struct gpu_dev *g, const struct nvml_gpu_reading *r)
{
    bool power_ok = r->power == NVML_RESULT_OK && r->power_mw / 1e3 <= GPU_PLAUSIBLE_W;
    double integrated = 0.0;

    if (r->error[0])
        status_count(&st->status, 1);
    note(st, g->noted, sizeof(g->noted), LOG_WARNING, r->error);
    if (r->power == NVML_RESULT_OK && !power_ok)
        status_count(&st->status, 1);
    g->has_power = power_ok;
    g->power_w = power_ok ? r->power_mw / 1e3 : 0.0;
    g->has_limit = r->limit == NVML_RESULT_OK;
    g->limit_w = g->has_limit ? r->limit_mw / 1e3 : 0.0;
    if (power_ok)
        integrated = energy_integrator_add(&g->integral, r->read_s, g->power_w);
    else
        g->integral.primed = false;     /* no trapezoid across a gap */
    g->live = r->energy == NVML_RESULT_OK || power_ok;
    if (r->energy == NVML_RESULT_OK) {
        counter_step(st, g, r->energy_mj, 1e-3);
        g->energy_method = "counter";
        return;
    }
    /* no counter this round: its power fills the interval, and a counter
     * that answers again starts from a new base */
    g->counter.primed = false;
    if (power_ok) {
        g->energy_j += integrated;
        g->tick_j += integrated;
        g->has_energy = true;
        g->energy_method = "power integral";
    }
}

static void
sample_nvml(struct gpu_state *st)
{
    struct nvml_round *round = st->round;
    unsigned known;

    if (!nvml_reader_take(st->reader, round))
        return;
    if (!round->count) {
        const char *why = round->opened == NVML_RESULT_OK ? "NVML found no GPU" : round->why;

        note(st, st->nvml_noted, sizeof(st->nvml_noted), LOG_INFO, why);
        return;
    }
    note(st, st->nvml_noted, sizeof(st->nvml_noted), LOG_INFO, "");
    known = st->nnvml;
    st->nnvml = round->count;
    for (unsigned i = 0; i < round->count; i++) {
        struct gpu_dev *g = &st->nvml[i];

        if (i >= known || strcmp(g->uuid, round->gpu[i].uuid) != 0)
            adopt_identity(st, g, &round->gpu[i], i);
        sample_nvml_gpu(st, g, &round->gpu[i]);
        if (!gpu_share_add(&st->share, g->tick_j, &round->gpu[i]))
            status_count(&st->status, 1);
    }
}

/* ---- the source ---- */

static enum source_state
gpu_state_of(const struct gpu_state *st, const char **why)
{
    static const char *const none = "no GPU with a power or energy sensor";
    bool live = false;

    if (!st->enabled) {
        *why = "[gpu] enabled = no";
        return SOURCE_DISABLED;
    }
    for (size_t i = 0; i < gpu_count(st) && !live; i++) {
        struct gpu_info g;

        live = gpu_get(st, i, &g) && g.live;
    }
    if (live) {
        *why = "";
        return SOURCE_ACTIVE;
    }
    if (gpu_count(st)) {
        *why = "no GPU answered in the latest sample";
        return SOURCE_FAILED;
    }
    if (st->reader && st->round->number == 0) {
        *why = st->nhwmon ? "no hwmon GPU reading yet; waiting for NVML" : "waiting for NVML";
        return SOURCE_ABSENT;
    }
    *why = st->reader && st->round->why[0] ? st->round->why :
           st->reader && st->round->opened == NVML_RESULT_OK ? "NVML found no GPU, and no GPU hwmon sensor" : none;
    return SOURCE_ABSENT;
}

/* power.source's state for the latest sample; status.h logs a change */
static void
refresh_status(struct gpu_state *st)
{
    const char *why;
    enum source_state state = gpu_state_of(st, &why);

    status_set(&st->status, state, "%s", why);
}

static const struct source_status *
gpu_status(const void *state)
{
    return &((const struct gpu_state *)state)->status;
}

static void *
gpu_open(const struct source_env *env)
{
    struct gpu_state *st = calloc(1, sizeof(*st));

    if (!st || !(st->round = calloc(1, sizeof(*st->round)))) {
        free(st);
        return NULL;
    }
    /* every key is read, used or not, so none is reported as unknown */
    bool hwmon = config_bool(env->config, "gpu", "hwmon", true);
    bool nvidia = config_bool(env->config, "nvidia", "enabled", true);
    const char *library = config_string(env->config, "nvidia", "library", NVML_DEFAULT_LIBRARY);

    st->log = env->log;
    status_init(&st->status, "gpu", env->log);
    st->enabled = config_bool(env->config, "gpu", "enabled", true);
    if (st->enabled) {
        if (hwmon)
            add_hwmon_gpus(st, env->root);
        if (nvidia)
            st->reader = nvml_reader_start(library);
    }
    refresh_status(st);
    return st;
}

static void
gpu_sample(void *state, const struct sample_time *now)
{
    struct gpu_state *st = state;

    if (!st->enabled)
        return;
    gpu_share_begin(&st->share);
    for (size_t i = 0; i < st->nhwmon; i++)
        st->hwmon[i].tick_j = 0.0;
    for (unsigned i = 0; i < st->nnvml; i++)
        st->nvml[i].tick_j = 0.0;
    for (size_t i = 0; i < st->nhwmon; i++)
        sample_hwmon(st, &st->hwmon[i], now->mono_s);
    if (st->reader) {
        sample_nvml(st);
        nvml_reader_request(st->reader);
    }
    refresh_status(st);
}

static void
gpu_close(void *state)
{
    struct gpu_state *st = state;

    if (!st)
        return;
    nvml_reader_stop(st->reader);
    gpu_share_free(&st->share);
    free(st->round);
    free(st->hwmon);
    free(st);
}

size_t
gpu_count(const struct gpu_state *st)
{
    return st->nhwmon + st->nnvml;
}

bool
gpu_get(const struct gpu_state *st, size_t index, struct gpu_info *out)
{
    const struct gpu_dev *g;

    if (index >= gpu_count(st))
        return false;
    g = index < st->nnvml ? &st->nvml[index] : &st->hwmon[index - st->nnvml];
    out->id = g->id;
    out->name = g->name;
    out->model = g->model;
    out->uuid = g->uuid;
    out->pci_bus_id = g->pci_bus_id;
    out->driver = g->driver;
    out->via = g->via;
    out->energy_method = g->energy_method ? g->energy_method : "";
    out->integrated = g->integrated;
    out->live = g->live;
    out->has_energy = g->has_energy;
    out->has_power = g->live && g->has_power;
    out->has_limit = g->live && g->has_limit;
    out->energy_j = g->energy_j;
    out->power_w = g->power_w;
    out->limit_w = g->limit_w;
    out->resets = g->counter.resets;
    out->has_counter = g->live && g->counter.primed && strcmp(out->energy_method, "counter") == 0;
    out->counter_j = (double)g->counter.last_raw * g->counter_scale;
    return true;
}

bool
gpu_total(const struct gpu_state *st, double *energy_j, double *power_w)
{
    bool any = false;

    *energy_j = *power_w = 0.0;
    for (size_t i = 0; i < gpu_count(st); i++) {
        struct gpu_info g;

        if (!gpu_get(st, i, &g) || g.integrated || !g.has_energy)
            continue;
        *energy_j += g.energy_j;
        *power_w += g.has_power ? g.power_w : 0.0;
        any = true;
    }
    return any;
}

void
gpu_latest_interval(const struct gpu_state *st, struct gpu_interval *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < gpu_count(st); i++) {
        const struct gpu_dev *g = i < st->nnvml ? &st->nvml[i] : &st->hwmon[i - st->nnvml];

        if (g->integrated || !g->has_energy)
            continue;
        out->valid = true;
        out->energy_j += g->tick_j;
    }
    out->shared_j = st->share.energy_j;
    out->active_j = st->share.active_j;
    out->proc = st->share.proc;
    out->nproc = st->share.count;
}

const struct source_ops gpu_source = {
    .name = "gpu",
    .open = gpu_open,
    .sample = gpu_sample,
    .close = gpu_close,
    .status = gpu_status,
};
