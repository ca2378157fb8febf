/*
 * procpids.h: which PIDs a scan looks at. The kernel's PID cursor and fork
 * count (procscan.h says why they are enough), the range of PIDs the cursor
 * handed out since the previous scan, and the listing of ROOT/proc.
 */
#ifndef POWER_PROCPIDS_H
#define POWER_PROCPIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procscan_state.h"

/* The cursor (last field of ROOT/proc/loadavg), and with it the fork count. */
bool procpids_read_last_pid(struct procscan *scan, int32_t *last_pid);
struct marks procpids_read_marks(struct procscan *scan);

/* scan->pid_max from ROOT/proc/sys/kernel/pid_max, when it is readable. */
void procpids_read_pid_max(struct procscan *scan);

/* Is pid among those the cursor handed out after lo, up to hi? */
bool procpids_in_range(int32_t pid, int32_t lo, int32_t hi);
size_t procpids_range_width(const struct procscan *scan, int32_t lo, int32_t hi);

/* The candidates into scan->pids, ascending: the range lo..hi and the
 * margin before it (a probe scan), or ROOT/proc's numeric entries (a full
 * scan). 0, or -errno. */
int procpids_collect_range(struct procscan *scan, int32_t lo, int32_t hi);
int procpids_collect_listing(struct procscan *scan);

/* *array grown to hold want elements of elem bytes; 0, or -ENOMEM. */
int procscan_grow(void **array, size_t *cap, size_t want, size_t elem);

#endif
