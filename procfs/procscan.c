/*
 * procscan.c: the /proc reader behind power.proc.* (see procscan.h).
 *
 * State is a PID-sorted array of entries. Each scan merges it with a
 * sorted list of candidate PIDs: the whole listing of ROOT/proc on a full
 * scan, or the PIDs the cursor handed out since the previous scan on a
 * probe scan. A known process missing from a full listing has vanished;
 * one missing from a probe list is simply re-read. No hash table, and no
 * per-scan allocation once the arrays have grown to the process count.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* readlinkat, CLOCK_BOOTTIME */
#endif
#include "procscan.h"
#include "procentry.h"
#include "procpids.h"
#include "procscan_state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FULL_SCAN_EVERY   64    /* probe scans between safety-net listings */
#define AUDIT_EVERY       512   /* every known start time is checked once in this many scans */
#define PROBE_ALWAYS      4096  /* a range this wide is probed whatever the process count ... */
#define PROBE_PER_PROCESS 4     /* ... and so is one up to 4 PIDs per known process: a failed
                                 * probe costs ~0.1 us, a listed process ~0.85 us */
#define START_SLACK_TICKS 2     /* start times are in ticks: tolerance for "started before" */

static uint64_t
boot_ticks(const struct procscan *scan)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) / scan->ns_per_tick;
}

/* A PID on the candidate list that is not known yet (or whose process was
 * just found replaced: reused, then no discovery miss is possible). */
static void
merge_new(struct procscan *scan, int32_t pid, bool reused)
{
    struct entry *e = &scan->next[scan->nbuilt];
    if (!scan->full && !reused)
        scan->stats.probes++;
    if (!procentry_open(scan, pid, e))
        return;
    scan->nbuilt++;
    /* A listing found a process that started before the previous scan:
     * range discovery should have found it then. Only a live host's start
     * times compare with its boot clock. */
    if (scan->full && scan->live && !reused && scan->stats.scans > 0
        && e->start_ticks + START_SLACK_TICKS < scan->prev_boot_ticks) {
        scan->stats.discovery_misses++;
        if (!scan->prev_full)
            scan->stats.range_discovery = false;
    }
}

/* A known process; listed says whether it was on the candidate list. */
static void
merge_known(struct procscan *scan, struct entry *e, bool listed)
{
    if (scan->full && !listed) {
        procentry_drop(scan, e);
        return;
    }
    bool audit = scan->verify != VERIFY_ALL && (uint32_t)e->pid % AUDIT_EVERY == scan->audit_slot;
    bool verify = audit || scan->verify == VERIFY_ALL
               || (scan->verify == VERIFY_RANGE && procpids_in_range(e->pid, scan->prev.last_pid, scan->now.last_pid));
    scan->stats.audited += audit;
    switch (procentry_refresh(scan, e, verify)) {
    case REFRESH_OK:
        scan->next[scan->nbuilt++] = *e;
        return;
    case REFRESH_REUSED:
        scan->stats.pid_reuses++;
        procentry_drop(scan, e);
        merge_new(scan, e->pid, true);
        return;
    case REFRESH_GONE:
        procentry_drop(scan, e);
        return;
    }
}

/* Picks this scan's discovery (listing or probing) and which known PIDs
 * need their identity checked. */
