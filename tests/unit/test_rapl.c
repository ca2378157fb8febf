/* RAPL over fake and real powercap trees (sources/rapl.c). */
#include "check.h"
#include "config.h"
#include "fakesys.h"
#include "source_harness.h"
#include "rapl.h"
#include "../helpers/fakerapl.h"

#include <libgen.h>
#include <sys/wait.h>

static bool
zone_named(void *state, const char *name, struct rapl_zone_info *z)
{
    for (size_t i = 0; i < rapl_zone_count(state); i++)
        if (rapl_zone(state, i, z) && strcmp(z->name, name) == 0)
            return true;
    return false;
}

/* fakerapl.h's machine, package-0 at max_energy_range_uj max, with an MMIO
 * zone that reuses the name package-0 */
static void
make_live_tree(const char *root, uint64_t max)
{
    const unsigned long long uj[FAKERAPL_NZONES] = {
        [FAKERAPL_PACKAGE] = 1000000, [FAKERAPL_CORE] = 500000, [FAKERAPL_DRAM] = 200000, [FAKERAPL_PSYS] = 3000000,
    };
    const unsigned long long max_uj[FAKERAPL_NZONES] = { [FAKERAPL_PACKAGE] = max };

    CHECK(fakerapl_machine(root, uj, max_uj) &&
          fakerapl_link(root, "intel-rapl-mmio", "intel-rapl-mmio") &&
          fakerapl_zone(root, "intel-rapl-mmio", "intel-rapl-mmio:0", "package-0", 7, 0),
          "fake RAPL tree built under %s", root);
}

static void
live_layout_names_and_values(void)
{
    char *root = fake_root("rapl-live");
    struct harness r;
    struct rapl_zone_info z;
    double e;

    make_live_tree(root, 262143328850ULL);
    harness_open(&r, &rapl_source, root, NULL);
    CHECK(rapl_zone_count(r.state) == 5, "five zones, each once despite the symlinks (got %zu)",
          rapl_zone_count(r.state));
    CHECK(zone_named(r.state, "package-0", &z) && strcmp(z.sysfs_id, "intel-rapl:0") == 0, "package-0 named");
    CHECK(zone_named(r.state, "package-0/core", &z), "subzone named package-0/core");
    CHECK(zone_named(r.state, "package-0/dram", &z), "subzone named package-0/dram");
    CHECK(zone_named(r.state, "psys", &z), "psys named");
    CHECK(zone_named(r.state, "mmio:package-0", &z), "MMIO zone prefixed, no duplicate name");

    harness_sample(&r, 100.0);
    zone_named(r.state, "package-0", &z);
    CHECK_NEAR(z.energy_j, 1.0, 1e-12, "first sample: energy from energy_uj");
    CHECK(z.present && !z.has_power, "present, but no power before a full interval");
    CHECK_NEAR(z.max_range_j, 262143.32885, 1e-12, "max_energy_range in joules");

    fake_write(root, "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj", "%u\n", 1000000 + 25000000);
    fake_write(root, "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/intel-rapl:0:1/energy_uj", "%u\n", 200000 + 3000000);
    fake_write(root, "sys/devices/virtual/powercap/intel-rapl/intel-rapl:1/energy_uj", "%u\n", 3000000 + 40000000);
    harness_sample(&r, 101.0);
    zone_named(r.state, "package-0", &z);
    CHECK_NEAR(z.power_w, 25.0, 1e-9, "25 J in 1 s is 25 W");
    CHECK(source_energy(&rapl_source, r.state, "rapl:package+dram", &e), "package+dram candidate valid");
    CHECK_NEAR(e, 28.0, 1e-9, "package+dram counts package and dram deltas: 25 + 3 J");
    CHECK(source_energy(&rapl_source, r.state, "rapl:psys", &e), "psys candidate valid");
    CHECK_NEAR(e, 40.0, 1e-9, "psys counts 40 J");
    CHECK(!source_energy(&rapl_source, r.state, "model", &e), "rapl offers no model candidate");
    harness_close(&r);
    fake_remove(root);
}

