/* persist.c: energy counters continued across restarts, with exact numbers. */
#include "check.h"
#include "persist.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char logged[4096];
static int nlogged;

static void
record(int priority, const char *fmt, ...)
{
    va_list ap;
    size_t len = strlen(logged);

    (void)priority;
    va_start(ap, fmt);
    vsnprintf(logged + len, sizeof(logged) - len, fmt, ap);
    va_end(ap);
    len = strlen(logged);
    snprintf(logged + len, sizeof(logged) - len, "\n");
    nlogged++;
}

static char dir[] = "/tmp/test_persist.XXXXXX";
static char path[256];

#define RAPL(raw) (&(struct persist_hw){ .valid = true, .raw_j = (raw), .wrap_j = 262143.32885, .value_is_raw = true })
#define BATTERY(now) (&(struct persist_hw){ .valid = true, .raw_j = (now), .survives_reboot = true, .falling = true })

enum { SYSTEM = 6 * 1024 + 0, ZONE = 1024 + 0, BAT = 5 * 1024 + 1, CGROUP = 9 * 1024 };

/* One agent's run: open, one sample at wall_s, the caller sees its counters, then save. */
static struct persist *
run(const char *boot, double wall_s)
{
    struct persist *p = persist_open(path, boot, record);

    persist_begin(p, wall_s);
    return p;
}

static void
stop(struct persist *p)
{
    CHECK(persist_save(p, true), "the state is saved");
    persist_close(p);
}

static void
test_first_start(void)
{
    struct persist *p;
    double offset;

    unlink(path);
    p = run("boot-a", 1000.0);
    CHECK_NEAR(persist_see(p, SYSTEM, -1, "", 0.0, NULL), 0.0, 0, "a first start exports the counter as it is");
    CHECK_NEAR(persist_see(p, ZONE, 1, "package-0", 5000.25, RAPL(5000.25)), 5000.25, 0,
               "RAPL's counter as read, on a first start");
    persist_begin(p, 1001.0);
    CHECK_NEAR(persist_see(p, SYSTEM, -1, "", 30.0, NULL), 30.0, 0, "and grows as it does");
    CHECK_NEAR(persist_see(p, ZONE, 1, "package-0", 5020.25, RAPL(5020.25)), 5020.25, 0, "RAPL likewise");
    CHECK(persist_offset(p, SYSTEM, -1, &offset) && offset == 0.0, "its offset is 0");
    CHECK(!persist_offset(p, SYSTEM + 1, -1, &offset), "a counter never seen has no offset");
    CHECK_NEAR(persist_gap_s(p), 0, 0, "no gap on a first start");
    CHECK(persist_continued(p) == 0, "nothing continued on a first start");
    stop(p);
}

static void
test_same_boot(void)
{
    struct persist *p = run("boot-a", 1011.0);      /* 10 s after the last save */
    double offset;

    /* the new agent's own counters start again: the system from 0, RAPL from the raw 5220.25 */
    CHECK_NEAR(persist_see(p, SYSTEM, -1, "", 0.0, NULL), 30.0, 0,
               "power.system goes on from its saved 30 J, adding nothing for the gap");
    CHECK_NEAR(persist_see(p, ZONE, 1, "package-0", 5220.25, RAPL(5220.25)), 5220.25, 1e-12,
               "the RAPL zone adds exactly the 200 J the hardware counted meanwhile");
    persist_begin(p, 1012.0);
    CHECK_NEAR(persist_see(p, SYSTEM, -1, "", 20.0, NULL), 50.0, 1e-12, "and then grows by this run's 20 J");
    CHECK(persist_offset(p, SYSTEM, -1, &offset) && offset == 30.0, "the offset a fetch adds is 30 J");
    CHECK_NEAR(persist_gap_s(p), 10.0, 1e-9, "gap_time is the 10 s from the save to this first sample");
    CHECK(persist_continued(p) == 1, "one restart continued");
    CHECK(persist_exact(p) == 1, "one counter continued exactly by its hardware");
    CHECK(strstr(logged, "the same boot") != NULL, "the log says it continued on the same boot");
    stop(p);
}

