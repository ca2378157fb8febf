/*
 * procparse.c: the pure parsers of procscan's files (see procparse.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memrchr */
#endif
#include "procparse.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

const char *
procscan_parse_u64(const char *p, const char *end, uint64_t *out)
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
    if (p == NULL || (p = procscan_parse_u64(p, end, &f->utime)) == NULL)
        return false;
    if ((p = skip_fields(p, end, 1)) == NULL || (p = procscan_parse_u64(p, end, &f->stime)) == NULL)
        return false;
    if ((p = skip_fields(p, end, 22 - 15)) == NULL || procscan_parse_u64(p, end, &f->start_ticks) == NULL)
        return false;
    return true;
}

bool
procscan_parse_last_pid(const char *text, size_t n, int32_t *last_pid)
{
    uint64_t v;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
        n--;
    const char *p = n > 0 ? memrchr(text, ' ', n) : NULL;
    if (p == NULL || procscan_parse_u64(p + 1, text + n, &v) == NULL || v > INT32_MAX)
        return false;
    *last_pid = (int32_t)v;
    return true;
}

bool
procscan_parse_forks(const char *text, size_t n, uint64_t *forks)
{
    const char *p = strstr(text, "\nprocesses ");
    return p && procscan_parse_u64(p + 11, text + n, forks);
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
               && used + len < PROCSCAN_NAME_MAX)
            len++;
        memcpy(name + used, cmdline, len);
        used += len;
    } else {
        size_t len = 0;
        name[used++] = '(';
        /* a NUL too: the name is a C string, and its length is what copy_string
         * charges to string_bytes and entry_free_strings takes back */
        while (len < comm_len && comm[len] != ' ' && comm[len] != '\0' && used + len < PROCSCAN_NAME_MAX - 1)
            len++;
        memcpy(name + used, comm, len);
        used += len;
        if (len == comm_len)
            name[used++] = ')';
    }
    name[used] = '\0';
    return used;
}