static void
wraps_are_extended(void)
{
    char *root = fake_root("rapl-wrap");
    const char *pkg = "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj";
    struct harness r;
    struct rapl_zone_info z;
    uint64_t max = 100000000;   /* a 100 J range to wrap quickly */

    make_live_tree(root, max);
    harness_open(&r, &rapl_source, root, NULL);
    fake_write(root, pkg, "%llu\n", (unsigned long long)(max - 10000000));   /* 10 J short of the wrap */
    harness_sample(&r, 10.0);
    fake_write(root, pkg, "%u\n", 20000000);                                  /* 20 J after it */
    harness_sample(&r, 11.0);
    zone_named(r.state, "package-0", &z);
    CHECK(z.wraps == 1, "one wrap counted (got %llu)", (unsigned long long)z.wraps);
    CHECK_NEAR(z.power_w, 30.000001, 1e-9, "power across the wrap is 30 W, not negative");
    CHECK_NEAR(z.energy_j, (double)(max - 10000000) / 1e6 + 30.000001, 1e-12, "energy extended past the range");
    CHECK(strstr(fake_log, "too long to tell two wraps") == NULL, "no interval warning at 30 W");

    /* 90 W on a 100 J range wraps every 1.1 s: a 1 s interval is unsafe */
    fake_write(root, pkg, "%u\n", 20000000 + 90000000 - (unsigned)max);
    harness_sample(&r, 12.0);
    zone_named(r.state, "package-0", &z);
    CHECK(z.wraps == 2, "second wrap counted");
    CHECK(strstr(fake_log, "zone package-0 at 90.0 W wraps its counter every 1 s") != NULL,
          "warns that the interval is unsafe for the observed power");
    harness_close(&r);
    fake_remove(root);
}

static void
zones_come_and_go(void)
{
    char *root = fake_root("rapl-hotplug");
    const char *psys_dir = "sys/devices/virtual/powercap/intel-rapl/intel-rapl:1";
    char from[1024], to[1024];
    struct harness r;
    struct rapl_zone_info z;
    double before, after;
    uint64_t errors;

    make_live_tree(root, 262143328850ULL);
    harness_open(&r, &rapl_source, root, "[rapl]\nrescan = 1\n");
    harness_sample(&r, 1.0);
    harness_sample(&r, 2.0);
    errors = rapl_source.status(r.state)->errors;
    snprintf(from, sizeof(from), "%s/%s", root, psys_dir);
    snprintf(to, sizeof(to), "%s/%s.gone", root, psys_dir);
    if (rename(from, to) < 0)
        perror("rename");
    harness_sample(&r, 3.0);
    CHECK(zone_named(r.state, "psys", &z) && !z.present, "a vanished zone is absent, not zero");
    CHECK(rapl_source.status(r.state)->errors == errors + 1,
          "a zone the scan finds gone (before any read failed) is counted in power.source.errors");
    CHECK(!source_energy(&rapl_source, r.state, "rapl:psys", &before) || true, "psys candidate queried");
    CHECK(!source_energy(&rapl_source, r.state, "rapl:psys", &before), "psys candidate invalid while absent");
    /* it returns with a counter that moved while we could not see it */
    if (rename(to, from) < 0)
        perror("rename");
    fake_write(root, "sys/devices/virtual/powercap/intel-rapl/intel-rapl:1/energy_uj", "%u\n", 90000000);
    harness_sample(&r, 5.0);
    CHECK(zone_named(r.state, "psys", &z) && z.present, "the zone is back after a rescan");
    before = z.energy_j;
    fake_write(root, "sys/devices/virtual/powercap/intel-rapl/intel-rapl:1/energy_uj", "%u\n", 95000000);
    harness_sample(&r, 6.0);
    zone_named(r.state, "psys", &z);
    after = z.energy_j;
    CHECK_NEAR(after - before, 5.0, 1e-9, "counting resumes with the next delta");
    CHECK(before <= 3.0 + 1e-9, "the unseen gap was not counted as energy (%.3f J)", before);
    CHECK(rapl_zone_count(r.state) == 5, "no duplicate instance for the returning zone");
    harness_close(&r);
    fake_remove(root);
}

