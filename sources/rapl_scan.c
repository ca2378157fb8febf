/*
 * rapl_scan.c: the RAPL zones under /sys/class/powercap (see rapl_impl.h):
 * found by walking the control types' directories, named by their parents,
 * each energy_uj kept open.
 */
#include "rapl_impl.h"
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

void
rapl_zone_close(struct rapl_zone *z)
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
            rapl_zone_close(z);
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

void
rapl_rescan(struct rapl_state *st, double now_s)
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
            /* gone before a read could fail on it: counted all the same,
             * whichever of the scan and the read notices first */
            status_error(&st->status, RAPL_READ_FAILED, "zone %s: %s/energy_uj is gone (counted in "
                         "power.source.errors; looked for again at each scan)", z->name, z->dir);
            rapl_zone_close(z);
            z->present = false;
            z->has_power = false;
            z->rebase = true;
        }
    }
    free(seen);
    st->last_scan_s = now_s;
    st->rescan_now = false;
}
