/*
 * pmpower measure's rigour (issue 14 part 3), its pure modules: --cpus
 * lists in the kernel's format (Documentation/admin-guide/cputopology.rst,
 * as taskset -c reads them); the conditions read from cpufreq and thermal
 * sysfs (Documentation/admin-guide/pm/cpufreq.rst scaling_governor and
 * boost, intel_pstate.rst no_turbo, driver-api/thermal/sysfs-api.rst temp in
 * millidegrees) and what counts as a change; a saved baseline read back, a
 * file that is not one refused; the host lock refusing a second holder
 * and naming the first.
 */
#include "check.h"
#include "fakesys.h"
#include "baselinefile.h"
#include "conditions.h"
#include "cpulist.h"
#include "hostlock.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

static void
test_cpulist(void)
{
    cpu_set_t set;
    char err[256], text[128];

    CHECK(cpulist_parse("0", &set, err, sizeof(err)) == 0 && CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set), "--cpus 0");
    CHECK(cpulist_parse("0,2-4,7", &set, err, sizeof(err)) == 0 && CPU_COUNT(&set) == 5 &&
          CPU_ISSET(3, &set) && !CPU_ISSET(5, &set), "--cpus 0,2-4,7");
    cpulist_format(&set, text, sizeof(text));
    CHECK_STR(text, "0,2-4,7", "a set written back as a list");
    CHECK(cpulist_parse("", &set, err, sizeof(err)) < 0, "an empty list is refused");
    CHECK(cpulist_parse("3-1", &set, err, sizeof(err)) < 0 && strstr(err, "2-5"), "a range that runs down is refused: %s", err);
    CHECK(cpulist_parse("1,", &set, err, sizeof(err)) < 0, "a trailing comma is refused");
    CHECK(cpulist_parse("a", &set, err, sizeof(err)) < 0 && strstr(err, "\"a\""), "a word is refused, quoted: %s", err);
    CHECK(cpulist_parse("99999", &set, err, sizeof(err)) < 0, "a CPU beyond CPU_SETSIZE is refused");
}

static void
test_conditions(void)
{
    char *root = fake_root("rigour");
    struct conditions a, b;
    char buf[512];

    conditions_read(root, &a);
    CHECK(a.governor[0] == '\0' && a.turbo == -1 && isnan(a.temp_c), "nothing readable: all unknown");
    fake_write(root, "sys/devices/system/cpu/cpufreq/policy0/scaling_governor", "powersave\n");
    fake_write(root, "sys/devices/system/cpu/cpufreq/policy1/scaling_governor", "powersave\n");
    fake_write(root, "sys/devices/system/cpu/intel_pstate/no_turbo", "0\n");
    fake_write(root, "sys/class/thermal/thermal_zone0/temp", "45000\n");
    fake_write(root, "sys/class/thermal/thermal_zone1/temp", "52500\n");
    /* a zone whose sensor cannot be read answers with nonsense: skipped */
    fake_write(root, "sys/class/thermal/thermal_zone2/temp", "-274000\n");
    conditions_read(root, &a);
    CHECK_STR(a.governor, "powersave", "the governor, once for policies that agree");
    CHECK(a.turbo == 1, "no_turbo 0 is turbo on");
    CHECK_NEAR(a.temp_c, 52.5, 1e-9, "the hottest readable zone, from millidegrees");
    conditions_describe(&a, buf, sizeof(buf));
    printf("# %s\n", buf);
    b = a;
    CHECK(!conditions_changed(&a, &b, buf, sizeof(buf)) && !buf[0], "the same conditions: no change");
    fake_write(root, "sys/devices/system/cpu/cpufreq/policy1/scaling_governor", "performance\n");
    fake_write(root, "sys/devices/system/cpu/intel_pstate/no_turbo", "1\n");
    fake_write(root, "sys/class/thermal/thermal_zone1/temp", "58000\n");
    conditions_read(root, &b);
    CHECK_STR(b.governor, "powersave,performance", "policies that differ: each governor");
    CHECK(conditions_changed(&a, &b, buf, sizeof(buf)) &&
          strstr(buf, "governor powersave -> powersave,performance") && strstr(buf, "turbo on -> off") &&
          !strstr(buf, "temperature"), "a governor and turbo change are reported, a 5.5 C rise is not: %s", buf);
    fake_write(root, "sys/class/thermal/thermal_zone1/temp", "63000\n");
    conditions_read(root, &b);
    b.interval = 1;
    a.interval = 0.5;
    CHECK(conditions_changed(&a, &b, buf, sizeof(buf)) && strstr(buf, "temperature 52.5 -> 63.0 C") &&
          strstr(buf, "agent interval 0.5 -> 1 s"), "a rise of 10 C and the agent's interval: %s", buf);
    fake_remove(root);
    /* AMD and acpi-cpufreq: the global boost file */
    root = fake_root("rigour");
    fake_write(root, "sys/devices/system/cpu/cpufreq/boost", "0\n");
    conditions_read(root, &a);
    CHECK(a.turbo == 0, "cpufreq/boost 0 is turbo off");
    fake_remove(root);
}

