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
#define _GNU_SOURCE     /* memrchr, openat, readlinkat, CLOCK_BOOTTIME */
#endif
#include "procscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NAME_MAX_BYTES    PROCSCAN_NAME_MAX
#define RESERVED_PIDS     300   /* where the kernel's PID cursor restarts after pid_max */
#define PROBE_MARGIN      64    /* PIDs before the previous cursor probed again: forks in flight then */
#define FULL_SCAN_EVERY   64    /* probe scans between safety-net listings */
#define AUDIT_EVERY       512   /* every known start time is checked once in this many scans */
#define PROBE_ALWAYS      4096  /* a range this wide is probed whatever the process count ... */
#define PROBE_PER_PROCESS 4     /* ... and so is one up to 4 PIDs per known process: a failed
                                 * probe costs ~0.1 us, a listed process ~0.85 us */
#define START_SLACK_TICKS 2     /* start times are in ticks: tolerance for "started before" */

/* The kernel's encoding of a process CPU-time clock (glibc's
 * MAKE_PROCESS_CPUCLOCK; clock_getcpuclockid(3) returns the SCHED one). */
#define CPUCLOCK_VIRT     1     /* user time */
#define CPUCLOCK_SCHED    2     /* exact runtime, user + system */

struct entry {
    int32_t  pid;
    uint64_t start_ticks;
    uint64_t cpu_ns;
    char    *name;
    char    *cgroup;
};

/* Where the kernel's PID cursor and fork count stood. */
struct marks {
    bool     valid;
    int32_t  last_pid;
    uint64_t forks;
};

enum verify { VERIFY_NONE, VERIFY_RANGE, VERIFY_ALL };

enum refresh { REFRESH_OK, REFRESH_GONE, REFRESH_REUSED };

struct procscan {
    enum procscan_basis basis;
    bool          live;         /* CPU time from process clocks; else from stat files */
    DIR          *dir;          /* ROOT/proc, rewound for each listing */
    int           dirfd;        /* for openat("PID/stat") */
    int           loadavg_fd, stat_fd;
    char         *statbuf;      /* /proc/stat: tens of KB on big hosts */
    size_t        statcap;
    uint64_t      ns_per_tick;
    int32_t       pid_max;
    struct marks  prev;         /* read at the start of the previous scan */
    uint64_t      prev_boot_ticks;
    bool          prev_full;
    unsigned      since_full;
    uint32_t      audit_slot;   /* this scan audits the known PIDs equal to it mod AUDIT_EVERY */
    /* the scan in progress */
    enum verify   verify;
    struct marks  now;
    bool          full;
    struct entry *entries, *next;   /* current and being-built arrays */
    size_t        nentries, entries_cap, next_cap, nbuilt;
    int32_t      *pids;
    size_t        npids, pids_cap;
    struct proc_sample *samples;
    size_t        samples_cap;
    size_t        string_bytes;
    struct procscan_stats stats;
    char          buf[4096];    /* stat, cmdline, cgroup of one process */
};

/* ---- parsing */

static const char *
parse_u64(const char *p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    const char *start = p;
    while (p < end && *p >= '0' && *p <= '9')
        v = v * 10 + (uint64_t)(*p++ - '0');
    *out = v;
    return p > start ? p : NULL;
}

/* Skips n space-separated fields. */
static const char *
skip_fields(const char *p, const char *end, int n)
{
    while (n-- > 0) {
        while (p < end && *p != ' ')
            p++;
        while (p < end && *p == ' ')
            p++;
    }
    return p < end ? p : NULL;
}

/* comm may hold spaces and parentheses, so the fields are counted from the LAST ')'. */
bool
procscan_parse_stat(const char *text, size_t len, struct proc_stat_fields *f)
{
    const char *end = text + len;
    const char *open = memchr(text, '(', len);
    const char *close = memrchr(text, ')', len);
    if (open == NULL || close == NULL || close < open || close + 2 >= end)
        return false;
    f->comm = open + 1;
    f->comm_len = (size_t)(close - open - 1);

    /* after ") ": field 3 (state) is index 0; utime 14, stime 15, starttime 22 */
    const char *p = skip_fields(close + 2, end, 14 - 3);
    if (p == NULL || (p = parse_u64(p, end, &f->utime)) == NULL)
        return false;
    if ((p = skip_fields(p, end, 1)) == NULL || (p = parse_u64(p, end, &f->stime)) == NULL)
        return false;
    if ((p = skip_fields(p, end, 22 - 15)) == NULL || parse_u64(p, end, &f->start_ticks) == NULL)
        return false;
    return true;
}

