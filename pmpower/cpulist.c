#include "cpulist.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int
number(const char **p, long *out)
{
    char *end;

    if (!isdigit((unsigned char)**p))
        return -1;
    errno = 0;
    *out = strtol(*p, &end, 10);
    if (errno || *out >= CPU_SETSIZE)
        return -1;
    *p = end;
    return 0;
}

int
cpulist_parse(const char *text, cpu_set_t *set, char *err, size_t errsize)
{
    const char *p = text;

    CPU_ZERO(set);
    if (!*p) {
        snprintf(err, errsize, "--cpus takes a list of CPUs such as 0 or 0,2-3, not an empty one");
        return -1;
    }
    while (*p) {
        long lo, hi;
        if (number(&p, &lo) < 0) {
            snprintf(err, errsize, "--cpus takes a list of CPUs such as 0 or 0,2-3 (each below %d), not \"%s\"",
                     CPU_SETSIZE, text);
            return -1;
        }
        hi = lo;
        if (*p == '-') {
            p++;
            if (number(&p, &hi) < 0 || hi < lo) {
                snprintf(err, errsize, "--cpus: \"%s\" has a range that does not run up (write it as 2-5)", text);
                return -1;
            }
        }
        for (long c = lo; c <= hi; c++)
            CPU_SET((int)c, set);
        if (*p == ',' && p[1])
            p++;
        else if (*p) {
            snprintf(err, errsize, "--cpus takes a list of CPUs such as 0 or 0,2-3, not \"%s\"", text);
            return -1;
        }
    }
    return 0;
}

void
cpulist_format(const cpu_set_t *set, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE && len < size; c++) {
        int end = c;
        if (!CPU_ISSET(c, set))
            continue;
        while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, set))
            end++;
        const char *sep = len ? "," : "";
        int n = end > c ? snprintf(buf + len, size - len, "%s%d-%d", sep, c, end)
                        : snprintf(buf + len, size - len, "%s%d", sep, c);
        if (n < 0)
            return;
        len += (size_t)n;
        c = end;
    }
}
