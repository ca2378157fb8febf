/*
 * procparse.h: the parsers of the files procscan reads (/proc/PID/stat,
 * /proc/PID/cgroup, /proc/loadavg, /proc/stat) and the instance name it
 * makes. Pure: text in, fields out; the tests and fuzz/ call them directly.
 */
#ifndef POWER_PROCPARSE_H
#define POWER_PROCPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The decimal digits at p (before end) into *out; the first byte after
 * them, or NULL when there is none. */
const char *procscan_parse_u64(const char *p, const char *end, uint64_t *out);

/* /proc/PID/stat, "pid (comm) state ppid ...": comm points into text. */
struct proc_stat_fields {
    const char *comm;       /* inside the parentheses, not terminated */
    size_t      comm_len;
    uint64_t    utime, stime, start_ticks;     /* ticks: fields 14, 15, 22 */
};
bool procscan_parse_stat(const char *text, size_t len, struct proc_stat_fields *f);

/* The PID cursor: the last field of /proc/loadavg ("... 1/123 4567\n"). */
bool procscan_parse_last_pid(const char *text, size_t len, int32_t *last_pid);

/* The fork count: the "processes" line of /proc/stat (text NUL-terminated at len). */
bool procscan_parse_forks(const char *text, size_t len, uint64_t *forks);

/* The cgroup v2 path: the "0::PATH" line of /proc/PID/cgroup (text
 * NUL-terminated); path points into text. False when there is none. */
bool procscan_parse_cgroup(const char *text, const char **path, size_t *path_len);

/* The instance name from the cmdline's n bytes, or "(comm)" when n is 0;
 * returns its length. */
#define PROCSCAN_NAME_MAX 4095  /* the proc PMDA's PROC_PID_STAT_CMD_MAXLEN, less the NUL */
size_t procscan_format_name(char name[PROCSCAN_NAME_MAX + 1], int32_t pid, const char *cmdline, size_t n,
                            const char *comm, size_t comm_len);

#endif
