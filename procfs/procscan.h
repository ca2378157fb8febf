/*
 * procscan.h: every process's cumulative on-CPU time from ROOT/proc, as the
 * proc_sample snapshot attribution/ consumes (design.md, "Cost").
 *
 * The scan is the whole cost of per-process attribution. Where it costs:
 * with 10,000 processes on a 2-core VM, a readdir of /proc is ~8.5 ms, an
 * open/read/close of every /proc/PID/stat 60-110 ms (load-dependent), a
 * pread of every kept /proc/PID/stat fd ~37 ms, of every kept schedstat fd
 * ~11 ms, and one clock_gettime per process ~9 ms. So:
 *
 * CPU time, on a live host: the kernel's per-process CPU clock
 * (clock_getcpuclockid(3), clock_gettime(2)): nanoseconds, all threads of
 * the process including exited ones, no file, no fd. /proc/PID/schedstat
 * is NOT used: it counts the main thread only, so a server whose work runs
 * in worker threads would read as idle.
 *   PROCSCAN_CPU    user + system (the clock's CPUCLOCK_SCHED: exact runtime)
 *   PROCSCAN_UTIME  user time only (CPUCLOCK_VIRT), the seed's basis
 * Under a fake ROOT (tests, replays: ROOT/proc/self is not this process)
 * cpu_ns comes from ROOT/proc/PID/stat instead: utime (+ stime) ticks in ns.
 *
 * Finding processes without listing /proc every time: the kernel hands out
 * PIDs from a cursor that only moves forward, wrapping at pid_max to 300.
 * Each scan reads the cursor (last field of /proc/loadavg) and the fork
 * count ("processes" in /proc/stat). No forks: nothing to find. Otherwise
 * new processes can only hold PIDs between the previous cursor and this one,
 * so only those are probed (a probe of a free PID or a thread id fails in
 * ~0.1 us), plus a margin for forks that were in flight at the last scan.
 * ROOT/proc is still listed on the first scan, when the range is too wide to
 * probe, and every 64 scans as a safety net; a listing that finds a process
 * the probes missed turns probing off for good (stats.range_discovery).
 * Cost at 10,000 processes on a loaded 2-core VM (bench/): ~9 ms a scan,
 * ~23 ms with the listing; the start-time audit below adds ~0.25 ms a scan.
 *
 * PID reuse: a PID known at the previous scan can only name another process
 * now if the cursor passed it, so only known PIDs inside the new range (or
 * all of them, when the fork count says the cursor may have wrapped), and
 * any whose clock ran backwards, have their start time re-read from
 * /proc/PID/stat. A cursor rewound through ns_last_pid (checkpoint/restore)
 * can hide a reuse from both, so a rolling audit checks every known start
 * time once in 512 scans: each scan, the PIDs equal to its slot mod 512.
 * (pid, start_ticks) is a process's identity; a reused PID comes out as a
 * new process.
 *
 * Read once, when a process is first seen: start_ticks (stat field 22), its
 * instance name exactly as the PCP 6 proc PMDA makes it ("%06d " and the
 * command line's first word, "012345 /usr/bin/sleep"; "(comm)" when the
 * command line is empty: kernel threads, zombies), and its cgroup v2 path
 * ("0::" line of /proc/PID/cgroup; "/" when there is none). A process first
 * seen between fork and exec keeps its parent's command name, and later
 * cgroup moves are not followed.
 *
 * Threads are not processes: only thread-group leaders are listed.
 */
#ifndef POWER_PROCSCAN_H
#define POWER_PROCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attribution.h"    /* struct proc_sample */
#include "procparse.h"      /* the parsers of the scan's files */

enum procscan_basis {
    PROCSCAN_CPU,       /* user + system; default */
    PROCSCAN_UTIME      /* user time only */
};

struct procscan_stats {
    uint64_t scans;
    size_t   processes;         /* in the latest snapshot */
    uint64_t full_scans;        /* scans that listed ROOT/proc */
    uint64_t audits;            /* rounds of the rolling start-time audit completed (every known
                                 * PID checked once, a slice a scan), or scans that checked all */
    uint64_t audited;           /* start times checked by the audit (also in identity_checks) */
    uint64_t probes;            /* PIDs probed by range discovery */
    uint64_t identity_checks;   /* start times re-read to rule out PID reuse */
    uint64_t new_processes;     /* first seen (a reused PID counts again) */
    uint64_t vanished;          /* exited, or their PID was reused */
    uint64_t pid_reuses;
    uint64_t discovery_misses;  /* found by a listing although range discovery should have */
    uint64_t errors;            /* unreadable or unparsable files, other than a process exiting */
    bool     range_discovery;   /* probing PID ranges instead of listing ROOT/proc */
    bool     process_clocks;    /* CPU time from process clocks (live host), else stat files */
};

struct procscan;

/* root: prefix for /proc, "" on a live host. Returns NULL with errno set
 * (e.g. ENOENT when ROOT/proc is missing). Holds three fds (ROOT/proc,
 * loadavg, stat), whatever the process count. */
struct procscan *procscan_open(const char *root, enum procscan_basis basis);

/* One snapshot, in ascending PID order. The array and its strings are
 * owned by the scanner and valid until the next procscan_scan or
 * procscan_close. Processes that exit during the scan are left out.
 * Returns 0, or -errno when ROOT/proc itself cannot be read (then *n = 0). */
int procscan_scan(struct procscan *scan, const struct proc_sample **out, size_t *n);

const struct procscan_stats *procscan_stats(const struct procscan *scan);

/* Bytes the scanner has allocated (entries, snapshot, strings). */
size_t procscan_memory(const struct procscan *scan);

void procscan_close(struct procscan *scan);

#endif