static void
unreadable_energy_is_reported_once(void)
{
    char *root = fake_root("rapl-perm");
    pid_t pid;
    int status, bits;
    char path[1024];

    make_live_tree(root, 262143328850ULL);
    snprintf(path, sizeof(path), "%s/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj", root);
    chmod(path, 0400);
    chmod(root, 0755);
    fflush(stdout);
    /* root reads anything: the check runs as nobody, as an agent without -U root would */
    if ((pid = fork()) == 0) {
        struct harness r;
        struct rapl_zone_info z;
        const char *first;
        int bad = 0;

        if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
            _exit(100);
        if (access(root, R_OK | X_OK) < 0)
            _exit(101);         /* e.g. a chroot whose / is mode 0700 */
        fake_log[0] = '\0';
        harness_open(&r, &rapl_source, root, NULL);
        harness_sample(&r, 1.0);
        harness_sample(&r, 2.0);
        harness_sample(&r, 3.0);
        bad |= !(zone_named(r.state, "package-0", &z) && !z.present) << 0;
        first = strstr(fake_log, "is readable by root only");
        bad |= (first == NULL) << 1;
        bad |= (first && strstr(first + 1, "is readable by root only") != NULL) << 2;
        bad |= (strstr(fake_log, "-U root") == NULL) << 3;
        bad |= (zone_named(r.state, "package-0/core", &z) && z.present) ? 0 : 1 << 4;
        harness_close(&r);
        _exit(bad);
    }
    waitpid(pid, &status, 0);
    bits = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
    if (bits == 100 || bits == 101) {
        printf("ok - # SKIP unreadable energy_uj: cannot %s as an unprivileged user here\n",
               bits == 100 ? "become nobody" : "reach the fake tree");
        fake_remove(root);
        return;
    }
    CHECK(bits != 255, "the unprivileged check ran to the end (status %d)", status);
    CHECK(bits != 255 && !(bits & 1), "an unreadable zone is absent, not zero");
    CHECK(bits != 255 && !(bits & 2), "the log says energy_uj is root-only");
    CHECK(bits != 255 && !(bits & 4), "said once, not every sample");
    CHECK(bits != 255 && !(bits & 8), "the log says the fix (-U root)");
    CHECK(bits != 255 && !(bits & 16), "readable zones still work");

    /* every zone unreadable: the source is failed and its reason says the fix */
    {
        const char *zones[] = { "intel-rapl:0/intel-rapl:0:0", "intel-rapl:0/intel-rapl:0:1", "intel-rapl:1",
                                "../intel-rapl-mmio/intel-rapl-mmio:0" };
        for (size_t i = 0; i < 4; i++) {
            snprintf(path, sizeof(path), "%s/sys/devices/virtual/powercap/intel-rapl/%s/energy_uj", root, zones[i]);
            chmod(path, 0400);
        }
    }
    fflush(stdout);
    if ((pid = fork()) == 0) {
        struct harness r;
        const char *why = "";
        int bad = 0;

        if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
            _exit(100);
        harness_open(&r, &rapl_source, root, NULL);
        harness_sample(&r, 1.0);
        harness_sample(&r, 2.0);
        bad |= source_state_of(&rapl_source, r.state, &why) != SOURCE_FAILED;
        bad |= (strstr(why, "root only") == NULL || strstr(why, "-U root") == NULL) << 1;
        harness_close(&r);
        _exit(bad);
    }
    waitpid(pid, &status, 0);
    bits = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
    CHECK(bits == 0, "all zones unreadable: state failed, reason says root-only and -U root (status %d)", bits);
    fake_remove(root);
}

static void
fixture(const char *name, const char *zone, double energy, size_t nzones)
{
    const char *root = fake_fixture(name);
    struct harness r;
    struct rapl_zone_info z;
    char msg[256];

    if (!root) {
        printf("not ok - fixture %s is missing (set POWER_FIXTURES)\n", name);
        check_failures++;
        return;
    }
    harness_open(&r, &rapl_source, root, NULL);
    harness_sample(&r, 1.0);
    snprintf(msg, sizeof(msg), "%s: %zu zones", name, nzones);
    CHECK(rapl_zone_count(r.state) == nzones, "%s (got %zu)", msg, rapl_zone_count(r.state));
    snprintf(msg, sizeof(msg), "%s: zone %s reads %.6f J", name, zone, energy);
    CHECK(zone_named(r.state, zone, &z) && z.present, "%s: zone %s found", name, zone);
    CHECK_NEAR(z.energy_j, energy, 1e-12, msg);
    harness_close(&r);
    {
        char top[1024];
        snprintf(top, sizeof(top), "%s", root);
        fake_remove(dirname(top));
    }
}

/* One zone as a live kernel lays it out (fakerapl.h), with a live package's range. */
static void
zone(const char *root, const char *ctl, const char *path, const char *name, unsigned long long uj)
{
    if (!fakerapl_zone(root, ctl, path, name, uj, FAKERAPL_MAX_UJ))
        CHECK(false, "zone %s/%s made", ctl, path);
}

static void
set_uj(const char *root, const char *ctl, const char *path, unsigned long long uj)
{
    if (!fakerapl_set_uj(root, ctl, path, uj))
        CHECK(false, "%s/%s/energy_uj written", ctl, path);
}

/* A zone of a fake tree and the joules it gains in one 1 s interval. */
struct zone_spec {
    const char *ctl, *path, *name;
    double      joules;
};

/* Lay out the zones, each at 1 J; sample at t = 10, add each zone's
 * joules, sample at t = 11. */
