#include "rapl.h"
#include "config.h"
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define RAPL_MAX_ZONES 64
#define RAPL_SCAN_DEPTH 4

/* What the source logs once (status_error, status_warn_once). */
enum rapl_kind {
    RAPL_TOO_MANY_ZONES,
    RAPL_READ_FAILED,
    RAPL_UNSAFE_INTERVAL,
    RAPL_NO_RANGE,
    RAPL_TWO_PLATFORMS,
};

struct rapl_zone {
    char     name[600];
    char     sysfs_id[256];
    char     dir[PATH_MAX];       /* resolved zone directory */
    int      fd;                  /* energy_uj, kept open; -1 when closed */
    bool     present;
    bool     has_power;
    bool     unreadable;          /* energy_uj is root-only: the zone waits for the fix */
    struct notice problem;        /* why the zone is not read, logged when it changes */
    bool     rebase;              /* next reading starts a new baseline: the gap is unknown */
    struct wrap_counter counter;
    double   power_w;
    double   last_s;
    bool     seen_this_scan;
};

/* Cumulative energy of one power.system candidate, built only from zone
 * deltas valid at both ends, so it never jumps when zones come and go. */
struct rapl_candidate {
    double energy_j;
    bool   valid;
};

struct rapl_state {
    struct source_env env;
    bool              enabled;
    double            rescan_s;
    double            last_scan_s;
    bool              rescan_now;
    struct rapl_zone  zones[RAPL_MAX_ZONES];
    size_t            nzones;
    struct rapl_candidate psys, package_dram;
    struct source_status status;
};

static void
zone_close(struct rapl_zone *z)
{
    if (z->fd >= 0)
        close(z->fd);
    z->fd = -1;
}

/* "intel-rapl:0:2" -> parent "intel-rapl:0"; false for a top-level zone */
static bool
parent_id(const char *id, char *parent, size_t size)
{
    const char *first = strchr(id, ':'), *last = strrchr(id, ':');

    if (!first || first == last)
        return false;
    snprintf(parent, size, "%.*s", (int)(last - id), id);
    return true;
}

static struct rapl_zone *
zone_by_id(struct rapl_state *st, const char *id)
{
    for (size_t i = 0; i < st->nzones; i++)
        if (strcmp(st->zones[i].sysfs_id, id) == 0)
            return &st->zones[i];
    return NULL;
}

static void
zone_name(struct rapl_state *st, const char *dir, const char *id, char *out, size_t size)
{
    char path[PATH_MAX], label[256] = "", parent[256], parent_dir[PATH_MAX];
    const char *prefix = strncmp(id, "intel-rapl-mmio", 15) == 0 ? "mmio:" : "";

    if (path_join(path, sizeof(path), "%s/name", dir) < 0 ||
        sysfs_read_text(path, label, sizeof(label)) < 0 || label[0] == '\0')
        snprintf(label, sizeof(label), "%s", id);
    if (parent_id(id, parent, sizeof(parent))) {
        char parent_label[256] = "";
        /* the parent directory holds the subzone in every layout the kernel uses */
        snprintf(parent_dir, sizeof(parent_dir), "%s", dir);
        char *slash = strrchr(parent_dir, '/');
        if (slash)
            *slash = '\0';
        if (path_join(path, sizeof(path), "%s/name", parent_dir) < 0 ||
            sysfs_read_text(path, parent_label, sizeof(parent_label)) < 0 || !parent_label[0])
            snprintf(parent_label, sizeof(parent_label), "%s", parent);
        snprintf(out, size, "%s%s/%s", prefix, parent_label, label);
    } else
        snprintf(out, size, "%s%s", prefix, label);
    (void)st;
}

/* "intel-rapl:0", "intel-rapl:0:1", "intel-rapl-mmio:0": a control type, then :N groups */
static bool
is_zone_id(const char *name)
{
    const char *colon = strchr(name, ':');

    if (!colon || colon == name || !strstr(name, "rapl") || strstr(name, "rapl") > colon)
        return false;
    for (const char *p = colon; *p; p++) {
        if (*p == ':') {
            if (!isdigit((unsigned char)p[1]))
                return false;
        } else if (!isdigit((unsigned char)*p))
            return false;
    }
    return true;
}