static void
test_wrap_and_reset(void)
{
    struct persist *p = run("boot-a", 1020.0);

    CHECK_NEAR(persist_see(p, ZONE, 1, "package-0", 262143.0, RAPL(262143.0)), 262143.0, 1e-12,
               "the hardware's count since the save, up to just below its wrap");
    persist_see(p, ZONE, 2, "package-0/dram", 100.0, RAPL(100.0));
    stop(p);
    p = run("boot-a", 1021.0);
    CHECK_NEAR(persist_see(p, ZONE, 1, "package-0", 1.0, RAPL(1.0)), 262143.0 + 1.32885, 1e-12,
               "a wrap in the gap: exactly range - saved + now");
    stop(p);
    /* a counter with no known range that went back is a reset: nothing to add, not 2^64 */
    p = run("boot-a", 1022.0);
    persist_see(p, ZONE, 3, "psys", 500.0, &(struct persist_hw){ .valid = true, .raw_j = 500.0, .value_is_raw = true });
    stop(p);
    p = run("boot-a", 1023.0);
    CHECK_NEAR(persist_see(p, ZONE, 3, "psys", 7.0, &(struct persist_hw){ .valid = true, .raw_j = 7.0, .value_is_raw = true }), 500.0, 0,
               "a counter that went back with no range adds nothing for the gap");
    CHECK(persist_exact(p) == 0, "and is not counted as continued exactly");
    stop(p);
    /* a counter from its own zero (NVML's, hwmon's) first seen after it counted 2 J:
     * the hardware's 5 J since the save already hold them */
    p = run("boot-a", 1024.0);
    persist_see(p, ZONE + 1, 0, "nvidia0", 10.0, &(struct persist_hw){ .valid = true, .raw_j = 100.0 });
    stop(p);
    p = run("boot-a", 1025.0);
    CHECK_NEAR(persist_see(p, ZONE + 1, 0, "nvidia0", 2.0, &(struct persist_hw){ .valid = true, .raw_j = 105.0 }),
               15.0, 1e-12, "a counter from zero seen late adds the hardware's count once, not its own as well");
    stop(p);
}

/* A zone at 100 W wraps its 262143 J every 2621 s: a gap of half that could hide a second wrap. */
static void
test_long_gap(void)
{
    struct persist_hw at100 = { .valid = true, .raw_j = 100.0, .wrap_j = 262143.32885, .power_w = 100.0,
                                .value_is_raw = true };
    struct persist *p = run("boot-l", 10000.0);
    struct persist_hw later = at100;

    persist_see(p, ZONE, 9, "package-1", 100.0, &at100);
    stop(p);
    p = run("boot-l", 11000.0);                   /* 1000 s at 100 W: 200 kJ, below 262 kJ */
    later.raw_j = 100100.0;
    CHECK_NEAR(persist_see(p, ZONE, 9, "package-1", 100100.0, &later), 100100.0, 1e-9,
               "a gap shorter than half the wrap time at its power adds the hardware's count");
    stop(p);
    p = run("boot-l", 13000.0);                   /* 2000 s more: 400 kJ at 100 W, more than a wrap */
    later.raw_j = 200.0;
    CHECK_NEAR(persist_see(p, ZONE, 9, "package-1", 200.0, &later), 100100.0, 1e-9,
               "a longer gap, which could hide more wraps than one, adds nothing");
    CHECK(persist_exact(p) == 0, "and is not counted as continued exactly");
    stop(p);
}

static void
test_other_boot(void)
{
    struct persist *p = run("boot-b", 2000.0);
    double zone = 262144.32885, system = 50.0;

    CHECK_NEAR(persist_see(p, ZONE, 1, "package-0", 3.0, RAPL(3.0)), zone, 1e-9,
               "after a reboot RAPL started again: the zone goes on from its saved value, adding nothing");
    persist_begin(p, 2001.0);
    CHECK_NEAR(persist_see(p, ZONE, 1, "package-0", 13.0, RAPL(13.0)), zone + 10.0, 1e-9, "then grows by what it reads");
    CHECK_NEAR(persist_see(p, SYSTEM, -1, "", 4.0, NULL), system + 4.0, 0,
               "power.system adds to its saved value all it counted this run, from its own zero");
    CHECK(strstr(logged, "another boot") != NULL, "the log says another boot");
    stop(p);
}

static void
test_battery(void)
{
    struct persist *p = run("boot-b", 3000.0);

    persist_see(p, BAT, 0, "BAT0", 10.0, BATTERY(150000.0));
    persist_see(p, BAT, 1, "BAT1", 10.0, BATTERY(150000.0));
    stop(p);
    p = run("boot-c", 4000.0);
    CHECK_NEAR(persist_see(p, BAT, 0, "BAT0", 0.0, BATTERY(148200.0)), 1810.0, 1e-9,
               "a discharging battery adds the 1800 J energy_now fell by, across a reboot");
    CHECK_NEAR(persist_see(p, BAT, 1, "BAT1", 0.0, BATTERY(160000.0)), 10.0, 0,
               "a battery charged in the gap adds nothing (nothing says how much it drew)");
    CHECK_NEAR(persist_see(p, SYSTEM, -1, "", 0.0, NULL), 54.0, 0,
               "power.system on another boot still goes on from its saved value");
    stop(p);
}

