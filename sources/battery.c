#include "battery.h"
#include "config.h"
#include "counter.h"
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define BATTERY_MAX 16
#define BATTERY_NAME_MAX 64
#define BATTERY_IGNORE_MAX 16
#define BATTERY_HASHED_BASE 1000
#define BATTERY_HASHED_SPAN 1000000

/* sysfs units: µW, µA, µV, µWh, µAh */
#define J_PER_UWH 3.6e-3
#define J_PER_UAH_UV 3.6e-9

enum method {
    METHOD_NONE,
    METHOD_POWER_NOW,
    METHOD_CURRENT_VOLTAGE,
    METHOD_ENERGY_RATE,
    METHOD_CHARGE_RATE,
};

static const char *const method_names[] = {
    [METHOD_NONE] = "none",
    [METHOD_POWER_NOW] = "power_now",
    [METHOD_CURRENT_VOLTAGE] = "current_now*voltage_now",
    [METHOD_ENERGY_RATE] = "energy_now rate",
    [METHOD_CHARGE_RATE] = "charge_now rate*voltage_now",
};

/* The rate of a level (energy_now, charge_now) that firmware refreshes only
 * every few seconds to a minute: measured between observed changes, so that
 * neither end of the window is a stale value of unknown age. Each change is
 * seen up to one sampling interval late; spanning several changes (up to
 * rate_window seconds) keeps that error a small part of the window. */
#define RATE_POINTS 8

struct level_rate {
    bool    primed;
    int64_t level;                  /* the latest distinct value */
    size_t  npoints;                /* changes seen, the newest RATE_POINTS kept */
    double  t[RATE_POINTS];
    int64_t v[RATE_POINTS];
    bool    valid;
    double  per_s;                  /* level units per second, positive while falling */
};

enum told {
    TOLD_BAD = 1,
    TOLD_NO_METHOD = 2,
};

struct battery {
    char        name[BATTERY_NAME_MAX];
    int         inst;
    bool        present;
    bool        ever_present;
    bool        seen;            /* in this sample's scan */
    char        status[32];
    enum method method;
    bool        has_direction;
    bool        discharging;
    bool        idle;            /* neither charging nor discharging, off AC */
    bool        has_power;
    double      power_w;
    bool        counting;        /* the energy counter has started */
    struct energy_integrator drawn;
    bool        has_energy_now;
    double      energy_now_j;
    bool        has_capacity;
    double      capacity_pct;
    struct level_rate rate;
    enum method rate_method;     /* what rate tracks; a change of basis restarts it */
    char        rate_status[32];
    bool        rate_ac;
    unsigned    told;
    char        note[192];       /* why there is no power, for the source's reason */
};

struct battery_state {
    struct source_env env;
    bool              enabled;
    double            rate_timeout_s;
    double            rate_window_s;
    char              ignore[BATTERY_IGNORE_MAX][BATTERY_NAME_MAX];
    size_t            nignore;
    struct battery    bats[BATTERY_MAX];
    size_t            nbats;
    bool              ac_online;
    bool              candidate_valid;
    bool              told_too_many;
    bool              told_long_name;
    bool              told_unreadable_dir;
    uint64_t          errors;
    char              why[1024];
    enum source_state state;
};

/* One sample's files: 1 read, 0 absent, -1 present but unreadable or malformed. */
struct reading {
    int     power_ok, current_ok, voltage_ok, energy_ok, charge_ok;
    int     capacity_ok, energy_full_ok, charge_full_ok;
    int64_t power, current, voltage, energy, charge, capacity, energy_full, charge_full;
    char    status[32];
    char    bad[160];        /* the files that failed, for the note */
};