static void
open_zone_fd(struct rapl_state *st, struct rapl_zone *z)
{
    char path[PATH_MAX];

    if (z->fd >= 0 || path_join(path, sizeof(path), "%s/energy_uj", z->dir) < 0)
        return;
    z->fd = open(path, O_RDONLY | O_CLOEXEC);
    z->unreadable = z->fd < 0 && (errno == EACCES || errno == EPERM);
    if (z->fd >= 0)
        notice_clear(&z->problem);
    else if (z->unreadable)
        notice_set(&z->problem, st->env.log, LOG_WARNING, "rapl: ",
                   "%s is readable by root only (the CVE-2020-8694 fix): "
                   "zone %s is absent until the agent runs as root "
                   "(./Install registers it with -U root; or chmod o+r the file)",
                   path, z->name);
}

static void
add_zone(struct rapl_state *st, const char *dir, const char *id)
{
    struct rapl_zone *z = zone_by_id(st, id);
    char path[PATH_MAX];
    uint64_t range;

    if (z) {
        z->seen_this_scan = true;
        if (strcmp(z->dir, dir) != 0 && !z->present) {
            zone_close(z);
            snprintf(z->dir, sizeof(z->dir), "%s", dir);
        }
        if (z->fd < 0)
            open_zone_fd(st, z);
        return;
    }
    if (st->nzones >= RAPL_MAX_ZONES) {
        status_error(&st->status, RAPL_TOO_MANY_ZONES, "more than %d zones: %s and later ones "
                     "are not followed", RAPL_MAX_ZONES, id);
        return;
    }
    z = &st->zones[st->nzones++];
    memset(z, 0, sizeof(*z));
    z->fd = -1;
    z->seen_this_scan = true;
    snprintf(z->sysfs_id, sizeof(z->sysfs_id), "%s", id);
    snprintf(z->dir, sizeof(z->dir), "%s", dir);
    zone_name(st, dir, id, z->name, sizeof(z->name));
    for (size_t i = 0; i + 1 < st->nzones; i++) {
        if (strcmp(st->zones[i].name, z->name) == 0) {   /* never two instances of one name */
            size_t len = strlen(z->name);
            snprintf(z->name + len, sizeof(z->name) - len, "@%s", id);
            break;
        }
    }
    if (path_join(path, sizeof(path), "%s/max_energy_range_uj", dir) == 0 &&
        sysfs_read_u64(path, &range) == 0)
        z->counter.range = range + 1;   /* the counter holds 0..max inclusive */
    open_zone_fd(st, z);
}

static void
scan_dir(struct rapl_state *st, const char *dir, int depth, char seen[][PATH_MAX], size_t *nseen)
{
    DIR *d;
    struct dirent *de;

    if (depth > RAPL_SCAN_DEPTH || (d = opendir(dir)) == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        char path[PATH_MAX], real[PATH_MAX], probe[PATH_MAX];
        struct stat sb;
        bool dup = false;

        if (de->d_name[0] == '.' || !is_zone_id(de->d_name) ||
            path_join(path, sizeof(path), "%s/%s", dir, de->d_name) < 0 ||
            stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode) || !realpath(path, real))
            continue;
        for (size_t i = 0; i < *nseen && !dup; i++)
            dup = strcmp(seen[i], real) == 0;
        if (dup || *nseen >= RAPL_MAX_ZONES)
            continue;
        snprintf(seen[(*nseen)++], PATH_MAX, "%s", real);
        /* by its real directory: /sys/class/powercap holds a symlink to every
         * subzone, whose parent there is not its package (kernfs lists them
         * in hash order, so a subzone can come before its package) */
        if (path_join(probe, sizeof(probe), "%s/energy_uj", real) == 0 && access(probe, F_OK) == 0)
            add_zone(st, real, de->d_name);
        scan_dir(st, path, depth + 1, seen, nseen);
    }
    closedir(d);
}

