/* power.hwmon's source (sources/hwmon.c) over the trees of
 * tests/fixtures/hwmon/build-tree.sh, on sample times the test chooses. */
#include "check.h"
#include "config.h"
#include "fakesys.h"
#include "hwmon.h"
#include "hwmontree.h"

static void
tick(void *state, double t)
{
    struct sample_time now = { t, 0, NULL };

    hwmon_source.sample(state, &now);
}

/* The sensor named name, or false. */
static bool
find(void *state, const char *name, struct hwmon_info *h)
{
    for (size_t i = 0; i < hwmon_count(state); i++)
        if (hwmon_get(state, i, h) && !strcmp(h->name, name))
            return true;
    return false;
}

static void
test_server(void)
{
    const char *root = hwmon_tree("server");
    struct power_config *cfg = config_parse("", "test.conf", fake_record);
    struct source_env env = { root, cfg, fake_record };
    void *st = hwmon_source.open(&env);
    struct hwmon_info h;
    const char *why;
    double e;
    char path[600];

    why = hwmon_source.status(st)->reason;
    CHECK(hwmon_source.status(st)->state == SOURCE_ACTIVE, "server: active (%s)", why);
    CHECK(hwmon_count(st) == 7, "one meter, four cores, two sockets (%zu)", hwmon_count(st));
    CHECK(find(st, "power_meter-ACPI000D:00/power1", &h) && !strcmp(h.hwmon_class, "platform-meter") &&
          !strcmp(h.kind, "power-average"), "the ACPI meter, its files on the ACPI device, is power_meter-ACPI000D:00/power1");
    CHECK(!hwmon_source.system_energy(st, 0, &e), "no candidate reading before a sample");
    tick(st, 100.0);
    tick(st, 102.0);
    CHECK(hwmon_source.system_energy(st, 0, &e), "the meter offers hwmon:power_meter");
    CHECK_NEAR(e, 490, 1e-12, "245 W over 2 s: 490 J");
    CHECK(!hwmon_source.system_energy(st, 1, &e), "and no other candidate");

    /* Esocket0: 300000000 uJ, then 303000000 (3 J in 1 s), then back to 1000 */
    snprintf(path, sizeof(path), "sys/devices/platform/amd_energy.0/hwmon/hwmon1/energy5_input");
    fake_write(root, path, "303000000\n");
    tick(st, 103.0);
    CHECK(find(st, "amd_energy-amd_energy.0/Esocket0", &h) && fabs(h.energy_j - 3) < 1e-12 && h.has_power &&
          fabs(h.power_w - 3) < 1e-12, "Esocket0: 3 J, 3 W (%g J, %g W)", h.energy_j, h.power_w);
    fake_write(root, path, "1000\n");
    tick(st, 104.0);
    CHECK(find(st, "amd_energy-amd_energy.0/Esocket0", &h) && h.resets == 1 && fabs(h.energy_j - 3) < 1e-12 &&
          !h.has_power, "back to 1000 uJ: a reset, nothing added, no power for the interval");

    /* the meter's file half-written: no value, counted, logged once */
    fake_write(root, "sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00/power1_average", "24");
    fake_write(root, "sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00/power1_average", "n/a\n");
    tick(st, 105.0);
    tick(st, 106.0);
    CHECK(find(st, "power_meter-ACPI000D:00/power1", &h) && !h.has_power && !h.live, "garbage: no power value");
    CHECK(!hwmon_source.system_energy(st, 0, &e), "and no candidate reading");
    CHECK(hwmon_source.status(st)->errors >= 3, "the reset and the bad reads are counted (%llu)",
          (unsigned long long)hwmon_source.status(st)->errors);
    CHECK(fake_log_count("cannot read") == 1, "the bad file is logged once (%d)", fake_log_count("cannot read"));
    hwmon_source.close(st);
    config_free(cfg);
    fake_remove(root);
}

static void
test_desktop_leaves_gpus_to_power_gpu(void)
{
    const char *root = hwmon_tree("desktop");
    struct power_config *cfg = config_parse("", "test.conf", fake_record);
    struct source_env env = { root, cfg, fake_record };
    void *st = hwmon_source.open(&env);
    struct hwmon_info h;

    /* zenergy's four cores and one socket, and i915_gt0 (a part of its GPU) */
    CHECK(hwmon_count(st) == 6, "desktop: zenergy's five sensors and i915_gt0 (%zu)", hwmon_count(st));
    CHECK(find(st, "i915_gt0-0000:03:00.0/energy1", &h) && !strcmp(h.hwmon_class, "gpu"),
          "i915_gt0 is listed here, as a part");
    CHECK(!find(st, "amdgpu-0000:09:00.0/PPT", &h), "amdgpu is power.gpu's, not here");
    hwmon_source.close(st);
    config_free(cfg);
    fake_remove(root);
}

int
main(void)
{
    test_server();
    test_desktop_leaves_gpus_to_power_gpu();
    return CHECK_DONE();
}
