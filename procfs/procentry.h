/*
 * procentry.h: one process as the scanner knows it: its files read at first
 * sight (stat, cmdline, cgroup) and its CPU time re-read every scan, from
 * the process clock on a live host or its stat file under a fake ROOT.
 */
#ifndef POWER_PROCENTRY_H
#define POWER_PROCENTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "procscan_state.h"

enum refresh { REFRESH_OK, REFRESH_GONE, REFRESH_REUSED };

/* Reads a small file relative to ROOT/proc into scan->buf; its length or -errno. */
ssize_t procscan_read_small(struct procscan *scan, const char *relpath);

/* The stat fields of one process; false when it is gone or unreadable
 * (the latter counted). The comm points into scan->buf. */
bool procscan_read_stat(struct procscan *scan, int32_t pid, struct proc_stat_fields *f);

/* First sight. Returns true with *e filled; false when there is no such
 * process (a probe that missed) or it cannot be read. */
bool procentry_open(struct procscan *scan, int32_t pid, struct entry *e);

/* This scan's CPU time; verify re-reads the start time to rule out PID reuse. */
enum refresh procentry_refresh(struct procscan *scan, struct entry *e, bool verify);

/* A process gone (counted as vanished), or its strings freed at close. */
void procentry_drop(struct procscan *scan, struct entry *e);
void procentry_free_strings(struct procscan *scan, struct entry *e);

#endif
