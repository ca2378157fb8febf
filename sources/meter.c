#include "meter.h"
#include "meter_link.h"
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define LAG_MARGIN_S    0.25    /* beyond a logging interval: serial and scheduling delays */

static const int known_bauds[] = { 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 };

struct meter_state {
    struct source_env env;
    struct meter      meters[METER_MAX];
    size_t            nmeters;
    double            last_sample_s;
    double            agent_interval_s;
    bool              sampled;
    struct source_status status;
};

/* ---- the timer's side ---- */

static bool
valid_baud(double baud)
{
    for (size_t i = 0; i < sizeof(known_bauds) / sizeof(known_bauds[0]); i++)
        if (baud == known_bauds[i])
            return true;
    return false;
}

static void
configure_meter(struct meter_state *st, struct meter *m, const char *name)
{
    struct power_config *cfg = st->env.config;
    char section[128];
    const char *device;
    double baud, interval;

    snprintf(section, sizeof(section), "meter %s", name);
    snprintf(m->label, sizeof(m->label), "%s", name);
    snprintf(m->who, sizeof(m->who), "meter %s: ", m->label);
    m->enabled = config_bool(cfg, section, "enabled", true);
    device = config_string(cfg, section, "device", NULL);
    baud = config_double(cfg, section, "baud", 115200, 300, 4000000);
    interval = config_double(cfg, section, "interval", 1, 1, 3600);
    m->stall_cfg_s = config_double(cfg, section, "stall_timeout", 0, 0, 86400);
    m->retry_max_s = config_double(cfg, section, "retry_max", 30, RETRY_MIN_S, 3600);
    if (!valid_baud(baud)) {
        config_bad_value(cfg, section, "baud", "one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200");
        baud = 115200;
    }
    if (interval != floor(interval)) {
        config_bad_value(cfg, section, "interval", "whole seconds from 1 to 3600");
        interval = 1;
    }
    m->baud = (int)baud;
    m->interval_s = (unsigned)interval;
    m->usable = m->enabled;
    if (strlen(name) >= sizeof(m->label)) {
        st->env.log(LOG_WARNING, "config: [meter %s]: the label is longer than %zu characters; "
                    "the meter is not used", name, sizeof(m->label) - 1);
        snprintf(m->view.reason.text, sizeof(m->view.reason.text), "label too long");
        m->view.problem = PROBLEM_FAILED;
        m->usable = false;
    }
    if (!device || !*device || strlen(device) >= sizeof(m->device)) {
        config_bad_value(cfg, section, "device", "the meter's serial device, such as /dev/ttyUSB0");
        snprintf(m->view.reason.text, sizeof(m->view.reason.text), "no device = in [meter %s]", name);
        m->view.problem = PROBLEM_FAILED;
        m->usable = false;
    } else
        snprintf(m->device, sizeof(m->device), "%s", device);
}

static void *
meter_open(const struct source_env *env)
{
    struct meter_state *st = calloc(1, sizeof(*st));
    const char *names[METER_MAX + 1];
    size_t n, nenabled = 0;

    if (!st)
        return NULL;
    st->env = *env;
    status_init(&st->status, "meter", env->log);
    st->agent_interval_s = 1.0;
    n = config_named_sections(env->config, "meter", names, METER_MAX + 1);
    if (n > METER_MAX) {
        env->log(LOG_WARNING, "config: more than %d [meter NAME] sections: only the first %d are used",
                 METER_MAX, METER_MAX);
        n = METER_MAX;
    }
    for (size_t i = 0; i < n; i++) {
        struct meter *m = &st->meters[i];

        configure_meter(st, m, names[i]);
        if (!reader_init(&m->reader)) {
            m->usable = false;
            snprintf(m->view.reason.text, sizeof(m->view.reason.text), "cannot create its reader's lock or pipe");
            continue;
        }
        m->stall_s = 3 * fmax(st->agent_interval_s, m->interval_s);
        m->shared.acc.interval_s = m->interval_s;
        if (m->usable && !reader_start(&m->reader, meter_link_thread, m)) {
            m->usable = false;
            m->view.problem = PROBLEM_FAILED;
            snprintf(m->view.reason.text, sizeof(m->view.reason.text), "cannot start its reader thread");
            env->log(LOG_ERR, "meter %s: cannot start its reader thread", m->label);
        }
    }
    st->nmeters = n;
    for (size_t i = 0; i < n; i++)
        nenabled += st->meters[i].enabled;
    if (n == 0)
        status_set(&st->status, SOURCE_ABSENT, "no [meter NAME] section in the config");
    else if (nenabled == 0)
        status_set(&st->status, SOURCE_DISABLED, "every [meter NAME] section says enabled = no");
    else
        status_set(&st->status, SOURCE_ABSENT, "connecting to %zu meter%s", nenabled, nenabled == 1 ? "" : "s");
    return st;
}

static void
append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;

    if (len + 1 >= size)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