static void
plan_scan(struct procscan *scan)
{
    scan->now = procpids_read_marks(scan);
    if (scan->now.valid && scan->now.last_pid >= scan->pid_max)
        procpids_read_pid_max(scan);     /* raised since we looked */
    scan->full = true;
    if (scan->stats.scans == 0) {
        scan->verify = VERIFY_NONE;     /* nothing known yet */
        return;
    }
    if (!scan->now.valid || !scan->prev.valid || scan->now.forks < scan->prev.forks) {
        scan->verify = VERIFY_ALL;      /* no cursor to reason with */
        return;
    }
    uint64_t forks = scan->now.forks - scan->prev.forks;
    if (scan->now.last_pid >= scan->pid_max || scan->prev.last_pid >= scan->pid_max
        || forks + PROBE_MARGIN >= (uint64_t)(scan->pid_max - RESERVED_PIDS)) {
        scan->verify = VERIFY_ALL;      /* the cursor may have gone all the way round */
        return;
    }
    scan->verify = forks ? VERIFY_RANGE : VERIFY_NONE;
    size_t width = forks ? procpids_range_width(scan, scan->prev.last_pid, scan->now.last_pid) + PROBE_MARGIN : 0;
    /* The safety nets: a listing for processes no range showed (clone3
     * set_tid), and the rolling start-time audit (merge_known) for PIDs
     * reused behind a cursor rewound through ns_last_pid, as
     * checkpoint/restore does, by a process that has already run longer
     * than the one it replaced. The audit checks 1/AUDIT_EVERY of the
     * PIDs each scan rather than all of them every AUDIT_EVERY scans: the
     * same guarantee and amortised cost (~8 us a process), without a
     * ~130 ms scan at 10,000 processes that holds up pmcd's requests. */
    scan->full = !scan->stats.range_discovery || scan->since_full + 1 >= FULL_SCAN_EVERY
              || width > PROBE_ALWAYS + PROBE_PER_PROCESS * scan->nentries;
}

/* Forks during the scan may have reused a PID between its identity check
 * and its clock read: re-check the PIDs the cursor handed out meanwhile. */
static void
recheck_after_scan(struct procscan *scan)
{
    int32_t end_pid;
    if (!scan->live || !scan->now.valid || !procpids_read_last_pid(scan, &end_pid) || end_pid == scan->now.last_pid)
        return;
    size_t i = 0;
    while (i < scan->nbuilt) {
        struct entry *e = &scan->next[i];
        struct proc_stat_fields f;
        if (!procpids_in_range(e->pid, scan->now.last_pid, end_pid)) {
            i++;
            continue;
        }
        scan->stats.identity_checks++;
        if (procscan_read_stat(scan, e->pid, &f) && f.start_ticks == e->start_ticks) {
            i++;
            continue;
        }
        /* replace in place (same PID, so the order holds), or remove */
        int32_t pid = e->pid;
        scan->stats.pid_reuses++;
        procentry_drop(scan, e);
        if (procentry_open(scan, pid, e)) {
            i++;
        } else {
            memmove(e, e + 1, (scan->nbuilt - i - 1) * sizeof(*e));
            scan->nbuilt--;
        }
    }
}

int
procscan_scan(struct procscan *scan, const struct proc_sample **out, size_t *n)
{
    int sts;

    *out = NULL;
    *n = 0;
    plan_scan(scan);
    uint64_t boot = scan->live ? boot_ticks(scan) : 0;

    if (scan->full) {
        if ((sts = procpids_collect_listing(scan)) < 0)
            return sts;
    } else if (scan->verify == VERIFY_RANGE) {
        if ((sts = procpids_collect_range(scan, scan->prev.last_pid, scan->now.last_pid)) < 0)
            return sts;
    } else {
        scan->npids = 0;    /* no forks since the previous scan: nothing new */
    }
    size_t most = scan->nentries + scan->npids;
    if (procscan_grow((void **)&scan->next, &scan->next_cap, most, sizeof(struct entry)) < 0
        || procscan_grow((void **)&scan->samples, &scan->samples_cap, most, sizeof(struct proc_sample)) < 0)
        return -ENOMEM;

    /* merge the known entries with the candidates, both ascending */
    size_t i = 0, k = 0;
    scan->nbuilt = 0;
    while (i < scan->nentries || k < scan->npids) {
        if (k == scan->npids || (i < scan->nentries && scan->entries[i].pid < scan->pids[k]))
            merge_known(scan, &scan->entries[i++], false);
        else if (i == scan->nentries || scan->entries[i].pid > scan->pids[k])
            merge_new(scan, scan->pids[k++], false);
        else {
            merge_known(scan, &scan->entries[i++], true);
            k++;
        }
    }
    recheck_after_scan(scan);

    /* the built array becomes current; the old one is reused next scan */
    struct entry *built = scan->next;
    size_t built_cap = scan->next_cap;
    scan->next = scan->entries;
    scan->next_cap = scan->entries_cap;
    scan->entries = built;
    scan->entries_cap = built_cap;
    scan->nentries = scan->nbuilt;
    for (size_t j = 0; j < scan->nentries; j++) {
        const struct entry *e = &built[j];
        scan->samples[j] = (struct proc_sample){ e->pid, e->start_ticks, e->cpu_ns, e->name, e->cgroup };
    }

    scan->prev = scan->now;
    scan->prev_boot_ticks = boot;
    scan->prev_full = scan->full;
    scan->since_full = scan->full ? 0 : scan->since_full + 1;
    scan->audit_slot = (scan->audit_slot + 1) % AUDIT_EVERY;
    scan->stats.audits += scan->audit_slot == 0 || scan->verify == VERIFY_ALL;
    scan->stats.full_scans += scan->full;
    scan->stats.scans++;
    scan->stats.processes = scan->nentries;
    *out = scan->samples;
    *n = scan->nentries;
    return 0;
}

