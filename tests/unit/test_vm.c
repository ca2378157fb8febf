/*
 * test_vm.c: per-VM energy files as Scaphandre's qemu exporter writes
 * them, under a temporary root: labels, VMs appearing, advancing,
 * resetting, caught mid-rewrite, vanishing and returning, overlapping
 * globs, and a root with glob characters in its name.
 */
#include "check.h"
#include "config.h"
#include "fakesys.h"
#include "source_harness.h"
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
/* Files that hold true microjoules (Scaphandre once upstream PR #429 is
 * released, other exporters); the default is what Scaphandre 1.0.x writes. */
#define MICROJOULES "[vm]\nformat = microjoules\n"

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
    char           root[256];
    struct harness h;           /* the VM source over root (source_harness.h) */
    double         t;           /* the latest sample's monotonic time; its wall time is WALL0 + t */
};

#define WALL0 1e9

/* Write as the exporter does (qemu.rs, add_or_create(): fs::write, which
 * truncates and writes), the number alone with no newline, at rel under the
 * root, stamped (mtime) at wall-clock time wall_s. */
static void
write_stamped(struct fixture *fx, const char *rel, const char *text, double wall_s)
{
    char path[4200], *slash;
    struct timespec times[2];
    FILE *f;

    snprintf(path, sizeof(path), "%s%s", fx->root, rel);
    if ((slash = strrchr(path, '/')) != NULL) {
        *slash = '\0';
        mkdirs(path);
        *slash = '/';
    }
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

/* The exporter's file for VM vm ("" for one started without guest=: the
 * exporter then writes scaphandre//intel-rapl:0/energy_uj). */
static void
put_stamped(struct fixture *fx, const char *vm, const char *text, double wall_s)
{
    char rel[512];

    snprintf(rel, sizeof(rel), SCAPH "/%s/intel-rapl:0/energy_uj", vm);
    write_stamped(fx, rel, text, wall_s);
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
    memset(fx, 0, sizeof(*fx));
    snprintf(fx->root, sizeof(fx->root), "%s", template);
    if (!mkdtemp(fx->root)) {
        printf("not ok - mkdtemp %s: %s\n", template, strerror(errno));
        return false;
    }
    harness_open(&fx->h, &vm_source, fx->root, config_text);
    fx->h.wall0 = WALL0;
    return fx->h.state != NULL;
}

static void
teardown(struct fixture *fx)
{
    harness_close(&fx->h);
    remove_tree(fx->root);
}

/* The agent samples seconds later. */
static void
tick_by(struct fixture *fx, double seconds)
{
    fx->t += seconds;
    harness_sample(&fx->h, fx->t);
}

static void
tick(struct fixture *fx)
{
    tick_by(fx, 1.0);
}

static struct vm_info
info(struct fixture *fx, size_t index)
{
    struct vm_info v;

    memset(&v, 0, sizeof(v));
    if (!vm_get(fx->h.state, index, &v))
        v.name = "(none)";
    return v;
}

/* The VM named name, or an empty info. */
static struct vm_info
named(struct fixture *fx, const char *name)
{
    for (size_t i = 0; i < vm_count(fx->h.state); i++) {
        struct vm_info v = info(fx, i);
        if (strcmp(v.name, name) == 0)
            return v;
    }
    return info(fx, (size_t)-1);
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
    /* Scaphandre --vm reads /var/scaphandre (sensors/powercap_rapl.rs), where
     * the guest mounts its host's directory for it */
    CHECK(vm_label_from_path("/var/scaphandre/intel-rapl:0/energy_uj", label, sizeof(label)) &&
          strcmp(label, VM_NAME_GUEST) == 0, "a guest's own file is named \"guest\", not intel-rapl:0 (%s)", label);
    /* qemu.rs get_vm_name_from_cmdline() gives "" without guest=: the
     * exporter writes "/var/lib/libvirt/scaphandre//intel-rapl:0" */
    CHECK(vm_label_from_path(SCAPH "//intel-rapl:0/energy_uj", label, sizeof(label)) &&
          strcmp(label, VM_NAME_UNNAMED) == 0, "the file of VMs without guest= is \"unnamed\" (%s)", label);
    CHECK(vm_label_from_path(SCAPH "/intel-rapl:0/energy_uj", label, sizeof(label)) &&
          strcmp(label, VM_NAME_UNNAMED) == 0, "with one slash as well (%s)", label);
    CHECK(vm_label_from_path("/mnt/power/intel-rapl:0/energy_uj", label, sizeof(label)) &&
          strcmp(label, "power") == 0,
          "a guest mount elsewhere (SCAPHANDRE_POWERCAP_PATH) is named by its directory (%s)", label);
    CHECK(!vm_label_from_path(SCAPH "/a-name-far-too-long-for-the-buffer-given/intel-rapl:0/energy_uj",
                              label, 8), "a label that does not fit is refused");
}

static void
test_lifecycle(void)
{
    struct fixture fx;
    struct vm_info a, b;
    const char *why;

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", MICROJOULES))
        return;
    tick(&fx);
    CHECK(source_state_of(&vm_source, fx.h.state, &why) == SOURCE_ABSENT && strstr(why, "scaphandre"),
          "no VM files: absent, and the reason names the glob (%s)", why);

    put(&fx, "alpha", "1000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(vm_count(fx.h.state) == 1 && strcmp(a.name, "alpha") == 0 && a.id == 0,
          "a VM appears as instance 0 named by its domain (%s)", a.name);
    CHECK(source_state_of(&vm_source, fx.h.state, &why) == SOURCE_ACTIVE, "one VM present: active");
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
    CHECK(vm_count(fx.h.state) == 2 && strcmp(b.name, "beta") == 0 && b.id == 1,
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
    CHECK(source_errors_of(&vm_source, fx.h.state) == 1, "resets count in power.source.errors (%llu)",
          (unsigned long long)source_errors_of(&vm_source, fx.h.state));
    CHECK(!a.has_power, "a reset has no power: what the new file gained so far is unknown");

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
    CHECK(source_errors_of(&vm_source, fx.h.state) == 3, "power.source.errors has 1 reset + 2 bad reads (%llu)",
          (unsigned long long)source_errors_of(&vm_source, fx.h.state));

    put(&fx, "beta", "2000500");
    tick(&fx);
    b = info(&fx, 1);
    CHECK_NEAR(b.energy_j, 2.0005, 1e-12, "the next good read continues the counter");
    CHECK_NEAR(b.power_w, 2.0 / 5.0, 1e-12, "power spans back to the last good rewrite (2 J / 5 s)");

    vanish(fx.root, "alpha");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(vm_count(fx.h.state) == 2 && !a.present && !a.has_power,
          "a vanished VM keeps its instance, without values");
    CHECK(source_state_of(&vm_source, fx.h.state, &why) == SOURCE_ACTIVE, "still active with beta");

    put(&fx, "alpha", "5000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(a.present && a.id == 0 && vm_count(fx.h.state) == 2, "a returning VM has its old instance");
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
    CHECK(source_state_of(&vm_source, fx.h.state, &why) == SOURCE_ABSENT, "every VM gone: absent");
    CHECK(!source_energy(&vm_source, fx.h.state, "vm", &a.energy_j),
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

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", MICROJOULES "rate_timeout = 10\n"))
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
               MICROJOULES "paths = " SCAPH "/*/intel-rapl:0/energy_uj, /srv/vms/*/energy_uj "
               SCAPH "/web*/intel-rapl:0/energy_uj\n"))
        return;
    before = config_error_count(fx.h.config);
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
    CHECK(vm_count(fx.h.state) == 3, "three files from two globs, one matched twice, are three VMs (%zu)",
          vm_count(fx.h.state));
    bool db = false, web = false, clash = false;
    for (size_t i = 0; i < vm_count(fx.h.state); i++) {
        struct vm_info v = info(&fx, i);
        printf("# vm %zu: %s = %g J (%s)\n", i, v.name, v.energy_j, v.path);
        db |= strcmp(v.name, "db") == 0 && v.energy_j == 42.0;
        web |= strcmp(v.name, "web01") == 0 && v.energy_j == 7.0;
        clash |= strcmp(v.name, "/srv/vms/web01/energy_uj") == 0 && v.energy_j == 1e-6;
    }
    CHECK(db, "a file outside scaphandre/ is named by its directory");
    CHECK(web, "the scaphandre VM read once though two globs match it");
    CHECK(clash, "a file whose label an earlier glob took is named by its path");
    CHECK(config_error_count(fx.h.config) == before, "the globs are all valid");
    teardown(&fx);

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", "[vm]\npaths = relative/*/energy_uj\n"))
        return;
    const char *why;
    CHECK(config_error_count(fx.h.config) == 1, "a relative glob is a config error");
    put(&fx, "alpha", "1");
    tick(&fx);
    CHECK(source_state_of(&vm_source, fx.h.state, &why) == SOURCE_ACTIVE && vm_count(fx.h.state) == 1,
          "and the default glob is used instead (%s)", why);
    teardown(&fx);

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", "[vm]\nenabled = no\n"))
        return;
    put(&fx, "alpha", "1");
    tick(&fx);
    CHECK(source_state_of(&vm_source, fx.h.state, &why) == SOURCE_DISABLED && vm_count(fx.h.state) == 0,
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
    fake_log_clear();
    tick(&fx);
    tick(&fx);
    v = info(&fx, 0);
    CHECK(v.read_errors == 2 && !v.has_energy, "an unreadable file is an error each sample");
    CHECK(fake_problem_lines() == 1, "and is logged once (%d)", fake_problem_lines());
    teardown(&fx);
}

/* The default globs find a host's named VMs, the one file of its VMs
 * started without guest= (scaphandre//intel-rapl:0, which a glob's "*"
 * cannot match: no directory has an empty name), and a guest's own file. */
static void
test_found_names(void)
{
    struct fixture fx;
    char dir[4200];
    bool web = false, unnamed = false;

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", ""))
        return;
    put_stamped(&fx, "web01", "0", WALL0);
    put_stamped(&fx, "", "0", WALL0);          /* as qemu.rs writes it, with "//" */
    snprintf(dir, sizeof(dir), "%s" SCAPH "/intel-rapl:0:0", fx.root);
    mkdirs(dir);                               /* qemu.rs makes this one too */
    tick(&fx);
    for (size_t i = 0; i < vm_count(fx.h.state); i++) {
        struct vm_info v = info(&fx, i);
        printf("# vm %zu: %s (%s)\n", i, v.name, v.path);
        web |= strcmp(v.name, "web01") == 0;
        unnamed |= strcmp(v.name, VM_NAME_UNNAMED) == 0 && strstr(v.path, "//") == NULL;
    }
    CHECK(vm_count(fx.h.state) == 2 && web && unnamed,
          "the default globs find web01 and the VMs without guest= as \"unnamed\" (%zu)", vm_count(fx.h.state));
    teardown(&fx);

    /* the exporter's spelling and the plain one are one file, one instance */
    if (!setup(&fx, "/tmp/test_vm.XXXXXX", "[vm]\npaths = " SCAPH "//intel-rapl:0/energy_uj, "
               SCAPH "/intel-rapl:0/energy_uj\n"))
        return;
    put_stamped(&fx, "", "0", WALL0);
    tick(&fx);
    CHECK(vm_count(fx.h.state) == 1 && strcmp(info(&fx, 0).name, VM_NAME_UNNAMED) == 0,
          "a glob written with \"//\" and one without match one instance (%zu)", vm_count(fx.h.state));
    teardown(&fx);

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", ""))
        return;
    write_stamped(&fx, "/var/scaphandre/intel-rapl:0/energy_uj", "0", WALL0);
    tick(&fx);
    CHECK(vm_count(fx.h.state) == 1 && strcmp(info(&fx, 0).name, VM_NAME_GUEST) == 0,
          "inside a guest the default globs find /var/scaphandre, named \"guest\" (%s)", info(&fx, 0).name);
    teardown(&fx);
}

/* Every Scaphandre 1.0.x qemu exporter adds, once a loop (about 5 s), the
 * VM's share of the host's power in microwatts (qemu.rs: uj_to_add =
 * ratio * get_records_diff_power_microwatts() / 100; upstream issue #428,
 * fix PR #429 not merged). A rewrite adding N is N/1e6 W, and N/1e6 x the
 * time since the previous rewrite joules. */
static void
test_scaphandre_format(void)
{
    struct fixture fx;
    struct vm_info a, b;
    char text[32];
    bool steady = true, monotonic = true;
    double last_energy = 0;
    uint64_t file = 0;

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", "[vm]\nrate_timeout = 30\n"))
        return;
    CHECK(config_error_count(fx.h.config) == 0, "scaphandre-1.0 is the default format");
    put(&fx, "web01", "0");                      /* a new file: the exporter's first write is 0 */
    put(&fx, "old", "123456789");                /* a file with history */
    tick(&fx);
    a = named(&fx, "web01");
    b = named(&fx, "old");
    CHECK(a.has_energy && a.energy_j == 0.0 && !a.has_power, "a new file starts at 0 J, no power yet");
    CHECK(b.has_energy && b.energy_j == 0.0,
          "a file's history is not converted: it starts at 0 J, not 123.456789 (%g)", b.energy_j);
    for (int i = 0; i < 4; i++)
        tick(&fx);
    for (int rewrite = 1; rewrite <= 3; rewrite++) {
        file += 7000000;                         /* a VM at 7 W, rewritten every 5 s */
        snprintf(text, sizeof(text), "%llu", (unsigned long long)file);
        put(&fx, "web01", text);
        for (int i = 0; i < 5; i++) {
            tick(&fx);
            a = named(&fx, "web01");
            if (!(a.has_power && a.power_w == 7.0)) {
                printf("# rewrite %d, sample %d: has_power %d, %g W\n", rewrite, i, a.has_power, a.power_w);
                steady = false;
            }
            monotonic &= a.energy_j >= last_energy;
            last_energy = a.energy_j;
        }
    }
    CHECK(steady, "+7000000 every 5 s reads 7 W (not 1.4 W) at every 1 s sample in between");
    CHECK(a.energy_j == 105.0, "and 7 W x 5 s = 35 J a rewrite: 105 J after three (%.9g)", a.energy_j);

    /* the exporter is stopped for 40 s, then restarted: it reads the file
     * and adds to it (add_or_create()), one loop's power at a time */
    for (int i = 0; i < 40; i++)
        tick(&fx);
    a = named(&fx, "web01");
    CHECK(!a.has_power && a.energy_j == 105.0, "silent past rate_timeout: energy, no power");
    file += 6000000;
    snprintf(text, sizeof(text), "%llu", (unsigned long long)file);
    put(&fx, "web01", text);
    tick(&fx);
    a = named(&fx, "web01");
    CHECK(a.has_power && a.power_w == 6.0 && a.resets == 0,
          "the first rewrite after the silence is one loop's power: 6 W at once, no reset (%g W)", a.power_w);
    CHECK(a.energy_j == 135.0,
          "and one loop's energy, 6 W x the 5 s loop measured before, not x 41 s: 135 J (%.9g)", a.energy_j);

    /* the loop's length is measured: a busy host's exporter takes 5.5 s */
    file += 2000000;
    snprintf(text, sizeof(text), "%llu", (unsigned long long)file);
    put_stamped(&fx, "web01", text, WALL0 + fx.t - 0.5 + 5.5);
    tick_by(&fx, 6.0);
    a = named(&fx, "web01");
    CHECK(a.power_w == 2.0 && fabs(a.energy_j - 146.0) < 1e-9,
          "a rewrite 5.5 s after the previous is 2 W x 5.5 s = 11 J: 146 J (%g W, %.9g J)", a.power_w, a.energy_j);
    for (int i = 0; i < 40; i++)
        tick(&fx);
    file += 4000000;
    snprintf(text, sizeof(text), "%llu", (unsigned long long)file);
    put(&fx, "web01", text);
    tick(&fx);
    a = named(&fx, "web01");
    CHECK(a.power_w == 4.0 && fabs(a.energy_j - 168.0) < 1e-9,
          "after the next silence one loop is 5.5 s: 4 W x 5.5 s = 22 J, 168 J (%.9g)", a.energy_j);

    /* a recreated tmpfs (host reboot, remount): the exporter starts a new
     * file at 0 */
    put(&fx, "web01", "0");
    tick(&fx);
    a = named(&fx, "web01");
    CHECK(a.resets == 1 && fabs(a.energy_j - 168.0) < 1e-9 && !a.has_power,
          "a new file at 0 is a reset: nothing added, no power (resets %llu)", (unsigned long long)a.resets);
    for (int i = 0; i < 4; i++)
        tick(&fx);
    put(&fx, "web01", "4000000");
    tick(&fx);
    a = named(&fx, "web01");
    CHECK(a.power_w == 4.0 && fabs(a.energy_j - 188.0) < 1e-9,
          "then it counts again: 4 W x 5 s = 20 J, 188 J (%.9g)", a.energy_j);
    CHECK(monotonic && a.energy_j >= last_energy, "power.vm.energy never went down");
    teardown(&fx);

    /* the same rewrites read as microjoules: today's figures, 5x low */
    if (!setup(&fx, "/tmp/test_vm.XXXXXX", MICROJOULES))
        return;
    put(&fx, "web01", "0");
    for (int i = 0; i < 5; i++)
        tick(&fx);
    put(&fx, "web01", "7000000");
    for (int i = 0; i < 5; i++)
        tick(&fx);
    a = named(&fx, "web01");
    CHECK(a.power_w == 1.4 && a.energy_j == 7.0,
          "format = microjoules reads the same file as 1.4 W and 7 J (%g W, %g J)", a.power_w, a.energy_j);
    teardown(&fx);

    if (!setup(&fx, "/tmp/test_vm.XXXXXX", "[vm]\nformat = joules\n"))
        return;
    put(&fx, "web01", "0");
    tick(&fx);
    tick_by(&fx, 4.0);
    put(&fx, "web01", "3000000");
    tick(&fx);
    CHECK(config_error_count(fx.h.config) == 1 && info(&fx, 0).power_w == 3.0,
          "an unknown format is a config error, and scaphandre-1.0 is used (%g W)", info(&fx, 0).power_w);
    teardown(&fx);
}

/* An agent sampling slower than the exporter's loop sees several loops'
 * gains at once; a shared file or a coarse timestamp shows one loop in
 * two rewrites. */
static void
test_scaphandre_loops(void)
{
    struct fixture fx;
    struct vm_info a;

    /* power.control.interval 10: two 5 s loops (4 W, then 6 W) between reads */
    if (!setup(&fx, "/tmp/test_vm.XXXXXX", ""))
        return;
    put_stamped(&fx, "web01", "0", WALL0 + 9.5);
    tick_by(&fx, 10.0);
    put_stamped(&fx, "web01", "4000000", WALL0 + 14.5);
    put_stamped(&fx, "web01", "10000000", WALL0 + 19.5);
    tick_by(&fx, 10.0);
    a = info(&fx, 0);
    CHECK(a.has_power && a.power_w == 5.0 && a.energy_j == 50.0,
          "two loops between two reads: (4 + 6) W x 5 s = 50 J, mean 5 W (%g W, %g J)", a.power_w, a.energy_j);
    teardown(&fx);

    /* two VMs without guest= add into one file, one write each per loop;
     * a read can land between them */
    if (!setup(&fx, "/tmp/test_vm.XXXXXX", ""))
        return;
    put(&fx, "", "0");
    for (int i = 0; i < 5; i++)
        tick(&fx);
    put(&fx, "", "3000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(a.power_w == 3.0 && a.energy_j == 15.0, "the first VM's write: 3 W, 15 J (%g W, %g J)",
          a.power_w, a.energy_j);
    put_stamped(&fx, "", "5000000", WALL0 + fx.t - 0.5 + 0.001);
    tick(&fx);
    a = info(&fx, 0);
    CHECK(a.power_w == 5.0 && a.energy_j == 25.0,
          "the second's, 1 ms later, is more of the same loop: 5 W, 25 J (%g W, %g J)", a.power_w, a.energy_j);
    for (int i = 0; i < 3; i++)
        tick(&fx);
    put(&fx, "", "10000000");
    tick(&fx);
    a = info(&fx, 0);
    CHECK(a.power_w == 5.0 && fabs(a.energy_j - 50.0) < 1e-9,
          "the next loop, both VMs in one read: 5 W, 50 J (%g W, %.9g J)", a.power_w, a.energy_j);

    /* a file system stamping whole seconds: two writes under one stamp */
    double stamp = WALL0 + fx.t - 0.5 + 5.0;
    for (int i = 0; i < 5; i++)
        tick(&fx);
    put_stamped(&fx, "", "11000000", stamp);
    tick(&fx);
    put_stamped(&fx, "", "12000000", stamp);
    tick(&fx);
    a = info(&fx, 0);
    CHECK(a.power_w == 2.0 && fabs(a.energy_j - 60.0) < 1e-9,
          "a second write under the same stamp adds to its loop: 2 W, 60 J (%g W, %.9g J)", a.power_w, a.energy_j);
    teardown(&fx);
}

/* Scaphandre 0.5 and earlier: ratio = process jiffies / host jiffies in
 * u64 (exporters/qemu.rs at v0.5.0), 0 for every VM, so the file is
 * rewritten every 5 s and stays 0 (upstream issue #200). */
static void
test_old_scaphandre(void)
{
    struct fixture fx;
    struct vm_info a;
    bool honest = true;

    for (int format = 0; format < 2; format++) {
        if (!setup(&fx, "/tmp/test_vm.XXXXXX", format ? MICROJOULES : ""))
            return;
        fake_log_clear();
        put(&fx, "web01", "0");
        tick(&fx);
        for (int rewrite = 1; rewrite <= 30; rewrite++) {
            for (int i = 0; i < 4; i++)
                tick(&fx);
            put(&fx, "web01", "0");
            tick(&fx);
            a = info(&fx, 0);
            honest &= a.has_power && a.power_w == 0.0 && a.energy_j == 0.0;
            if (rewrite == 11)
                CHECK(fake_log_count("#200") == 0, "%s: 11 rewrites at 0 are not yet suspicious (%d)",
                      format ? "microjoules" : "scaphandre-1.0", fake_log_count("#200"));
        }
        CHECK(honest, "%s: a file rewritten 30 times at 0 reads an honest 0 W and 0 J",
              format ? "microjoules" : "scaphandre-1.0");
        CHECK(fake_log_count("#200") == 1 && fake_log_count("Scaphandre 0.5") == 1,
              "%s: and the agent says once that this is what Scaphandre 0.5 and earlier write (%d): %s",
              format ? "microjoules" : "scaphandre-1.0", fake_log_count("#200"), fake_log);
        CHECK(source_errors_of(&vm_source, fx.h.state) == 0, "it is not an error");
        teardown(&fx);
    }

    /* a 1.0 exporter's new file reads 0 once, then grows: nothing to say */
    if (!setup(&fx, "/tmp/test_vm.XXXXXX", ""))
        return;
    fake_log_clear();
    put(&fx, "web01", "0");
    tick(&fx);
    for (int rewrite = 1; rewrite <= 30; rewrite++) {
        char text[32];
        for (int i = 0; i < 4; i++)
            tick(&fx);
        snprintf(text, sizeof(text), "%d", rewrite * 1000);
        put(&fx, "web01", text);
        tick(&fx);
    }
    CHECK(fake_log_count("#200") == 0, "a file that grows is not taken for an old Scaphandre");
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
    test_found_names();
    test_scaphandre_format();
    test_scaphandre_loops();
    test_old_scaphandre();
    return CHECK_DONE();
}
