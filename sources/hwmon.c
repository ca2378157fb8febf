#include "hwmon.h"
#include "config.h"
#include "counter.h"
#include "hwmon_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define HWMON_TEXT 1024
/* Above this a platform's power reading is garbage (the largest servers draw a few kW). */
#define HWMON_PLAUSIBLE_W 100000.0

struct hwmon_input {
    char     name[256];
    char     driver[64], device[64];
    enum hwmon_class hwmon_class;
    struct hwmon_sensor sensor;
    bool     live, has_energy, has_power;
    double   energy_j, power_w, last_s;
    struct wrap_counter counter;        /* energyN_input, uJ; no range: a step back is a reset */
    struct energy_integrator integral;
    char     noted[HWMON_TEXT];
};

struct hwmon_state {
    power_log_fn log;
    bool     enabled;
    int      scanned;           /* hwmon_scan's result */
    struct source_status status;
    struct hwmon_input *input;
    size_t   count;
};

static void
note(const struct hwmon_state *st, struct hwmon_input *in, int priority, const char *text)
{
    if (strcmp(in->noted, text) == 0)
        return;
    snprintf(in->noted, sizeof(in->noted), "%s", text);
    if (text[0])
        st->log(priority, "hwmon: %s", text);
}

/* Not a GPU's: GPU drivers' sensors are power.gpu's, except an i915's GT parts. */
static bool
listed_here(const struct hwmon_device *d)
{
    return d->hwmon_class != HWMON_CLASS_GPU || d->part_of_device;
}

static void
add_inputs(struct hwmon_state *st, const struct hwmon_scan *scan)
{
    size_t n = 0;

    for (size_t i = 0; i < scan->count; i++)
        if (listed_here(&scan->device[i]))
            n += scan->device[i].nsensors;
    if (!n || !(st->input = calloc(n, sizeof(*st->input))))
        return;
    for (size_t i = 0; i < scan->count; i++) {
        const struct hwmon_device *d = &scan->device[i];

        for (size_t k = 0; listed_here(d) && k < d->nsensors; k++) {
            const struct hwmon_sensor *s = &d->sensor[k];
            struct hwmon_input *in = &st->input[st->count++];
            char what[80];

            if (s->label[0])
                snprintf(what, sizeof(what), "%s", s->label);
            else
                snprintf(what, sizeof(what), "%s%u", s->kind == HWMON_ENERGY ? "energy" : "power", s->channel);
            snprintf(in->name, sizeof(in->name), "%s-%s/%s", d->name, d->device[0] ? d->device : "unknown", what);
            snprintf(in->driver, sizeof(in->driver), "%s", d->name);
            snprintf(in->device, sizeof(in->device), "%s", d->device);
            in->hwmon_class = d->hwmon_class;
            in->sensor = *s;
        }
    }
}

static void *
hwmon_open(const struct source_env *env)
{
    struct hwmon_state *st = calloc(1, sizeof(*st));
    struct hwmon_scan scan = { 0 };

    if (!st)
        return NULL;
    st->log = env->log;
    status_init(&st->status, "hwmon", env->log);
    st->enabled = config_bool(env->config, "hwmon", "enabled", true);
    if (st->enabled) {
        if ((st->scanned = hwmon_scan(env->root, &scan)) == 0)
            add_inputs(st, &scan);
        hwmon_scan_free(&scan);
    }
    if (!st->enabled)
        status_set(&st->status, SOURCE_DISABLED, "[hwmon] enabled = no");
    else if (st->count == 0)
        status_set(&st->status, SOURCE_ABSENT, "%s", st->scanned < 0 ? "no /sys/class/hwmon" :
                   "no power or energy sensor in /sys/class/hwmon besides GPUs'");
    else
        status_set(&st->status, SOURCE_ACTIVE, "%s", "");
    return st;
}

