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
#include <unistd.h>

#define BATTERY_MAX 16
#define BATTERY_NAME_MAX 64
#define BATTERY_IGNORE_MAX 16
#define BATTERY_HASHED_BASE 1000
#define BATTERY_HASHED_SPAN 1000000

/* sysfs units: µW, µA, µV, µWh, µAh */
#define J_PER_UWH 3.6e-3
#define J_PER_UAH_UV 3.6e-9

/* upower's bounds (src/up-device-battery.c, up_device_battery_report): a
 * rate under 0.01 W is not a reading ("trust_power_measurement" waits for
 * one above it), and one over 300 W is discarded as weird. */
#define MIN_READING_W 0.01
#define MAX_PLAUSIBLE_W 300.0

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

/* What the source logs once (status_error, status_warn_once). */
enum battery_kind {
    BATTERY_TOO_MANY,
    BATTERY_LONG_NAME,
    BATTERY_OUT_OF_MEMORY,
};

/* The files a battery's sample may read; bit 1 << id in the masks below. */
enum file_id {
    F_POWER, F_CURRENT, F_VOLTAGE, F_ENERGY, F_CHARGE,
    F_CAPACITY, F_ENERGY_FULL, F_CHARGE_FULL, F_PRESENT, F_ONLINE,
    F_COUNT
};

static const struct {
    const char *name;
    bool        signed_value;    /* the ABI makes power and current negative on discharge */
} file_table[F_COUNT] = {
    [F_POWER] = { "power_now", true },
    [F_CURRENT] = { "current_now", true },
    [F_VOLTAGE] = { "voltage_now", false },
    [F_ENERGY] = { "energy_now", false },
    [F_CHARGE] = { "charge_now", false },
    [F_CAPACITY] = { "capacity", false },
    [F_ENERGY_FULL] = { "energy_full", false },
    [F_CHARGE_FULL] = { "charge_full", false },
    [F_PRESENT] = { "present", false },
    [F_ONLINE] = { "online", false },
};

/* What the level whose rate is tracked is: energy_now, or charge_now. */
enum level_basis { LEVEL_NONE, LEVEL_ENERGY, LEVEL_CHARGE };

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
    struct level_rate rate;      /* kept whatever the method, so a fallback has it at once */
    enum level_basis rate_basis; /* what rate tracks; a change of basis restarts it */
    char        rate_status[32];
    bool        rate_ac;
    unsigned    unknown_counted; /* files that answered ENODEV: counted (and logged) once each */
    /* each logged once while it lasts (a figure in it may change every sample) */
    struct notice bad;           /* unreadable or malformed files */
    struct notice no_method;     /* no file to take a power from */
    struct notice implausible;   /* a rate no battery gives */
    struct notice zero;          /* a 0 W reading while Discharging: firmware that never measures */
    char        note[256];       /* why there is no power, for the source's reason */
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
    char              ac_name[96];     /* "Mains supply AC": the first external supply online */
    bool              candidate_valid;
    struct notice     unlistable;      /* power_supply cannot be listed: why */
    struct source_status status;
};

/* What one read of a file gave. */
enum file_state {
    FILE_ABSENT = 0,     /* no such file: the battery does not offer it */
    FILE_OK = 1,
    FILE_BAD = -1,       /* unreadable or malformed: counted; a gap, never a zero */
    FILE_UNKNOWN = -2,   /* ENODEV: what drivers/acpi/battery.c answers when the
                          * firmware reports the value as unknown */
};

/* One sample's files, each read at most once and only when needed: ACPI
 * answers every read from the embedded controller. */
