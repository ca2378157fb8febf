/*
 * battery_sample.c: one battery's sample (see battery_impl.h): its files
 * read once, the method its power comes from, its direction, its energy
 * counter and its notes.
 */
#include "battery_impl.h"
#include "battery_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

const char *const battery_method_names[] = {
    [METHOD_NONE] = "none",
    [METHOD_POWER_NOW] = "power_now",
    [METHOD_CURRENT_VOLTAGE] = "current_now*voltage_now",
    [METHOD_ENERGY_RATE] = "energy_now rate",
    [METHOD_CHARGE_RATE] = "charge_now rate*voltage_now",
};

/* sysfs units: µW, µA, µV, µWh, µAh */
#define J_PER_UWH 3.6e-3
#define J_PER_UAH_UV 3.6e-9

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

void
battery_note(struct battery *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(b->note, sizeof(b->note), fmt, ap);
    va_end(ap);
}

static void
note_no_method(struct battery_state *st, struct battery *b, struct reading *r)
{
    if (battery_read(&st->status, r, F_CHARGE, NULL) == FILE_OK && battery_read(&st->status, r, F_VOLTAGE, NULL) == FILE_ABSENT)
        battery_note(b, "%s: charge_now without voltage_now gives no power (a voltage is never assumed)",
                 b->name);
    else
        battery_note(b, "%s: none of power_now, current_now+voltage_now, energy_now, "
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
        pass_over(p, "%s reads %g W while Discharging", battery_method_names[m], watts);
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
    if ((s = battery_read(&st->status, r, F_POWER, &power)) == FILE_BAD) {
        p->method = METHOD_POWER_NOW;
        return;
    }
    if (s == FILE_OK && take_instant(p, r, METHOD_POWER_NOW, (double)llabs(power) * 1e-6, power < 0))
        return;
    if (s == FILE_UNKNOWN)
        pass_over(p, "power_now is unknown to the firmware (ENODEV)");

    if ((s = battery_read(&st->status, r, F_CURRENT, &current)) == FILE_OK) {
        if ((sv = battery_read(&st->status, r, F_VOLTAGE, &volts)) == FILE_OK &&
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
        if ((s = battery_read(&st->status, r, F_ENERGY, NULL)) == FILE_OK)
            take_rate(p, b, METHOD_ENERGY_RATE, J_PER_UWH);
        else if (s == FILE_BAD)
            p->method = METHOD_ENERGY_RATE;
        else
            pass_over(p, "energy_now is unknown to the firmware (ENODEV)");
        break;
    case LEVEL_CHARGE:
        if ((s = battery_read(&st->status, r, F_CHARGE, NULL)) == FILE_BAD ||
            (s == FILE_OK && (sv = battery_read(&st->status, r, F_VOLTAGE, &volts)) == FILE_BAD))
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
    enum file_state es = battery_read(&st->status, r, F_ENERGY, NULL), cs = FILE_ABSENT;
    enum level_basis basis;
    int64_t level;

    if (es == FILE_ABSENT || es == FILE_UNKNOWN)
        cs = battery_read(&st->status, r, F_CHARGE, NULL);
    basis = es != FILE_ABSENT ? LEVEL_ENERGY : cs != FILE_ABSENT ? LEVEL_CHARGE : LEVEL_NONE;
    if (basis != b->rate_basis || strcmp(r->status, b->rate_status) != 0 || st->ac_online != b->rate_ac) {
        /* a window across a plug or unplug would mix charge and discharge */
        memset(&b->rate, 0, sizeof(b->rate));
        b->rate_basis = basis;
        snprintf(b->rate_status, sizeof(b->rate_status), "%s", r->status);
        b->rate_ac = st->ac_online;
    }
    if ((basis == LEVEL_ENERGY && battery_read(&st->status, r, F_ENERGY, &level) == FILE_OK) ||
        (basis == LEVEL_CHARGE && battery_read(&st->status, r, F_CHARGE, &level) == FILE_OK))
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
                    r->dir, battery_file_name(id),
                    p->method == METHOD_NONE ? "no power" : "the power comes from ",
                    p->method == METHOD_NONE ? "" : battery_method_names[p->method]);
    }
}

void
battery_sample_one(struct battery_state *st, struct battery *b, const char *dir, double now_s)
{
    struct reading r = { .dir = dir };
    struct pick p;
    bool implausible = false, charges;
    int64_t energy = 0, charge = 0, volts = 0, capacity = 0, full = 0;
    enum file_state s;

    battery_read_status(&st->status, &r);
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
        battery_note(b, "%s: %s gives %.1f W, more than a battery can (over %.0f W): no value",
                 b->name, battery_method_names[p.method], p.watts, MAX_PLAUSIBLE_W);
        notice_once(&b->implausible, st->env.log, LOG_WARNING, "battery: ",
                    "%s: %s gives %.1f W, more than a battery can deliver (upower discards rates "
                    "over %.0f W): no value while it does (counted in power.source.errors)",
                    b->name, battery_method_names[p.method], p.watts, MAX_PLAUSIBLE_W);
    } else if (p.measured)
        notice_clear(&b->implausible);
    if (p.zero)
        notice_once(&b->zero, st->env.log, LOG_WARNING, "battery: ",
                    "%s: %s, which is firmware that does not measure the rate (upower takes a "
                    "reading under %g W as failed): %s%s", b->name, p.passed, MIN_READING_W,
                    p.method == METHOD_NONE ? "no power, since there is no energy_now or "
                    "charge_now to take a rate from" : "the power comes from the ",
                    p.method == METHOD_NONE ? "" : battery_method_names[p.method]);
    if (!p.measured && !implausible) {
        if (p.method == METHOD_ENERGY_RATE || p.method == METHOD_CHARGE_RATE)
            battery_note(b, "%s: %s%spower comes from the rate of %s, known once it has changed twice%s",
                     b->name, p.passed, p.passed[0] ? "; " : "",
                     p.method == METHOD_ENERGY_RATE ? "energy_now" : "charge_now",
                     b->rate.npoints ? " (or again after a long pause)" : "");
        else if (p.method == METHOD_NONE && p.passed[0])
            battery_note(b, "%s: no power: %s", b->name, p.passed);
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
    b->energy_now_priced = false;
    if (battery_read(&st->status, &r, F_ENERGY, &energy) == FILE_OK)
        b->energy_now_j = (double)energy * J_PER_UWH;
    else if (charges && battery_read(&st->status, &r, F_CHARGE, &charge) == FILE_OK &&
             battery_read(&st->status, &r, F_VOLTAGE, &volts) == FILE_OK) {
        b->energy_now_j = (double)charge * (double)volts * J_PER_UAH_UV;
        b->energy_now_priced = true;
    } else
        b->has_energy_now = false;

    b->has_capacity = true;
    if ((s = battery_read(&st->status, &r, F_CAPACITY, &capacity)) == FILE_OK)
        b->capacity_pct = (double)capacity;
    else if (s == FILE_BAD)
        b->has_capacity = false;
    else if (r.state[F_ENERGY] == FILE_OK && battery_read(&st->status, &r, F_ENERGY_FULL, &full) == FILE_OK && full > 0)
        b->capacity_pct = 100.0 * (double)energy / (double)full;
    else if (charges && battery_read(&st->status, &r, F_CHARGE, &charge) == FILE_OK &&
             battery_read(&st->status, &r, F_CHARGE_FULL, &full) == FILE_OK && full > 0)
        b->capacity_pct = 100.0 * (double)charge / (double)full;
    else
        b->has_capacity = false;

    count_unknown(st, b, &r, &p);
    if (r.bad[0]) {
        battery_note(b, "%s: unreadable or malformed %s", b->name, r.bad);
        notice_once(&b->bad, st->env.log, LOG_WARNING, "battery: ", "%s/{%s} unreadable or "
                    "malformed: no value from it until it reads cleanly (counted in "
                    "power.source.errors)", dir, r.bad);
    } else
        notice_clear(&b->bad);
}
