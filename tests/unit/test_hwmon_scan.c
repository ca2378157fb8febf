/* hwmon discovery (sources/hwmon_scan.c) over trees laid out by
 * tests/fixtures/hwmon/build-tree.sh from real and documented layouts. */
#include "check.h"
#include "fakesys.h"
#include "hwmon_scan.h"
#include "hwmontree.h"

#include <inttypes.h>

static const struct hwmon_device *
device_numbered(const struct hwmon_scan *scan, unsigned number)
{
    for (size_t i = 0; i < scan->count; i++)
        if (scan->device[i].number == number)
            return &scan->device[i];
    return NULL;
}

/* The sensor's reading, or UINT64_MAX when it cannot be read. */
static uint64_t
reading(const struct hwmon_sensor *s)
{
    uint64_t v;

    return hwmon_read_sensor(s, &v) == 0 ? v : UINT64_MAX;
}

static void
check_one(const struct hwmon_device *d, const char *what, const char *name, const char *device,
          enum hwmon_class cls, size_t nsensors)
{
    if (!d) {
        CHECK(0, "%s found", what);
        return;
    }
    CHECK(!strcmp(d->name, name) && !strcmp(d->device, device) && d->hwmon_class == cls && d->nsensors == nsensors,
          "%s: %s on %s, %s, %zu sensors (want %s on %s, %s, %zu)", what, d->name, d->device,
          hwmon_class_name(d->hwmon_class), d->nsensors, name, device, hwmon_class_name(cls), nsensors);
}

static void
test_desktop(void)
{
    const char *root = hwmon_tree("desktop");
    struct hwmon_scan scan = { 0 };
    const struct hwmon_device *d;
    unsigned order[16];
    int sts = hwmon_scan(root, &scan);

    CHECK(sts == 0, "desktop scanned (%d)", sts);
    CHECK(scan.count == 8, "eight devices with power or energy; coretemp's temperatures alone are not (%zu)",
          scan.count);
    for (size_t i = 0; i < scan.count && i < 16; i++)
        order[i] = scan.device[i].number;
    CHECK(scan.count == 8 && order[0] == 1 && order[6] == 7 && order[7] == 10,
          "devices by hwmon number, hwmon10 last");

    d = device_numbered(&scan, 1);
    check_one(d, "RX 580", "amdgpu", "0000:09:00.0", HWMON_CLASS_GPU, 1);
    if (d && d->nsensors == 1) {
        CHECK(d->sensor[0].kind == HWMON_POWER_AVERAGE && d->sensor[0].channel == 1,
              "RX 580: power1_average (%s %u)", hwmon_sensor_kind_name(d->sensor[0].kind), d->sensor[0].channel);
        CHECK_STR(d->sensor[0].label, "PPT", "RX 580: power1_label");
        CHECK(reading(&d->sensor[0]) == 41045000, "RX 580: 41045000 uW read (%" PRIu64 ")", reading(&d->sensor[0]));
        CHECK(d->sensor[0].average_interval_ms == 0, "RX 580: no averaging interval file");
        CHECK_STR(d->bus, "pci", "RX 580: on the PCI bus");
    }
    d = device_numbered(&scan, 2);
    check_one(d, "RX 6900 XT, NUL-padded attributes", "amdgpu", "0000:0c:00.0", HWMON_CLASS_GPU, 1);
    if (d && d->nsensors == 1)
        CHECK(reading(&d->sensor[0]) == 36000000 && !strcmp(d->sensor[0].label, "PPT"),
              "RX 6900 XT: 36000000 uW, PPT, through the trailing NULs (%" PRIu64 ")", reading(&d->sensor[0]));
    d = device_numbered(&scan, 3);
    check_one(d, "APU", "amdgpu", "0000:c4:00.0", HWMON_CLASS_GPU, 1);
    if (d && d->nsensors == 1)
        CHECK(d->sensor[0].kind == HWMON_POWER_INPUT && reading(&d->sensor[0]) == 15000000,
              "APU: power1_input, 15000000 uW");
    if (d)
        CHECK(d->integrated, "APU: integrated (in1 is vddnb): its power includes the CPU's");
    d = device_numbered(&scan, 1);
    if (d)
        CHECK(!d->integrated, "RX 580: a discrete GPU (no vddnb)");

    d = device_numbered(&scan, 4);
    check_one(d, "i915 device level", "i915", "0000:03:00.0", HWMON_CLASS_GPU, 1);
    if (d && d->nsensors == 1) {
        CHECK(d->sensor[0].kind == HWMON_ENERGY && reading(&d->sensor[0]) == 123456789012ULL &&
              d->sensor[0].label[0] == '\0', "i915: energy1_input, no label, 123456789012 uJ");
        CHECK(!d->part_of_device, "i915: the whole device");
    }
    d = device_numbered(&scan, 5);
    check_one(d, "i915 GT level", "i915_gt0", "0000:03:00.0", HWMON_CLASS_GPU, 1);
    if (d)
        CHECK(d->part_of_device, "i915_gt0: a part of the device's energy, not to be added to it");

    d = device_numbered(&scan, 6);
    check_one(d, "xe", "xe", "0000:04:00.0", HWMON_CLASS_GPU, 2);
    if (d && d->nsensors == 2) {
        CHECK(d->sensor[0].channel == 1 && !strcmp(d->sensor[0].label, "card") &&
              reading(&d->sensor[0]) == 5000000000ULL, "xe: energy1 card 5000000000 uJ");
        CHECK(d->sensor[1].channel == 2 && !strcmp(d->sensor[1].label, "pkg") &&
              reading(&d->sensor[1]) == 4000000000ULL, "xe: energy2 pkg 4000000000 uJ");
    }

    d = device_numbered(&scan, 7);
    check_one(d, "zenergy", "zenergy", "zenergy.0", HWMON_CLASS_CPU_ENERGY, 5);
    if (d && d->nsensors == 5) {
        CHECK_STR(d->sensor[0].label, "Ecore000", "zenergy: energy1 is core 0");
        CHECK(reading(&d->sensor[3]) == 4000000 && !strcmp(d->sensor[3].label, "Ecore003"),
              "zenergy: energy4 is core 3, 4000000 uJ");
        CHECK(d->sensor[4].channel == 5 && !strcmp(d->sensor[4].label, "Esocket0") &&
              reading(&d->sensor[4]) == 90000000, "zenergy: energy5 is socket 0 after the cores, 90000000 uJ");
        CHECK_STR(d->bus, "platform", "zenergy: a platform device");
    }
    d = device_numbered(&scan, 10);
    check_one(d, "nouveau", "nouveau", "0000:05:00.0", HWMON_CLASS_GPU, 1);

    hwmon_scan_free(&scan);
    CHECK(scan.count == 0 && scan.device == NULL, "scan freed");
    fake_remove(root);
}

