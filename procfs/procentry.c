/*
 * procentry.c: one process's files and clock (see procentry.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* openat */
#endif
#include "procentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The kernel's encoding of a process CPU-time clock (glibc's
 * MAKE_PROCESS_CPUCLOCK; clock_getcpuclockid(3) returns the SCHED one). */
#define CPUCLOCK_VIRT     1     /* user time */
#define CPUCLOCK_SCHED    2     /* exact runtime, user + system */

/* Reads a small file relative to ROOT/proc into scan->buf; its length or -errno. */
ssize_t
procscan_read_small(struct procscan *scan, const char *relpath)
{
    int fd = openat(scan->dirfd, relpath, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, scan->buf, sizeof(scan->buf) - 1);
    int err = errno;
    close(fd);
    if (n < 0)
        return -err;
    scan->buf[n] = '\0';
    return n;
}

static bool
is_gone_error(ssize_t err)
{
    /* ESRCH: reaped while we read; ENOENT: no such PID; ENOTDIR: not a
     * process entry at all (a fake ROOT's stray file) */
    return err == -ESRCH || err == -ENOENT || err == -ENOTDIR;
}

/* The stat fields of one process; false when it is gone or unreadable
 * (the latter counted). The comm points into scan->buf. */
bool
procscan_read_stat(struct procscan *scan, int32_t pid, struct proc_stat_fields *f)
{
    char rel[32];
    snprintf(rel, sizeof(rel), "%d/stat", (int)pid);
    ssize_t n = procscan_read_small(scan, rel);
    if (n >= 0 && procscan_parse_stat(scan->buf, (size_t)n, f))
        return true;
    if (!(n < 0 && is_gone_error(n)))
        scan->stats.errors++;
    return false;
}

static uint64_t
ticks_to_cpu_ns(const struct procscan *scan, const struct proc_stat_fields *f)
{
    uint64_t ticks = scan->basis == PROCSCAN_UTIME ? f->utime : f->utime + f->stime;
    return ticks * scan->ns_per_tick;
}

/* The process clock; false when no process has that PID (a free PID and a
 * thread id alike: the kernel accepts only thread-group leaders here). */
static bool
read_clock(const struct procscan *scan, int32_t pid, uint64_t *cpu_ns)
{
    unsigned which = scan->basis == PROCSCAN_UTIME ? CPUCLOCK_VIRT : CPUCLOCK_SCHED;
    clockid_t clock = (clockid_t)((~(uint32_t)pid << 3) | which);
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0)
        return false;
    *cpu_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    return true;
}

static char *
copy_string(struct procscan *scan, const char *s, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, s, len);
        copy[len] = '\0';
        scan->string_bytes += len + 1;
    }
    return copy;
}

void
procentry_free_strings(struct procscan *scan, struct entry *e)
{
    if (e->name)
        scan->string_bytes -= strlen(e->name) + 1;
    if (e->cgroup)
        scan->string_bytes -= strlen(e->cgroup) + 1;
    free(e->name);
    free(e->cgroup);
    e->name = e->cgroup = NULL;
}

static char *
read_name(struct procscan *scan, int32_t pid, const char *comm, size_t comm_len)
{
    char rel[32], name[PROCSCAN_NAME_MAX + 1];

    snprintf(rel, sizeof(rel), "%d/cmdline", (int)pid);
    ssize_t n = procscan_read_small(scan, rel);
    size_t used = procscan_format_name(name, pid, scan->buf, n > 0 ? (size_t)n : 0, comm, comm_len);
    return copy_string(scan, name, used);
}

static char *
read_cgroup(struct procscan *scan, int32_t pid)
{
    char rel[32];
    const char *path;
    size_t len;
    snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
    ssize_t n = procscan_read_small(scan, rel);
    if (n > 0 && procscan_parse_cgroup(scan->buf, &path, &len))
        return copy_string(scan, path, len);
    return copy_string(scan, "/", 1);
}

/* First sight. Returns true with *e filled; false when there is no such
 * process (a probe that missed) or it cannot be read. */
bool
procentry_open(struct procscan *scan, int32_t pid, struct entry *e)
{
    struct proc_stat_fields f;
    char comm[128];

    memset(e, 0, sizeof(*e));
    e->pid = pid;
    /* live: the clock is the cheapest existence test, so it goes first */
    if (scan->live && !read_clock(scan, pid, &e->cpu_ns))
        return false;
    if (!procscan_read_stat(scan, pid, &f))
        return false;
    e->start_ticks = f.start_ticks;
    if (!scan->live)
        e->cpu_ns = ticks_to_cpu_ns(scan, &f);
    /* comm points into buf, which the next reads reuse */
    size_t comm_len = f.comm_len < sizeof(comm) ? f.comm_len : sizeof(comm) - 1;
    memcpy(comm, f.comm, comm_len);

    e->name = read_name(scan, pid, comm, comm_len);
    e->cgroup = read_cgroup(scan, pid);
    if (e->name == NULL || e->cgroup == NULL) {
        procentry_free_strings(scan, e);
        scan->stats.errors++;
        return false;
    }
    scan->stats.new_processes++;
    return true;
}

enum refresh
procentry_refresh(struct procscan *scan, struct entry *e, bool verify)
{
    struct proc_stat_fields f;

    if (!scan->live) {
        /* the stat file carries the identity with the counters: always checked */
        if (!procscan_read_stat(scan, e->pid, &f))
            return REFRESH_GONE;
        if (f.start_ticks != e->start_ticks)
            return REFRESH_REUSED;
        e->cpu_ns = ticks_to_cpu_ns(scan, &f);
        return REFRESH_OK;
    }
    uint64_t cpu_ns;
    if (!read_clock(scan, e->pid, &cpu_ns))
        return REFRESH_GONE;
    /* A process's clock never runs backwards: one that did belongs to
     * another process, whatever the cursor says. */
    if (verify || cpu_ns < e->cpu_ns) {
        scan->stats.identity_checks++;
        if (!procscan_read_stat(scan, e->pid, &f))
            return REFRESH_GONE;
        if (f.start_ticks != e->start_ticks)
            return REFRESH_REUSED;
    }
    e->cpu_ns = cpu_ns;
    return REFRESH_OK;
}

void
procentry_drop(struct procscan *scan, struct entry *e)
{
    procentry_free_strings(scan, e);
    scan->stats.vanished++;
}
