/*
 * procpids.c: the scan's candidate PIDs (see procpids.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* openat */
#endif
#include "procpids.h"
#include "procentry.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

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

bool
procpids_read_last_pid(struct procscan *scan, int32_t *last_pid)
{
    char text[256];
    if (scan->loadavg_fd < 0)
        return false;
    ssize_t n = pread(scan->loadavg_fd, text, sizeof(text), 0);
    return n > 0 && procscan_parse_last_pid(text, (size_t)n, last_pid);
}

struct marks
procpids_read_marks(struct procscan *scan)
{
    struct marks m = { false, 0, 0 };
    if (scan->stat_fd < 0 || !procpids_read_last_pid(scan, &m.last_pid))
        return m;
    ssize_t n = read_kept_whole(scan->stat_fd, &scan->statbuf, &scan->statcap);
    m.valid = n > 0 && procscan_parse_forks(scan->statbuf, (size_t)n, &m.forks);
    return m;
}

void
procpids_read_pid_max(struct procscan *scan)
{
    uint64_t v;
    ssize_t n = procscan_read_small(scan, "sys/kernel/pid_max");
    if (n > 0 && procscan_parse_u64(scan->buf, scan->buf + n, &v) && v > RESERVED_PIDS && v <= INT32_MAX)
        scan->pid_max = (int32_t)v;
}

/* Is pid among those the cursor handed out after lo, up to hi? */
bool
procpids_in_range(int32_t pid, int32_t lo, int32_t hi)
{
    if (lo == hi)
        return false;
    if (lo < hi)
        return pid > lo && pid <= hi;
    return pid > lo || (pid >= RESERVED_PIDS && pid <= hi);     /* wrapped at pid_max */
}

size_t
procpids_range_width(const struct procscan *scan, int32_t lo, int32_t hi)
{
    if (lo <= hi)
        return (size_t)(hi - lo);
    return (size_t)(scan->pid_max - 1 - lo) + (size_t)(hi - RESERVED_PIDS + 1);
}

int
procscan_grow(void **array, size_t *cap, size_t want, size_t elem)
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
int
procpids_collect_range(struct procscan *scan, int32_t lo, int32_t hi)
{
    size_t width = procpids_range_width(scan, lo, hi) + PROBE_MARGIN;
    int32_t p = lo > PROBE_MARGIN ? lo - PROBE_MARGIN : 0;

    scan->npids = 0;
    if (procscan_grow((void **)&scan->pids, &scan->pids_cap, width + 1, sizeof(int32_t)) < 0)
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
int
procpids_collect_listing(struct procscan *scan)
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
        if (procscan_grow((void **)&scan->pids, &scan->pids_cap, scan->npids + 1, sizeof(int32_t)) < 0)
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
