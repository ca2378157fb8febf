/* Batteries over fake and real power_supply trees (sources/battery.c). */

/* A fake file whose text starts with "#ENODEV" answers reads with ENODEV, as
 * drivers/acpi/battery.c does for a value the firmware reports as unknown:
 * this binary's own open and read take the calls (tests/helpers/enodev_shim.c). */
#define ENODEV_SHIM_LIB
#include "../helpers/enodev_shim.c"

#include "battery.h"
#include "check.h"
#include "config.h"
#include "fakesys.h"
#include "source_harness.h"

#include <libgen.h>

static bool
bat(struct harness *r, const char *name, struct battery_info *b)
{
    for (size_t i = 0; i < battery_count(r->state); i++)
        if (battery_get(r->state, i, b) && strcmp(b->name, name) == 0)
            return true;
    memset(b, 0, sizeof(*b));
    b->name = "(missing)";
    b->status = b->method = "(missing)";
    return false;
}

static const char *
reason(struct harness *r, enum source_state *state)
{
    const char *why = NULL;
    enum source_state s = source_state_of(&battery_source, r->state, &why);

    if (state)
        *state = s;
    return why ? why : "";
}

static bool
candidate(struct harness *r, double *energy)
{
    double e = -1;
    bool valid = source_energy(&battery_source, r->state, "battery", &e);

    if (energy)
        *energy = e;
    return valid;
}

/* ROOT/sys/class/power_supply/NAME/FILE = text */
static void __attribute__((format(printf, 4, 5)))
supply(const char *root, const char *name, const char *file, const char *fmt, ...)
{
    char rel[512], text[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    snprintf(rel, sizeof(rel), "sys/class/power_supply/%s/%s", name, file);
    fake_write(root, rel, "%s\n", text);
}

static void
unsupply(const char *root, const char *name, const char *file)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/sys/class/power_supply/%s/%s", root, name, file);
    if (unlink(path) < 0)
        perror(path);
}

static void
ac(const char *root, int online)
{
    supply(root, "AC", "type", "Mains");
    supply(root, "AC", "online", "%d", online);
}

static void
battery_dir(const char *root, const char *name, const char *status)
{
    supply(root, name, "type", "Battery");
    if (status)
        supply(root, name, "status", "%s", status);
}

static void
discharging_with_power_now(void)
{
    char *root = fake_root("bat-dis");
    struct harness r;
    struct battery_info b;
    enum source_state state;
    double e;

    ac(root, 0);
    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "power_now", "12500000");
    supply(root, "BAT0", "energy_now", "40000000");
    supply(root, "BAT0", "capacity", "80");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 10.0);
    CHECK(bat(&r, "BAT0", &b) && b.present, "BAT0 found and present");
    CHECK(b.inst == 0, "BAT0 is instance 0 (got %d)", b.inst);
    CHECK_STR(b.status, "Discharging", "status is the kernel's word");
    CHECK_STR(b.method, "power_now", "power from power_now");
    CHECK(b.has_power && b.has_direction && b.discharging, "discharging, with a power");
    CHECK_NEAR(b.power_w, 12.5, 1e-12, "12500000 uW is 12.5 W");
    CHECK(b.has_energy, "energy counter has a value from the first sample");
    CHECK_NEAR(b.energy_j, 0.0, 1e-12, "and starts at 0 J");
    CHECK(b.has_energy_now, "energy_now known");
    CHECK_NEAR(b.energy_now_j, 144000.0, 1e-12, "40 Wh left is 144000 J");
    CHECK(b.has_capacity, "capacity known");
    CHECK_NEAR(b.capacity_pct, 80.0, 1e-12, "capacity 80 %");
    CHECK(candidate(&r, &e), "on battery alone: the battery candidate is offered");
    CHECK(reason(&r, &state)[0] == '\0' && state == SOURCE_ACTIVE, "active with nothing to explain (\"%s\")",
          reason(&r, NULL));

    supply(root, "BAT0", "power_now", "14500000");
    harness_sample(&r, 11.0);
    bat(&r, "BAT0", &b);
    CHECK_NEAR(b.power_w, 14.5, 1e-12, "second sample 14.5 W");
    CHECK_NEAR(b.energy_j, 13.5, 1e-12, "trapezoid: (12.5 + 14.5) / 2 * 1 s = 13.5 J");
    CHECK(candidate(&r, &e), "candidate still offered");
    CHECK_NEAR(e, 13.5, 1e-12, "candidate energy is the battery's counter");

    /* unplugged battery, charger arrives: 0 W from the next sample on */
    ac(root, 1);
    supply(root, "BAT0", "status", "Charging");
    supply(root, "BAT0", "power_now", "30000000");
    harness_sample(&r, 13.0);
    bat(&r, "BAT0", &b);
    CHECK(b.has_power && !b.discharging, "charging: not discharging");
    CHECK_NEAR(b.power_w, 0.0, 1e-12, "charging: discharge power is 0 W, not the 30 W flowing in");
    CHECK_STR(b.status, "Charging", "status Charging");
    CHECK_NEAR(b.energy_j, 13.5 + 14.5, 1e-12, "the interval into charging counts (14.5 + 0) / 2 * 2 s");
    CHECK(!candidate(&r, NULL), "charging: no battery candidate");
    CHECK(strstr(reason(&r, NULL), "on AC power") != NULL, "reason says on AC (\"%s\")", reason(&r, NULL));
    harness_sample(&r, 14.0);
    bat(&r, "BAT0", &b);
    CHECK_NEAR(b.energy_j, 28.0, 1e-12, "nothing counted while charging");

    supply(root, "BAT0", "status", "Full");
    supply(root, "BAT0", "power_now", "0");
    supply(root, "BAT0", "capacity", "100");
    harness_sample(&r, 15.0);
    bat(&r, "BAT0", &b);
    CHECK_STR(b.status, "Full", "status Full");
    CHECK(b.has_power && b.power_w == 0.0 && !b.discharging, "full: 0 W, not discharging");
    CHECK(!candidate(&r, &e), "full on AC: no candidate");
    CHECK_NEAR(e, 28.0, 1e-12, "candidate counter kept while not offered");

    /* unplugged again, firmware still says Full: trust the kernel's word */
    ac(root, 0);
    supply(root, "BAT0", "power_now", "9000000");
    harness_sample(&r, 16.0);
    bat(&r, "BAT0", &b);
    CHECK(!b.discharging && b.power_w == 0.0, "Full off AC is still not discharging");
    CHECK(!candidate(&r, NULL), "and not offered");
    CHECK(strstr(reason(&r, NULL), "BAT0 is Full") != NULL, "reason names it (\"%s\")", reason(&r, NULL));
    harness_close(&r);
    fake_remove(root);
}