static void
rescan(struct rapl_state *st, double now_s)
{
    char top[PATH_MAX];
    static const char *const control_types[] = { "intel-rapl", "intel-rapl-mmio", "amd-rapl" };
    char (*seen)[PATH_MAX] = calloc(RAPL_MAX_ZONES, PATH_MAX);
    size_t nseen = 0;

    if (!seen)
        return;
    for (size_t i = 0; i < st->nzones; i++)
        st->zones[i].seen_this_scan = false;
    if (path_join(top, sizeof(top), "%s/sys/class/powercap", st->env.root) == 0) {
        scan_dir(st, top, 0, seen, &nseen);
        /* snapshots keep zones below the control-type directory only */
        for (size_t i = 0; i < sizeof(control_types) / sizeof(control_types[0]); i++) {
            char sub[PATH_MAX];
            if (path_join(sub, sizeof(sub), "%s/%s", top, control_types[i]) == 0)
                scan_dir(st, sub, 1, seen, &nseen);
        }
    }
    for (size_t i = 0; i < st->nzones; i++) {
        struct rapl_zone *z = &st->zones[i];
        if (!z->seen_this_scan && z->fd >= 0) {
            zone_close(z);
            z->present = false;
            z->has_power = false;
            z->rebase = true;
        }
    }
    free(seen);
    st->last_scan_s = now_s;
    st->rescan_now = false;
}

static void *
rapl_open(const struct source_env *env)
{
    struct rapl_state *st = calloc(1, sizeof(*st));

    if (!st)
        return NULL;
    st->env = *env;
    status_init(&st->status, "rapl", env->log);
    st->enabled = config_bool(env->config, "rapl", "enabled", true);
    st->rescan_s = config_double(env->config, "rapl", "rescan", 30.0, 1.0, 86400.0);
    if (!st->enabled) {
        status_set(&st->status, SOURCE_DISABLED, "disabled in the config ([rapl] enabled = no)");
        return st;
    }
    rescan(st, 0.0);
    status_set(&st->status, SOURCE_ABSENT, "not sampled yet");
    return st;
}

static void
check_interval_safety(struct rapl_state *st, struct rapl_zone *z, double dt_s)
{
    double range_j = (double)z->counter.range / 1e6, wrap_s;

    if (range_j <= 0 || z->power_w <= 0)
        return;
    wrap_s = range_j / z->power_w;
    if (dt_s > wrap_s / 2)
        status_warn_once(&st->status, RAPL_UNSAFE_INTERVAL,
                         "zone %s at %.1f W wraps its counter every %.0f s; the "
                         "sampling interval %.1f s is too long to tell two wraps from one: "
                         "set interval below %.0f s", z->name, z->power_w, wrap_s, dt_s, wrap_s / 2);
}

/*
 * sysfs fails the read of a kept file once its zone is removed (kernfs
 * answers ENODEV: fs/kernfs/file.c, kernfs_fop_read_iter). A file in a
 * tree that is not sysfs (-r ROOT, a copy) can be removed or replaced by a
 * rename while we hold it, and would go on reading its old, frozen
 * contents: an unlinked file is gone just the same.
 */
static int
kept_file_gone(struct rapl_state *st, struct rapl_zone *z)
{
    struct stat sb;

    if (fstat(z->fd, &sb) < 0)
        return -errno;
    if (sb.st_nlink > 0)
        return 0;
    notice_set(&z->problem, st->env.log, LOG_WARNING, "rapl: ",
               "zone %s: %s/energy_uj was removed or replaced while the agent held it open; "
               "reopened at the next scan, its gap not counted", z->name, z->dir);
    return -ENOENT;
}

