/* power.system.wall_ratio: the wall meter's energy over RAPL's over a rolling window (agent/wallratio.c). */
#include "check.h"
#include "config.h"
#include "system.h"
#include "wallratio.h"

static const struct system_candidate offered[] = {
    { "meter", true }, { "rapl:psys", true }, { "rapl:package+dram", false },
};
static const struct system_candidate *const known[] = { &offered[0], &offered[1], &offered[2] };

static void
quiet(int level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

/* One interval of dt seconds ending at t: the candidates' counters as
 * system_update leaves them in s->previous. */
static void
step(struct wall_ratio *w, struct system_state *s, double t, double dt, double meter_j, double psys_j,
     double pkg_j, bool meter_ok, bool psys_ok)
{
    s->previous[0] = (struct candidate_reading){ meter_ok, meter_j };
    s->previous[1] = (struct candidate_reading){ psys_ok, psys_j };
    s->previous[2] = (struct candidate_reading){ true, pkg_j };
    wall_ratio_update(w, s, t, dt);
}

/* No wall meter, an ACPI power meter (the BMC's, at the power supply's
 * input): it is the wall side, and a meter that comes later starts afresh. */
static void
platform_meter(struct power_config *cfg)
{
    static const struct system_candidate offered4[] = {
        { "meter", true }, { "hwmon:power_meter", true }, { "rapl:psys", true },
    };
    static const struct system_candidate *const known4[] = { &offered4[0], &offered4[1], &offered4[2] };
    struct system_state s;
    struct wall_ratio w;
    double t = 10, acpi = 0, psys = 0;

    system_init(&s, "meter, hwmon:power_meter, rapl:psys", known4, 3, NULL, 0);
    wall_ratio_configure(&w, cfg);
    for (int i = 0; i < 12; i++) {
        s.previous[0] = (struct candidate_reading){ false, 0 };
        s.previous[1] = (struct candidate_reading){ true, acpi };
        s.previous[2] = (struct candidate_reading){ true, psys };
        wall_ratio_update(&w, &s, t, i ? 0.25 : 0);
        t += 0.25, acpi += 30, psys += 25;     /* 120 W at the supply, 100 W on psys */
    }
    CHECK(w.known && strstr(w.basis, "hwmon:power_meter / rapl:psys"), "the ACPI power meter is the wall: %s",
          w.basis);
    CHECK_NEAR(w.ratio, 1.2, 1e-12, "120 W over 100 W");
    s.previous[0] = (struct candidate_reading){ true, 0 };
    wall_ratio_update(&w, &s, t, 0.25);
    CHECK(!w.known && strcmp(w.wall, "meter") == 0, "a wall meter that comes takes over, its window afresh: %s",
          w.basis);
}

int
main(void)
{
    struct power_config *cfg = config_parse("[system]\nwall_ratio_window = 10\n", "test", quiet);
    struct system_state s;
    struct wall_ratio w;
    char unknown[32];
    double t = 100, meter = 0, psys = 0, pkg = 0;

    CHECK(system_init(&s, "meter, rapl:psys, rapl:package+dram", known, 3, unknown, sizeof(unknown)) == 3, "three candidates");
    wall_ratio_configure(&w, cfg);
    CHECK(!w.known && strstr(w.basis, "no wall meter and RAPL"), "no value before any reading: %s", w.basis);

    /* 130 W at the wall, 100 W on psys, 80 W package+dram; 0.25 s intervals */
    step(&w, &s, t, 0, meter, psys, pkg, true, true);
    /* a meter's counter is read a logging interval behind: just after it
     * comes up it stands still while RAPL counts (sources/meter.h) */
    t += 0.25, psys += 25, pkg += 20;
    step(&w, &s, t, 0.25, meter, psys, pkg, true, true);
    /* the interval in which it starts to move is covered only in part */
    t += 0.25, meter += 10, psys += 25, pkg += 20;
    step(&w, &s, t, 0.25, meter, psys, pkg, true, true);
    for (int i = 0; i < 3; i++) {
        t += 0.25, meter += 32.5, psys += 25, pkg += 20;
        step(&w, &s, t, 0.25, meter, psys, pkg, true, true);
    }
    CHECK(!w.known && strstr(w.basis, "needed"), "no value before a tenth of the window (0.75 of 1 s): %s", w.basis);
    t += 0.25, meter += 32.5, psys += 25, pkg += 20;
    step(&w, &s, t, 0.25, meter, psys, pkg, true, true);
    CHECK(w.known, "a value once live together for a tenth of the window: %s", w.basis);
    CHECK_NEAR(w.ratio, 1.3, 1e-12, "130 W at the wall over 100 W of psys: 1.3, the meter's start-up left out");
    CHECK(strstr(w.basis, "meter / rapl:psys") != NULL, "the basis names psys: %s", w.basis);

    /* the load changes: the ratio is of energies over the window, not of a sample */
    for (int i = 0; i < 40; i++) {
        t += 0.25, meter += 50, psys += 40, pkg += 35;   /* 200 W over 160 W */
        step(&w, &s, t, 0.25, meter, psys, pkg, true, true);
    }
    CHECK_NEAR(w.ratio, 1.25, 0.02, "after a window of 200 W over 160 W, the old load has left it: 1.25");

    /* the meter drops out: no value, and a reason */
    t += 0.25, psys += 40, pkg += 35;
    step(&w, &s, t, 0.25, 0, psys, pkg, false, true);
    CHECK(!w.known && strstr(w.basis, "no meter reading"), "no value without the meter: %s", w.basis);

    /* psys goes: package+dram is another scale, its window starts afresh */
    t += 0.25, meter += 50, pkg += 35;
    step(&w, &s, t, 0.25, meter, 0, pkg, true, false);
    CHECK(!w.known, "package+dram's window has just started: %s", w.basis);
    for (int i = 0; i < 8; i++) {
        t += 0.25, meter += 50, pkg += 40;    /* 200 W over 160 W of package+dram */
        step(&w, &s, t, 0.25, meter, 0, pkg, true, false);
    }
    CHECK(w.known && strstr(w.basis, "meter / rapl:package+dram"), "then the ratio is over package+dram: %s", w.basis);
    CHECK_NEAR(w.ratio, 1.25, 1e-12, "200 W over 160 W, none of psys's window in it");

    /* a counter that goes back (a meter reset) is no interval: skipped, not negative */
    t += 0.25, meter -= 1000, pkg += 40;
    step(&w, &s, t, 0.25, meter, 0, pkg, true, false);
    CHECK(w.known && w.ratio > 1.2 && w.ratio < 1.3, "a meter counter going back adds nothing (%g)", w.ratio);

    /* RAPL counting nothing (a zone that stands still): no ratio, never a division by zero */
    wall_ratio_configure(&w, cfg);
    for (int i = 0; i < 10; i++) {
        t += 0.25, meter += 50;
        step(&w, &s, t, 0.25, meter, 0, pkg, true, false);
    }
    CHECK(!w.known && strstr(w.basis, "counted no energy"), "no value while RAPL counts nothing: %s", w.basis);

    platform_meter(cfg);

    config_free(cfg);
    return CHECK_DONE();
}