/* ---- reading */

/* Reads a small file relative to ROOT/proc into scan->buf; its length or -errno. */
static ssize_t
read_transient(struct procscan *scan, const char *relpath)
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
static bool
read_stat(struct procscan *scan, int32_t pid, struct proc_stat_fields *f)
{
    char rel[32];
    snprintf(rel, sizeof(rel), "%d/stat", (int)pid);
    ssize_t n = read_transient(scan, rel);
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

/* pread of a whole kept file into a buffer that grows as needed. */
static ssize_t
read_kept_whole(int fd, char **buf, size_t *cap)
{
    for (;;) {
        ssize_t n = pread(fd, *buf, *cap - 1, 0);
        if (n < 0)
            return -errno;
        if ((size_t)n < *cap - 1) {
            (*buf)[n] = '\0';
            return n;
        }
        char *grown = realloc(*buf, *cap * 2);
        if (grown == NULL)
            return -ENOMEM;
        *buf = grown;
        *cap *= 2;
    }
}

static bool
read_last_pid(struct procscan *scan, int32_t *last_pid)
{
    char text[256];
    if (scan->loadavg_fd < 0)
        return false;
    ssize_t n = pread(scan->loadavg_fd, text, sizeof(text), 0);
    return n > 0 && procscan_parse_last_pid(text, (size_t)n, last_pid);
}

bool
procscan_parse_last_pid(const char *text, size_t n, int32_t *last_pid)
{
    uint64_t v;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
        n--;
    const char *p = n > 0 ? memrchr(text, ' ', n) : NULL;
    if (p == NULL || parse_u64(p + 1, text + n, &v) == NULL || v > INT32_MAX)
        return false;
    *last_pid = (int32_t)v;
    return true;
}

static struct marks
read_marks(struct procscan *scan)
{
    struct marks m = { false, 0, 0 };
    if (scan->stat_fd < 0 || !read_last_pid(scan, &m.last_pid))
        return m;
    ssize_t n = read_kept_whole(scan->stat_fd, &scan->statbuf, &scan->statcap);
    m.valid = n > 0 && procscan_parse_forks(scan->statbuf, (size_t)n, &m.forks);
    return m;
}

bool
procscan_parse_forks(const char *text, size_t n, uint64_t *forks)
{
    const char *p = strstr(text, "\nprocesses ");
    return p && parse_u64(p + 11, text + n, forks);
}

static uint64_t
boot_ticks(const struct procscan *scan)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) / scan->ns_per_tick;
}

/* ---- the PID cursor's range */

/* Is pid among those the cursor handed out after lo, up to hi? */
static bool
in_range(int32_t pid, int32_t lo, int32_t hi)
{
    if (lo == hi)
        return false;
    if (lo < hi)
        return pid > lo && pid <= hi;
    return pid > lo || (pid >= RESERVED_PIDS && pid <= hi);     /* wrapped at pid_max */
}

static size_t
range_width(const struct procscan *scan, int32_t lo, int32_t hi)
{
    if (lo <= hi)
        return (size_t)(hi - lo);
    return (size_t)(scan->pid_max - 1 - lo) + (size_t)(hi - RESERVED_PIDS + 1);
}

static int
grow(void **array, size_t *cap, size_t want, size_t elem)
{
    if (want <= *cap)
        return 0;
    size_t new_cap = *cap ? *cap : 256;
    while (new_cap < want)
        new_cap *= 2;
    void *grown = realloc(*array, new_cap * elem);
    if (grown == NULL)
        return -ENOMEM;
    *array = grown;
    *cap = new_cap;
    return 0;
}