int
battery_instance_id(const char *name)
{
    uint32_t h = 2166136261u;

    if (strncmp(name, "BAT", 3) == 0) {
        const char *digits = name + 3;
        size_t len = strlen(digits);
        /* "BAT01" would clash with "BAT1": only the canonical spelling maps to n */
        if (len >= 1 && len <= 3 && strspn(digits, "0123456789") == len &&
            (digits[0] != '0' || len == 1))
            return atoi(digits);
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return BATTERY_HASHED_BASE + (int)(h % BATTERY_HASHED_SPAN);
}

static int
unique_instance_id(const struct battery_state *st, const char *name)
{
    int id = battery_instance_id(name);

    for (;;) {
        bool clash = false;
        for (size_t i = 0; i < st->nbats && !clash; i++)
            clash = st->bats[i].inst == id;
        if (!clash)
            return id;
        id++;
    }
}

bool
battery_parse_value(const char *text, int64_t *value)
{
    const char *p = text;
    bool negative = false;
    uint64_t magnitude;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '-' || *p == '+')
        negative = *p++ == '-';
    if (!isdigit((unsigned char)*p) || !parse_u64_text(p, &magnitude) ||
        magnitude > (uint64_t)INT64_MAX)
        return false;
    *value = negative ? -(int64_t)magnitude : (int64_t)magnitude;
    return true;
}

static void
note_bad(struct reading *r, const char *file)
{
    size_t len = strlen(r->bad);

    snprintf(r->bad + len, sizeof(r->bad) - len, "%s%s", len ? ", " : "", file);
}

static int
read_number(struct battery_state *st, struct reading *r, const char *dir, const char *file,
            bool may_be_negative, int64_t *value)
{
    char path[PATH_MAX], text[64];
    int sts;

    if (path_join(path, sizeof(path), "%s/%s", dir, file) < 0)
        return 0;
    if ((sts = sysfs_read_text(path, text, sizeof(text))) == -ENOENT)
        return 0;
    if (sts < 0 || !battery_parse_value(text, value) || (*value < 0 && !may_be_negative)) {
        st->errors++;
        note_bad(r, file);
        return -1;
    }
    return 1;
}

static void
read_battery(struct battery_state *st, const char *dir, struct reading *r)
{
    char path[PATH_MAX];
    int sts;

    memset(r, 0, sizeof(*r));
    /* Only what this battery's method and metrics need: ACPI answers each
     * read from the embedded controller. Power and current are signed: the
     * ABI lets them go negative on discharge. */
    r->power_ok = read_number(st, r, dir, "power_now", true, &r->power);
    if (!r->power_ok)
        r->current_ok = read_number(st, r, dir, "current_now", true, &r->current);
    r->energy_ok = read_number(st, r, dir, "energy_now", false, &r->energy);
    if (!r->energy_ok)
        r->charge_ok = read_number(st, r, dir, "charge_now", false, &r->charge);
    if (r->current_ok || r->charge_ok)
        r->voltage_ok = read_number(st, r, dir, "voltage_now", false, &r->voltage);
    r->capacity_ok = read_number(st, r, dir, "capacity", false, &r->capacity);
    if (!r->capacity_ok && r->energy_ok)
        r->energy_full_ok = read_number(st, r, dir, "energy_full", false, &r->energy_full);
    if (!r->capacity_ok && r->charge_ok)
        r->charge_full_ok = read_number(st, r, dir, "charge_full", false, &r->charge_full);
    if (path_join(path, sizeof(path), "%s/status", dir) < 0)
        sts = -ENAMETOOLONG;
    else
        sts = sysfs_read_text(path, r->status, sizeof(r->status));
    if (sts < 0 && sts != -ENOENT) {
        st->errors++;
        note_bad(r, "status");
    }
    /* PCP's QA snapshots, and some firmware, have no status at all */
    if (sts < 0 || r->status[0] == '\0')
        snprintf(r->status, sizeof(r->status), "Unknown");
}

/* What the power comes from is decided by which files exist, not by which
 * read well this time: a bad read leaves a gap, never a different method. */
static enum method
choose_method(const struct reading *r)
{
    if (r->power_ok)
        return METHOD_POWER_NOW;
    if (r->current_ok && r->voltage_ok)
        return METHOD_CURRENT_VOLTAGE;
    if (r->energy_ok)
        return METHOD_ENERGY_RATE;
    if (r->charge_ok && r->voltage_ok)
        return METHOD_CHARGE_RATE;
    return METHOD_NONE;
}