struct reading {
    const char     *dir;
    unsigned        read;            /* 1 << enum file_id */
    unsigned        unknown;         /* the files that answered ENODEV */
    enum file_state state[F_COUNT];
    int64_t         value[F_COUNT];
    char            status[32];
    char            bad[160];        /* the files that failed, for the note */
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

static enum file_state
read_number(struct battery_state *st, struct reading *r, enum file_id id, int64_t *value)
{
    char path[PATH_MAX], text[64];
    int sts;

    if (path_join(path, sizeof(path), "%s/%s", r->dir, file_table[id].name) < 0)
        return FILE_ABSENT;
    if ((sts = sysfs_read_text(path, text, sizeof(text))) == -ENOENT)
        return FILE_ABSENT;
    if (sts == -ENODEV) {
        /* not a data error: counted once per file by the caller */
        r->unknown |= 1u << id;
        return FILE_UNKNOWN;
    }
    if (sts < 0 || !battery_parse_value(text, value) || (*value < 0 && !file_table[id].signed_value)) {
        status_count(&st->status, 1);     /* logged with the battery's problem */
        note_bad(r, file_table[id].name);
        return FILE_BAD;
    }
    return FILE_OK;
}

/* The file's state this sample, read on first use. */
static enum file_state
get(struct battery_state *st, struct reading *r, enum file_id id, int64_t *value)
{
    if (!(r->read & (1u << id))) {
        r->read |= 1u << id;
        r->state[id] = read_number(st, r, id, &r->value[id]);
    }
    if (value)
        *value = r->state[id] == FILE_OK ? r->value[id] : 0;
    return r->state[id];
}

static void
read_status(struct battery_state *st, struct reading *r)
{
    char path[PATH_MAX];
    int sts;

    if (path_join(path, sizeof(path), "%s/status", r->dir) < 0)
        sts = -ENAMETOOLONG;
    else
        sts = sysfs_read_text(path, r->status, sizeof(r->status));
    if (sts < 0 && sts != -ENOENT) {
        status_count(&st->status, 1);
        note_bad(r, "status");
    }
    /* PCP's QA snapshots, and some firmware, have no status at all */
    if (sts < 0 || r->status[0] == '\0')
        snprintf(r->status, sizeof(r->status), "Unknown");
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
note_no_method(struct battery_state *st, struct battery *b, struct reading *r)
{
    if (get(st, r, F_CHARGE, NULL) == FILE_OK && get(st, r, F_VOLTAGE, NULL) == FILE_ABSENT)
        set_note(b, "%s: charge_now without voltage_now gives no power (a voltage is never assumed)",
                 b->name);
    else
        set_note(b, "%s: none of power_now, current_now+voltage_now, energy_now, "
                 "charge_now+voltage_now", b->name);
}

/* The power of one sample and where it came from. */
struct pick {
    enum method method;
    bool        measured;
    double      watts;
    int         hint;            /* 1: the reading says discharging, -1: charging, 0: cannot say */
    bool        zero;            /* a 0 W reading while Discharging was passed over */
    char        passed[192];     /* the readings passed over for the next method */
};

static void
pass_over(struct pick *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
pass_over(struct pick *p, const char *fmt, ...)
{
    char what[96];
    size_t len = strlen(p->passed);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (!strstr(p->passed, what))
        snprintf(p->passed + len, sizeof(p->passed) - len, "%s%s", len ? "; " : "", what);
}

/* power_now, or current_now * voltage_now. A reading under MIN_READING_W
 * while the kernel says Discharging is firmware that does not measure the
 * rate: like upower, take it as failed and try the next method. */
static bool
take_instant(struct pick *p, const struct reading *r, enum method m, double watts, bool negative)
{
    if (watts < MIN_READING_W && status_is(r->status, "Discharging")) {
        p->zero = true;
        pass_over(p, "%s reads %g W while Discharging", method_names[m], watts);
        return false;
    }
    p->method = m;
    p->measured = true;
    p->watts = watts;
    p->hint = negative;
    return true;
}

static void
take_rate(struct pick *p, const struct battery *b, enum method m, double joules_per_unit)
{
    double per_s = b->rate.per_s;

    p->method = m;
    if ((p->measured = b->rate.valid)) {
        p->watts = (per_s < 0 ? -per_s : per_s) * joules_per_unit;
        p->hint = per_s > 0 ? 1 : -1;
    }
}

/* Each method whose files give a value, in order. An unreadable or malformed
 * file leaves a gap in its method (the counter bridges it), never another
 * method; a file the firmware calls unknown (ENODEV, drivers/acpi/battery.c)
 * or a 0 W reading while Discharging passes to the next method. */
static void
pick_power(struct battery_state *st, const struct battery *b, struct reading *r, struct pick *p)
{
    int64_t power, current, volts;
    enum file_state s, sv = FILE_ABSENT;

    memset(p, 0, sizeof(*p));
    p->method = METHOD_NONE;
    if ((s = get(st, r, F_POWER, &power)) == FILE_BAD) {
        p->method = METHOD_POWER_NOW;
        return;
    }
    if (s == FILE_OK && take_instant(p, r, METHOD_POWER_NOW, (double)llabs(power) * 1e-6, power < 0))
        return;
    if (s == FILE_UNKNOWN)
        pass_over(p, "power_now is unknown to the firmware (ENODEV)");

    if ((s = get(st, r, F_CURRENT, &current)) == FILE_OK) {
        if ((sv = get(st, r, F_VOLTAGE, &volts)) == FILE_OK &&
            take_instant(p, r, METHOD_CURRENT_VOLTAGE,
                         (double)llabs(current) * 1e-6 * (double)volts * 1e-6, current < 0))
            return;
        if (sv == FILE_UNKNOWN)
            pass_over(p, "voltage_now is unknown to the firmware (ENODEV)");
    }
    if (s == FILE_BAD || (s == FILE_OK && sv == FILE_BAD)) {
        p->method = METHOD_CURRENT_VOLTAGE;
        return;
    }
    if (s == FILE_UNKNOWN)
        pass_over(p, "current_now is unknown to the firmware (ENODEV)");

    switch (b->rate_basis) {
    case LEVEL_ENERGY:
        if ((s = get(st, r, F_ENERGY, NULL)) == FILE_OK)
            take_rate(p, b, METHOD_ENERGY_RATE, J_PER_UWH);
        else if (s == FILE_BAD)
            p->method = METHOD_ENERGY_RATE;
        else
            pass_over(p, "energy_now is unknown to the firmware (ENODEV)");
        break;
    case LEVEL_CHARGE:
        if ((s = get(st, r, F_CHARGE, NULL)) == FILE_BAD ||
            (s == FILE_OK && (sv = get(st, r, F_VOLTAGE, &volts)) == FILE_BAD))
            p->method = METHOD_CHARGE_RATE;
        else if (s == FILE_OK && sv == FILE_OK)
            take_rate(p, b, METHOD_CHARGE_RATE, J_PER_UAH_UV * (double)volts);
        else if (s == FILE_UNKNOWN)
            pass_over(p, "charge_now is unknown to the firmware (ENODEV)");
        else if (sv == FILE_UNKNOWN)
            pass_over(p, "voltage_now is unknown to the firmware (ENODEV)");
        break;
    case LEVEL_NONE:
        break;
    }
}

/* Follow the level (energy_now, or else charge_now) every sample, whatever
 * the method, so that falling back to its rate has one at once. */
static void
track_level(struct battery_state *st, struct battery *b, struct reading *r, double now_s)
{
    enum file_state es = get(st, r, F_ENERGY, NULL), cs = FILE_ABSENT;
    enum level_basis basis;
    int64_t level;

    if (es == FILE_ABSENT || es == FILE_UNKNOWN)
        cs = get(st, r, F_CHARGE, NULL);
    basis = es != FILE_ABSENT ? LEVEL_ENERGY : cs != FILE_ABSENT ? LEVEL_CHARGE : LEVEL_NONE;
    if (basis != b->rate_basis || strcmp(r->status, b->rate_status) != 0 || st->ac_online != b->rate_ac) {
        /* a window across a plug or unplug would mix charge and discharge */
        memset(&b->rate, 0, sizeof(b->rate));
        b->rate_basis = basis;
        snprintf(b->rate_status, sizeof(b->rate_status), "%s", r->status);
        b->rate_ac = st->ac_online;
    }
    if ((basis == LEVEL_ENERGY && get(st, r, F_ENERGY, &level) == FILE_OK) ||
        (basis == LEVEL_CHARGE && get(st, r, F_CHARGE, &level) == FILE_OK))
        level_rate_update(&b->rate, level, now_s, st->rate_window_s, st->rate_timeout_s);
}

/* ENODEV is the firmware saying "unknown", not bad data: logged and counted
 * once per file, not on every sample. */
static void
count_unknown(struct battery_state *st, struct battery *b, const struct reading *r, const struct pick *p)
{
    for (unsigned id = 0; id < F_COUNT; id++) {
        unsigned bit = 1u << id;
        if (!(r->unknown & bit) || (b->unknown_counted & bit))
            continue;
        b->unknown_counted |= bit;
        status_count(&st->status, 1);
        st->env.log(LOG_WARNING, "battery: %s/%s answers ENODEV, the firmware's \"unknown\" "
                    "(drivers/acpi/battery.c): no value from it while it does, and %s%s; "
                    "counted once in power.source.errors, not on every sample",
                    r->dir, file_table[id].name,
                    p->method == METHOD_NONE ? "no power" : "the power comes from ",
                    p->method == METHOD_NONE ? "" : method_names[p->method]);
    }
}

static void
sample_battery(struct battery_state *st, struct battery *b, const char *dir, double now_s)
{
    struct reading r = { .dir = dir };
    struct pick p;
    bool implausible = false, charges;
    int64_t energy = 0, charge = 0, volts = 0, capacity = 0, full = 0;
    enum file_state s;

    read_status(st, &r);
    snprintf(b->status, sizeof(b->status), "%s", r.status);
    track_level(st, b, &r, now_s);
    pick_power(st, b, &r, &p);
    b->method = p.method;
    b->note[0] = '\0';
    if (p.method != METHOD_NONE)
        notice_clear(&b->no_method);

    if (p.measured && p.watts > MAX_PLAUSIBLE_W) {
        /* a recalibrating gauge's jump, or garbage: no battery gives that */
        implausible = true;
        p.measured = false;
        status_count(&st->status, 1);
        set_note(b, "%s: %s gives %.1f W, more than a battery can (over %.0f W): no value",
                 b->name, method_names[p.method], p.watts, MAX_PLAUSIBLE_W);
        notice_once(&b->implausible, st->env.log, LOG_WARNING, "battery: ",
                    "%s: %s gives %.1f W, more than a battery can deliver (upower discards rates "
                    "over %.0f W): no value while it does (counted in power.source.errors)",
                    b->name, method_names[p.method], p.watts, MAX_PLAUSIBLE_W);
    } else if (p.measured)
        notice_clear(&b->implausible);
    if (p.zero)
        notice_once(&b->zero, st->env.log, LOG_WARNING, "battery: ",
                    "%s: %s, which is firmware that does not measure the rate (upower takes a "
                    "reading under %g W as failed): %s%s", b->name, p.passed, MIN_READING_W,
                    p.method == METHOD_NONE ? "no power, since there is no energy_now or "
                    "charge_now to take a rate from" : "the power comes from the ",
                    p.method == METHOD_NONE ? "" : method_names[p.method]);
    if (!p.measured && !implausible) {
        if (p.method == METHOD_ENERGY_RATE || p.method == METHOD_CHARGE_RATE)
            set_note(b, "%s: %s%spower comes from the rate of %s, known once it has changed twice%s",
                     b->name, p.passed, p.passed[0] ? "; " : "",
                     p.method == METHOD_ENERGY_RATE ? "energy_now" : "charge_now",
                     b->rate.npoints ? " (or again after a long pause)" : "");
        else if (p.method == METHOD_NONE && p.passed[0])
            set_note(b, "%s: no power: %s", b->name, p.passed);
        else if (p.method == METHOD_NONE) {
            note_no_method(st, b, &r);
            notice_once(&b->no_method, st->env.log, LOG_WARNING, "battery: ", "%s", b->note);
        }
    }

    judge_direction(st, b, p.measured, p.watts, p.hint);
    b->has_power = p.measured;
    b->power_w = p.measured && b->discharging && p.hint >= 0 ? p.watts : 0.0;
    /* A failed read is a blip: the trapezoid of its two ends bridges it. No
     * power for any other reason (a rate gone stale, a method lost) may last
     * long, and bridging it would invent energy. */
    if (b->has_power) {
        energy_integrator_add(&b->drawn, now_s, b->power_w);
        b->counting = true;
    } else if (!r.bad[0] && !implausible)
        b->drawn.primed = false;

    /* charge_now only where energy_now is not offered (ACPI gives one of them) */
    charges = r.state[F_ENERGY] == FILE_ABSENT || r.state[F_ENERGY] == FILE_UNKNOWN;
    b->has_energy_now = true;
    if (get(st, &r, F_ENERGY, &energy) == FILE_OK)
        b->energy_now_j = (double)energy * J_PER_UWH;
    else if (charges && get(st, &r, F_CHARGE, &charge) == FILE_OK &&
             get(st, &r, F_VOLTAGE, &volts) == FILE_OK)
        b->energy_now_j = (double)charge * (double)volts * J_PER_UAH_UV;
    else
        b->has_energy_now = false;

    b->has_capacity = true;
    if ((s = get(st, &r, F_CAPACITY, &capacity)) == FILE_OK)
        b->capacity_pct = (double)capacity;
    else if (s == FILE_BAD)
        b->has_capacity = false;
    else if (r.state[F_ENERGY] == FILE_OK && get(st, &r, F_ENERGY_FULL, &full) == FILE_OK && full > 0)
        b->capacity_pct = 100.0 * (double)energy / (double)full;
    else if (charges && get(st, &r, F_CHARGE, &charge) == FILE_OK &&
             get(st, &r, F_CHARGE_FULL, &full) == FILE_OK && full > 0)
        b->capacity_pct = 100.0 * (double)charge / (double)full;
    else
        b->has_capacity = false;

    count_unknown(st, b, &r, &p);
    if (r.bad[0]) {
        set_note(b, "%s: unreadable or malformed %s", b->name, r.bad);
        notice_once(&b->bad, st->env.log, LOG_WARNING, "battery: ", "%s/{%s} unreadable or "
                    "malformed: no value from it until it reads cleanly (counted in "
                    "power.source.errors)", dir, r.bad);
    } else
        notice_clear(&b->bad);
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
        status_error(&st->status, BATTERY_LONG_NAME, "ignoring %s: names longer than %d characters "
                     "are not followed", name, BATTERY_NAME_MAX - 1);
        return NULL;
    }
    if (st->nbats >= BATTERY_MAX) {
        status_error(&st->status, BATTERY_TOO_MANY, "ignoring %s: more than %d batteries", name,
                     BATTERY_MAX);
        return NULL;
    }
    b = &st->bats[st->nbats];
    memset(b, 0, sizeof(*b));
    snprintf(b->name, sizeof(b->name), "%s", name);
    b->inst = unique_instance_id(st, name);
    b->rate_basis = LEVEL_NONE;
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

enum supply_kind { SUPPLY_OTHER, SUPPLY_BATTERY, SUPPLY_EXTERNAL_ONLINE };

static bool
has_file(const char *dir, const char *file)
{
    char path[PATH_MAX];

    return path_join(path, sizeof(path), "%s/%s", dir, file) == 0 && access(path, F_OK) == 0;
}

/* Sorted as upower's linux backend does (src/linux/up-device-supply.c:
 * up_device_supply_coldplug, up_device_supply_guess_type): a supply of scope
 * Device belongs to a peripheral; type Battery is a battery; Mains, a USB
 * supply (a USB-C or USB-PD charger through ucsi or tcpm: usb_type and
 * online), and any other supply with an online file are line power, which
 * powers the host while online is above 0 (1 fixed, 2 programmable voltage:
 * Documentation/ABI/testing/sysfs-class-power). */
static enum supply_kind
classify(struct battery_state *st, const char *dir, const char *name, char *type, size_t size)
{
    char path[PATH_MAX], scope[32];
    struct reading scratch = { .dir = dir };
    int64_t online;

    if (path_join(path, sizeof(path), "%s/type", dir) < 0 || sysfs_read_text(path, type, size) < 0)
        return SUPPLY_OTHER;
    /* mice, keyboards, headsets, a phone on USB: they do not power the host */
    if (path_join(path, sizeof(path), "%s/scope", dir) == 0 &&
        sysfs_read_text(path, scope, sizeof(scope)) == 0 && strcmp(scope, "Device") == 0)
        return SUPPLY_OTHER;
    if (strcmp(type, "Battery") == 0)
        return ignored(st, name) ? SUPPLY_OTHER : SUPPLY_BATTERY;
    /* upower: a USB supply without usb_type named wacom_ is a tablet's */
    if (strcmp(type, "USB") == 0 && !has_file(dir, "usb_type") && strstr(name, "wacom_"))
        return SUPPLY_OTHER;
    return get(st, &scratch, F_ONLINE, &online) == FILE_OK && online > 0 ?
           SUPPLY_EXTERNAL_ONLINE : SUPPLY_OTHER;
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
        /* counted once: a directory that stays unlistable is one error, not one a sample */
        if (errno != ENOENT && notice_set(&st->unlistable, st->env.log, LOG_WARNING, "battery: ",
                                          "cannot list %s: %s", top, strerror(errno)))
            status_count(&st->status, 1);
        n = 0;
    } else
        notice_clear(&st->unlistable);
    if (n > 0 && (kind = calloc((size_t)n, sizeof(*kind))) == NULL) {
        /* out of memory: skip this sample rather than call every battery removed */
        status_error(&st->status, BATTERY_OUT_OF_MEMORY, "out of memory listing %s: sample skipped", top);
        for (int i = 0; i < n; i++)
            free(list[i]);
        free(list);
        return;
    }
    for (size_t i = 0; i < st->nbats; i++)
        st->bats[i].seen = false;
    st->ac_online = false;
    st->ac_name[0] = '\0';
    /* external power first: every battery's judgement depends on it */
    for (int i = 0; i < n; i++) {
        char type[32] = "";

        if (list[i]->d_name[0] == '.' ||
            path_join(dir, sizeof(dir), "%s/%s", top, list[i]->d_name) < 0)
            continue;
        kind[i] = classify(st, dir, list[i]->d_name, type, sizeof(type));
        if (kind[i] == SUPPLY_EXTERNAL_ONLINE && !st->ac_online) {
            st->ac_online = true;
            snprintf(st->ac_name, sizeof(st->ac_name), "%.24s supply %.60s", type, list[i]->d_name);
        }
    }
    for (int i = 0; i < n; i++) {
        struct battery *b;
        int64_t present = 1;
        struct reading scratch = { .dir = dir };

        if (kind[i] != SUPPLY_BATTERY ||
            path_join(dir, sizeof(dir), "%s/%s", top, list[i]->d_name) < 0)
            continue;
        /* some drivers keep the directory of an empty bay and say present = 0 */
        if (get(st, &scratch, F_PRESENT, &present) == FILE_OK && present == 0)
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
        snprintf(why_not, size, "on AC power (%s online)", st->ac_name);
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
        if (b->discharging && b->power_w < MIN_READING_W) {
            /* never offer a host drawing nothing: that is a failed reading */
            snprintf(why_not, size, "%s discharges at %g W", b->name, b->power_w);
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
    char why_not[160], why[STATUS_REASON] = "";
    size_t npresent = 0, nmeasurable = 0;

    if (!st->enabled)
        return;
    scan_and_sample(st, now->mono_s);
    judge_candidate(st, why_not, sizeof(why_not));

    for (size_t i = 0; i < st->nbats; i++) {
        const struct battery *b = &st->bats[i];
        if (b->present) {
            npresent++;
            nmeasurable += b->method != METHOD_NONE;
        }
        append(why, sizeof(why), b->note);
    }
    if (why_not[0]) {
        char text[200];
        snprintf(text, sizeof(text), "not used for power.system: %s", why_not);
        append(why, sizeof(why), text);
    }
    if (st->nbats == 0)
        status_set(&st->status, SOURCE_ABSENT, "no battery under %s/sys/class/power_supply", st->env.root);
    else
        status_set(&st->status, npresent == 0 ? SOURCE_ABSENT : nmeasurable == 0 ? SOURCE_FAILED :
                   SOURCE_ACTIVE, "%s", why);
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
    status_init(&st->status, "battery", env->log);
    st->enabled = config_bool(env->config, "battery", "enabled", true);
    st->rate_timeout_s = config_double(env->config, "battery", "rate_timeout", 300.0, 1.0, 86400.0);
    st->rate_window_s = config_double(env->config, "battery", "rate_window", 30.0, 0.0, 3600.0);
    if ((ignore = config_string(env->config, "battery", "ignore", NULL)) != NULL)
        parse_ignore(st, ignore);
    if (!st->enabled) {
        status_set(&st->status, SOURCE_DISABLED, "disabled in the config ([battery] enabled = no)");
        return st;
    }
    status_set(&st->status, SOURCE_ABSENT, "not sampled yet");
    return st;
}

static void
battery_close(void *state)
{
    free(state);
}

static const struct source_status *
battery_status(const void *state)
{
    return &((const struct battery_state *)state)->status;
}

static const struct system_candidate battery_candidates[] = {
    { "battery", true },    /* offered only while the host runs on its batteries alone */
    { NULL, false }
};

/* The sum of every battery's counter, removed ones included, so the sum
 * never steps back when a battery goes away. */
static bool
battery_system_energy(const void *state, size_t candidate, double *energy_j)
{
    const struct battery_state *st = state;
    double sum = 0.0;

    if (candidate != 0)
        return false;
    for (size_t i = 0; i < st->nbats; i++)
        sum += st->bats[i].drawn.energy_j;
    *energy_j = sum;
    return st->enabled && st->candidate_valid;
}

size_t
battery_count(const struct battery_state *st)
{
    return st->nbats;
}

bool
battery_get(const struct battery_state *st, size_t index, struct battery_info *info)
{
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
    .candidates = battery_candidates,
    .open = battery_open,
    .sample = battery_sample,
    .close = battery_close,
    .status = battery_status,
    .system_energy = battery_system_energy,
};