static int
compare_pid(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Candidates of a probe scan: the PIDs handed out since the previous
 * cursor, and the margin before it. */
static int
collect_range(struct procscan *scan, int32_t lo, int32_t hi)
{
    size_t width = range_width(scan, lo, hi) + PROBE_MARGIN;
    int32_t p = lo > PROBE_MARGIN ? lo - PROBE_MARGIN : 0;

    scan->npids = 0;
    if (grow((void **)&scan->pids, &scan->pids_cap, width + 1, sizeof(int32_t)) < 0)
        return -ENOMEM;
    while (p != hi && scan->npids <= width) {
        p = p + 1 < scan->pid_max ? p + 1 : RESERVED_PIDS;
        scan->pids[scan->npids++] = p;
    }
    if (lo > hi)    /* wrapped: two ascending runs */
        qsort(scan->pids, scan->npids, sizeof(int32_t), compare_pid);
    return 0;
}

/* Candidates of a full scan: the numeric entries of ROOT/proc (processes;
 * thread ids are not listed). */
static int
collect_listing(struct procscan *scan)
{
    bool sorted = true;
    struct dirent *d;

    scan->npids = 0;
    rewinddir(scan->dir);
    errno = 0;
    while ((d = readdir(scan->dir)) != NULL) {
        const char *p = d->d_name;
        long pid = 0;
        if (*p < '1' || *p > '9')
            continue;
        while (*p >= '0' && *p <= '9' && pid <= INT32_MAX)
            pid = pid * 10 + (*p++ - '0');
        if (*p != '\0' || pid > INT32_MAX)
            continue;
        if (grow((void **)&scan->pids, &scan->pids_cap, scan->npids + 1, sizeof(int32_t)) < 0)
            return -ENOMEM;
        if (scan->npids > 0 && scan->pids[scan->npids - 1] >= (int32_t)pid)
            sorted = false;
        scan->pids[scan->npids++] = (int32_t)pid;
        errno = 0;
    }
    if (errno != 0)
        return -errno;
    /* the live /proc lists PIDs in ascending order; a fake ROOT may not */
    if (!sorted)
        qsort(scan->pids, scan->npids, sizeof(int32_t), compare_pid);
    return 0;
}

/* ---- one process */

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

static void
entry_free_strings(struct procscan *scan, struct entry *e)
{
    if (e->name)
        scan->string_bytes -= strlen(e->name) + 1;
    if (e->cgroup)
        scan->string_bytes -= strlen(e->cgroup) + 1;
    free(e->name);
    free(e->cgroup);
    e->name = e->cgroup = NULL;
}

/* The proc PMDA's instance name (PCP 6 refresh_proc_pidlist): "%06d " and
 * the command line with NULs as spaces, or "(comm)" when it is empty, cut
 * at the first space after the PID: "012345 /usr/bin/sleep". Clients match
 * instance names up to the first space, so the PID alone identifies it. */
size_t
procscan_format_name(char name[PROCSCAN_NAME_MAX + 1], int32_t pid, const char *cmdline, size_t n,
                     const char *comm, size_t comm_len)
{
    size_t used = (size_t)snprintf(name, PROCSCAN_NAME_MAX + 1, "%06d ", (int)pid);

    if (n > 0) {
        /* the first word ends at a NUL (argument separator) or a space
         * (a process that rewrote its argv as one string) */
        size_t len = 0;
        while (len < n && cmdline[len] != '\0' && cmdline[len] != ' '
               && used + len < NAME_MAX_BYTES)
            len++;
        memcpy(name + used, cmdline, len);
        used += len;
    } else {
        size_t len = 0;
        name[used++] = '(';
        /* a NUL too: the name is a C string, and its length is what copy_string
         * charges to string_bytes and entry_free_strings takes back */
        while (len < comm_len && comm[len] != ' ' && comm[len] != '\0' && used + len < NAME_MAX_BYTES - 1)
            len++;
        memcpy(name + used, comm, len);
        used += len;
        if (len == comm_len)
            name[used++] = ')';
    }
    name[used] = '\0';
    return used;
}

static char *
read_name(struct procscan *scan, int32_t pid, const char *comm, size_t comm_len)
{
    char rel[32], name[NAME_MAX_BYTES + 1];

    snprintf(rel, sizeof(rel), "%d/cmdline", (int)pid);
    ssize_t n = read_transient(scan, rel);
    size_t used = procscan_format_name(name, pid, scan->buf, n > 0 ? (size_t)n : 0, comm, comm_len);
    return copy_string(scan, name, used);
}

bool
procscan_parse_cgroup(const char *text, const char **path, size_t *path_len)
{
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > 3 && strncmp(line, "0::", 3) == 0) {
            *path = line + 3;
            *path_len = len - 3;
            return true;
        }
        line = eol ? eol + 1 : NULL;
    }
    return false;
}

static char *
read_cgroup(struct procscan *scan, int32_t pid)
{
    char rel[32];
    const char *path;
    size_t len;
    snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
    ssize_t n = read_transient(scan, rel);
    if (n > 0 && procscan_parse_cgroup(scan->buf, &path, &len))
        return copy_string(scan, path, len);
    return copy_string(scan, "/", 1);
}

/* First sight. Returns true with *e filled; false when there is no such
 * process (a probe that missed) or it cannot be read. */