static void
test_many_and_carried(void)
{
    struct persist *p = run("boot-c", 5000.0);
    char name[32];
    bool all = true;

    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "/cg/%d", i);
        persist_see(p, CGROUP, 100 + i, name, (double)i, NULL);
    }
    stop(p);
    /* the next run sees only the even ones; the odd ones are carried in the file */
    p = run("boot-c", 5001.0);
    for (int i = 0; i < 1000; i += 2) {
        snprintf(name, sizeof(name), "/cg/%d", i);
        all = all && persist_see(p, CGROUP, 7 + i, name, 0.5, NULL) == (double)i + 0.5;
    }
    CHECK(all, "500 cgroups go on from their saved values, under new instance ids");
    stop(p);
    p = run("boot-c", 5002.0);
    snprintf(name, sizeof(name), "/cg/%d", 999);
    CHECK_NEAR(persist_see(p, CGROUP, 3, name, 0.0, NULL), 999.0, 0, "a cgroup unseen for a run is kept in the file");
    stop(p);
    p = run("boot-c", 5003.0 + PERSIST_MAX_AGE_S);
    stop(p);            /* a run a month later that sees none of them */
    p = run("boot-c", 5004.0 + PERSIST_MAX_AGE_S);
    snprintf(name, sizeof(name), "/cg/%d", 997);
    CHECK_NEAR(persist_see(p, CGROUP, 3, name, 0.0, NULL), 0.0, 0, "one unseen for longer than the age limit is dropped");
    stop(p);
}

static void
test_bad_files(void)
{
    struct persist *p;
    FILE *f;
    char deep[300], left[300], other[300];

    /* a save killed between its new file and the rename leaves the new file behind */
    snprintf(left, sizeof(left), "%s.Ab12Cd", path);
    snprintf(other, sizeof(other), "%s/power.counters-notes", dir);
    fclose(fopen(left, "w"));
    fclose(fopen(other, "w"));
    persist_close(persist_open(path, "x", record));
    CHECK(access(left, F_OK) != 0, "a start removes what a save killed mid-write left");
    CHECK(access(other, F_OK) == 0, "and nothing else");
    unlink(other);

    f = fopen(path, "w");
    fputs("pcp-power counters 1\nboot x\nsaved 10\ngap 0\ncontinued 1\nc 6144 nan 10 0 0 0 0 0\t\n", f);
    fclose(f);
    logged[0] = '\0';
    p = run("x", 20.0);
    CHECK(strstr(logged, "malformed") != NULL, "a malformed counter line is logged: %s", logged);
    CHECK_NEAR(persist_see(p, SYSTEM, -1, "", 3.0, NULL), 3.0, 0, "and every counter starts afresh, none half-continued");
    CHECK(persist_continued(p) == 0, "a bad file continues nothing");
    persist_close(p);

    f = fopen(path, "w");
    fputs("something else\n", f);
    fclose(f);
    logged[0] = '\0';
    p = run("x", 20.0);
    CHECK(strstr(logged, "not a pcp-power counters file") != NULL, "another file is named as such: %s", logged);
    persist_close(p);

    snprintf(deep, sizeof(deep), "%s/no/such/dir/power.counters", dir);
    p = persist_open(deep, "x", record);
    persist_begin(p, 1.0);
    nlogged = 0;
    CHECK(!persist_save(p, false) && !persist_save(p, false), "a save to a missing directory fails");
    CHECK(nlogged == 1, "and is logged once, not every sample (%d lines)", nlogged);
    persist_close(p);
}

/* A reading from an earlier boot is never taken for this boot's, even after a run that did not see it. */
static void
test_boot_of_unseen(void)
{
    struct persist_hw gpu = { .valid = true, .raw_j = 5000.0 };
    struct persist *p = run("boot-x", 20000.0);

    persist_see(p, ZONE + 2, 0, "nvidia0", 10.0, &gpu);
    stop(p);
    p = run("boot-y", 20100.0);                   /* rebooted; the GPU not seen this run */
    stop(p);
    p = run("boot-y", 20110.0);
    gpu.raw_j = 5800.0;                           /* the driver's counter since boot-y */
    CHECK_NEAR(persist_see(p, ZONE + 2, 0, "nvidia0", 0.0, &gpu), 10.0, 0,
               "a counter unseen for a run after a reboot adds nothing for the old boot's reading");
    stop(p);
}