/* Does ROOT/proc describe this process's own PID namespace? Only then do
 * its PIDs name the processes our clocks read. */
static bool
proc_is_ours(int dirfd)
{
    char target[32];
    ssize_t n = readlinkat(dirfd, "self", target, sizeof(target) - 1);
    if (n <= 0)
        return false;
    target[n] = '\0';
    return strtol(target, NULL, 10) == (long)getpid();
}

struct procscan *
procscan_open(const char *root, enum procscan_basis basis)
{
    char path[PATH_MAX];
    struct procscan *scan = calloc(1, sizeof(*scan));
    if (scan == NULL)
        return NULL;
    snprintf(path, sizeof(path), "%s/proc", root ? root : "");
    if ((scan->dir = opendir(path)) == NULL) {
        int err = errno;
        free(scan);
        errno = err;
        return NULL;
    }
    scan->dirfd = dirfd(scan->dir);
    scan->basis = basis;
    scan->live = proc_is_ours(scan->dirfd);
    scan->stats.process_clocks = scan->live;
    scan->stats.range_discovery = true;
    long hz = sysconf(_SC_CLK_TCK);
    scan->ns_per_tick = hz > 0 ? 1000000000ULL / (uint64_t)hz : 10000000ULL;

    scan->pid_max = 32768;      /* the kernel's default, where the file is missing */
    procpids_read_pid_max(scan);
    scan->loadavg_fd = openat(scan->dirfd, "loadavg", O_RDONLY | O_CLOEXEC);
    scan->stat_fd = openat(scan->dirfd, "stat", O_RDONLY | O_CLOEXEC);
    scan->statcap = 8192;
    if ((scan->statbuf = malloc(scan->statcap)) == NULL) {
        procscan_close(scan);
        errno = ENOMEM;
        return NULL;
    }
    return scan;
}

const struct procscan_stats *
procscan_stats(const struct procscan *scan)
{
    return &scan->stats;
}

size_t
procscan_memory(const struct procscan *scan)
{
    return sizeof(*scan) + (scan->entries_cap + scan->next_cap) * sizeof(struct entry)
         + scan->pids_cap * sizeof(int32_t) + scan->samples_cap * sizeof(struct proc_sample)
         + scan->statcap + scan->string_bytes;
}

void
procscan_close(struct procscan *scan)
{
    if (scan == NULL)
        return;
    for (size_t i = 0; i < scan->nentries; i++)
        procentry_free_strings(scan, &scan->entries[i]);
    free(scan->entries);
    free(scan->next);
    free(scan->pids);
    free(scan->samples);
    free(scan->statbuf);
    if (scan->loadavg_fd >= 0)
        close(scan->loadavg_fd);
    if (scan->stat_fd >= 0)
        close(scan->stat_fd);
    closedir(scan->dir);
    free(scan);
}