static void
removed_while_sampled(void)
{
    char *root = fake_root("bat-rm");
    char from[1024], to[1024];
    struct harness r;
    struct battery_info b0, b1;
    enum source_state state;
    double e0, e1, e2;

    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "power_now", "10000000");
    supply(root, "BAT0", "energy_now", "30000000");
    supply(root, "BAT0", "capacity", "60");
    /* the second battery of a T460s sits idle while the first one runs */
    battery_dir(root, "BAT1", "Unknown");
    supply(root, "BAT1", "power_now", "0");
    supply(root, "BAT1", "energy_now", "20000000");
    supply(root, "BAT1", "capacity", "90");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 1.0);
    harness_sample(&r, 2.0);
    bat(&r, "BAT1", &b1);
    CHECK(b1.present && b1.has_power && b1.power_w == 0.0 && !b1.discharging, "idle BAT1: 0 W");
    CHECK(b1.inst == 1, "BAT1 is instance 1 (got %d)", b1.inst);
    CHECK(candidate(&r, &e0), "one discharging, one idle, no AC: candidate offered");
    CHECK_NEAR(e0, 10.0, 1e-12, "10 W for 1 s");

    snprintf(from, sizeof(from), "%s/sys/class/power_supply/BAT1", root);
    snprintf(to, sizeof(to), "%s/BAT1.away", root);
    if (rename(from, to) < 0)
        perror("rename");
    harness_sample(&r, 3.0);
    CHECK(battery_count(r.state) == 2, "the instance stays (%zu batteries)", battery_count(r.state));
    bat(&r, "BAT1", &b1);
    CHECK(!b1.present, "BAT1 is not present");
    CHECK(!b1.has_power && !b1.has_energy && !b1.has_energy_now && !b1.has_capacity && !b1.has_direction,
          "a removed battery has no values");
    CHECK_STR(b1.status, "Removed", "status says Removed");
    CHECK(strstr(reason(&r, &state), "BAT1 removed") != NULL && state == SOURCE_ACTIVE,
          "reason says so while BAT0 stays active (\"%s\")", reason(&r, NULL));
    CHECK(strstr(fake_log, "BAT1 removed") != NULL, "the log says so");
    CHECK(candidate(&r, &e1), "BAT0 alone still carries the host");
    CHECK_NEAR(e1, 20.0, 1e-12, "and its counter goes on");

    /* BAT1 comes back discharging; the time it was away is not counted */
    supply(root, "BAT0", "status", "Unknown");
    supply(root, "BAT0", "power_now", "0");
    if (rename(to, from) < 0)
        perror("rename");
    supply(root, "BAT1", "status", "Discharging");
    supply(root, "BAT1", "power_now", "6000000");
    harness_sample(&r, 10.0);
    bat(&r, "BAT1", &b1);
    CHECK(b1.present && b1.has_power, "BAT1 is back with a power");
    CHECK_NEAR(b1.power_w, 6.0, 1e-12, "BAT1 6 W");
    CHECK_NEAR(b1.energy_j, 0.0, 1e-12, "the 7 s it was away added nothing");
    CHECK(strstr(fake_log, "BAT1 is back") != NULL, "the log says it is back");
    CHECK(strstr(reason(&r, NULL), "removed") == NULL, "reason no longer says removed");
    harness_sample(&r, 11.0);
    bat(&r, "BAT1", &b1);
    CHECK_NEAR(b1.energy_j, 6.0, 1e-12, "counting resumes: 6 J in 1 s");
    CHECK(candidate(&r, &e2) && e2 >= e1, "candidate counter never went back (%.3f -> %.3f)", e1, e2);

    /* both gone: absent, both instances kept */
    snprintf(to, sizeof(to), "%s/ps.away", root);
    snprintf(from, sizeof(from), "%s/sys/class/power_supply", root);
    if (rename(from, to) < 0)
        perror("rename");
    harness_sample(&r, 12.0);
    bat(&r, "BAT0", &b0);
    CHECK(!b0.present && battery_count(r.state) == 2, "both removed, both instances kept");
    CHECK(strstr(reason(&r, &state), "BAT0 removed") != NULL && state == SOURCE_ABSENT,
          "source absent and says why (\"%s\")", reason(&r, NULL));
    CHECK(!candidate(&r, NULL), "no candidate without a battery");
    harness_close(&r);
    fake_remove(root);
}

