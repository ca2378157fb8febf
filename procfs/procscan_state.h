/*
 * procscan_state.h: the scanner's state, shared by its parts and by no
 * other module: procscan.c (the scan: plan, merge, open, close),
 * procentry.c (one process's files) and procpids.c (which PIDs to look at).
 */
#ifndef POWER_PROCSCAN_STATE_H
#define POWER_PROCSCAN_STATE_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procscan.h"

#define RESERVED_PIDS     300   /* where the kernel's PID cursor restarts after pid_max */
#define PROBE_MARGIN      64    /* PIDs before the previous cursor probed again: forks in flight then */

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

#endif