static void
one_interval(const char *root, struct harness *r, const char *config,
             const struct zone_spec *zs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        zone(root, zs[i].ctl, zs[i].path, zs[i].name, 1000000);
    harness_open(r, &rapl_source, root, config);
    harness_sample(r, 10.0);
    for (size_t i = 0; i < n; i++)
        set_uj(root, zs[i].ctl, zs[i].path, 1000000 + (unsigned long long)(zs[i].joules * 1e6));
    harness_sample(r, 11.0);
}

/* Two sockets where package 1 reads the platform counter: the kernel
 * registers package-0 (intel-rapl:0), then package-1 (intel-rapl:1) and its
 * psys as a top-level zone named "psys-1" (intel-rapl:2); intel_rapl_common.c
 * rapl_init_domains() and rapl_package_register_powercap(). */
static void
platform_zone_of_package_1(void)
{
    char *root = fake_root("rapl-psys1");
    struct harness r;
    struct rapl_zone_info z;
    double e;

    static const struct zone_spec zs[] = {
        { "intel-rapl", "intel-rapl:0", "package-0", 100 },
        { "intel-rapl", "intel-rapl:0/intel-rapl:0:0", "dram", 10 },
        { "intel-rapl", "intel-rapl:1", "package-1", 120 },
        { "intel-rapl", "intel-rapl:1/intel-rapl:1:0", "dram", 12 },
        { "intel-rapl", "intel-rapl:2", "psys-1", 300 },
    };

    one_interval(root, &r, NULL, zs, sizeof(zs) / sizeof(zs[0]));
    CHECK(zone_named(r.state, "package-1/dram", &z) && strcmp(z.sysfs_id, "intel-rapl:1:0") == 0,
          "package-1/dram named by its package, whichever symlink is listed first");
    CHECK(zone_named(r.state, "psys-1", &z) && strcmp(z.sysfs_id, "intel-rapl:2") == 0,
          "the platform zone keeps the kernel's name psys-1 (id %s)", z.sysfs_id);
    CHECK_NEAR(z.power_w, 300.0, 1e-9, "psys-1 reads 300 W");
    CHECK(source_energy(&rapl_source, r.state, "rapl:psys", &e), "psys-1 is the rapl:psys candidate");
    CHECK_NEAR(e, 300.0, 1e-9, "rapl:psys counts psys-1's 300 J");
    CHECK(source_energy(&rapl_source, r.state, "rapl:package+dram", &e), "package+dram still offered");
    CHECK_NEAR(e, 100.0 + 10.0 + 120.0 + 12.0, 1e-9, "package+dram sums both sockets, not psys-1");
    harness_close(&r);
    fake_remove(root);
}

/* Should two packages both register a platform zone (psys and psys-1), each
 * covers the whole platform: the lowest package's is used, never the sum. */
static void
two_platform_zones_are_not_summed(void)
{
    char *root = fake_root("rapl-psys2");
    struct harness r;
    double e;

    static const struct zone_spec zs[] = {
        { "intel-rapl", "intel-rapl:0", "package-0", 0 },
        { "intel-rapl", "intel-rapl:1", "psys", 300 },
        { "intel-rapl", "intel-rapl:2", "package-1", 0 },
        { "intel-rapl", "intel-rapl:3", "psys-1", 290 },
    };

    fake_log_clear();
    one_interval(root, &r, "[rapl]\nrescan = 1\n", zs, sizeof(zs) / sizeof(zs[0]));
    CHECK(source_energy(&rapl_source, r.state, "rapl:psys", &e), "rapl:psys offered");
    CHECK_NEAR(e, 300.0, 1e-9, "rapl:psys is psys's 300 J, not psys + psys-1 (590 J)");
    set_uj(root, "intel-rapl", "intel-rapl:1", 601000000);
    set_uj(root, "intel-rapl", "intel-rapl:3", 581000000);
    harness_sample(&r, 12.0);
    source_energy(&rapl_source, r.state, "rapl:psys", &e);
    CHECK_NEAR(e, 600.0, 1e-9, "and again the next interval");
    CHECK(fake_log_count("2 platform (psys) zones: power.system's rapl:psys uses psys,") == 1,
          "logged once which one is used");
    /* psys goes (its package offline): psys-1 carries on */
    {
        char from[1024], to[1100];
        snprintf(from, sizeof(from), "%s/sys/devices/virtual/powercap/intel-rapl/intel-rapl:1", root);
        snprintf(to, sizeof(to), "%s.gone", from);
        if (rename(from, to) < 0)
            perror("rename");
    }
    set_uj(root, "intel-rapl", "intel-rapl:3", 871000000);
    harness_sample(&r, 13.0);
    CHECK(source_energy(&rapl_source, r.state, "rapl:psys", &e), "rapl:psys still offered from psys-1");
    CHECK_NEAR(e, 890.0, 1e-9, "psys-1's 290 J that interval");
    harness_close(&r);
    fake_remove(root);
}