static void
energy_now_rate(void)
{
    char *root = fake_root("bat-rate");
    struct harness r;
    struct battery_info b;
    double e;

    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "energy_now", "50000000");
    harness_open(&r, &battery_source, root, "[battery]\nrate_timeout = 10\n");
    harness_sample(&r, 0.0);
    bat(&r, "BAT0", &b);
    CHECK_STR(b.method, "energy_now rate", "no power_now: power from the energy_now rate");
    CHECK(!b.has_power && !b.has_energy, "no power from one sample");
    CHECK(b.has_energy_now, "energy_now is still reported");
    CHECK(strstr(reason(&r, NULL), "changed twice") != NULL, "reason says what it waits for (\"%s\")",
          reason(&r, NULL));
    CHECK(!candidate(&r, NULL), "no candidate without a power");
    harness_sample(&r, 1.0);     /* firmware has not refreshed yet */
    supply(root, "BAT0", "energy_now", "49990000");
    harness_sample(&r, 2.0);
    bat(&r, "BAT0", &b);
    CHECK(!b.has_power, "first change: its window's start is unknown, still no power");
    supply(root, "BAT0", "energy_now", "49985000");
    harness_sample(&r, 3.0);
    harness_sample(&r, 4.0);
    bat(&r, "BAT0", &b);
    CHECK(b.has_power, "a power after the second change");
    CHECK_NEAR(b.power_w, 18.0, 1e-9, "5000 uWh in 1 s is 18 W");
    supply(root, "BAT0", "energy_now", "49980000");
    harness_sample(&r, 5.0);
    bat(&r, "BAT0", &b);
    CHECK_NEAR(b.power_w, 12.0, 1e-9, "held between changes, then 10000 uWh since the first change 3 s ago is 12 W");
    CHECK_NEAR(b.energy_j, 18.0 + 15.0, 1e-9, "counter: 18 W for 1 s, then (18 + 12) / 2 for 1 s");
    CHECK(candidate(&r, &e), "candidate offered with a rate");
    harness_sample(&r, 16.0);
    bat(&r, "BAT0", &b);
    CHECK(!b.has_power, "no change for longer than rate_timeout: no power rather than a stale one");

    /* status Unknown and the level rising: charging */
    supply(root, "BAT0", "status", "Unknown");
    harness_sample(&r, 20.0);
    supply(root, "BAT0", "energy_now", "49990000");
    harness_sample(&r, 21.0);
    supply(root, "BAT0", "energy_now", "50000000");
    harness_sample(&r, 22.0);
    bat(&r, "BAT0", &b);
    CHECK(b.has_power && !b.discharging && b.power_w == 0.0, "a rising level with no status is charging: 0 W");
    harness_close(&r);
    fake_remove(root);
}

/* The window spans several changes, so a change seen one sample late
 * skews one rate by a sample, not by a whole refresh period. */
static void
rate_window(void)
{
    char *root = fake_root("bat-window");
    struct harness r;
    struct battery_info b;
    /* firmware refreshes every 1.5 s at 10 W; the agent samples every 1 s */
    double refresh[] = { 0.0, 1.5, 3.0, 4.5, 6.0, 7.5, 9.0, 10.5, 12.0 };
    double last_rate_short = 0, last_rate_long = 0;

    for (int pass = 0; pass < 2; pass++) {
        battery_dir(root, "BAT0", "Discharging");
        supply(root, "BAT0", "energy_now", "50000000");
        harness_open(&r, &battery_source, root, pass == 0 ? "[battery]\nrate_window = 0\n" : NULL);
        for (int t = 0; t <= 12; t++) {
            /* energy_now as the firmware last refreshed it before t */
            double at = 0;
            for (size_t k = 0; k < sizeof(refresh) / sizeof(refresh[0]) && refresh[k] <= t; k++)
                at = refresh[k];
            supply(root, "BAT0", "energy_now", "%lld", 50000000LL - (long long)(at * 10 / 3.6e-3));
            harness_sample(&r, t);
        }
        bat(&r, "BAT0", &b);
        if (pass == 0)
            last_rate_short = b.power_w;
        else
            last_rate_long = b.power_w;
        harness_close(&r);
    }
    CHECK(fabs(last_rate_short - 10.0) > 2.0, "between two changes only, a late sighting skews the rate "
          "(%.2f W for 10 W)", last_rate_short);
    CHECK_NEAR(last_rate_long, 10.0, 0.06, "across the changes in 30 s the rate is within 6 % of 10 W");
    fake_remove(root);
}

/* charge_now falls 1000 uAh between t = 0 (already sampled) and t = 3:
 * at 12 V that is 21.6 W */
static void
charge_falls(const char *root, struct harness *r)
{
    supply(root, "BAT0", "charge_now", "2999000");
    harness_sample(r, 1.0);
    supply(root, "BAT0", "charge_now", "2998000");
    harness_sample(r, 3.0);
}