static void
sample_zone(struct rapl_state *st, struct rapl_zone *z, double now_s)
{
    uint64_t raw, delta;
    int sts;

    if (z->fd < 0) {
        z->present = false;
        z->has_power = false;
        return;
    }
    if ((sts = sysfs_pread_u64(z->fd, &raw)) < 0 || (sts = kept_file_gone(st, z)) < 0) {
        status_error(&st->status, RAPL_READ_FAILED, "zone %s: cannot read %s/energy_uj: %s "
                     "(counted in power.source.errors; a zone that went away is looked for again)",
                     z->name, z->dir, strerror(-sts));
        if (sts != -EINVAL) {       /* the zone went away: look again */
            zone_close(z);
            st->rescan_now = true;
        }
        z->present = false;
        z->has_power = false;
        z->rebase = true;
        return;
    }
    if (z->rebase && z->counter.primed) {
        z->counter.last_raw = raw;   /* the gap is unknown: count nothing for it */
        z->rebase = false;
        z->present = true;
        z->has_power = false;
        z->last_s = now_s;
        return;
    }
    z->rebase = false;
    bool was_primed = z->counter.primed;
    delta = wrap_counter_update(&z->counter, raw);
    if (z->counter.range == 0 && z->counter.resets)
        status_warn_once(&st->status, RAPL_NO_RANGE, "zone %s went backwards and has no "
                         "max_energy_range_uj: counted as a reset, not a wrap", z->name);
    if (was_primed && now_s > z->last_s) {
        double dt = now_s - z->last_s;
        z->power_w = (double)delta / 1e6 / dt;
        z->has_power = true;
        check_interval_safety(st, z, dt);
    }
    z->last_s = now_s;
    z->present = true;
}

/* "package-0", "package-1-die-0": a package zone of the MSR or TPMI
 * interface. MMIO zones ("mmio:package-0") measure the same package again
 * and are never added to it. */
static bool
is_package(const char *name)
{
    return strncmp(name, "package-", 8) == 0 && strchr(name, '/') == NULL;
}

/* "package-0/dram"; not "mmio:package-0/dram", the same DRAM through MMIO */
static bool
is_dram(const char *name)
{
    const char *slash = strchr(name, '/');

    return slash && strncmp(name, "package-", 8) == 0 && strcmp(slash + 1, "dram") == 0;
}

/* The platform (psys) zone and the package it hangs off: intel_rapl_common.c
 * (rapl_init_domains) names it "psys" on package 0 and "psys-N" when the
 * package that can read it has an id N above 0, as on Sapphire Rapids and
 * TPMI servers, where that need not be package 0. Returns N, or -1. */
static int
platform_package(const char *name)
{
    const char *digits = name + 5;
    char *end;
    long n;

    if (strcmp(name, "psys") == 0)
        return 0;
    if (strncmp(name, "psys-", 5) != 0 || !isdigit((unsigned char)*digits))
        return -1;
    n = strtol(digits, &end, 10);
    return *end == '\0' && n < 1000000 ? (int)n : -1;
}

static void
update_candidates(struct rapl_state *st, const double *before, const bool *before_ok)
{
    double pkg = 0;
    bool have_pkg = false;
    struct rapl_zone *platform = NULL;
    size_t nplatforms = 0, platform_index = 0;
    int platform_pkg = -1;

    for (size_t i = 0; i < st->nzones; i++) {
        struct rapl_zone *z = &st->zones[i];
        int n;
        if (!z->present)
            continue;
        if ((n = platform_package(z->name)) >= 0) {
            /* each platform zone covers the whole platform: one of them, never a sum */
            nplatforms++;
            if (!platform || n < platform_pkg) {
                platform = z;
                platform_pkg = n;
                platform_index = i;
            }
        } else if (is_package(z->name) || is_dram(z->name)) {
            have_pkg = true;
            pkg += before_ok[i] ? (double)z->counter.extended / 1e6 - before[i] : 0.0;
        }
    }
    if (nplatforms > 1)
        status_warn_once(&st->status, RAPL_TWO_PLATFORMS, "%zu platform (psys) zones: power.system's "
                         "rapl:psys uses %s, the one of the lowest package, since each covers the "
                         "whole platform", nplatforms, platform->name);
    st->psys.valid = platform != NULL;
    if (platform && before_ok[platform_index])
        st->psys.energy_j += (double)platform->counter.extended / 1e6 - before[platform_index];
    st->package_dram.valid = have_pkg;
    st->package_dram.energy_j += pkg;
}

