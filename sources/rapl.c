#include "rapl.h"
#include "rapl_impl.h"
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
    rapl_rescan(st, 0.0);
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
            rapl_zone_close(z);
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
        rapl_rescan(st, now->mono_s);
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
        rapl_zone_close(&st->zones[i]);
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
    info->raw_j = (double)z->counter.last_raw / 1e6;
    info->wrap_j = (double)z->counter.range / 1e6;
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