static void
charge_times_voltage(void)
{
    char *root = fake_root("bat-charge");
    struct harness r;
    struct battery_info b;

    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "charge_now", "3000000");
    supply(root, "BAT0", "voltage_now", "12000000");
    supply(root, "BAT0", "charge_full", "4000000");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 0.0);
    charge_falls(root, &r);
    bat(&r, "BAT0", &b);
    CHECK_STR(b.method, "charge_now rate*voltage_now", "power from the charge_now rate times voltage_now");
    CHECK_NEAR(b.power_w, 21.6, 1e-9, "1000 uAh in 2 s at 12 V is 21.6 W");
    CHECK_NEAR(b.energy_now_j, 2.998 * 12 * 3600, 1e-9, "energy left is charge_now * voltage_now");
    CHECK_NEAR(b.capacity_pct, 74.95, 1e-9, "capacity from charge_now / charge_full");
    harness_close(&r);
    fake_remove(root);
}

static void
charge_without_voltage(void)
{
    char *root = fake_root("bat-novolt");
    struct harness r;
    struct battery_info b;
    enum source_state state;

    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "charge_now", "3000000");
    supply(root, "BAT0", "capacity", "70");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 0.0);
    supply(root, "BAT0", "charge_now", "2990000");
    harness_sample(&r, 1.0);
    supply(root, "BAT0", "charge_now", "2980000");
    harness_sample(&r, 2.0);
    bat(&r, "BAT0", &b);
    CHECK_STR(b.method, "none", "no method without a voltage");
    CHECK(!b.has_power && !b.has_energy && !b.has_energy_now, "charge_now without voltage_now: no power, no energy");
    CHECK(b.has_capacity && b.capacity_pct == 70.0, "capacity still reported");
    CHECK(strstr(reason(&r, &state), "charge_now without voltage_now") != NULL,
          "reason says why (\"%s\")", reason(&r, NULL));
    CHECK(state == SOURCE_FAILED, "the only battery gives no power: failed (%s)", source_state_name(state));
    CHECK(!candidate(&r, NULL), "no candidate");
    /* the battery's warning; the source's state line ("source battery: failed: ...") gives it as its reason */
    CHECK(fake_log_count("battery: BAT0: charge_now without voltage_now") == 1, "logged once");
    harness_close(&r);
    fake_remove(root);
}

static void
current_times_voltage_and_signs(void)
{
    char *root = fake_root("bat-sign");
    struct harness r;
    struct battery_info b;

    /* no status file, no AC supply: a signed current says discharging */
    battery_dir(root, "BAT0", NULL);
    supply(root, "BAT0", "current_now", "-1500000");
    supply(root, "BAT0", "voltage_now", "11000000");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 0.0);
    bat(&r, "BAT0", &b);
    CHECK_STR(b.method, "current_now*voltage_now", "power from current_now * voltage_now");
    CHECK_STR(b.status, "Unknown", "no status file reads as Unknown");
    CHECK(b.discharging, "negative current: discharging");
    CHECK_NEAR(b.power_w, 16.5, 1e-9, "1.5 A at 11 V is 16.5 W");

    /* Unknown status, positive power: the AC adapter decides */
    unsupply(root, "BAT0", "current_now");
    supply(root, "BAT0", "power_now", "7000000");
    harness_sample(&r, 1.0);
    bat(&r, "BAT0", &b);
    CHECK(b.discharging && b.power_w == 7.0, "positive power, no AC supply: discharging 7 W");
    ac(root, 0);
    harness_sample(&r, 2.0);
    bat(&r, "BAT0", &b);
    CHECK(b.discharging && candidate(&r, NULL), "AC offline: discharging, offered");
    ac(root, 1);
    harness_sample(&r, 3.0);
    bat(&r, "BAT0", &b);
    CHECK(!b.discharging && b.power_w == 0.0, "AC online: the same reading is not a discharge");
    CHECK(!candidate(&r, NULL), "and not offered");
    supply(root, "BAT0", "power_now", "-3000000");
    harness_sample(&r, 4.0);
    bat(&r, "BAT0", &b);
    CHECK(b.discharging && b.power_w == 3.0, "a negative power discharges even beside an adapter");
    CHECK(!candidate(&r, NULL), "but on AC the battery is not the whole draw");
    harness_close(&r);
    fake_remove(root);
}

static void
bad_input_is_counted(void)
{
    char *root = fake_root("bat-bad");
    struct harness r;
    struct battery_info b;
    const char *first;
    uint64_t errors;

    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "power_now", "5000000");
    supply(root, "BAT0", "capacity", "50");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 0.0);
    supply(root, "BAT0", "power_now", "5O00000");
    harness_sample(&r, 1.0);
    bat(&r, "BAT0", &b);
    errors = source_errors_of(&battery_source, r.state);
    CHECK(errors == 1, "a malformed power_now is counted (%llu)", (unsigned long long)errors);
    CHECK(!b.has_power, "and gives no power, not a zero");
    CHECK(strstr(fake_log, "malformed") != NULL && strstr(fake_log, "power_now") != NULL,
          "the log names the file");
    CHECK(strstr(reason(&r, NULL), "malformed power_now") != NULL, "so does the reason (\"%s\")",
          reason(&r, NULL));
    CHECK(!candidate(&r, NULL), "no candidate across a bad read");
    harness_sample(&r, 2.0);
    first = strstr(fake_log, "malformed");
    CHECK(first && !strstr(first + 1, "malformed"), "logged once while it stays bad");
    CHECK(source_errors_of(&battery_source, r.state) == 2, "every bad read counts");
    supply(root, "BAT0", "power_now", "7000000");
    harness_sample(&r, 3.0);
    bat(&r, "BAT0", &b);
    CHECK(b.has_power && b.power_w == 7.0, "good again: 7 W");
    CHECK_NEAR(b.energy_j, 18.0, 1e-12, "the gap is bridged: (5 + 7) / 2 * 3 s");
    /* trailing NULs, as PCP's QA fixtures have them, are not bad input */
    {
        char path[1024];
        FILE *fp;
        snprintf(path, sizeof(path), "%s/sys/class/power_supply/BAT0/power_now", root);
        if ((fp = fopen(path, "w")) != NULL) {
            fwrite("8000000\n\0\0\0\0", 1, 12, fp);
            fclose(fp);
        }
    }
    supply(root, "BAT0", "capacity", "-4");
    harness_sample(&r, 4.0);
    bat(&r, "BAT0", &b);
    CHECK(b.has_power && b.power_w == 8.0, "trailing NULs read cleanly");
    CHECK(!b.has_capacity, "a negative capacity is rejected");
    CHECK(source_errors_of(&battery_source, r.state) == 3, "and counted");
    harness_close(&r);
    fake_remove(root);
}