static void
test_baseline_file(void)
{
    char *root = fake_root("rigour"), path[4096], err[1024], age[64];
    struct baseline_record b = { .power_w = 12.5, .seconds = 10.25, .saved = 1796141371.5, .interval = 0.5,
                                 .host = "local:", .source = "rapl" }, got;

    snprintf(path, sizeof(path), "%s/idle.baseline", root);
    snprintf(b.zones, sizeof(b.zones), "rapl:package-0+rapl:package-0/dram");
    b.zones_w = 7.25;
    CHECK(baselinefile_save(path, &b, err, sizeof(err)) == 0, "a baseline saved");
    CHECK(baselinefile_load(path, &got, err, sizeof(err)) == 0 && got.power_w == 12.5 && got.seconds == 10.25 &&
          fabs(got.saved - b.saved) < 1e-6 && got.interval == 0.5 && strcmp(got.host, "local:") == 0 &&
          strcmp(got.source, "rapl") == 0, "and read back whole");
    CHECK(strcmp(got.zones, b.zones) == 0 && got.zones_w == 7.25, "with the zones' idle power");
    fake_write(root, "not.baseline", "power_w 3\n");
    snprintf(path, sizeof(path), "%s/not.baseline", root);
    CHECK(baselinefile_load(path, &got, err, sizeof(err)) < 0 && strstr(err, "not a pmpower baseline"),
          "a file that is not a baseline is refused: %s", err);
    fake_write(root, "half.baseline", "# pmpower idle baseline\npower_w 3\n");
    snprintf(path, sizeof(path), "%s/half.baseline", root);
    CHECK(baselinefile_load(path, &got, err, sizeof(err)) < 0, "a baseline without seconds and saved is refused");
    fake_write(root, "nozones.baseline", "# pmpower idle baseline\npower_w 3\nseconds 1\nsaved 5\n");
    snprintf(path, sizeof(path), "%s/nozones.baseline", root);
    CHECK(baselinefile_load(path, &got, err, sizeof(err)) == 0 && !got.zones[0] && isnan(got.zones_w),
          "a baseline without zones has no zones' idle power");
    snprintf(path, sizeof(path), "%s/missing", root);
    CHECK(baselinefile_load(path, &got, err, sizeof(err)) < 0 && strstr(err, "--baseline-file"),
          "a missing file says how to save one: %s", err);
    baselinefile_age_text(8.5 * 86400, age, sizeof(age));
    CHECK_STR(age, "8.5 days", "an age in days");
    baselinefile_age_text(2 * 3600 + 5 * 60, age, sizeof(age));
    CHECK_STR(age, "2 h 5 min", "an age in hours");
    fake_remove(root);
}

static void
test_lock(void)
{
    char *root = fake_root("rigour"), path[4096], err[1024];
    int first, second;

    snprintf(path, sizeof(path), "%s/measure.lock", root);
    first = hostlock_take(path, 0, "first-command", err, sizeof(err));
    CHECK(first >= 0, "the lock is taken");
    /* flock locks belong to the open file description: a second open is a second holder */
    second = hostlock_take(path, 0.1, "second", err, sizeof(err));
    CHECK(second < 0 && strstr(err, "first-command") && strstr(err, "--lock-wait"),
          "a second measurement is refused after waiting, naming the first: %s", err);
    hostlock_release(first);
    second = hostlock_take(path, 0, "second", err, sizeof(err));
    CHECK(second >= 0, "once the first lets go the second takes it");
    hostlock_release(second);
    {
        /* another program holding it (flock(1)) is not named after a holder gone */
        int other = open(path, O_RDWR);
        flock(other, LOCK_EX);
        CHECK(hostlock_take(path, 0, "third", err, sizeof(err)) < 0 && strstr(err, "(another process holds") &&
              !strstr(err, "pid "), "a released lock leaves no holder's line behind: %s", err);
        close(other);
    }
    snprintf(path, sizeof(path), "%s/no/such/dir/lock", root);
    CHECK(hostlock_take(path, 0, "x", err, sizeof(err)) < 0 && strstr(err, "--lock-file"),
          "a lock that cannot be opened says so: %s", err);
    fake_remove(root);
}

int
main(void)
{
    test_cpulist();
    test_conditions();
    test_baseline_file();
    test_lock();
    return check_failures != 0;
}
