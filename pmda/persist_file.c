/*
 * persist_file.c: the saved counters' file (persist.h), one counter a
 * line, the instance name last because it may hold blanks ("" for a
 * metric without instances):
 *
 *   pcp-power counters 1
 *   boot 9d5c...            the boot it was saved on, "-" when unknown
 *   saved 1764612345.250    wall time of the sample saved
 *   gap 12.5                power.control.gap_time so far
 *   continued 3             power.control.continued so far
 *   c METRIC VALUE SAVED HW RAW WRAP WATTS REBOOT FALLING\tNAME
 *
 * METRIC is cluster x 1024 + item; SAVED the wall time the value was last
 * true; HW whether RAW, WRAP and WATTS (persist_hw) hold a reading. It is
 * read whole or not at all, and written to a new file renamed over it.
 */
#include "persist_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define PERSIST_MAGIC "pcp-power counters 1"
#define PERSIST_LINE_MAX 4096

static bool
wall_time(double t)
{
    return t >= 0 && t < PERSIST_WALL_MAX;
}

/* One "c ..." line; false when it is not one. A name twice (an older
 * agent's file) keeps its latest line. */
static bool
parse_counter(struct persist *p, char *line)
{
    char *tab = strchr(line, '\t'), *end;
    unsigned metric;
    double value, saved, raw, wrap, watts;
    int hw, reboot, falling, used = 0;
    struct persist_entry *e;

    if (!tab || (end = strchr(tab + 1, '\n')) == NULL || end - (tab + 1) > PERSIST_NAME_MAX)
        return false;
    *tab = *end = '\0';
    if (sscanf(line, "c %u %lf %lf %d %lf %lf %lf %d %d%n", &metric, &value, &saved, &hw, &raw, &wrap,
               &watts, &reboot, &falling, &used) != 9 || line[used] != '\0'
        || !isfinite(value) || !wall_time(saved) || !isfinite(raw) || !(wrap >= 0) || !isfinite(wrap)
        || !(watts >= 0) || !isfinite(watts) || (hw | reboot | falling) & ~1)
        return false;
    e = persist_entry_named(p, metric, tab + 1);
    if (e && e->saved_wall_s > saved)
        return true;
    if (!e && !(e = persist_entry_add(p, metric, tab + 1)))
        return false;
    e->value = value;
    e->saved_wall_s = saved;
    e->hw = (struct persist_hw){ .valid = hw == 1, .raw_j = raw, .wrap_j = wrap, .power_w = watts,
                                 .survives_reboot = reboot == 1, .falling = falling == 1 };
    return true;
}

const char *
persist_load(struct persist *p, FILE *f)
{
    char line[PERSIST_LINE_MAX];
    unsigned long long continued;

    if (!fgets(line, sizeof(line), f) || strcmp(line, PERSIST_MAGIC "\n") != 0)
        return "not a pcp-power counters file (or another version of it)";
    if (!fgets(line, sizeof(line), f) || sscanf(line, "boot %63s", p->saved_boot) != 1)
        return "no boot line";
    if (!fgets(line, sizeof(line), f) || sscanf(line, "saved %lf", &p->saved_wall_s) != 1
        || !wall_time(p->saved_wall_s))
        return "no saved line";
    if (!fgets(line, sizeof(line), f) || sscanf(line, "gap %lf", &p->saved_gap_s) != 1
        || !(p->saved_gap_s >= 0) || !isfinite(p->saved_gap_s))
        return "no gap line";
    if (!fgets(line, sizeof(line), f) || sscanf(line, "continued %llu", &continued) != 1)
        return "no continued line";
    p->saved_continued = continued;
    while (fgets(line, sizeof(line), f))
        if (!parse_counter(p, line))
            return "a counter line is malformed";
    return ferror(f) ? "read error" : NULL;
}

static bool
write_state(struct persist *p, FILE *f)
{
    fprintf(f, PERSIST_MAGIC "\nboot %s\nsaved %.6f\ngap %.17g\ncontinued %llu\n", p->boot_id, p->wall_s,
            p->gap_s, (unsigned long long)p->continued);
    for (size_t i = 0; i < p->n; i++) {
        const struct persist_entry *e = &p->entries[i];
        if (strchr(e->name, '\n') || strlen(e->name) > PERSIST_NAME_MAX) {
            /* not continued, rather than a file that does not read back */
            if (!p->dropped_newline)
                p->log(LOG_WARNING, "counters: instance \"%.200s\" has a newline in its name or is too long "
                       "to save: its counter will start again from zero after a restart", e->name);
            p->dropped_newline = true;
            continue;
        }
        fprintf(f, "c %u %.17g %.6f %d %.17g %.17g %.9g %d %d\t%s\n", e->metric, e->value, e->saved_wall_s,
                e->hw.valid, e->hw.raw_j, e->hw.wrap_j, e->hw.power_w, e->hw.survives_reboot, e->hw.falling,
                e->name);
    }
    return !ferror(f);
}

void
persist_remove_leftovers(const char *path)
{
    char *dir_copy = strdup(path), *base_copy = strdup(path);
    const char *base = base_copy ? basename(base_copy) : NULL;
    size_t len = base ? strlen(base) : 0;
    DIR *d = dir_copy ? opendir(dirname(dir_copy)) : NULL;
    struct dirent *de;

    while (d && (de = readdir(d)) != NULL)
        /* "power.counters.XXXXXX": a save that an agent killed mid-write left */
        if (strncmp(de->d_name, base, len) == 0 && de->d_name[len] == '.' && strlen(de->d_name + len + 1) == 6)
            unlinkat(dirfd(d), de->d_name, 0);
    if (d)
        closedir(d);
    free(dir_copy);
    free(base_copy);
}

/* The rename itself made durable: the directory's entry flushed too. */
static bool
sync_directory(const char *path)
{
    char *copy = strdup(path);
    int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    bool ok = fd >= 0 && fsync(fd) == 0;

    if (fd >= 0)
        close(fd);
    free(copy);
    return ok;
}

bool
persist_save(struct persist *p, bool sync)
{
    char tmp[PATH_MAX + 16];
    const char *step = "create";
    FILE *f = NULL;
    int fd, saved_errno = 0;
    bool ok = false;

    if (!p->begun)
        return true;           /* nothing seen yet: the saved state is still the truth */
    persist_prune(p);
    /* a name of our own making (mkstemp): the agent runs as root in a
     * directory its group may write, so a fixed name could be a planted link */
    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", p->path);
    if ((fd = mkstemp(tmp)) >= 0) {
        if (fchmod(fd, 0644) < 0 || (f = fdopen(fd, "w")) == NULL)
            close(fd);
    }
    if (f) {
        step = "write";
        ok = write_state(p, f);
        if (ok && sync && fflush(f) == 0)
            ok = fsync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok;
        if (ok) {
            step = "rename";
            ok = rename(tmp, p->path) == 0;
        }
        if (ok && sync) {
            step = "flush the directory of";
            ok = sync_directory(p->path);
        }
    }
    if (!ok) {
        saved_errno = errno;
        if (fd >= 0)
            unlink(tmp);
    }
    if (!ok && !p->save_failing)
        p->log(LOG_ERR, "counters: cannot %s %s: %s; energy counters will start again from zero "
               "after a restart (the agent's user must be able to write its directory)",
               step, tmp, strerror(saved_errno));
    else if (ok && p->save_failing)
        p->log(LOG_INFO, "counters: %s saved again", p->path);
    p->save_failing = !ok;
    return ok;
}