static void
what_counts_as_a_battery(void)
{
    char *root = fake_root("bat-kinds");
    struct harness r;
    struct battery_info b;
    enum source_state state;

    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "power_now", "5000000");
    battery_dir(root, "hidpp_battery_0", "Discharging");     /* a wireless mouse */
    supply(root, "hidpp_battery_0", "scope", "Device");
    supply(root, "hidpp_battery_0", "capacity", "40");
    battery_dir(root, "BAT1", "Unknown");                    /* an empty bay */
    supply(root, "BAT1", "present", "0");
    battery_dir(root, "CMB0", "Discharging");
    supply(root, "CMB0", "power_now", "1000000");
    /* a USB-C port of a discrete GPU (ucsi_ccg: "USB-C doesn't power the
     * system", drivers/usb/typec/ucsi/psy.c ucsi_psy_get_scope) */
    supply(root, "ucsi-source-psy-0-00081", "type", "USB");
    supply(root, "ucsi-source-psy-0-00081", "usb_type", "[C] PD PD_PPS");
    supply(root, "ucsi-source-psy-0-00081", "scope", "Device");
    supply(root, "ucsi-source-psy-0-00081", "online", "1");
    harness_open(&r, &battery_source, root, "[battery]\nignore = CMB0\n");
    harness_sample(&r, 0.0);
    CHECK(battery_count(r.state) == 1, "only BAT0: not a Device-scope battery, an empty bay or an "
          "ignored one (%zu)", battery_count(r.state));
    CHECK(bat(&r, "BAT0", &b) && candidate(&r, NULL), "a Device-scope USB supply does not power "
          "the host: BAT0 is offered");
    harness_close(&r);

    harness_open(&r, &battery_source, root, "[battery]\nenabled = no\n");
    harness_sample(&r, 0.0);
    CHECK(source_state_of(&battery_source, r.state, &(const char *){ NULL }) == SOURCE_DISABLED, "disabled in the config");
    CHECK(battery_count(r.state) == 0 && !candidate(&r, NULL), "and reads nothing");
    harness_close(&r);
    fake_remove(root);

    root = fake_root("bat-none");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 0.0);
    CHECK(strstr(reason(&r, &state), "no battery under") != NULL && state == SOURCE_ABSENT,
          "a desktop: absent, with a reason (\"%s\")", reason(&r, NULL));
    harness_close(&r);
    fake_remove(root);
}

/* ACPI batteries (drivers/acpi/battery.c) come in two layouts: energy units
 * (power_now, energy_now, voltage_now) and charge units (current_now,
 * charge_now, voltage_now). acpi_battery_get_property() answers -ENODEV for
 * voltage_now, current_now/power_now and energy_now/charge_now while the
 * firmware reports the value as unknown (ACPI_BATTERY_VALUE_UNKNOWN). */