static void
level_rate_update(struct level_rate *lr, int64_t level, double now_s,
                  double window_s, double timeout_s)
{
    size_t newest, kept, anchor;

    if (!lr->primed) {
        lr->primed = true;
        lr->level = level;
        return;
    }
    if (level == lr->level) {
        newest = (lr->npoints + RATE_POINTS - 1) % RATE_POINTS;
        /* a level that stopped moving is no evidence for the old rate */
        if (lr->valid && now_s - lr->t[newest] > timeout_s)
            lr->valid = false;
        return;
    }
    newest = lr->npoints % RATE_POINTS;
    lr->t[newest] = now_s;
    lr->v[newest] = level;
    lr->npoints++;
    lr->level = level;
    if (lr->npoints < 2)
        return;
    kept = lr->npoints < RATE_POINTS ? lr->npoints : RATE_POINTS;
    /* the oldest change inside the window, but never less than the one before */
    anchor = (newest + RATE_POINTS - 1) % RATE_POINTS;
    for (size_t age = kept - 1; age >= 2; age--) {
        size_t i = (newest + RATE_POINTS - age) % RATE_POINTS;
        if (now_s - lr->t[i] <= window_s) {
            anchor = i;
            break;
        }
    }
    if (now_s > lr->t[anchor]) {
        lr->per_s = (double)(lr->v[anchor] - level) / (now_s - lr->t[anchor]);
        lr->valid = true;
    }
}

static bool
status_is(const char *status, const char *word)
{
    return strcmp(status, word) == 0;
}

/* The kernel's word when it gives one; for "Unknown" (or no status file)
 * the sign of the reading, then the AC adapter, then whether power flows. */
static void
judge_direction(struct battery_state *st, struct battery *b, bool measured,
                double watts, int hint)
{
    const char *s = b->status;

    b->has_direction = true;
    b->discharging = false;
    if (status_is(s, "Discharging"))
        b->discharging = true;
    else if (status_is(s, "Charging") || status_is(s, "Full") || status_is(s, "Not charging"))
        b->discharging = false;
    else if (hint > 0)
        b->discharging = true;     /* a negative power or a falling level says so */
    else if (hint < 0)
        b->discharging = false;    /* a rising level is charging */
    else if (st->ac_online)
        b->discharging = false;
    else if (measured)
        b->discharging = watts > 0;
    else
        b->has_direction = false;
    b->idle = b->has_direction && !b->discharging && !st->ac_online &&
              !status_is(s, "Charging") && !status_is(s, "Full");
}

