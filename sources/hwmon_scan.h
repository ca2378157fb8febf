/*
 * hwmon_scan.h: the power and energy sensors under ROOT/sys/class/hwmon.
 *
 * One pass over every hwmonN: its driver's name, the device it belongs to,
 * and each energyN_input (a cumulative microjoule counter), powerN_average
 * and powerN_input (microwatts), with powerN_label / energyN_label and
 * powerN_average_interval (milliseconds) where the driver has them. Units
 * and names follow the kernel's Documentation/hwmon/sysfs-interface.rst.
 * Nothing here reads a value more than once or knows PCP: the source that
 * uses it keeps the paths and reads them on its timer (hwmon_read_sensor).
 *
 * What the drivers put there (each driver's document):
 *   amdgpu   (Documentation/gpu/amdgpu/thermal.rst, from amdgpu_pm.c): power1_average,
 *            "average power used by the SoC", and on newer kernels power1_input,
 *            "instantaneous"; "On APUs this includes the CPU". Label "PPT".
 *   i915     (Documentation/ABI/testing/sysfs-driver-intel-i915-hwmon): discrete
 *            GPUs only; energy1_input of the whole device (name "i915") or of one
 *            GT (name "i915_gtN", a part of the device's figure).
 *   xe       (Documentation/ABI/testing/sysfs-driver-intel-xe-hwmon): discrete only;
 *            energy1_input "card" and energy2_input "pkg", labelled so.
 *   nouveau  power1_input where the board reports it.
 *   amd_energy (Documentation/hwmon/amd_energy.rst, Linux 5.8 to 5.12) and zenergy
 *            (BoukeHaarsma23/zenergy, its out-of-tree successor, zenergy.c): one
 *            energyN_input per core, labelled Ecore000, Ecore001, ..., then one per
 *            socket, Esocket0, ...; 32-bit RAPL MSRs accumulated by the driver.
 *   power_meter (Documentation/hwmon/acpi_power_meter.rst, driver acpi_power_meter):
 *            power1_average over power1_average_interval, the platform's power as
 *            the BMC's ACPI 4.0 meter reports it. Its attributes, name included,
 *            sit on the ACPI device (hwmonN/device/) until the driver's move to
 *            hwmon_device_register_with_info; the scan looks in both places, as
 *            lm-sensors does.
 */
#ifndef POWER_HWMON_SCAN_H
#define POWER_HWMON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hwmon_class {
    HWMON_CLASS_OTHER,          /* any other driver with power or energy sensors */
    HWMON_CLASS_GPU,            /* amdgpu, i915 (and i915_gtN), xe, nouveau */
    HWMON_CLASS_CPU_ENERGY,     /* amd_energy, zenergy */
    HWMON_CLASS_PLATFORM_METER  /* power_meter (acpi_power_meter) */
};

enum hwmon_sensor_kind {
    HWMON_ENERGY,               /* energyN_input, microjoules, cumulative */
    HWMON_POWER_AVERAGE,        /* powerN_average, microwatts */
    HWMON_POWER_INPUT           /* powerN_input, microwatts, instantaneous */
};

struct hwmon_sensor {
    enum hwmon_sensor_kind kind;
    unsigned channel;                   /* N of energyN_input / powerN_... */
    char     label[64];                 /* its _label, "" when none */
    uint64_t average_interval_ms;       /* powerN_average_interval; 0 when none */
    char     path[512];                 /* the file to read */
};

struct hwmon_device {
    unsigned number;                    /* N of hwmonN */
    char     name[64];                  /* the driver's name attribute: "amdgpu", "i915_gt0" */
    char     device[64];                /* the device's kernel name: "0000:03:00.0", "ACPI000D:00" */
    char     bus[16];                   /* its subsystem: "pci", "acpi", "platform"; "" unknown */
    enum hwmon_class hwmon_class;
    bool     part_of_device;            /* i915_gtN: already counted in its device's "i915" */
    bool     integrated;                /* amdgpu on an APU: in1 is "vddnb", which amdgpu_pm.c
                                         * shows "only [on] APUs"; its power includes the CPU's */
    bool     attributes_in_device;      /* old-style driver: files under hwmonN/device/ */
    struct hwmon_sensor *sensor;        /* energy first, then average, then input; by channel */
    size_t   nsensors;
};

struct hwmon_scan {
    struct hwmon_device *device;        /* by hwmon number; only devices with a sensor */
    size_t count;
};

/* Scans ROOT/sys/class/hwmon ("" for the live system) into scan, which the
 * caller zeroes once and frees with hwmon_scan_free. Returns 0, -ENOENT when
 * the class directory is absent, or another -errno. Devices whose name
 * cannot be read are skipped. */
int  hwmon_scan(const char *root, struct hwmon_scan *scan);
void hwmon_scan_free(struct hwmon_scan *scan);

enum hwmon_class hwmon_classify(const char *name);
const char *hwmon_class_name(enum hwmon_class hwmon_class);
const char *hwmon_sensor_kind_name(enum hwmon_sensor_kind kind);

/* One reading in the sensor's unit (uJ or uW). 0 or -errno; amd_energy and
 * acpi_power_meter fail a read (-ENODATA, -ENODEV) rather than give a value
 * they do not have. */
int hwmon_read_sensor(const struct hwmon_sensor *sensor, uint64_t *value);

#endif