static void
enodev_is_unknown_not_bad(void)
{
    char *root = fake_root("bat-enodev");
    struct harness r;
    struct battery_info b;
    long long level = 50000000;

    /* energy units, rate unknown: the energy_now rate instead */
    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "power_now", "#ENODEV");
    supply(root, "BAT0", "voltage_now", "11400000");
    supply(root, "BAT0", "energy_now", "%lld", level);
    supply(root, "BAT0", "capacity", "80");
    harness_open(&r, &battery_source, root, NULL);
    for (int t = 0; t <= 5; t++) {
        supply(root, "BAT0", "energy_now", "%lld", level - 5000LL * t);   /* 18 W */
        harness_sample(&r, t);
        if (t == 0)
            CHECK(strstr(reason(&r, NULL), "power_now is unknown to the firmware (ENODEV); power comes "
                         "from the rate of energy_now") != NULL, "the reason says why (\"%s\")",
                  reason(&r, NULL));
    }
    bat(&r, "BAT0", &b);
    CHECK_STR(b.method, "energy_now rate", "power_now answering ENODEV: the energy_now rate instead");
    CHECK(b.has_power, "with a power");
    CHECK_NEAR(b.power_w, 18.0, 1e-9, "5000 uWh a second is 18 W");
    CHECK(source_errors_of(&battery_source, r.state) == 1, "counted once in six samples, not on every one (%llu)",
          (unsigned long long)source_errors_of(&battery_source, r.state));
    CHECK(fake_log_count("/BAT0/power_now answers ENODEV, the firmware's \"unknown\"") == 1,
          "logged once, with the file");
    CHECK(candidate(&r, NULL), "offered for power.system");
    harness_close(&r);
    fake_remove(root);

    /* charge units, current unknown: the charge_now rate times voltage_now */
    root = fake_root("bat-enodev-charge");
    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "current_now", "#ENODEV");
    supply(root, "BAT0", "voltage_now", "12000000");
    supply(root, "BAT0", "charge_now", "3000000");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 0.0);
    charge_falls(root, &r);
    bat(&r, "BAT0", &b);
    CHECK_STR(b.method, "charge_now rate*voltage_now", "current_now answering ENODEV: the charge_now rate");
    CHECK_NEAR(b.power_w, 21.6, 1e-9, "1000 uAh in 2 s at 12 V is 21.6 W");
    CHECK(source_errors_of(&battery_source, r.state) == 1, "counted once (%llu)",
          (unsigned long long)source_errors_of(&battery_source, r.state));
    harness_close(&r);
    fake_remove(root);

    /* everything unknown (as after a resume): no power, each file counted once */
    root = fake_root("bat-enodev-all");
    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "power_now", "#ENODEV");
    supply(root, "BAT0", "voltage_now", "#ENODEV");
    supply(root, "BAT0", "energy_now", "#ENODEV");
    supply(root, "BAT0", "capacity", "80");
    harness_open(&r, &battery_source, root, NULL);
    for (int t = 0; t < 5; t++)
        harness_sample(&r, t);
    bat(&r, "BAT0", &b);
    CHECK_STR(b.method, "none", "no method gives a value");
    CHECK(!b.has_power && !b.has_energy_now, "no power and no energy left, never a zero");
    CHECK(b.has_capacity && b.capacity_pct == 80.0, "the capacity still reads");
    CHECK(source_errors_of(&battery_source, r.state) == 2, "power_now and energy_now counted once each in five "
          "samples (%llu)", (unsigned long long)source_errors_of(&battery_source, r.state));
    CHECK(strstr(reason(&r, NULL), "no power: power_now is unknown to the firmware (ENODEV); "
                 "energy_now is unknown to the firmware (ENODEV)") != NULL, "the reason says so (\"%s\")",
          reason(&r, NULL));
    CHECK(!candidate(&r, NULL), "not offered");
    supply(root, "BAT0", "power_now", "15000000");
    harness_sample(&r, 5.0);
    bat(&r, "BAT0", &b);
    CHECK(b.has_power && b.power_w == 15.0 && strcmp(b.method, "power_now") == 0,
          "the firmware knows the rate again: 15 W from power_now");
    CHECK(source_errors_of(&battery_source, r.state) == 2, "nothing more counted");
    harness_close(&r);
    fake_remove(root);
}

/* upower (src/up-device-battery.c, up_device_battery_report) takes a rate
 * under 0.01 W as a failed reading and uses the energy (or charge) rate. */
static void
zero_while_discharging_is_no_reading(void)
{
    char *root = fake_root("bat-zero");
    struct harness r;
    struct battery_info b;
    double e;

    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "power_now", "15000000");
    harness_open(&r, &battery_source, root, NULL);
    for (int t = 0; t <= 3; t++) {
        supply(root, "BAT0", "energy_now", "%lld", 50000000LL - 5000LL * t);   /* 18 W */
        harness_sample(&r, t);
    }
    bat(&r, "BAT0", &b);
    CHECK(b.power_w == 15.0 && strcmp(b.method, "power_now") == 0, "15 W from power_now");
    supply(root, "BAT0", "power_now", "0");
    supply(root, "BAT0", "energy_now", "%lld", 50000000LL - 5000LL * 4);
    harness_sample(&r, 4.0);
    bat(&r, "BAT0", &b);
    CHECK_STR(b.method, "energy_now rate", "power_now 0 W while Discharging: the energy_now rate");
    CHECK(b.has_power, "at once: the rate was followed all along");
    CHECK_NEAR(b.power_w, 18.0, 1e-9, "18 W, not 0 W");
    CHECK(candidate(&r, &e), "offered");
    CHECK_NEAR(e, 3 * 15.0 + (15.0 + 18.0) / 2, 1e-9, "the counter: 3 s at 15 W, then (15 + 18) / 2");
    harness_sample(&r, 5.0);
    CHECK(fake_log_count("BAT0: power_now reads 0 W while Discharging, which is firmware that does "
                         "not measure the rate") == 1, "logged once");

    /* nothing to take a rate from: no power, and no 0 W host */
    unsupply(root, "BAT0", "energy_now");
    harness_sample(&r, 6.0);
    bat(&r, "BAT0", &b);
    CHECK(!b.has_power, "without energy_now: no power rather than 0 W");
    CHECK_STR(b.method, "none", "method none");
    CHECK(strstr(reason(&r, NULL), "BAT0: no power: power_now reads 0 W while Discharging") != NULL,
          "the reason says why (\"%s\")", reason(&r, NULL));
    CHECK(!candidate(&r, NULL), "a 0 W battery is never offered as power.system");
    CHECK(source_errors_of(&battery_source, r.state) == 0, "no data error: the file reads cleanly");
    harness_close(&r);
    fake_remove(root);

    /* current_now * voltage_now at 0 A while Discharging: the charge_now rate */
    root = fake_root("bat-zero-charge");
    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "current_now", "0");
    supply(root, "BAT0", "voltage_now", "12000000");
    supply(root, "BAT0", "charge_now", "3000000");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 0.0);
    bat(&r, "BAT0", &b);
    CHECK(!b.has_power && !candidate(&r, NULL), "0 A while Discharging: no power, not offered");
    charge_falls(root, &r);
    bat(&r, "BAT0", &b);
    CHECK_STR(b.method, "charge_now rate*voltage_now", "then the charge_now rate");
    CHECK_NEAR(b.power_w, 21.6, 1e-9, "21.6 W");
    harness_close(&r);
    fake_remove(root);
}