/* Ids and names: a name back under a new id is a new counter; an id taken by another name too. */
static void
test_names_and_ids(void)
{
    struct persist *p = run("boot-z", 30000.0);
    FILE *f;
    char line[256];
    int lines = 0;

    persist_see(p, CGROUP, 40, "/weekly.service", 100.0, NULL);
    persist_begin(p, 30001.0);
    /* purged and back under id 41, its counter from zero */
    CHECK_NEAR(persist_see(p, CGROUP, 41, "/weekly.service", 3.0, NULL), 3.0, 0,
               "a name back under a new id in one run is a new counter, from zero");
    CHECK_NEAR(persist_see(p, CGROUP, 40, "/other.service", 7.0, NULL), 7.0, 0,
               "an id taken by another name is that name's counter, not the old one's");
    stop(p);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        lines += strstr(line, "\t/weekly.service\n") != NULL;
    if (f)
        fclose(f);
    CHECK(lines == 1, "the file holds one line for the name, not the retired one too (%d)", lines);
    p = run("boot-z", 30002.0);
    CHECK_NEAR(persist_see(p, CGROUP, 5, "/weekly.service", 0.0, NULL), 3.0, 0,
               "after a restart it goes on from the new instance's value, not the purged one's");
    stop(p);

    f = fopen(path, "w");
    fputs("pcp-power counters 1\nboot boot-z\nsaved 30003\ngap 0\ncontinued 0\n"
          "c 9216 50 30003 0 0 0 0 0 0\t/dup\nc 9216 9 30001 0 0 0 0 0 0\t/dup\n", f);
    fclose(f);
    p = run("boot-z", 30004.0);
    CHECK_NEAR(persist_see(p, CGROUP, 6, "/dup", 0.0, NULL), 50.0, 0, "of two lines for one name, the later one counts");
    stop(p);
}

/* What a gap must be for a reading to be trusted. */
static void
test_gap_bounds(void)
{
    struct persist_hw level = { .valid = true, .raw_j = 150000.0, .survives_reboot = true, .falling = true,
                                .min_gap_s = PERSIST_LEVEL_MIN_GAP_S };
    struct persist_hw zone = { .valid = true, .raw_j = 100.0, .wrap_j = 262143.32885, .value_is_raw = true };
    struct persist *p = run("boot-g", 40000.0);

    persist_see(p, BAT, 7, "BAT7", 20.0, &level);
    persist_see(p, ZONE, 7, "package-7", 100.0, &zone);
    stop(p);
    p = run("boot-g", 40100.0);                   /* 100 s later */
    level.raw_j = 149000.0;
    zone.raw_j = 600.0;
    CHECK_NEAR(persist_see(p, BAT, 7, "BAT7", 0.0, &level), 20.0, 0,
               "a battery level's fall over 100 s adds nothing (its firmware may not have refreshed it)");
    CHECK_NEAR(persist_see(p, ZONE, 7, "package-7", 600.0, &zone), 100.0, 0,
               "nor does a zone with no power known at either end after more than a minute");
    stop(p);
    p = run("boot-g", 40100.0 + PERSIST_LEVEL_MIN_GAP_S);
    level.raw_j = 147000.0;
    CHECK_NEAR(persist_see(p, BAT, 7, "BAT7", 0.0, &level), 2020.0, 1e-9,
               "over ten minutes the battery adds what its level fell by");
    stop(p);
    /* a counter still listed but without values for a month leaves the file */
    p = run("boot-g", 50000.0);
    persist_see(p, CGROUP, 77, "/idle", 1.0, NULL);
    persist_begin(p, 50000.0 + PERSIST_MAX_AGE_S + 1);
    stop(p);
    p = run("boot-g", 50002.0 + PERSIST_MAX_AGE_S);
    CHECK_NEAR(persist_see(p, CGROUP, 77, "/idle", 0.0, NULL), 0.0, 0,
               "a counter seen but not updated for a month is dropped, from memory and file");
    stop(p);
}

int
main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/power.counters", dir);
    test_first_start();
    test_same_boot();
    test_wrap_and_reset();
    test_long_gap();
    test_other_boot();
    test_battery();
    test_many_and_carried();
    test_boot_of_unseen();
    test_names_and_ids();
    test_gap_bounds();
    test_bad_files();
    unlink(path);
    rmdir(dir);
    return CHECK_DONE();
}
