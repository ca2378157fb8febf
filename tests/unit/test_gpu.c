/* power.gpu's source (sources/gpu.c, nvml_reader.c) against the stand-in
 * NVML (tests/helpers/fake_nvml.c) and hwmon trees laid out by
 * tests/fixtures/hwmon/build-tree.sh. The reader thread answers a round
 * per sample, so each check waits (bounded) for the figure it expects:
 * with the fake's scripted clock the figures are exact. */
#include "check.h"
#include "config.h"
#include "fakesys.h"
#include "gpu.h"
#include "nvmlfake.h"
#include "hwmontree.h"
#include "clock.h"

#include <time.h>

struct rig {
    struct power_config *cfg;
    void *state;
};

static void
open_rig(struct rig *r, const char *lib, const char *state, const char *root, const char *extra)
{
    char text[2048];
    struct source_env env = { root ? root : "/nonexistent", NULL, fake_record };

    if (state)
        write_state(state);
    snprintf(text, sizeof(text), "[nvidia]\nlibrary = %s/%s\n[gpu]\nhwmon = %s\n%s", lib_dir, lib,
             root ? "yes" : "no", extra ? extra : "");
    r->cfg = config_parse(text, "test.conf", fake_record);
    env.config = r->cfg;
    r->state = gpu_source.open(&env);
}

static void
close_rig(struct rig *r)
{
    gpu_source.close(r->state);
    config_free(r->cfg);
}

static void
tick(struct rig *r)
{
    struct sample_time t = { monotonic_seconds(), 0, NULL };

    gpu_source.sample(r->state, &t);
}

/* The GPU named name, after sampling until want() holds for it (20 s at most). */
static bool
wait_gpu(struct rig *r, const char *name, bool (*want)(const struct gpu_info *, double), double arg,
         struct gpu_info *g)
{
    for (int i = 0; i < 2000; i++) {
        struct timespec pause = { 0, 10 * 1000 * 1000 };

        tick(r);
        for (size_t k = 0; k < gpu_count(r->state); k++)
            if (gpu_get(r->state, k, g) && !strcmp(g->name, name) && want(g, arg))
                return true;
        nanosleep(&pause, NULL);
    }
    return false;
}

static bool any(const struct gpu_info *g, double x) { (void)g; (void)x; return true; }
static bool energy_is(const struct gpu_info *g, double j) { return g->has_energy && fabs(g->energy_j - j) < 1e-9; }
static bool energy_above(const struct gpu_info *g, double j) { return g->has_energy && g->energy_j > j; }
static bool has_power(const struct gpu_info *g, double w) { return g->has_power && fabs(g->power_w - w) < 1e-9; }
static bool not_live(const struct gpu_info *g, double x) { (void)x; return !g->live; }
static bool resets_are(const struct gpu_info *g, double n) { return (double)g->resets == n; }

static void
test_no_library(void)
{
    struct rig r;
    const char *why = "";
    enum source_state s = SOURCE_ACTIVE;

    open_rig(&r, "libnvidia-ml-none.so.1", NULL, NULL, NULL);
    for (int i = 0; i < 2000 && (s = gpu_source.status(r.state)->state) == SOURCE_ABSENT &&
                    strstr(gpu_source.status(r.state)->reason, "waiting"); i++) {
        struct timespec pause = { 0, 10 * 1000 * 1000 };

        tick(&r);
        nanosleep(&pause, NULL);
    }
    why = gpu_source.status(r.state)->reason;
    CHECK(s == SOURCE_ABSENT && strstr(why, "cannot load") && strstr(why, "[nvidia] library"),
          "no NVML library: the source is absent and says why (%s: %s)", source_state_name(s), why);
    CHECK(gpu_count(r.state) == 0, "and has no GPU");
    close_rig(&r);
}

static const char two_gpus[] =
    "clock seconds=100\n"
    "gpu name=\"NVIDIA A100-SXM4-40GB\" uuid=GPU-aaaa pci=00000000:07:00.0 power_mw=60000 limit_mw=400000 energy_mj=5000000\n"
    "gpu name=\"Tesla P100\" uuid=GPU-bbbb pci=00000000:3B:00.0 power_mw=30000 limit_mw=250000 unsupported=energy\n";