/* upower counts a USB supply as line power (src/linux/up-device-supply.c,
 * up_device_supply_guess_type): a USB-C charger shows as type USB with
 * usb_type and online (drivers/usb/typec/ucsi/psy.c), and online is 1 or 2
 * (fixed or programmable voltage, sysfs-class-power) while it feeds the host. */
static void
usb_c_charger_is_external_power(void)
{
    char *root = fake_root("bat-usbc");
    struct harness r;
    struct battery_info b;
    const char *ucsi = "ucsi-source-psy-USBC000:001";

    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "power_now", "12000000");
    supply(root, ucsi, "type", "USB");
    supply(root, ucsi, "usb_type", "C [PD] PD_PPS");
    supply(root, ucsi, "scope", "System");
    supply(root, ucsi, "online", "0");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 0.0);
    CHECK(bat(&r, "BAT0", &b) && b.discharging && candidate(&r, NULL), "charger offline: on battery, offered");
    supply(root, ucsi, "online", "1");
    harness_sample(&r, 1.0);
    CHECK(!candidate(&r, NULL), "a USB-PD charger online: not on battery alone");
    CHECK(strstr(reason(&r, NULL), "on AC power (USB supply ucsi-source-psy-USBC000:001 online)") != NULL,
          "the reason names the charger (\"%s\")", reason(&r, NULL));
    /* no status from the firmware: the charger decides the direction */
    supply(root, "BAT0", "status", "Unknown");
    harness_sample(&r, 2.0);
    bat(&r, "BAT0", &b);
    CHECK(!b.discharging && b.power_w == 0.0, "Unknown status behind a USB-C charger: not discharging");
    supply(root, ucsi, "online", "2");
    harness_sample(&r, 3.0);
    CHECK(!candidate(&r, NULL), "online 2 (programmable, PPS) is online too");
    supply(root, ucsi, "online", "0");
    supply(root, "BAT0", "status", "Discharging");
    supply(root, "wacom_battery_ac", "type", "USB");
    supply(root, "wacom_battery_ac", "online", "1");
    harness_sample(&r, 4.0);
    CHECK(candidate(&r, NULL), "a wacom_ USB supply without usb_type is a tablet's (upower): offered");
    harness_close(&r);
    fake_remove(root);
}

/* upower discards rates over 300 W (up_device_battery_report: "Discard
 * weird measurements (like a 300W power usage)"). */
static void
implausible_rates_are_rejected(void)
{
    char *root = fake_root("bat-300");
    struct harness r;
    struct battery_info b;

    battery_dir(root, "BAT0", "Discharging");
    supply(root, "BAT0", "power_now", "15000000");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 0.0);
    supply(root, "BAT0", "power_now", "350000000");
    harness_sample(&r, 1.0);
    bat(&r, "BAT0", &b);
    CHECK(!b.has_power, "350 W: no value");
    CHECK(source_errors_of(&battery_source, r.state) == 1, "counted (%llu)", (unsigned long long)source_errors_of(&battery_source, r.state));
    CHECK(strstr(reason(&r, NULL), "BAT0: power_now gives 350.0 W, more than a battery can (over 300 W)") != NULL,
          "the reason says why (\"%s\")", reason(&r, NULL));
    CHECK(!candidate(&r, NULL), "not offered");
    harness_sample(&r, 2.0);
    CHECK(source_errors_of(&battery_source, r.state) == 2, "each rejected reading counts");
    CHECK(fake_log_count("BAT0: power_now gives 350.0 W, more than a battery can deliver") == 1,
          "logged once");
    supply(root, "BAT0", "power_now", "15000000");
    harness_sample(&r, 3.0);
    bat(&r, "BAT0", &b);
    CHECK(b.has_power && b.power_w == 15.0, "15 W again");
    CHECK_NEAR(b.energy_j, 45.0, 1e-9, "the rejected readings are bridged like a failed read: 3 s at 15 W");
    harness_close(&r);
    fake_remove(root);

    /* a gauge recalibrating: energy_now drops 2 Wh at once */
    root = fake_root("bat-300-rate");
    battery_dir(root, "BAT0", "Discharging");
    harness_open(&r, &battery_source, root, NULL);
    for (int t = 0; t <= 3; t++) {
        supply(root, "BAT0", "energy_now", "%lld", 50000000LL - 5000LL * t);
        harness_sample(&r, t);
    }
    bat(&r, "BAT0", &b);
    CHECK_NEAR(b.power_w, 18.0, 1e-9, "18 W from the energy_now rate");
    supply(root, "BAT0", "energy_now", "%lld", 50000000LL - 5000LL * 4 - 2000000LL);
    harness_sample(&r, 4.0);
    bat(&r, "BAT0", &b);
    CHECK(!b.has_power, "a 2 Wh step is no discharge rate (about 1.8 kW): no value");
    CHECK(source_errors_of(&battery_source, r.state) == 1, "counted");
    harness_close(&r);
    fake_remove(root);
}