static void
sample_input(struct hwmon_state *st, struct hwmon_input *in, double now_s)
{
    char text[HWMON_TEXT];
    uint64_t raw;
    int sts = hwmon_read_sensor(&in->sensor, &raw);

    if (sts < 0) {
        /* amd_energy and acpi_power_meter refuse a read they have no value for */
        status_count(&st->status, 1);
        snprintf(text, sizeof(text), "%s: cannot read %s (%s)", in->name, in->sensor.path, strerror(-sts));
        note(st, in, LOG_WARNING, text);
        in->live = in->has_power = false;
        in->integral.primed = false;
        return;
    }
    note(st, in, LOG_INFO, "");
    if (in->sensor.kind == HWMON_ENERGY) {
        double was_j = in->energy_j;
        bool had = in->counter.primed;
        uint64_t resets = in->counter.resets;

        in->energy_j += (double)wrap_counter_update(&in->counter, raw) / 1e6;
        if (in->counter.resets != resets)
            status_count(&st->status, 1);
        in->has_power = had && now_s > in->last_s && in->counter.resets == resets;
        in->power_w = in->has_power ? (in->energy_j - was_j) / (now_s - in->last_s) : 0.0;
        in->has_energy = in->live = true;
        in->last_s = now_s;
        return;
    }
    if ((double)raw / 1e6 > HWMON_PLAUSIBLE_W) {
        status_count(&st->status, 1);
        snprintf(text, sizeof(text), "%s: %s reads %llu uW: not a plausible power, ignored", in->name,
                 in->sensor.path, (unsigned long long)raw);
        note(st, in, LOG_WARNING, text);
        in->live = in->has_power = false;
        in->integral.primed = false;
        return;
    }
    in->power_w = (double)raw / 1e6;
    in->energy_j += energy_integrator_add(&in->integral, now_s, in->power_w);
    in->has_power = in->has_energy = in->live = true;
}

static void
hwmon_sample(void *state, const struct sample_time *now)
{
    struct hwmon_state *st = state;

    for (size_t i = 0; i < st->count; i++)
        sample_input(st, &st->input[i], now->mono_s);
}

static void
hwmon_close(void *state)
{
    struct hwmon_state *st = state;

    if (st)
        free(st->input);
    free(st);
}

static const struct source_status *
hwmon_status(const void *state)
{
    return &((const struct hwmon_state *)state)->status;
}

static const struct system_candidate hwmon_candidates[] = {
    { "hwmon:power_meter", true },      /* the platform, as the BMC measures it */
    { NULL, false }
};

/* hwmon:power_meter: the first ACPI power meter with a reading; one meter
 * covers the platform (a second would be the same platform again). */
static bool
hwmon_system_energy(const void *state, size_t candidate, double *energy_j)
{
    const struct hwmon_state *st = state;

    if (candidate != 0)
        return false;
    for (size_t i = 0; i < st->count; i++) {
        const struct hwmon_input *in = &st->input[i];

        if (in->hwmon_class == HWMON_CLASS_PLATFORM_METER && in->live && in->has_energy) {
            *energy_j = in->energy_j;
            return true;
        }
    }
    return false;
}

size_t
hwmon_count(const struct hwmon_state *st)
{
    return st->count;
}

bool
hwmon_get(const struct hwmon_state *st, size_t index, struct hwmon_info *out)
{
    const struct hwmon_input *in;

    if (index >= st->count)
        return false;
    in = &st->input[index];
    out->name = in->name;
    out->driver = in->driver;
    out->device = in->device;
    out->kind = hwmon_sensor_kind_name(in->sensor.kind);
    out->hwmon_class = hwmon_class_name(in->hwmon_class);
    out->live = in->live;
    out->has_energy = in->has_energy;
    out->has_power = in->live && in->has_power;
    out->energy_j = in->energy_j;
    out->power_w = in->power_w;
    out->resets = in->counter.resets;
    out->has_counter = in->live && in->sensor.kind == HWMON_ENERGY && in->counter.primed;
    out->counter_j = (double)in->counter.last_raw / 1e6;
    return true;
}

const struct source_ops hwmon_source = {
    .name = "hwmon",
    .candidates = hwmon_candidates,
    .open = hwmon_open,
    .sample = hwmon_sample,
    .close = hwmon_close,
    .status = hwmon_status,
    .system_energy = hwmon_system_energy,
};