static void
test_counter_and_integral(void)
{
    struct rig r;
    struct gpu_info g;

    open_rig(&r, "libnvidia-ml.so.1", two_gpus, NULL, NULL);
    CHECK(wait_gpu(&r, "nvidia0", energy_is, 0.0, &g), "nvidia0 appears, its counter primed at 0 J");
    CHECK_STR(g.model, "NVIDIA A100-SXM4-40GB", "nvidia0: NVML's name");
    CHECK_STR(g.uuid, "GPU-aaaa", "nvidia0: its UUID");
    CHECK_STR(g.pci_bus_id, "00000000:07:00.0", "nvidia0: its PCI bus id");
    CHECK(g.id == gpu_instance_id("GPU-aaaa"), "nvidia0: id from its UUID");
    CHECK(g.has_limit && fabs(g.limit_w - 400) < 1e-9, "nvidia0: enforced limit 400 W (%g)", g.limit_w);
    CHECK(g.has_power && fabs(g.power_w - 60) < 1e-9, "nvidia0: power 60 W (%g)", g.power_w);
    CHECK(gpu_source.status(r.state)->state == SOURCE_ACTIVE, "the source is active");

    /* ten seconds of the fake's clock at 60 W: the counter says 600 J */
    write_state("clock seconds=110\n"
                "gpu name=\"NVIDIA A100-SXM4-40GB\" uuid=GPU-aaaa pci=00000000:07:00.0 power_mw=90000 limit_mw=400000\n"
                "gpu name=\"Tesla P100\" uuid=GPU-bbbb pci=00000000:3B:00.0 power_mw=30000 limit_mw=250000 unsupported=energy\n");
    CHECK(wait_gpu(&r, "nvidia0", energy_is, 600.0, &g), "nvidia0: 600 J from NVML's counter over 10 s at 60 W (%g)",
          g.energy_j);
    CHECK_STR(g.energy_method, "counter", "nvidia0: energy from the counter");
    CHECK(wait_gpu(&r, "nvidia1", energy_above, 0.0, &g), "nvidia1 (no counter): energy from its power (%g J)",
          g.energy_j);
    CHECK_STR(g.energy_method, "power integral", "nvidia1: energy_method says power integral");
    CHECK(g.has_power && fabs(g.power_w - 30) < 1e-9, "nvidia1: power 30 W");
    close_rig(&r);
}

static void
test_old_driver(void)
{
    struct rig r;
    struct gpu_info g;

    open_rig(&r, "libnvidia-ml-old.so.1", two_gpus, NULL, NULL);
    CHECK(wait_gpu(&r, "nvidia0", energy_above, 0.0, &g),
          "a driver without nvmlDeviceGetTotalEnergyConsumption: energy from power (%g J)", g.energy_j);
    CHECK_STR(g.energy_method, "power integral", "old driver: energy_method power integral");
    CHECK(g.has_power && g.has_limit, "old driver: power and limit still there");
    CHECK(fake_log_count("not supported") == 0, "a function the driver lacks is not logged as a failure");
    close_rig(&r);
}

