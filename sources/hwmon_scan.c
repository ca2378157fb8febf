#include "hwmon_scan.h"
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum hwmon_class
hwmon_classify(const char *name)
{
    if (!strcmp(name, "amdgpu") || !strcmp(name, "i915") || !strncmp(name, "i915_gt", 7) ||
        !strcmp(name, "xe") || !strcmp(name, "nouveau"))
        return HWMON_CLASS_GPU;
    if (!strcmp(name, "amd_energy") || !strcmp(name, "zenergy"))
        return HWMON_CLASS_CPU_ENERGY;
    if (!strcmp(name, "power_meter"))
        return HWMON_CLASS_PLATFORM_METER;
    return HWMON_CLASS_OTHER;
}

const char *
hwmon_class_name(enum hwmon_class hwmon_class)
{
    switch (hwmon_class) {
    case HWMON_CLASS_GPU:            return "gpu";
    case HWMON_CLASS_CPU_ENERGY:     return "cpu-energy";
    case HWMON_CLASS_PLATFORM_METER: return "platform-meter";
    case HWMON_CLASS_OTHER:          return "other";
    }
    return "?";
}

const char *
hwmon_sensor_kind_name(enum hwmon_sensor_kind kind)
{
    switch (kind) {
    case HWMON_ENERGY:        return "energy";
    case HWMON_POWER_AVERAGE: return "power-average";
    case HWMON_POWER_INPUT:   return "power-input";
    }
    return "?";
}

int
hwmon_read_sensor(const struct hwmon_sensor *sensor, uint64_t *value)
{
    return sysfs_read_u64(sensor->path, value);
}

/* The kernel name at the end of a link's target: "../../../0000:03:00.0". */
static void
link_basename(const char *path, char *out, size_t size)
{
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    const char *base;

    out[0] = '\0';
    if (n <= 0 || size == 0)
        return;
    target[n] = '\0';
    while (n > 1 && target[n - 1] == '/')
        target[--n] = '\0';
    base = strrchr(target, '/');
    base = base ? base + 1 : target;
    n = (ssize_t)strlen(base);
    if ((size_t)n >= size)
        n = (ssize_t)size - 1;
    memcpy(out, base, (size_t)n);
    out[n] = '\0';
}

/* NAME followed by a channel number and SUFFIX, and nothing else. */
static bool
numbered(const char *file, const char *name, const char *suffix, unsigned *channel)
{
    size_t len = strlen(name);
    char *end;
    unsigned long n;

    if (strncmp(file, name, len) != 0 || !isdigit((unsigned char)file[len]))
        return false;
    n = strtoul(file + len, &end, 10);
    if (n > UINT_MAX || strcmp(end, suffix) != 0)
        return false;
    *channel = (unsigned)n;
    return true;
}

/* energyN_input, powerN_average, powerN_input: exactly these names. */
static bool
sensor_file(const char *file, enum hwmon_sensor_kind *kind, unsigned *channel)
{
    if (numbered(file, "energy", "_input", channel))
        *kind = HWMON_ENERGY;
    else if (numbered(file, "power", "_average", channel))
        *kind = HWMON_POWER_AVERAGE;
    else if (numbered(file, "power", "_input", channel))
        *kind = HWMON_POWER_INPUT;
    else
        return false;
    return true;
}

static int
compare_sensors(const void *a, const void *b)
{
    const struct hwmon_sensor *x = a, *y = b;

    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->channel < y->channel ? -1 : x->channel > y->channel;
}

static int
compare_devices(const void *a, const void *b)
{
    const struct hwmon_device *x = a, *y = b;

    return x->number < y->number ? -1 : x->number > y->number;
}

static int
add_sensor(struct hwmon_device *dev, size_t *capacity, const char *dir, const char *file,
           enum hwmon_sensor_kind kind, unsigned channel)
{
    static const char *const prefix[] = { "energy", "power", "power" };
    struct hwmon_sensor *s;
    char path[600];

    if (dev->nsensors == *capacity) {
        size_t grown = *capacity ? *capacity * 2 : 8;
        void *p = realloc(dev->sensor, grown * sizeof(*dev->sensor));

        if (!p)
            return -ENOMEM;
        dev->sensor = p;
        *capacity = grown;
    }
    s = &dev->sensor[dev->nsensors];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->channel = channel;
    if (path_join(s->path, sizeof(s->path), "%s/%s", dir, file) < 0)
        return 0;   /* a path this long is no sysfs file: leave it out */
    if (path_join(path, sizeof(path), "%s/%s%u_label", dir, prefix[kind], channel) == 0 &&
        sysfs_read_text(path, s->label, sizeof(s->label)) < 0)
        s->label[0] = '\0';
    if (kind == HWMON_POWER_AVERAGE &&
        path_join(path, sizeof(path), "%s/power%u_average_interval", dir, channel) == 0 &&
        sysfs_read_u64(path, &s->average_interval_ms) < 0)
        s->average_interval_ms = 0;
    dev->nsensors++;
    return 0;
}

