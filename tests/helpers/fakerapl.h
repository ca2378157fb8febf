/*
 * fakerapl.h: the one way the tests fake RAPL: a powercap tree laid out as
 * a live kernel lays it out. Each control type (intel-rapl, ...) and each
 * zone is a device of class powercap (drivers/powercap/powercap_sys.c;
 * Documentation/ABI/testing/sysfs-class-powercap: /sys/class/powercap/
 * <control type>, and its zones "<control type>:N", subzones ":N:M");
 * devices of a class with no bus live under /sys/devices/virtual/powercap,
 * nested as the zones are, and /sys/class/powercap holds a symlink to each.
 *
 * The unit tests (tests/unit/test_rapl.c) include it; the integration
 * tests reach it through tests/helpers/fakerapl.c, which
 * tests/lib/common.sh's make_rapl_tree runs.
 */
#ifndef POWER_FAKERAPL_H
#define POWER_FAKERAPL_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAKERAPL_MAX_UJ 262143328850ULL   /* a live package zone's max_energy_range_uj */

/* mkdir -p of path's directory; false when one cannot be made. */
static __attribute__((unused)) bool
fakerapl_mkdirs(const char *path)
{
    char buf[4096];

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return false;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
            perror(buf);
            return false;
        }
        *p = '/';
    }
    return true;
}

/* ROOT/sys/devices/virtual/powercap/CTL/PATH/FILE = value, rewritten in
 * place (same inode, as sysfs: the agent keeps energy_uj open). */
static __attribute__((unused)) bool
fakerapl_set(const char *root, const char *ctl, const char *path, const char *file, const char *value)
{
    char full[4096];
    FILE *fp;
    bool ok;

    if (snprintf(full, sizeof(full), "%s/sys/devices/virtual/powercap/%s/%s/%s", root, ctl, path, file) >=
        (int)sizeof(full) || !fakerapl_mkdirs(full))
        return false;
    if ((fp = fopen(full, "r+")) == NULL && (fp = fopen(full, "w")) == NULL) {
        perror(full);
        return false;
    }
    ok = fputs(value, fp) >= 0 && fflush(fp) == 0 && ftruncate(fileno(fp), ftell(fp)) == 0;
    return fclose(fp) == 0 && ok;
}

static __attribute__((unused)) bool
fakerapl_set_uj(const char *root, const char *ctl, const char *path, unsigned long long uj)
{
    char text[32];

    snprintf(text, sizeof(text), "%llu\n", uj);
    return fakerapl_set(root, ctl, path, "energy_uj", text);
}

/* ROOT/sys/class/powercap/NAME -> ../../devices/virtual/powercap/TARGET */
static __attribute__((unused)) bool
fakerapl_link(const char *root, const char *name, const char *target)
{
    char link[4096], to[4096];

    snprintf(link, sizeof(link), "%s/sys/class/powercap/%s", root, name);
    snprintf(to, sizeof(to), "../../devices/virtual/powercap/%s", target);
    if (!fakerapl_mkdirs(link))
        return false;
    if (symlink(to, link) < 0 && errno != EEXIST) {
        perror(link);
        return false;
    }
    return true;
}

/* One zone: CTL/PATH (e.g. "intel-rapl", "intel-rapl:0/intel-rapl:0:1")
 * named name, at uj, with max_energy_range_uj max_uj (0: no such file),
 * and its symlink in class/powercap. */
static __attribute__((unused)) bool
fakerapl_zone(const char *root, const char *ctl, const char *path, const char *name,
              unsigned long long uj, unsigned long long max_uj)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char text[600], target[1024];
    bool ok;

    snprintf(text, sizeof(text), "%s\n", name);
    ok = fakerapl_set(root, ctl, path, "name", text) && fakerapl_set_uj(root, ctl, path, uj);
    if (ok && max_uj) {
        snprintf(text, sizeof(text), "%llu\n", max_uj);
        ok = fakerapl_set(root, ctl, path, "max_energy_range_uj", text);
    }
    snprintf(target, sizeof(target), "%s/%s", ctl, path);
    return ok && fakerapl_link(root, base, target);
}

/* The zones of fakerapl_machine(), in this order. */
enum { FAKERAPL_PACKAGE, FAKERAPL_CORE, FAKERAPL_DRAM, FAKERAPL_PSYS, FAKERAPL_NZONES };

static const struct {
    const char *path, *name;
} fakerapl_machine_zones[FAKERAPL_NZONES] = {
    [FAKERAPL_PACKAGE] = { "intel-rapl:0", "package-0" },
    [FAKERAPL_CORE] = { "intel-rapl:0/intel-rapl:0:0", "core" },
    [FAKERAPL_DRAM] = { "intel-rapl:0/intel-rapl:0:1", "dram" },
    [FAKERAPL_PSYS] = { "intel-rapl:1", "psys" },
};

/* A laptop's zones: package-0 with its core and dram subzones, and psys,
 * all under the intel-rapl control
 * type (linked in class/powercap too), each at uj[zone] with
 * max_energy_range_uj max_uj[zone] (0: none). */
static __attribute__((unused)) bool
fakerapl_machine(const char *root, const unsigned long long uj[FAKERAPL_NZONES],
                 const unsigned long long max_uj[FAKERAPL_NZONES])
{
    bool ok = fakerapl_link(root, "intel-rapl", "intel-rapl");

    for (int i = 0; i < FAKERAPL_NZONES && ok; i++)
        ok = fakerapl_zone(root, "intel-rapl", fakerapl_machine_zones[i].path, fakerapl_machine_zones[i].name,
                           uj[i], max_uj[i]);
    return ok;
}

#endif