static void
test_reset_lost_stall(void)
{
    struct rig r;
    struct gpu_info g;
    uint64_t errors;

    open_rig(&r, "libnvidia-ml.so.1", two_gpus, NULL, NULL);
    CHECK(wait_gpu(&r, "nvidia0", energy_is, 0.0, &g), "the counter primed");
    write_state("clock seconds=110\n"
                "gpu name=A uuid=GPU-aaaa pci=00000000:07:00.0 power_mw=60000\n"
                "gpu name=B uuid=GPU-bbbb pci=00000000:3B:00.0 power_mw=30000 unsupported=energy\n");
    CHECK(wait_gpu(&r, "nvidia0", energy_is, 600.0, &g), "600 J before the driver reload");
    errors = gpu_source.status(r.state)->errors;

    /* the driver reloads: its counter starts again from 1000 mJ */
    write_state("clock seconds=111\n"
                "gpu name=A uuid=GPU-aaaa pci=00000000:07:00.0 power_mw=60000 energy_mj=1000 reloaded=1\n"
                "gpu name=B uuid=GPU-bbbb pci=00000000:3B:00.0 power_mw=30000 unsupported=energy\n");
    CHECK(wait_gpu(&r, "nvidia0", resets_are, 1, &g), "a counter that went back is one reset (%llu)",
          (unsigned long long)g.resets);
    CHECK(fabs(g.energy_j - 600) < 1e-9, "and adds nothing: still 600 J (%g)", g.energy_j);
    CHECK(gpu_source.status(r.state)->errors > errors, "and is counted in power.source.errors");
    write_state("clock seconds=121\n"
                "gpu name=A uuid=GPU-aaaa pci=00000000:07:00.0 power_mw=60000\n"
                "gpu name=B uuid=GPU-bbbb pci=00000000:3B:00.0 power_mw=30000 unsupported=energy\n");
    CHECK(wait_gpu(&r, "nvidia0", energy_is, 1200.0, &g), "then counts on from the new base: 1200 J (%g)",
          g.energy_j);

    /* nvidia1 falls off the bus */
    write_state("clock seconds=121\n"
                "gpu name=A uuid=GPU-aaaa pci=00000000:07:00.0 power_mw=60000\n"
                "gpu name=B uuid=GPU-bbbb pci=00000000:3B:00.0 power_mw=30000 unsupported=energy lost=1\n");
    CHECK(wait_gpu(&r, "nvidia1", not_live, 0, &g) && !g.has_power, "a lost GPU has no power value");
    CHECK(fake_log_count("GPU is lost") == 1, "its loss is logged once (%d)", fake_log_count("GPU is lost"));
    CHECK(wait_gpu(&r, "nvidia0", has_power, 60, &g), "the other GPU still answers");

    /* the driver hangs: sample() returns at once, the figures wait */
    write_state("clock seconds=121\n"
                "gpu name=A uuid=GPU-aaaa pci=00000000:07:00.0 power_mw=60000 stall=1\n");
    for (int i = 0; i < 5; i++) {
        double t0 = monotonic_seconds();

        tick(&r);
        CHECK(monotonic_seconds() - t0 < 0.5, "sample %d returns while NVML stalls (%.3f s)", i, monotonic_seconds() - t0);
        nanosleep(&(struct timespec){ 0, 30 * 1000 * 1000 }, NULL);
    }
    write_state("clock seconds=121\n"
                "gpu name=A uuid=GPU-aaaa pci=00000000:07:00.0 power_mw=75000\n");
    CHECK(wait_gpu(&r, "nvidia0", has_power, 75, &g), "after the stall the new power arrives (%g W)", g.power_w);
    close_rig(&r);
}

/* switched off, its other keys are still known ones */
static void
test_disabled(void)
{
    struct rig r;
    const char *why = "";

    open_rig(&r, "libnvidia-ml.so.1", NULL, NULL, "[gpu]\nenabled = no\n");
    why = gpu_source.status(r.state)->reason;
    CHECK(gpu_source.status(r.state)->state == SOURCE_DISABLED && strstr(why, "enabled = no"),
          "[gpu] enabled = no: disabled (%s)", why);
    CHECK(config_report_unused(r.cfg) == 0, "and [nvidia] library, [gpu] hwmon are not reported as unknown");
    close_rig(&r);
}