static int
scan_sensors(struct hwmon_device *dev, const char *dir)
{
    size_t capacity = 0;
    struct dirent *de;
    DIR *d = opendir(dir);
    int sts = 0;

    if (!d)
        return -errno;
    while (sts == 0 && (de = readdir(d))) {
        enum hwmon_sensor_kind kind;
        unsigned channel;

        if (sensor_file(de->d_name, &kind, &channel))
            sts = add_sensor(dev, &capacity, dir, de->d_name, kind, channel);
    }
    closedir(d);
    if (dev->nsensors > 1)
        qsort(dev->sensor, dev->nsensors, sizeof(*dev->sensor), compare_sensors);
    return sts;
}

/* One hwmonN: 1 when it has a name and a power or energy sensor, 0 when not,
 * -ENOMEM. */
static int
scan_device(const char *class_dir, const char *entry, unsigned number, struct hwmon_device *dev)
{
    char hwmon_dir[512], attr_dir[600], path[700];
    int sts;

    memset(dev, 0, sizeof(*dev));
    dev->number = number;
    if (path_join(hwmon_dir, sizeof(hwmon_dir), "%s/%s", class_dir, entry) < 0)
        return 0;
    snprintf(attr_dir, sizeof(attr_dir), "%s", hwmon_dir);
    if (path_join(path, sizeof(path), "%s/name", hwmon_dir) < 0)
        return 0;
    if (sysfs_read_text(path, dev->name, sizeof(dev->name)) < 0) {
        /* drivers still on hwmon_device_register() keep name and sensors on the device */
        if (path_join(attr_dir, sizeof(attr_dir), "%s/device", hwmon_dir) < 0 ||
            path_join(path, sizeof(path), "%s/name", attr_dir) < 0 ||
            sysfs_read_text(path, dev->name, sizeof(dev->name)) < 0)
            return 0;
        dev->attributes_in_device = true;
    }
    if (path_join(path, sizeof(path), "%s/device", hwmon_dir) == 0)
        link_basename(path, dev->device, sizeof(dev->device));
    if (path_join(path, sizeof(path), "%s/device/subsystem", hwmon_dir) == 0)
        link_basename(path, dev->bus, sizeof(dev->bus));
    dev->hwmon_class = hwmon_classify(dev->name);
    dev->part_of_device = !strncmp(dev->name, "i915_gt", 7);
    if (!strcmp(dev->name, "amdgpu") && path_join(path, sizeof(path), "%s/in1_label", attr_dir) == 0) {
        char label[16];

        dev->integrated = sysfs_read_text(path, label, sizeof(label)) == 0 && !strcmp(label, "vddnb");
    }
    if ((sts = scan_sensors(dev, attr_dir)) < 0) {
        free(dev->sensor);
        dev->sensor = NULL;
        dev->nsensors = 0;
        return sts == -ENOMEM ? sts : 0;
    }
    if (dev->nsensors == 0) {
        free(dev->sensor);
        dev->sensor = NULL;
    }
    return dev->nsensors > 0;
}

int
hwmon_scan(const char *root, struct hwmon_scan *scan)
{
    char class_dir[512];
    size_t capacity = 0;
    struct dirent *de;
    DIR *d;
    int sts = 0;

    hwmon_scan_free(scan);
    if (path_join(class_dir, sizeof(class_dir), "%s/sys/class/hwmon", root ? root : "") < 0)
        return -ENAMETOOLONG;
    if (!(d = opendir(class_dir)))
        return -errno;
    while ((de = readdir(d))) {
        unsigned number;
        int found;

        if (!numbered(de->d_name, "hwmon", "", &number))
            continue;
        if (scan->count == capacity) {
            size_t grown = capacity ? capacity * 2 : 8;
            void *p = realloc(scan->device, grown * sizeof(*scan->device));

            if (!p) {
                sts = -ENOMEM;
                break;
            }
            scan->device = p;
            capacity = grown;
        }
        if ((found = scan_device(class_dir, de->d_name, number, &scan->device[scan->count])) < 0) {
            sts = found;
            break;
        }
        if (found)
            scan->count++;
    }
    closedir(d);
    if (sts < 0) {
        hwmon_scan_free(scan);
        return sts;
    }
    if (scan->count > 1)
        qsort(scan->device, scan->count, sizeof(*scan->device), compare_devices);
    return 0;
}

void
hwmon_scan_free(struct hwmon_scan *scan)
{
    for (size_t i = 0; i < scan->count; i++)
        free(scan->device[i].sensor);
    free(scan->device);
    scan->device = NULL;
    scan->count = 0;
}