static void
instance_ids(void)
{
    char *root = fake_root("bat-ids");
    struct harness r;
    struct battery_info a, b;
    int mac = battery_instance_id("macsmc-battery");

    CHECK(battery_instance_id("BAT0") == 0 && battery_instance_id("BAT1") == 1 &&
          battery_instance_id("BAT12") == 12, "BATn is n");
    CHECK(battery_instance_id("BAT01") >= 1000 && battery_instance_id("BAT") >= 1000 &&
          battery_instance_id("BAT1000") >= 1000, "BAT01, BAT and BAT1000 are hashed");
    CHECK(mac >= 1000 && mac < 1001000 && mac == battery_instance_id("macsmc-battery"),
          "other names hash to 1000..1000999 the same way every time (%d)", mac);
    battery_dir(root, "BAT01", "Discharging");
    battery_dir(root, "BAT1", "Discharging");
    harness_open(&r, &battery_source, root, NULL);
    harness_sample(&r, 0.0);
    CHECK(bat(&r, "BAT1", &a) && bat(&r, "BAT01", &b) && a.inst == 1 && b.inst != a.inst,
          "BAT1 and BAT01 get different ids (%d, %d)", a.inst, b.inst);
    harness_close(&r);
    fake_remove(root);
}

static const char *
fixture_open(struct harness *r, const char *name)
{
    const char *root = fake_fixture(name);

    if (!root) {
        printf("not ok - fixture %s is missing (set POWER_FIXTURES)\n", name);
        check_failures++;
        return NULL;
    }
    harness_open(r, &battery_source, root, NULL);
    harness_sample(r, 1.0);
    harness_sample(r, 2.0);
    return root;
}

static void
fixture_close(struct harness *r, const char *root)
{
    char top[1024];

    harness_close(r);
    snprintf(top, sizeof(top), "%s", root);
    fake_remove(dirname(top));
}

static void
fixtures(void)
{
    struct harness r;
    struct battery_info b, b1;
    const char *root;
    double e;

    if ((root = fixture_open(&r, "Thinkpad_L480_bat_busy")) != NULL) {
        CHECK(battery_count(r.state) == 1 && bat(&r, "BAT0", &b), "L480: BAT0");
        CHECK_STR(b.status, "Unknown", "L480: no status file is Unknown");
        CHECK(b.discharging, "L480: Unknown, power_now > 0 and no AC supply: discharging");
        CHECK_NEAR(b.power_w, 26.439, 1e-12, "L480: 26.439 W");
        CHECK_NEAR(b.energy_now_j, 34.71 * 3600, 1e-12, "L480: 34.71 Wh left");
        CHECK_NEAR(b.capacity_pct, 96, 1e-12, "L480: 96 %");
        CHECK(candidate(&r, &e), "L480: battery candidate offered");
        CHECK_NEAR(e, 26.439, 1e-12, "L480: 1 s at 26.439 W");
        CHECK(source_errors_of(&battery_source, r.state) == 0, "L480: trailing NULs are not errors");
        fixture_close(&r, root);
    }
    if ((root = fixture_open(&r, "Thinkpad_T460s_2_batteries")) != NULL) {
        CHECK(battery_count(r.state) == 2 && bat(&r, "BAT0", &b) && bat(&r, "BAT1", &b1),
              "T460s: BAT0 and BAT1");
        CHECK(b.inst == 0 && b1.inst == 1, "T460s: instances 0 and 1");
        CHECK_NEAR(b.power_w, 1.576, 1e-12, "T460s: BAT0 1.576 W");
        CHECK(b.discharging && !b1.discharging && b1.power_w == 0.0, "T460s: BAT1 idle at 0 W");
        CHECK_NEAR(b.capacity_pct, 23, 1e-12, "T460s: BAT0 23 %");
        CHECK_NEAR(b1.energy_now_j, 15.87 * 3600, 1e-12, "T460s: BAT1 15.87 Wh left");
        CHECK(candidate(&r, NULL), "T460s: one discharging, one idle: offered");
        fixture_close(&r, root);
    }
    if ((root = fixture_open(&r, "apple_silicon_macbook")) != NULL) {
        CHECK(battery_count(r.state) == 1 && bat(&r, "macsmc-battery", &b), "M1: macsmc-battery");
        CHECK(b.inst == battery_instance_id("macsmc-battery"), "M1: hashed instance id %d", b.inst);
        CHECK(b.discharging, "M1: power_now -4077000 is a discharge");
        CHECK_NEAR(b.power_w, 4.077, 1e-12, "M1: 4.077 W");
        CHECK(!b.has_energy_now, "M1: charge_now without voltage_now: no energy left is guessed");
        CHECK(!b.has_capacity, "M1: no capacity file, no charge_full: no capacity");
        CHECK(candidate(&r, NULL), "M1: offered");
        fixture_close(&r, root);
    }
}

int
main(void)
{
    discharging_with_power_now();
    removed_while_sampled();
    energy_now_rate();
    rate_window();
    charge_times_voltage();
    charge_without_voltage();
    current_times_voltage_and_signs();
    bad_input_is_counted();
    what_counts_as_a_battery();
    enodev_is_unknown_not_bad();
    zero_while_discharging_is_no_reading();
    usb_c_charger_is_external_power();
    implausible_rates_are_rejected();
    instance_ids();
    fixtures();
    return CHECK_DONE();
}