static void
set_note(struct battery *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_note(struct battery *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(b->note, sizeof(b->note), fmt, ap);
    va_end(ap);
}

static void
tell_no_method(struct battery_state *st, struct battery *b, const struct reading *r)
{
    if (r->charge_ok && !r->voltage_ok)
        set_note(b, "%s: charge_now without voltage_now gives no power (a voltage is never assumed)",
                 b->name);
    else
        set_note(b, "%s: none of power_now, current_now+voltage_now, energy_now, "
                 "charge_now+voltage_now", b->name);
    if (!(b->told & TOLD_NO_METHOD)) {
        b->told |= TOLD_NO_METHOD;
        st->env.log(LOG_WARNING, "battery: %s", b->note);
    }
}

static void
sample_battery(struct battery_state *st, struct battery *b, const char *dir, double now_s)
{
    struct reading r;
    enum method m;
    bool measured = false;
    double watts = 0.0;
    int hint = 0;

    read_battery(st, dir, &r);
    snprintf(b->status, sizeof(b->status), "%s", r.status);
    m = choose_method(&r);
    b->method = m;
    b->note[0] = '\0';
    if (m != b->rate_method || strcmp(r.status, b->rate_status) != 0 || st->ac_online != b->rate_ac) {
        /* a window across a plug or unplug would mix charge and discharge */
        memset(&b->rate, 0, sizeof(b->rate));
        b->rate_method = m;
        snprintf(b->rate_status, sizeof(b->rate_status), "%s", r.status);
        b->rate_ac = st->ac_online;
    }
    if (m != METHOD_NONE)
        b->told &= ~(unsigned)TOLD_NO_METHOD;

    switch (m) {
    case METHOD_POWER_NOW:
        if ((measured = r.power_ok == 1)) {
            watts = (double)llabs(r.power) * 1e-6;
            hint = r.power < 0;
        }
        break;
    case METHOD_CURRENT_VOLTAGE:
        if ((measured = r.current_ok == 1 && r.voltage_ok == 1)) {
            watts = (double)llabs(r.current) * 1e-6 * (double)r.voltage * 1e-6;
            hint = r.current < 0;
        }
        break;
    case METHOD_ENERGY_RATE:
    case METHOD_CHARGE_RATE:
        if (m == METHOD_ENERGY_RATE ? r.energy_ok != 1 : (r.charge_ok != 1 || r.voltage_ok != 1))
            break;
        level_rate_update(&b->rate, m == METHOD_ENERGY_RATE ? r.energy : r.charge, now_s,
                          st->rate_window_s, st->rate_timeout_s);
        if ((measured = b->rate.valid)) {
            double per_s = b->rate.per_s;
            watts = (per_s < 0 ? -per_s : per_s) *
                    (m == METHOD_ENERGY_RATE ? J_PER_UWH : J_PER_UAH_UV * (double)r.voltage);
            hint = per_s > 0 ? 1 : -1;
        } else
            set_note(b, "%s: power comes from the rate of %s, known once it has changed twice%s",
                     b->name, m == METHOD_ENERGY_RATE ? "energy_now" : "charge_now",
                     b->rate.npoints ? " (or again after a long pause)" : "");
        break;
    case METHOD_NONE:
        tell_no_method(st, b, &r);
        break;
    }

    judge_direction(st, b, measured, watts, hint);
    b->has_power = measured;
    b->power_w = measured && b->discharging && hint >= 0 ? watts : 0.0;
    /* A failed read is a blip: the trapezoid of its two ends bridges it. No
     * power for any other reason (a rate gone stale, a method lost) may last
     * long, and bridging it would invent energy. */
    if (b->has_power) {
        energy_integrator_add(&b->drawn, now_s, b->power_w);
        b->counting = true;
    } else if (!r.bad[0])
        b->drawn.primed = false;

    b->has_energy_now = true;
    if (r.energy_ok == 1)
        b->energy_now_j = (double)r.energy * J_PER_UWH;
    else if (r.charge_ok == 1 && r.voltage_ok == 1)
        b->energy_now_j = (double)r.charge * (double)r.voltage * J_PER_UAH_UV;
    else
        b->has_energy_now = false;

    b->has_capacity = true;
    if (r.capacity_ok == 1)
        b->capacity_pct = (double)r.capacity;
    else if (r.capacity_ok == 0 && r.energy_ok == 1 && r.energy_full_ok == 1 && r.energy_full > 0)
        b->capacity_pct = 100.0 * (double)r.energy / (double)r.energy_full;
    else if (r.capacity_ok == 0 && r.charge_ok == 1 && r.charge_full_ok == 1 && r.charge_full > 0)
        b->capacity_pct = 100.0 * (double)r.charge / (double)r.charge_full;
    else
        b->has_capacity = false;

    if (r.bad[0]) {
        set_note(b, "%s: unreadable or malformed %s", b->name, r.bad);
        if (!(b->told & TOLD_BAD)) {
            b->told |= TOLD_BAD;
            st->env.log(LOG_WARNING, "battery: %s/{%s} unreadable or malformed: no value from "
                        "it until it reads cleanly (counted in power.source.errors)", dir, r.bad);
        }
    } else
        b->told &= ~(unsigned)TOLD_BAD;
}

static void
mark_removed(struct battery_state *st, struct battery *b)
{
    if (b->present)
        st->env.log(LOG_INFO, "battery: %s removed: its instance has no values until it returns",
                    b->name);
    b->present = false;
    b->has_direction = b->discharging = b->idle = false;
    b->has_power = b->has_energy_now = b->has_capacity = false;
    /* nothing is drawn from a battery that is not there: do not bridge the gap */
    b->drawn.primed = false;
    memset(&b->rate, 0, sizeof(b->rate));
    snprintf(b->status, sizeof(b->status), "Removed");
    set_note(b, "%s removed", b->name);
}

static struct battery *
find_or_add(struct battery_state *st, const char *name)
{
    struct battery *b;

    for (size_t i = 0; i < st->nbats; i++)
        if (strcmp(st->bats[i].name, name) == 0)
            return &st->bats[i];
    if (strlen(name) >= BATTERY_NAME_MAX) {
        st->errors++;
        if (!st->told_long_name) {
            st->told_long_name = true;
            st->env.log(LOG_WARNING, "battery: ignoring %s: names longer than %d characters "
                        "are not followed", name, BATTERY_NAME_MAX - 1);
        }
        return NULL;
    }
    if (st->nbats >= BATTERY_MAX) {
        st->errors++;
        if (!st->told_too_many) {
            st->told_too_many = true;
            st->env.log(LOG_WARNING, "battery: ignoring %s: more than %d batteries", name, BATTERY_MAX);
        }
        return NULL;
    }
    b = &st->bats[st->nbats];
    memset(b, 0, sizeof(*b));
    snprintf(b->name, sizeof(b->name), "%s", name);
    b->inst = unique_instance_id(st, name);
    b->rate_method = METHOD_NONE;
    st->nbats++;
    return b;
}

static bool
ignored(const struct battery_state *st, const char *name)
{
    for (size_t i = 0; i < st->nignore; i++)
        if (strcmp(st->ignore[i], name) == 0)
            return true;
    return false;
}

enum supply_kind { SUPPLY_OTHER, SUPPLY_BATTERY, SUPPLY_AC_ONLINE };

static enum supply_kind
classify(struct battery_state *st, const char *dir, const char *name)
{
    char path[PATH_MAX], text[32];
    int64_t v;
    struct reading scratch = { .power_ok = 0 };

    if (path_join(path, sizeof(path), "%s/type", dir) < 0 ||
        sysfs_read_text(path, text, sizeof(text)) < 0)
        return SUPPLY_OTHER;
    if (strcmp(text, "Mains") == 0)
        return read_number(st, &scratch, dir, "online", false, &v) == 1 && v > 0 ?
               SUPPLY_AC_ONLINE : SUPPLY_OTHER;
    if (strcmp(text, "Battery") != 0 || ignored(st, name))
        return SUPPLY_OTHER;
    /* mice, keyboards and headsets report batteries too; they do not power the host */
    if (path_join(path, sizeof(path), "%s/scope", dir) == 0 &&
        sysfs_read_text(path, text, sizeof(text)) == 0 && strcmp(text, "Device") == 0)
        return SUPPLY_OTHER;
    return SUPPLY_BATTERY;
}

static void
scan_and_sample(struct battery_state *st, double now_s)
{
    char top[PATH_MAX], dir[PATH_MAX];
    struct dirent **list = NULL;
    enum supply_kind *kind = NULL;
    int n;

    if (path_join(top, sizeof(top), "%s/sys/class/power_supply", st->env.root) < 0)
        n = 0;
    else if ((n = scandir(top, &list, NULL, alphasort)) < 0) {
        if (errno != ENOENT && !st->told_unreadable_dir) {
            st->told_unreadable_dir = true;
            st->errors++;
            st->env.log(LOG_WARNING, "battery: cannot list %s: %s", top, strerror(errno));
        }
        n = 0;
    }
    if (n > 0 && (kind = calloc((size_t)n, sizeof(*kind))) == NULL) {
        /* out of memory: skip this sample rather than call every battery removed */
        st->errors++;
        for (int i = 0; i < n; i++)
            free(list[i]);
        free(list);
        return;
    }
    for (size_t i = 0; i < st->nbats; i++)
        st->bats[i].seen = false;
    st->ac_online = false;
    /* AC first: every battery's judgement depends on it */
    for (int i = 0; i < n; i++) {
        if (list[i]->d_name[0] == '.' ||
            path_join(dir, sizeof(dir), "%s/%s", top, list[i]->d_name) < 0)
            continue;
        kind[i] = classify(st, dir, list[i]->d_name);
        if (kind[i] == SUPPLY_AC_ONLINE)
            st->ac_online = true;
    }
    for (int i = 0; i < n; i++) {
        struct battery *b;
        int64_t present = 1;
        struct reading scratch = { .power_ok = 0 };

        if (kind[i] != SUPPLY_BATTERY ||
            path_join(dir, sizeof(dir), "%s/%s", top, list[i]->d_name) < 0)
            continue;
        /* some drivers keep the directory of an empty bay and say present = 0 */
        if (read_number(st, &scratch, dir, "present", false, &present) == 1 && present == 0)
            continue;
        if ((b = find_or_add(st, list[i]->d_name)) == NULL)
            continue;
        if (!b->present)
            st->env.log(LOG_INFO, "battery: %s %s (instance %d)", b->name,
                        b->ever_present ? "is back" : "found", b->inst);
        b->present = b->ever_present = true;
        b->seen = true;
        sample_battery(st, b, dir, now_s);
    }
    for (size_t i = 0; i < st->nbats; i++)
        if (!st->bats[i].seen)
            mark_removed(st, &st->bats[i]);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    free(kind);
}

static void
append(char *buf, size_t size, const char *text)
{
    size_t len = strlen(buf);

    if (*text)
        snprintf(buf + len, size - len, "%s%s", len ? "; " : "", text);
}

/* The host runs on its batteries alone when none is charging, none is on
 * AC, at least one is discharging with a known power, and the rest are
 * idle: only then is their discharge the whole machine's power. */
static void
judge_candidate(struct battery_state *st, char *why_not, size_t size)
{
    size_t ndischarging = 0, npresent = 0;

    why_not[0] = '\0';
    st->candidate_valid = false;
    if (st->ac_online) {
        /* even a battery discharging beside a weak adapter is only part of the draw */
        snprintf(why_not, size, "on AC power");
        return;
    }
    for (size_t i = 0; i < st->nbats; i++) {
        const struct battery *b = &st->bats[i];
        if (!b->present)
            continue;
        npresent++;
        if (!b->has_power) {
            snprintf(why_not, size, "%s has no power reading", b->name);
            return;
        }
        if (b->discharging)
            ndischarging++;
        else if (!b->idle) {
            snprintf(why_not, size, "%s is %s", b->name, b->status);
            return;
        }
    }
    if (npresent == 0)
        return;
    if (ndischarging == 0) {
        snprintf(why_not, size, "no battery is discharging");
        return;
    }
    st->candidate_valid = true;
}

static void
battery_sample(void *state, const struct sample_time *now)
{
    struct battery_state *st = state;
    char why_not[160];
    size_t npresent = 0, nmeasurable = 0;

    if (!st->enabled)
        return;
    scan_and_sample(st, now->mono_s);
    judge_candidate(st, why_not, sizeof(why_not));

    st->why[0] = '\0';
    for (size_t i = 0; i < st->nbats; i++) {
        const struct battery *b = &st->bats[i];
        if (b->present) {
            npresent++;
            nmeasurable += b->method != METHOD_NONE;
        }
        append(st->why, sizeof(st->why), b->note);
    }
    if (why_not[0]) {
        char text[200];
        snprintf(text, sizeof(text), "not used for power.system: %s", why_not);
        append(st->why, sizeof(st->why), text);
    }
    if (st->nbats == 0) {
        st->state = SOURCE_ABSENT;
        snprintf(st->why, sizeof(st->why), "no battery under %s/sys/class/power_supply", st->env.root);
    } else if (npresent == 0)
        st->state = SOURCE_ABSENT;
    else if (nmeasurable == 0)
        st->state = SOURCE_FAILED;
    else
        st->state = SOURCE_ACTIVE;
}

static void
parse_ignore(struct battery_state *st, const char *text)
{
    const char *p = text;

    while (*p) {
        size_t len;
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        len = strcspn(p, ", \t");
        if (len == 0)
            break;
        if (len >= BATTERY_NAME_MAX || st->nignore >= BATTERY_IGNORE_MAX) {
            config_bad_value(st->env.config, "battery", "ignore",
                             "up to 16 supply names such as \"BAT1, hidpp_battery_0\"");
            return;
        }
        snprintf(st->ignore[st->nignore++], BATTERY_NAME_MAX, "%.*s", (int)len, p);
        p += len;
    }
}

static void *
battery_open(const struct source_env *env)
{
    struct battery_state *st = calloc(1, sizeof(*st));
    const char *ignore;

    if (!st)
        return NULL;
    st->env = *env;
    st->enabled = config_bool(env->config, "battery", "enabled", true);
    st->rate_timeout_s = config_double(env->config, "battery", "rate_timeout", 300.0, 1.0, 86400.0);
    st->rate_window_s = config_double(env->config, "battery", "rate_window", 30.0, 0.0, 3600.0);
    if ((ignore = config_string(env->config, "battery", "ignore", NULL)) != NULL)
        parse_ignore(st, ignore);
    if (!st->enabled) {
        st->state = SOURCE_DISABLED;
        snprintf(st->why, sizeof(st->why), "disabled in the config ([battery] enabled = no)");
        return st;
    }
    st->state = SOURCE_ABSENT;
    snprintf(st->why, sizeof(st->why), "not sampled yet");
    return st;
}

static void
battery_close(void *state)
{
    free(state);
}

static enum source_state
battery_state(void *state, const char **why)
{
    struct battery_state *st = state;

    *why = st->why;
    return st->state;
}

static uint64_t
battery_errors(void *state)
{
    return ((struct battery_state *)state)->errors;
}

/* The sum of every battery's counter, removed ones included, so the sum
 * never steps back when a battery goes away. */
static bool
battery_system_energy(void *state, const char *candidate, double *energy_j)
{
    struct battery_state *st = state;
    double sum = 0.0;

    if (strcmp(candidate, "battery") != 0)
        return false;
    for (size_t i = 0; i < st->nbats; i++)
        sum += st->bats[i].drawn.energy_j;
    *energy_j = sum;
    return st->enabled && st->candidate_valid;
}

size_t
battery_count(void *state)
{
    return ((struct battery_state *)state)->nbats;
}

bool
battery_get(void *state, size_t index, struct battery_info *info)
{
    struct battery_state *st = state;
    const struct battery *b;

    if (index >= st->nbats)
        return false;
    b = &st->bats[index];
    info->name = b->name;
    info->inst = b->inst;
    info->present = b->present;
    info->status = b->status[0] ? b->status : "Unknown";
    info->method = method_names[b->method];
    info->has_direction = b->present && b->has_direction;
    info->discharging = b->discharging;
    info->has_power = b->present && b->has_power;
    info->power_w = b->power_w;
    info->has_energy = b->present && b->counting;
    info->energy_j = b->drawn.energy_j;
    info->has_energy_now = b->present && b->has_energy_now;
    info->energy_now_j = b->energy_now_j;
    info->has_capacity = b->present && b->has_capacity;
    info->capacity_pct = b->capacity_pct;
    return true;
}

const struct source_ops battery_source = {
    .name = "battery",
    .open = battery_open,
    .sample = battery_sample,
    .close = battery_close,
    .state = battery_state,
    .errors = battery_errors,
    .system_energy = battery_system_energy,
};
