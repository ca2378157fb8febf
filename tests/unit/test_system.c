/* power.system: priority, counter continuity across source changes, active/idle split (agent/system.c). */
#include "check.h"
#include "system.h"

/* what the sources would offer: system.c lists no names of its own */
static const struct system_candidate offered[] = {
    { "meter", true }, { "battery", true }, { "rapl:psys", true },
    { "rapl:package+dram", false }, { "powermetrics", false }, { "model", false },
    { "hwmon:power_meter", true },
};
static const struct system_candidate *const known[] = {
    &offered[0], &offered[1], &offered[2], &offered[3], &offered[4], &offered[5], &offered[6],
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

static struct cpu_totals
cpu(uint64_t busy, uint64_t idle)
{
    struct cpu_totals t = { 0 };

    t.user = busy;
    t.idle = idle;
    t.ncpu = 1;
    return t;
}

static void
priority_and_continuity(void)
{
    struct system_state s;
    /* candidates: meter, rapl:psys, model */
    struct candidate_reading r[3];
    struct cpu_totals c;
    char unknown[32];

    CHECK(system_init(&s, "meter, rapl:psys,model", known, NKNOWN, unknown, sizeof(unknown)) == 3 &&
          !unknown[0], "three candidates");
    CHECK(s.known[1] == 2 && s.candidates[1] == &offered[2] && s.candidates[1]->whole_host,
          "each kept name points at the candidate offered, and where it is in the known list");
    c = cpu(0, 0);
    r[0] = (struct candidate_reading){ true, 1000 };
    r[1] = (struct candidate_reading){ true, 50 };
    r[2] = (struct candidate_reading){ true, 7 };
    system_update(&s, 0, r, &c);
    CHECK_STR(system_source_name(&s), "meter", "the meter is named from the first sample");
    CHECK(!s.have_power, "no power before an interval");

    c = cpu(250, 750);   /* 25% busy */
    r[0].energy_j = 1100;
    r[1].energy_j = 130;
    r[2].energy_j = 27;
    system_update(&s, 1.0, r, &c);
    CHECK_NEAR(s.energy_j, 100, 1e-12, "meter delta counted: 100 J");
    CHECK_NEAR(s.power_w, 100, 1e-12, "100 W");
    CHECK_NEAR(s.active_j, 25, 1e-12, "active = 25% of 100 J");
    CHECK_NEAR(s.idle_j, 75, 1e-12, "idle = the rest");

    /* the meter goes away: psys takes over without a jump */
    r[0].valid = false;
    r[1].energy_j = 190;
    r[2].energy_j = 47;
    c = cpu(500, 1500);
    system_update(&s, 1.0, r, &c);
    CHECK_STR(system_source_name(&s), "rapl:psys", "falls through to psys");
    CHECK_NEAR(s.energy_j, 160, 1e-12, "counter continues with psys's delta (60 J)");

    /* the meter returns: one interval to re-prime, then it is chosen again */
    r[0] = (struct candidate_reading){ true, 5000 };
    r[1].energy_j = 250;
    system_update(&s, 1.0, r, &c);
    CHECK_STR(system_source_name(&s), "rapl:psys", "a returning meter needs both ends valid");
    CHECK_NEAR(s.energy_j, 220, 1e-12, "psys's 60 J again, not the meter's jump");
    r[0].energy_j = 5040;
    r[1].energy_j = 300;
    system_update(&s, 2.0, r, &c);
    CHECK_STR(system_source_name(&s), "meter", "the meter is back on top");
    CHECK_NEAR(s.energy_j, 260, 1e-12, "its 40 J counted");
    CHECK_NEAR(s.power_w, 20, 1e-12, "over 2 s: 20 W");
    CHECK(s.utilization == 0, "no CPU time passed: utilisation 0");
    CHECK_NEAR(s.active_j + s.idle_j, s.energy_j, 1e-12, "active + idle = energy");
}

static void
nothing_valid(void)
{
    struct system_state s;
    struct candidate_reading r[1] = { { false, 0 } };

    system_init(&s, "model", known, NKNOWN, NULL, 0);
    system_update(&s, 0, r, NULL);
    system_update(&s, 1, r, NULL);
    CHECK_STR(system_source_name(&s), "none", "no source: 'none', not a zero");
    CHECK(!s.have_power && !s.power_fresh, "and no power");

    /* a source that delivers, drops out, and restarts */
    r[0] = (struct candidate_reading){ true, 100 };
    system_update(&s, 1, r, NULL);
    r[0].energy_j = 110;
    system_update(&s, 1, r, NULL);
    CHECK(s.power_fresh && s.power_w == 10, "10 W while it delivers");
    r[0].valid = false;
    system_update(&s, 1, r, NULL);
    r[0] = (struct candidate_reading){ true, 5 };
    system_update(&s, 1, r, NULL);
    CHECK(!s.power_fresh, "no stale 10 W for the interval nobody covered");
    CHECK_NEAR(s.energy_j, 10, 1e-12, "and the counter did not jump");
}

static void
bad_priority(void)
{
    struct system_state s;
    char unknown[32];

    CHECK(system_init(&s, "rapl:psys, smoke-signals, model", known, NKNOWN, unknown, sizeof(unknown)) == 2,
          "known names kept");
    CHECK_STR(unknown, "smoke-signals", "the unknown name is returned for the error message");
    CHECK(system_init(&s, "meter, model", known + 2, NKNOWN - 2, unknown, sizeof(unknown)) == 1 &&
          strcmp(unknown, "meter") == 0, "a name no opened source offers is unknown too");
}

/* [attribution] idle = baseline: power.system's own split (the ledger's is
 * the same function, attribution/idle.h), and the unexplained shortfall. */
static void
baseline_split(void)
{
    struct system_state s;
    struct candidate_reading r[1] = { { true, 0 } };
    struct cpu_totals c = cpu(0, 0);

    system_init(&s, "meter", known, NKNOWN, NULL, 0);
    system_update(&s, 0, r, &c);
    s.idle_basis = IDLE_BASELINE;
    s.idle_w = 100;
    r[0].energy_j = 150;
    c = cpu(50, 50);       /* 50% busy */
    system_update(&s, 1.0, r, &c);
    CHECK_NEAR(s.active_j, 50, 1e-12, "baseline 100 W: 150 J in 1 s is 50 J active");
    CHECK_NEAR(s.idle_j, 100, 1e-12, "baseline 100 W: 100 J idle");
    CHECK_NEAR(s.active_power_w, 50, 1e-12, "active power 50 W");
    r[0].energy_j = 330;
    c = cpu(60, 240);
    system_update(&s, 2.0, r, &c);
    CHECK_NEAR(s.active_j, 50, 1e-12, "180 J in 2 s under a 100 W baseline: no more active energy");
    CHECK_NEAR(s.unexplained_j, 20, 1e-12, "and 20 J unexplained");
    CHECK_NEAR(s.active_j + s.idle_j, s.energy_j, 1e-12, "active + idle = energy");
    CHECK(fabs(s.busy_s - 60e-9) < 1e-18 && fabs(s.cpu_s - 300e-9) < 1e-18,
          "busy and all CPU time add up, in seconds (%g, %g)", s.busy_s, s.cpu_s);
    s.idle_basis = IDLE_UTILISATION;
    r[0].energy_j = 430;
    c = cpu(85, 315);      /* 25 of 100 busy */
    system_update(&s, 1.0, r, &c);
    CHECK_NEAR(s.active_j, 75, 1e-12, "utilisation again: 25%% of 100 J");
}

/* GPUs' energy joins a candidate that excludes them, and the name says so;
 * the part shared by GPU use is split from the CPU-time part */
static void
gpus_added(void)
{
    struct system_state s;
    struct candidate_reading r[2];
    struct cpu_totals c = cpu(0, 0);
    char unknown[32];

    CHECK(system_init(&s, "hwmon:power_meter, rapl:package+dram", known, NKNOWN, unknown, sizeof(unknown)) == 2 &&
          !unknown[0],
          "hwmon:power_meter is a candidate");
    s.add_gpu = true;
    r[0] = (struct candidate_reading){ false, 0 };
    r[1] = (struct candidate_reading){ true, 100 };
    system_update(&s, 0, r, &c);
    r[1].energy_j = 150;
    s.gpu = (struct system_gpu){ true, 300, 0, 0 };
    system_update(&s, 1.0, r, &c);
    CHECK_NEAR(s.energy_j, 350, 1e-12, "package+dram's 50 J and the GPUs' 300 J");
    CHECK_NEAR(s.power_w, 350, 1e-12, "350 W");
    CHECK_STR(system_source_name(&s), "rapl:package+dram+gpu", "the source's name says the GPUs are in");
    CHECK_NEAR(s.active_j + s.idle_j, s.energy_j, 1e-12, "active + idle = energy with the GPUs in");

    /* no GPU reading: RAPL alone, named alone */
    r[1].energy_j = 200;
    s.gpu.valid = false;
    system_update(&s, 1.0, r, &c);
    CHECK_NEAR(s.energy_j, 400, 1e-12, "no GPU reading: RAPL's 50 J alone");
    CHECK_STR(system_source_name(&s), "rapl:package+dram", "and named alone");

    /* the platform meter includes the GPUs: nothing added; the NVML GPUs'
     * 60 J (40 J busy) of its 100 J go by GPU use, the rest by CPU time */
    r[0] = (struct candidate_reading){ true, 10 };
    r[1].energy_j = 250;
    s.gpu = (struct system_gpu){ true, 80, 60, 40 };
    system_update(&s, 1.0, r, &c);
    r[0].energy_j = 110;
    r[1].energy_j = 300;
    c = cpu(0, 0);
    system_update(&s, 1.0, r, &c);
    CHECK_STR(system_source_name(&s), "hwmon:power_meter", "the ACPI power meter is chosen over RAPL");
    CHECK_NEAR(s.power_w, 100, 1e-12, "its 100 W, the GPUs' not added again");
    CHECK_NEAR(s.interval_gpu_j, 60, 1e-12, "60 J of it shared by GPU use");
    CHECK_NEAR(s.gpu_scale, 1, 1e-12, "unscaled");

    /* with CPU time: 25% busy; the CPU part is 40 J */
    {
        struct cpu_totals c0 = cpu(100, 300), c1 = cpu(200, 600);

        system_update(&s, 1.0, r, &c0);
        r[0].energy_j = 210;
        system_update(&s, 1.0, r, &c1);
        CHECK_NEAR(s.interval_active_j, 40 * 0.25 + 40, 1e-12, "active = 25% of the CPU part + the GPUs' busy 40 J");
        CHECK_NEAR(s.active_j + s.idle_j, s.energy_j, 1e-12, "active + idle = energy");
    }
    /* a meter interval smaller than the GPUs' shared energy: capped, scaled */
    s.gpu = (struct system_gpu){ true, 80, 60, 40 };
    r[0].energy_j = 240;
    system_update(&s, 1.0, r, &c);
    CHECK_NEAR(s.interval_gpu_j, 30, 1e-12, "never more than the interval's 30 J");
    CHECK_NEAR(s.gpu_scale, 0.5, 1e-12, "processes' GPU shares scaled by 30/60");

    /* add_gpu off: never added, and RAPL's figure holds no GPU to split off */
    s.add_gpu = false;
    r[0].valid = false;
    system_update(&s, 1.0, r, &c);
    r[1].energy_j = 350;
    system_update(&s, 1.0, r, &c);
    CHECK_STR(system_source_name(&s), "rapl:package+dram", "[system] add_gpu = no: RAPL alone");
    CHECK_NEAR(s.power_w, 50, 1e-12, "50 W");
    CHECK(s.interval_gpu_j == 0, "and no GPU part split from RAPL's figure");
}

int
main(void)
{
    priority_and_continuity();
    nothing_valid();
    bad_priority();
    baseline_split();
    gpus_added();
    return CHECK_DONE();
}