static void
test_server(void)
{
    const char *root = hwmon_tree("server");
    struct hwmon_scan scan = { 0 };
    const struct hwmon_device *d;
    char path[1024];
    uint64_t v;
    int sts = hwmon_scan(root, &scan);

    CHECK(sts == 0 && scan.count == 2, "server: the power meter and amd_energy; k10temp has no power (%d, %zu)",
          sts, scan.count);
    d = device_numbered(&scan, 0);
    check_one(d, "ACPI power meter, old layout", "power_meter", "ACPI000D:00", HWMON_CLASS_PLATFORM_METER, 1);
    if (d && d->nsensors == 1) {
        CHECK(d->attributes_in_device, "power meter: its attributes found on the ACPI device");
        CHECK(d->sensor[0].kind == HWMON_POWER_AVERAGE && reading(&d->sensor[0]) == 245000000 &&
              d->sensor[0].average_interval_ms == 1000,
              "power meter: power1_average 245000000 uW over 1000 ms (%" PRIu64 ", %" PRIu64 ")",
              reading(&d->sensor[0]), d->sensor[0].average_interval_ms);
        CHECK_STR(d->bus, "acpi", "power meter: on the ACPI bus");
    }
    d = device_numbered(&scan, 1);
    check_one(d, "amd_energy", "amd_energy", "amd_energy.0", HWMON_CLASS_CPU_ENERGY, 6);
    if (d && d->nsensors == 6)
        CHECK(d->sensor[5].channel == 6 && !strcmp(d->sensor[5].label, "Esocket1") &&
              reading(&d->sensor[5]) == 310000000, "amd_energy: energy6 is socket 1, 310000000 uJ");

    /* the file goes away under the scan's paths: a read error, never a value */
    snprintf(path, sizeof(path), "%s/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00/power1_average", root);
    unlink(path);
    d = device_numbered(&scan, 0);
    if (d && d->nsensors == 1)
        CHECK(hwmon_read_sensor(&d->sensor[0], &v) == -ENOENT, "a vanished attribute reads as -ENOENT");
    hwmon_scan_free(&scan);
    fake_remove(root);
}

static void
test_server_new_layout_and_absent(void)
{
    const char *root = hwmon_tree("server-new");
    struct hwmon_scan scan = { 0 };
    const struct hwmon_device *d;
    int sts = hwmon_scan(root, &scan);

    d = scan.count == 1 ? &scan.device[0] : NULL;
    check_one(d, "ACPI power meter, hwmon layout", "power_meter", "ACPI000D:00", HWMON_CLASS_PLATFORM_METER, 1);
    if (d && d->nsensors == 1)
        CHECK(!d->attributes_in_device && reading(&d->sensor[0]) == 312000000 &&
              d->sensor[0].average_interval_ms == 5000, "power meter in hwmonN: 312000000 uW over 5000 ms");
    CHECK(sts == 0, "server-new scanned");
    hwmon_scan_free(&scan);
    fake_remove(root);

    root = fake_root("hwmon");
    sts = hwmon_scan(root, &scan);
    CHECK(sts == -ENOENT && scan.count == 0, "no /sys/class/hwmon: -ENOENT, nothing listed (%d)", sts);
    fake_remove(root);
}

int
main(void)
{
    CHECK(hwmon_classify("i915_gt1") == HWMON_CLASS_GPU && hwmon_classify("amdgpu") == HWMON_CLASS_GPU &&
          hwmon_classify("power_meter") == HWMON_CLASS_PLATFORM_METER &&
          hwmon_classify("amd_energy") == HWMON_CLASS_CPU_ENERGY && hwmon_classify("nct6775") == HWMON_CLASS_OTHER,
          "drivers classified by their hwmon name");
    test_desktop();
    test_server();
    test_server_new_layout_and_absent();
    return CHECK_DONE();
}