static void
sample_meter(struct meter_state *st, struct meter *m, double now)
{
    double stall_s, since;

    stall_s = m->stall_cfg_s > 0 ? m->stall_cfg_s : 3 * fmax(st->agent_interval_s, m->interval_s);
    reader_lock(&m->reader);
    m->stall_s = stall_s;
    m->view = m->shared;
    reader_unlock(&m->reader);
    reader_drain(&m->reader, st->env.log, m->who);
    /* the thread counts its meter's errors (power.meter.errors); the source's are their sum */
    status_count(&st->status, m->view.errors - m->errors_counted);
    m->errors_counted = m->view.errors;

    since = m->view.connected_s;
    if (m->view.acc.have && m->view.acc.last_s > since)
        since = m->view.acc.last_s;
    m->silent_s = now - since;
    /* A record tells the energy up to its arrival, and the latest arrived
     * at most one logging interval (plus delivery delay) ago: the counter
     * is exact as of then, at every sample alike, so it does not step in
     * phase with the records. max() keeps it a counter if a record is late. */
    if (m->view.acc.have) {
        double e = meter_accum_energy_at(&m->view.acc, now - m->interval_s - LAG_MARGIN_S);
        if (e > m->energy_j)
            m->energy_j = e;
    }
    m->live = m->view.connected && m->view.acc.have && m->view.acc.last_s >= m->view.connected_s &&
              m->silent_s <= stall_s;
    m->stalled = m->view.connected && !m->view.starting && !m->live && m->silent_s > stall_s;
    if (m->stalled)
        notice_once(&m->stall, st->env.log, LOG_WARNING, "", "meter %s: stalled: no record for %.1f s "
                    "(limit %.1f s); its power has no value until records return",
                    m->label, m->silent_s, stall_s);
    else if (m->live && notice_is_set(&m->stall)) {
        notice_clear(&m->stall);
        st->env.log(LOG_INFO, "meter %s: records again after a stall", m->label);
    }
}

static void
meter_sample(void *state, const struct sample_time *now)
{
    struct meter_state *st = state;
    size_t nenabled = 0, nlive = 0;
    bool failed = false;
    char why[STATUS_REASON] = "";

    if (st->sampled && now->mono_s > st->last_sample_s)
        st->agent_interval_s = now->mono_s - st->last_sample_s;
    st->last_sample_s = now->mono_s;
    st->sampled = true;

    for (size_t i = 0; i < st->nmeters; i++) {
        struct meter *m = &st->meters[i];

        if (!m->enabled)
            continue;
        nenabled++;
        if (m->usable)
            sample_meter(st, m, now->mono_s);
        if (m->live) {
            nlive++;
            continue;
        }
        append(why, sizeof(why), "%s%s: ", why[0] ? "; " : "", m->label);
        if (m->stalled) {
            failed = true;
            append(why, sizeof(why), "stalled: no record for %.1f s", m->silent_s);
        } else if (m->view.connected)
            append(why, sizeof(why), "connected, waiting for the first record");
        else if (notice_is_set(&m->view.reason)) {
            failed |= m->view.problem == PROBLEM_FAILED;
            append(why, sizeof(why), "%s", m->view.reason.text);
        } else
            append(why, sizeof(why), "connecting");
    }
    if (st->nmeters == 0 || nenabled == 0)
        return;     /* as open() said */
    /* some meters live: active, and the reason names the meters that are not */
    status_set(&st->status, nlive > 0 ? SOURCE_ACTIVE : failed ? SOURCE_FAILED : SOURCE_ABSENT, "%s", why);
}

static void
meter_close(void *state)
{
    struct meter_state *st = state;

    if (!st)
        return;
    /* all at once: each thread leaves its meter quiet (#L,R) as it stops */
    for (size_t i = 0; i < st->nmeters; i++)
        reader_ask_stop(&st->meters[i].reader);
    for (size_t i = 0; i < st->nmeters; i++) {
        reader_stop(&st->meters[i].reader);
        reader_fini(&st->meters[i].reader);
    }
    free(st);
}

static const struct source_status *
meter_status(const void *state)
{
    return &((const struct meter_state *)state)->status;
}

size_t
meter_count(const struct meter_state *st)
{
    return st->nmeters;
}

bool
meter_get(const struct meter_state *st, size_t index, struct meter_info *info)
{
    const struct meter *m;
    const struct wattsup_reading *r;

    if (index >= st->nmeters)
        return false;
    m = &st->meters[index];
    r = &m->view.acc.last;
    memset(info, 0, sizeof(*info));
    info->label = m->label;
    info->device = m->device;
    info->enabled = m->enabled;
    info->connected = m->view.connected;
    info->live = m->enabled && m->live;
    info->stalled = m->enabled && m->stalled;
    info->energy_j = m->energy_j;
    info->power_w = r->watts;
    info->voltage_v = r->volts;
    info->current_a = r->amps;
    info->power_factor = r->power_factor;
    info->has_voltage = r->has_volts;
    info->has_current = r->has_amps;
    info->has_power_factor = r->has_power_factor;
    info->samples = m->view.acc.samples;
    info->errors = m->view.errors;
    return true;
}

void
meter_get_total(const struct meter_state *st, struct meter_total *total)
{
    size_t nenabled = 0;
    bool all_live = true;

    memset(total, 0, sizeof(*total));
    for (size_t i = 0; i < st->nmeters; i++) {
        const struct meter *m = &st->meters[i];
        if (!m->enabled)
            continue;
        nenabled++;
        all_live &= m->live;
        total->energy_j += m->energy_j;
        total->power_w += m->view.acc.last.watts;
    }
    total->valid = nenabled > 0 && all_live;
}

static const struct system_candidate meter_candidates[] = {
    { "meter", true },      /* at the wall: everything the host draws */
    { NULL, false }
};

static bool
meter_system_energy(const void *state, size_t candidate, double *energy_j)
{
    struct meter_total total;

    if (candidate != 0)
        return false;
    meter_get_total(state, &total);
    *energy_j = total.energy_j;
    return total.valid;
}

const struct source_ops meter_source = {
    .name = "meter",
    .candidates = meter_candidates,
    .open = meter_open,
    .sample = meter_sample,
    .close = meter_close,
    .status = meter_status,
    .system_energy = meter_system_energy,
};