static void
rapl_sample(void *state, const struct sample_time *now)
{
    struct rapl_state *st = state;
    double before[RAPL_MAX_ZONES];
    bool before_ok[RAPL_MAX_ZONES];
    size_t npresent = 0, nunreadable = 0;

    if (!st->enabled)
        return;
    if (st->last_scan_s == 0.0)
        st->last_scan_s = now->mono_s;     /* the scan at open counts as this one */
    if (st->rescan_now || now->mono_s - st->last_scan_s >= st->rescan_s)
        rescan(st, now->mono_s);
    for (size_t i = 0; i < st->nzones; i++) {
        struct rapl_zone *z = &st->zones[i];
        before_ok[i] = z->present && z->counter.primed;
        before[i] = (double)z->counter.extended / 1e6;
        sample_zone(st, z, now->mono_s);
        if (z->present)
            npresent++;
        else if (z->unreadable)
            nunreadable++;
    }
    update_candidates(st, before, before_ok);
    if (npresent > 0)
        status_set(&st->status, SOURCE_ACTIVE, "%s", "");
    else if (nunreadable > 0)
        status_set(&st->status, SOURCE_FAILED, "energy_uj is readable by root only (the CVE-2020-8694 "
                   "fix): run the agent as root (-U root; ./Install does)");
    else
        status_set(&st->status, SOURCE_ABSENT, "no readable zone under %s/sys/class/powercap",
                   st->env.root);
}

static void
rapl_close(void *state)
{
    struct rapl_state *st = state;

    if (!st)
        return;
    for (size_t i = 0; i < st->nzones; i++)
        zone_close(&st->zones[i]);
    free(st);
}

static const struct source_status *
rapl_status(const void *state)
{
    return &((const struct rapl_state *)state)->status;
}

/* in the order of rapl_candidates */
enum { CANDIDATE_PSYS, CANDIDATE_PACKAGE_DRAM };

static const struct system_candidate rapl_candidates[] = {
    [CANDIDATE_PSYS] = { "rapl:psys", true },
    [CANDIDATE_PACKAGE_DRAM] = { "rapl:package+dram", false },
    { NULL, false }
};

static bool
rapl_system_energy(const void *state, size_t candidate, double *energy_j)
{
    const struct rapl_state *st = state;
    const struct rapl_candidate *c;

    if (candidate == CANDIDATE_PSYS)
        c = &st->psys;
    else if (candidate == CANDIDATE_PACKAGE_DRAM)
        c = &st->package_dram;
    else
        return false;
    *energy_j = c->energy_j;
    return c->valid;
}

size_t
rapl_zone_count(const struct rapl_state *st)
{
    return st->nzones;
}

bool
rapl_zone(const struct rapl_state *st, size_t index, struct rapl_zone_info *info)
{
    const struct rapl_zone *z;

    if (index >= st->nzones)
        return false;
    z = &st->zones[index];
    info->name = z->name;
    info->sysfs_id = z->sysfs_id;
    info->present = z->present;
    info->has_power = z->has_power;
    info->energy_j = (double)z->counter.extended / 1e6;
    info->power_w = z->power_w;
    info->max_range_j = z->counter.range ? (double)(z->counter.range - 1) / 1e6 : 0.0;
    info->wraps = z->counter.wraps;
    info->resets = z->counter.resets;
    return true;
}

const struct source_ops rapl_source = {
    .name = "rapl",
    .candidates = rapl_candidates,
    .open = rapl_open,
    .sample = rapl_sample,
    .close = rapl_close,
    .status = rapl_status,
    .system_energy = rapl_system_energy,
};