/* ids follow the UUID: the same GPUs in another order keep their ids */
static void
test_ids_follow_uuid(void)
{
    struct rig r;
    struct gpu_info g;

    open_rig(&r, "libnvidia-ml.so.1",
             "gpu name=B uuid=GPU-bbbb pci=00000000:3B:00.0 power_mw=30000\n"
             "gpu name=A uuid=GPU-aaaa pci=00000000:07:00.0 power_mw=60000\n", NULL, NULL);
    CHECK(wait_gpu(&r, "nvidia0", any, 0, &g) && !strcmp(g.uuid, "GPU-bbbb") && g.id == gpu_instance_id("GPU-bbbb"),
          "reordered: nvidia0 is now GPU-bbbb, with GPU-bbbb's id (%d)", g.id);
    CHECK(gpu_instance_id("GPU-aaaa") != gpu_instance_id("GPU-bbbb") && gpu_instance_id("GPU-aaaa") >= 0,
          "two UUIDs, two non-negative ids");
    close_rig(&r);

    /* two UUIDs whose 31-bit FNV-1a hashes collide (found by search): distinct ids all the same */
    CHECK(gpu_instance_id("GPU-0004903e") == gpu_instance_id("GPU-000742f0"), "the two UUIDs' hashes collide");
    open_rig(&r, "libnvidia-ml.so.1",
             "gpu name=C uuid=GPU-0004903e pci=00000000:0A:00.0 power_mw=1000\n"
             "gpu name=D uuid=GPU-000742f0 pci=00000000:0B:00.0 power_mw=1000\n", NULL, NULL);
    {
        struct gpu_info d;

        CHECK(wait_gpu(&r, "nvidia1", any, 0, &d) && wait_gpu(&r, "nvidia0", any, 0, &g) && g.id != d.id &&
              g.id == gpu_instance_id("GPU-0004903e"), "colliding hashes: the second GPU takes the next id (%d, %d)",
              g.id, d.id);
    }
    close_rig(&r);
}

static void
test_hwmon_gpus(void)
{
    const char *root = hwmon_tree("desktop");
    struct rig r;
    struct gpu_info g;
    double energy, power;
    char path[600];

    open_rig(&r, "libnvidia-ml-none.so.1", NULL, root, "[nvidia]\nenabled = no\n");
    tick(&r);
    CHECK(gpu_count(r.state) == 6, "desktop: six GPUs (three amdgpu, i915, xe, nouveau; i915_gt0 is a part) (%zu)",
          gpu_count(r.state));
    CHECK(wait_gpu(&r, "amdgpu-0000:09:00.0", has_power, 41.045, &g), "RX 580: 41.045 W from power1_average");
    CHECK(!g.integrated && !strcmp(g.via, "hwmon") && !strcmp(g.driver, "amdgpu"), "RX 580: discrete, via hwmon");
    CHECK(wait_gpu(&r, "amdgpu-0000:c4:00.0", has_power, 15, &g) && g.integrated, "the APU: 15 W, integrated");
    CHECK(wait_gpu(&r, "xe-0000:04:00.0", any, 0, &g) && !strcmp(g.energy_method, "counter"),
          "xe: energy from its card counter");
    CHECK(wait_gpu(&r, "i915-0000:03:00.0", any, 0, &g) && !strcmp(g.energy_method, "counter"),
          "i915: energy from the device-level counter");
    snprintf(path, sizeof(path), "sys/devices/pci0000:00/0000:00:1c.0/0000:04:00.0/hwmon/hwmon6/energy1_input");
    fake_write(root, path, "5002000000\n");
    CHECK(wait_gpu(&r, "xe-0000:04:00.0", energy_is, 2.0, &g), "xe: 2 J more on its counter (%g)", g.energy_j);
    fake_write(root, path, "1000\n");
    CHECK(wait_gpu(&r, "xe-0000:04:00.0", resets_are, 1, &g) && fabs(g.energy_j - 2.0) < 1e-9,
          "xe: a counter that went back is a reset, never a negative step (%g J)", g.energy_j);
    CHECK(!g.has_power, "xe: and the interval of the reset has no power value, not 0 W");
    CHECK(gpu_total(r.state, &energy, &power), "a total of the discrete GPUs");
    close_rig(&r);
    fake_remove(root);
}

int
main(void)
{
    char *root = nvml_fake_setup("gpu-nvml");

    if (!root)
        return CHECK_DONE();
    test_no_library();
    test_counter_and_integral();
    test_old_driver();
    test_reset_lost_stall();
    test_ids_follow_uuid();
    test_disabled();
    test_hwmon_gpus();
    fake_remove(root);
    return CHECK_DONE();
}