static bool
entry_open(struct procscan *scan, int32_t pid, struct entry *e)
{
    struct proc_stat_fields f;
    char comm[128];

    memset(e, 0, sizeof(*e));
    e->pid = pid;
    /* live: the clock is the cheapest existence test, so it goes first */
    if (scan->live && !read_clock(scan, pid, &e->cpu_ns))
        return false;
    if (!read_stat(scan, pid, &f))
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
        entry_free_strings(scan, e);
        scan->stats.errors++;
        return false;
    }
    scan->stats.new_processes++;
    return true;
}

static enum refresh
entry_refresh(struct procscan *scan, struct entry *e, bool verify)
{
    struct proc_stat_fields f;

    if (!scan->live) {
        /* the stat file carries the identity with the counters: always checked */
        if (!read_stat(scan, e->pid, &f))
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
        if (!read_stat(scan, e->pid, &f))
            return REFRESH_GONE;
        if (f.start_ticks != e->start_ticks)
            return REFRESH_REUSED;
    }
    e->cpu_ns = cpu_ns;
    return REFRESH_OK;
}

static void
entry_drop(struct procscan *scan, struct entry *e)
{
    entry_free_strings(scan, e);
    scan->stats.vanished++;
}

/* ---- the scan */

/* A PID on the candidate list that is not known yet (or whose process was
 * just found replaced: reused, then no discovery miss is possible). */
static void
merge_new(struct procscan *scan, int32_t pid, bool reused)
{
    struct entry *e = &scan->next[scan->nbuilt];
    if (!scan->full && !reused)
        scan->stats.probes++;
    if (!entry_open(scan, pid, e))
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
        entry_drop(scan, e);
        return;
    }
    bool audit = scan->verify != VERIFY_ALL && (uint32_t)e->pid % AUDIT_EVERY == scan->audit_slot;
    bool verify = audit || scan->verify == VERIFY_ALL
               || (scan->verify == VERIFY_RANGE && in_range(e->pid, scan->prev.last_pid, scan->now.last_pid));
    scan->stats.audited += audit;
    switch (entry_refresh(scan, e, verify)) {
    case REFRESH_OK:
        scan->next[scan->nbuilt++] = *e;
        return;
    case REFRESH_REUSED:
        scan->stats.pid_reuses++;
        entry_drop(scan, e);
        merge_new(scan, e->pid, true);
        return;
    case REFRESH_GONE:
        entry_drop(scan, e);
        return;
    }
}

static void
read_pid_max(struct procscan *scan)
{
    uint64_t v;
    ssize_t n = read_transient(scan, "sys/kernel/pid_max");
    if (n > 0 && parse_u64(scan->buf, scan->buf + n, &v) && v > RESERVED_PIDS && v <= INT32_MAX)
        scan->pid_max = (int32_t)v;
}

/* Picks this scan's discovery (listing or probing) and which known PIDs
 * need their identity checked. */
static void
plan_scan(struct procscan *scan)
{
    scan->now = read_marks(scan);
    if (scan->now.valid && scan->now.last_pid >= scan->pid_max)
        read_pid_max(scan);     /* raised since we looked */
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
    size_t width = forks ? range_width(scan, scan->prev.last_pid, scan->now.last_pid) + PROBE_MARGIN : 0;
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
    if (!scan->live || !scan->now.valid || !read_last_pid(scan, &end_pid) || end_pid == scan->now.last_pid)
        return;
    size_t i = 0;
    while (i < scan->nbuilt) {
        struct entry *e = &scan->next[i];
        struct proc_stat_fields f;
        if (!in_range(e->pid, scan->now.last_pid, end_pid)) {
            i++;
            continue;
        }
        scan->stats.identity_checks++;
        if (read_stat(scan, e->pid, &f) && f.start_ticks == e->start_ticks) {
            i++;
            continue;
        }
        /* replace in place (same PID, so the order holds), or remove */
        int32_t pid = e->pid;
        scan->stats.pid_reuses++;
        entry_drop(scan, e);
        if (entry_open(scan, pid, e)) {
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
        if ((sts = collect_listing(scan)) < 0)
            return sts;
    } else if (scan->verify == VERIFY_RANGE) {
        if ((sts = collect_range(scan, scan->prev.last_pid, scan->now.last_pid)) < 0)
            return sts;
    } else {
        scan->npids = 0;    /* no forks since the previous scan: nothing new */
    }
    size_t most = scan->nentries + scan->npids;
    if (grow((void **)&scan->next, &scan->next_cap, most, sizeof(struct entry)) < 0
        || grow((void **)&scan->samples, &scan->samples_cap, most, sizeof(struct proc_sample)) < 0)
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

/* ---- open, close */

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
    read_pid_max(scan);
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
        entry_free_strings(scan, &scan->entries[i]);
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
