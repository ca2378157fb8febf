/*
 * test_vm.c: per-VM energy files as Scaphandre's qemu exporter writes
 * them, under a temporary root: labels, VMs appearing, advancing,
 * resetting, caught mid-rewrite, vanishing and returning, overlapping
 * globs, and a root with glob characters in its name.
 */
#include "check.h"
#include "config.h"
#include "fakesys.h"
#include "vm.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SCAPH "/var/lib/libvirt/scaphandre"

static void
mkdirs(const char *path)
{
    char buf[4096];

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    mkdir(buf, 0755);
}

struct fixture {
    char                 root[256];
    struct power_config *config;
    void                *state;
    double               t;      /* the latest sample's monotonic time; its wall time is WALL0 + t */
};

#define WALL0 1e9

/* Write as the exporter does, the number alone with no newline, stamped
 * (mtime) at wall-clock time wall_s. */
static void
put_stamped(struct fixture *fx, const char *vm, const char *text, double wall_s)
{
    char dir[4096], path[4200];
    struct timespec times[2];
    FILE *f;

    snprintf(dir, sizeof(dir), "%s" SCAPH "/%s/intel-rapl:0", fx->root, vm);
    mkdirs(dir);
    snprintf(path, sizeof(path), "%s/energy_uj", dir);
    if ((f = fopen(path, "w")) == NULL) {
        printf("# cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    fputs(text, f);
    fclose(f);
    times[0].tv_sec = times[1].tv_sec = (time_t)wall_s;
    times[0].tv_nsec = times[1].tv_nsec = (long)((wall_s - (double)(time_t)wall_s) * 1e9);
    if (utimensat(AT_FDCWD, path, times, 0) != 0)
        printf("# cannot stamp %s: %s\n", path, strerror(errno));
}

/* A rewrite half-way between the latest sample and the next. */
static void
put(struct fixture *fx, const char *vm, const char *text)
{
    put_stamped(fx, vm, text, WALL0 + fx->t + 0.5);
}

static void
remove_tree(const char *path)
{
    char cmd[4200];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", path);
}

static void
vanish(const char *root, const char *vm)
{
    char dir[4096];

    snprintf(dir, sizeof(dir), "%s" SCAPH "/%s", root, vm);
    remove_tree(dir);
}

static bool
setup(struct fixture *fx, const char *template, const char *config_text)
{
    struct source_env env;

    memset(fx, 0, sizeof(*fx));
    snprintf(fx->root, sizeof(fx->root), "%s", template);
    if (!mkdtemp(fx->root)) {
        printf("not ok - mkdtemp %s: %s\n", template, strerror(errno));
        return false;
    }
    fx->config = config_parse(config_text, "test.conf", fake_record);
    env.root = fx->root;
    env.config = fx->config;
    env.log = fake_record;
    fx->state = vm_source.open(&env);
    return fx->state != NULL;
}

static void
teardown(struct fixture *fx)
{
    vm_source.close(fx->state);
    config_free(fx->config);
    remove_tree(fx->root);
}

static void
tick(struct fixture *fx)
{
    struct sample_time now = { 0 };

    fx->t += 1.0;
    now.mono_s = fx->t;
    now.wall_s = WALL0 + fx->t;
    vm_source.sample(fx->state, &now);
}

static struct vm_info
info(struct fixture *fx, size_t index)
{
    struct vm_info v;

    memset(&v, 0, sizeof(v));
    if (!vm_get(fx->state, index, &v))
        v.name = "(none)";
    return v;
}

static void
test_labels(void)
{
    char label[64];

    CHECK(vm_label_from_path(SCAPH "/web01/intel-rapl:0/energy_uj", label, sizeof(label)) &&
          strcmp(label, "web01") == 0, "label is the directory after scaphandre/ (%s)", label);
    CHECK(vm_label_from_path("/srv/energy/db/energy_uj", label, sizeof(label)) &&
          strcmp(label, "db") == 0, "elsewhere the label is the parent directory (%s)", label);
    CHECK(vm_label_from_path("/srv/energy/db/intel-rapl:0/energy_uj", label, sizeof(label)) &&
          strcmp(label, "db") == 0, "an intel-rapl:N level is skipped (%s)", label);
    CHECK(vm_label_from_path("/x/notscaphandre/a/b/energy_uj", label, sizeof(label)) &&
          strcmp(label, "b") == 0, "only a whole scaphandre component counts (%s)", label);
    CHECK(!vm_label_from_path("energy_uj", label, sizeof(label)), "a bare file name has no label");
    CHECK(!vm_label_from_path(SCAPH "/a-name-far-too-long-for-the-buffer-given/intel-rapl:0/energy_uj",
                              label, 8), "a label that does not fit is refused");
}

static void
test_lifecycle(void)
{
    struct fixture fx;
    struct vm_info a, b;
    const char *why;

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", ""))
        return;
    tick(&fx);
    CHECK(vm_source.state(fx.state, &why) == SOURCE_ABSENT && strstr(why, "scaphandre"),
          "no VM files: absent, and the reason names the glob (%s)", why);

    put(&fx, "alpha", "1000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(vm_count(fx.state) == 1 && strcmp(a.name, "alpha") == 0 && a.id == 0,
          "a VM appears as instance 0 named by its domain (%s)", a.name);
    CHECK(vm_source.state(fx.state, &why) == SOURCE_ACTIVE, "one VM present: active");
    CHECK_NEAR(a.energy_j, 1.0, 1e-12, "energy starts at the file's value, 1000000 uJ = 1 J");
    CHECK(a.present && a.has_energy && !a.has_power, "no power before a full interval");

    put(&fx, "alpha", "3000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK_NEAR(a.energy_j, 3.0, 1e-12, "energy follows the file: 3 J");
    CHECK(a.has_power, "power after one interval");
    CHECK_NEAR(a.power_w, 2.0, 1e-12, "2 J in 1 s is 2 W");

    put(&fx, "beta", "500\n");
    tick(&fx);
    b = info(&fx, 1);
    CHECK(vm_count(fx.state) == 2 && strcmp(b.name, "beta") == 0 && b.id == 1,
          "a second VM appearing later is instance 1 (%s)", b.name);
    CHECK_NEAR(b.energy_j, 0.0005, 1e-12, "a trailing newline is fine too");
    a = info(&fx, 0);
    CHECK(a.has_power && a.power_w == 2.0,
          "a file not rewritten this interval keeps the rate of its latest rewrite (%g W)", a.power_w);

    put(&fx, "alpha", "100");
    tick(&fx);
    a = info(&fx, 0);
    CHECK_NEAR(a.energy_j, 3.0, 1e-12, "a counter going backwards adds nothing");
    CHECK(a.resets == 1, "and is counted as a reset (%llu)", (unsigned long long)a.resets);
    CHECK(vm_source.errors(fx.state) == 1, "resets count in power.source.errors (%llu)",
          (unsigned long long)vm_source.errors(fx.state));
    CHECK(!a.has_power, "a reset has no power: what the file gained since it restarted is unknown");

    put(&fx, "alpha", "1000100");
    tick(&fx);
    a = info(&fx, 0);
    CHECK_NEAR(a.energy_j, 4.0, 1e-12, "after a reset the counter continues from the new base");
    CHECK_NEAR(a.power_w, 1.0, 1e-12, "1 W after the reset");

    put(&fx, "beta", "");
    tick(&fx);
    b = info(&fx, 1);
    CHECK_NEAR(b.energy_j, 0.0005, 1e-12, "an empty file (mid-rewrite) is not a zero");
    CHECK(b.present && b.has_energy && !b.has_power && b.read_errors == 1,
          "it keeps the energy, has no power, counts a read error (%llu)",
          (unsigned long long)b.read_errors);
    CHECK(b.resets == 0, "and is not a reset");

    put(&fx, "beta", "12a");
    tick(&fx);
    b = info(&fx, 1);
    CHECK(b.read_errors == 2 && b.resets == 0 && b.energy_j == 0.0005,
          "\"12a\" is a read error too, not 12 uJ (errors %llu, energy %g)",
          (unsigned long long)b.read_errors, b.energy_j);
    CHECK(vm_source.errors(fx.state) == 3, "power.source.errors has 1 reset + 2 bad reads (%llu)",
          (unsigned long long)vm_source.errors(fx.state));

    put(&fx, "beta", "2000500");
    tick(&fx);
    b = info(&fx, 1);
    CHECK_NEAR(b.energy_j, 2.0005, 1e-12, "the next good read continues the counter");
    CHECK_NEAR(b.power_w, 2.0 / 5.0, 1e-12, "power spans back to the last good rewrite (2 J / 5 s)");

    vanish(fx.root, "alpha");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(vm_count(fx.state) == 2 && !a.present && !a.has_power,
          "a vanished VM keeps its instance, without values");
    CHECK(vm_source.state(fx.state, &why) == SOURCE_ACTIVE, "still active with beta");

    put(&fx, "alpha", "5000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(a.present && a.id == 0 && vm_count(fx.state) == 2, "a returning VM has its old instance");
    CHECK_NEAR(a.energy_j, 4.0, 1e-12, "and continues its counter; the time away counts nothing");
    CHECK(!a.has_power && a.resets == 1, "no power for the gap, and it is not a reset");

    put(&fx, "alpha", "6000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK_NEAR(a.energy_j, 5.0, 1e-12, "and advances again: 5 J");
    CHECK_NEAR(a.power_w, 1.0, 1e-12, "at 1 W");

    vanish(fx.root, "alpha");
    vanish(fx.root, "beta");
    tick(&fx);
    CHECK(vm_source.state(fx.state, &why) == SOURCE_ABSENT, "every VM gone: absent");
    CHECK(!vm_source.system_energy(fx.state, "vm", &a.energy_j),
          "VM energy is never a power.system candidate");
    teardown(&fx);
}

/* Scaphandre rewrites each file every few seconds while the agent samples
 * every second: power is the gain between two rewrites over the time
 * between their stamps, held until the next rewrite, never a run of zeros
 * and then a spike. */
static void
test_rewrite_cadence(void)
{
    struct fixture fx;
    struct vm_info a;
    char text[32];
    bool steady = true;

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", "[vm]\nrate_timeout = 10\n"))
        return;
    put(&fx, "alpha", "0");
    for (int i = 0; i < 5; i++)
        tick(&fx);
    for (int rewrite = 1; rewrite <= 3; rewrite++) {
        snprintf(text, sizeof(text), "%d", rewrite * 10000000);   /* +10 J every 5 s: 2 W */
        put(&fx, "alpha", text);
        for (int i = 0; i < 5; i++) {
            tick(&fx);
            a = info(&fx, 0);
            if (!(a.has_power && fabs(a.power_w - 2.0) < 1e-9)) {
                printf("# rewrite %d, sample %d: has_power %d, %g W\n", rewrite, i, a.has_power, a.power_w);
                steady = false;
            }
        }
    }
    CHECK(steady, "rewrites of +10 J every 5 s read 2 W at every 1 s sample in between");
    CHECK_NEAR(a.energy_j, 30.0, 1e-12, "and the energy counter holds what the file says: 30 J");

    double stamp = WALL0 + fx.t + 0.5;
    put_stamped(&fx, "alpha", "30000000", stamp);
    tick(&fx);
    a = info(&fx, 0);
    CHECK(a.has_power && a.power_w == 0.0, "a rewrite with no gain (an idle VM) reads 0 W (%g)", a.power_w);

    /* a file system with coarse timestamps: two rewrites with one stamp */
    put_stamped(&fx, "alpha", "34000000", stamp);
    tick(&fx);
    a = info(&fx, 0);
    CHECK(a.has_power && a.power_w == 0.0 && a.energy_j == 34.0,
          "a gain under the same stamp is counted in energy, the rate waits (%g W, %g J)",
          a.power_w, a.energy_j);
    put_stamped(&fx, "alpha", "36000000", stamp + 2.0);
    tick(&fx);
    a = info(&fx, 0);
    CHECK_NEAR(a.power_w, 3.0, 1e-12, "then the next stamp spans both gains: 6 J in 2 s");

    for (int i = 0; i < 12; i++)
        tick(&fx);
    a = info(&fx, 0);
    CHECK(!a.has_power && a.has_energy && a.present,
          "after rate_timeout with no rewrite (exporter stopped): energy, but no power");
    put(&fx, "alpha", "42000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(!a.has_power && a.energy_j == 42.0,
          "the first rewrite after the silence counts its energy and starts the rate afresh (%g W)", a.power_w);
    put(&fx, "alpha", "43000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(a.has_power && a.power_w == 1.0, "the next one gives power again: 1 J in 1 s (%g W)", a.power_w);

    put_stamped(&fx, "alpha", "44000000", WALL0 + fx.t - 3.0);
    tick(&fx);
    a = info(&fx, 0);
    CHECK(!a.has_power && a.energy_j == 44.0, "a file stamped earlier than the last (clock stepped back) "
          "has no power until the next rewrite; its energy counts");
    put(&fx, "alpha", "45000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(a.has_power && fabs(a.power_w - 1.0 / 4.5) < 1e-9,
          "which measures from the earlier stamp again: 1 J in 4.5 s (%g W)", a.power_w);
    teardown(&fx);
}

static void
test_patterns(void)
{
    struct fixture fx;
    char path[4200];
    FILE *f;
    unsigned before = 0;

    /* a root with glob characters in its name must be taken literally */
    if (!setup(&fx, "/tmp/test_vm[x]*.XXXXXX",
               "[vm]\npaths = " SCAPH "/*/intel-rapl:0/energy_uj, /srv/vms/*/energy_uj "
               SCAPH "/web*/intel-rapl:0/energy_uj\n"))
        return;
    before = config_error_count(fx.config);
    put(&fx, "web01", "7000000");
    snprintf(path, sizeof(path), "%s/srv/vms/db", fx.root);
    mkdirs(path);
    snprintf(path, sizeof(path), "%s/srv/vms/db/energy_uj", fx.root);
    if ((f = fopen(path, "w")) != NULL) {
        fputs("42000000", f);
        fclose(f);
    }
    /* the same label as the scaphandre one, from the other glob */
    snprintf(path, sizeof(path), "%s/srv/vms/web01", fx.root);
    mkdirs(path);
    snprintf(path, sizeof(path), "%s/srv/vms/web01/energy_uj", fx.root);
    if ((f = fopen(path, "w")) != NULL) {
        fputs("1", f);
        fclose(f);
    }
    tick(&fx);
    CHECK(vm_count(fx.state) == 3, "three files from two globs, one matched twice, are three VMs (%zu)",
          vm_count(fx.state));
    bool db = false, web = false, clash = false;
    for (size_t i = 0; i < vm_count(fx.state); i++) {
        struct vm_info v = info(&fx, i);
        printf("# vm %zu: %s = %g J (%s)\n", i, v.name, v.energy_j, v.path);
        db |= strcmp(v.name, "db") == 0 && v.energy_j == 42.0;
        web |= strcmp(v.name, "web01") == 0 && v.energy_j == 7.0;
        clash |= strcmp(v.name, "/srv/vms/web01/energy_uj") == 0 && v.energy_j == 1e-6;
    }
    CHECK(db, "a file outside scaphandre/ is named by its directory");
    CHECK(web, "the scaphandre VM read once though two globs match it");
    CHECK(clash, "a file whose label an earlier glob took is named by its path");
    CHECK(config_error_count(fx.config) == before, "the globs are all valid");
    teardown(&fx);

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", "[vm]\npaths = relative/*/energy_uj\n"))
        return;
    const char *why;
    CHECK(config_error_count(fx.config) == 1, "a relative glob is a config error");
    put(&fx, "alpha", "1");
    tick(&fx);
    CHECK(vm_source.state(fx.state, &why) == SOURCE_ACTIVE && vm_count(fx.state) == 1,
          "and the default glob is used instead (%s)", why);
    teardown(&fx);

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", "[vm]\nenabled = no\n"))
        return;
    put(&fx, "alpha", "1");
    tick(&fx);
    CHECK(vm_source.state(fx.state, &why) == SOURCE_DISABLED && vm_count(fx.state) == 0,
          "disabled: nothing is read (%s)", why);
    teardown(&fx);
}

static void
test_unreadable(void)
{
    struct fixture fx;
    char path[4200];
    struct vm_info v;

    if (geteuid() == 0) {
        printf("ok - # SKIP unreadable file check: root reads everything\n");
        return;
    }
    if (!setup(&fx, "/tmp/test_vm.XXXXXX", ""))
        return;
    put(&fx, "locked", "5");
    snprintf(path, sizeof(path), "%s" SCAPH "/locked/intel-rapl:0/energy_uj", fx.root);
    chmod(path, 0);
    fake_log_lines = 0;
    tick(&fx);
    tick(&fx);
    v = info(&fx, 0);
    CHECK(v.read_errors == 2 && !v.has_energy, "an unreadable file is an error each sample");
    CHECK(fake_log_lines == 1, "and is logged once (%d)", fake_log_lines);
    teardown(&fx);
}

int
main(void)
{
    test_labels();
    test_lifecycle();
    test_rewrite_cadence();
    test_patterns();
    test_unreadable();
    return CHECK_DONE();
}