/* The MMIO interface (int340x processor_thermal_rapl.c, control type
 * intel-rapl-mmio) exposes the package and its DRAM again: counting them
 * too would double the DRAM in package+dram. */
static void
mmio_zones_are_not_added(void)
{
    char *root = fake_root("rapl-mmio");
    struct harness r;
    double e;

    static const struct zone_spec zs[] = {
        { "intel-rapl", "intel-rapl:0", "package-0", 25 },
        { "intel-rapl", "intel-rapl:0/intel-rapl:0:0", "dram", 3 },
        { "intel-rapl-mmio", "intel-rapl-mmio:0", "package-0", 25 },
        { "intel-rapl-mmio", "intel-rapl-mmio:0/intel-rapl-mmio:0:0", "dram", 3 },
    };

    one_interval(root, &r, NULL, zs, sizeof(zs) / sizeof(zs[0]));
    CHECK(rapl_zone_count(r.state) == 4, "four zones (got %zu)", rapl_zone_count(r.state));
    CHECK(source_energy(&rapl_source, r.state, "rapl:package+dram", &e), "package+dram offered");
    CHECK_NEAR(e, 28.0, 1e-9, "package+dram is 25 + 3 J; mmio:package-0/dram is not added again");
    harness_close(&r);
    fake_remove(root);
}

/* AMD family 17h/19h: intel_rapl_msr.c (rapl_msr_priv_amd) gives package
 * (MSR_AMD_PKG_ENERGY_STATUS) and core (MSR_AMD_CORE_ENERGY_STATUS), and the
 * core MSR, per core, is read on the package's lead CPU only: one core. */
static void
amd_core_is_never_summed(void)
{
    char *root = fake_root("rapl-amd");
    struct harness r;
    struct rapl_zone_info z;
    double e;

    static const struct zone_spec zs[] = {
        { "intel-rapl", "intel-rapl:0", "package-0", 130 },
        { "intel-rapl", "intel-rapl:0/intel-rapl:0:0", "core", 6 },
        { "intel-rapl", "intel-rapl:1", "package-1", 120 },
        { "intel-rapl", "intel-rapl:1/intel-rapl:1:0", "core", 4 },
    };

    one_interval(root, &r, NULL, zs, sizeof(zs) / sizeof(zs[0]));
    CHECK(zone_named(r.state, "package-0/core", &z) && z.has_power, "package-0/core has its own value");
    CHECK_NEAR(z.power_w, 6.0, 1e-9, "package-0/core reads 6 W (one core)");
    CHECK(source_energy(&rapl_source, r.state, "rapl:package+dram", &e), "package+dram offered");
    CHECK_NEAR(e, 130.0 + 120.0, 1e-9, "package+dram is the packages' 250 J; no core is added");
    CHECK(!source_energy(&rapl_source, r.state, "rapl:psys", &e), "no psys on AMD");
    harness_close(&r);
    fake_remove(root);
}

static void
no_powercap_is_absent(void)
{
    char *root = fake_root("rapl-none");
    struct harness r;
    const char *why;

    harness_open(&r, &rapl_source, root, NULL);
    harness_sample(&r, 1.0);
    CHECK(source_state_of(&rapl_source, r.state, &why) == SOURCE_ABSENT, "no powercap: absent");
    CHECK(strstr(why, "no readable zone") != NULL, "with a reason (%s)", why);
    harness_close(&r);
    harness_open(&r, &rapl_source, root, "[rapl]\nenabled = no\n");
    CHECK(source_state_of(&rapl_source, r.state, &why) == SOURCE_DISABLED, "disabled in the config");
    harness_close(&r);
    fake_remove(root);
}

int
main(void)
{
    live_layout_names_and_values();
    wraps_are_extended();
    zones_come_and_go();
    unreadable_energy_is_reported_once();
    fixture("Thinkpad_L480_bat_busy", "package-0/uncore", 2711.815506, 5);
    fixture("Thinkpad_L480_bat_busy", "psys", 850.171102, 5);
    fixture("Thinkpad_T460s_2_batteries", "package-0/dram", 2120.842593, 5);
    fixture("bigsystem", "package-1/core", 3483.880882, 4);
    fixture("bigsystem", "package-0", 13719.626935, 4);
    platform_zone_of_package_1();
    two_platform_zones_are_not_summed();
    mmio_zones_are_not_added();
    amd_core_is_never_summed();
    no_powercap_is_absent();
    return CHECK_DONE();
}
