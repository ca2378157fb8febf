#include "cpustat.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

uint64_t
cpu_totals_busy(const struct cpu_totals *t)
{
    return t->user + t->nice + t->system + t->irq + t->softirq + t->steal;
}

uint64_t
cpu_totals_all(const struct cpu_totals *t)
{
    return cpu_totals_busy(t) + t->idle + t->iowait;
}

/* The "cpu" lines in progress: the totals of "cpu " and a count of "cpuN". */
struct cpu_lines {
    uint64_t v[8];
    unsigned ncpu;
    bool     found;
};

/* Takes one line of /proc/stat; false when it is not a cpu line. */
static bool
cpu_line(struct cpu_lines *acc, const char *line)
{
    if (strncmp(line, "cpu ", 4) == 0) {
        /* fields after idle may be missing on old kernels: they stay 0 */
        sscanf(line + 4, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
               " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
               &acc->v[0], &acc->v[1], &acc->v[2], &acc->v[3],
               &acc->v[4], &acc->v[5], &acc->v[6], &acc->v[7]);
        acc->found = true;
        return true;
    }
    if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9') {
        acc->ncpu++;
        return true;
    }
    return false;
}

static int
cpu_lines_totals(const struct cpu_lines *acc, long ticks_per_s, struct cpu_totals *out)
{
    uint64_t ns_per_tick = ticks_per_s > 0 ? 1000000000ULL / (uint64_t)ticks_per_s : 10000000ULL;

    memset(out, 0, sizeof(*out));
    if (!acc->found)
        return -EINVAL;
    out->user = acc->v[0] * ns_per_tick;
    out->nice = acc->v[1] * ns_per_tick;
    out->system = acc->v[2] * ns_per_tick;
    out->idle = acc->v[3] * ns_per_tick;
    out->iowait = acc->v[4] * ns_per_tick;
    out->irq = acc->v[5] * ns_per_tick;
    out->softirq = acc->v[6] * ns_per_tick;
    out->steal = acc->v[7] * ns_per_tick;
    out->ncpu = acc->ncpu ? acc->ncpu : 1;
    return 0;
}

int
cpu_totals_parse(const char *text, long ticks_per_s, struct cpu_totals *out)
{
    struct cpu_lines acc = { { 0 }, 0, false };

    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        cpu_line(&acc, line);
        line = eol ? eol + 1 : NULL;
    }
    return cpu_lines_totals(&acc, ticks_per_s, out);
}

/*
 * The kernel writes the "cpu " line first and a short "cpuN" line per CPU
 * after it, then "intr" with a count per interrupt, tens of KB on big hosts
 * (show_stat() in the kernel's fs/proc/stat.c). So the file is read a
 * buffer at a time on the stack and reading stops after the cpu lines: no
 * allocation each sample (under ASan every freed buffer stays in the
 * quarantine, and a 64 KB one a sample grew the tested agent's RSS by
 * megabytes), whatever the host's size.
 */
int
cpu_totals_read(const char *root, struct cpu_totals *out)
{
    char path[PATH_MAX], buf[4096];
    struct cpu_lines acc = { { 0 }, 0, false };
    size_t len = 0;
    bool more = true;
    int fd;

    snprintf(path, sizeof(path), "%s/proc/stat", root ? root : "");
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -errno;
    while (more) {
        /* one byte is kept free, for a newline after a last line without one */
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        char *line = buf, *eol;

        if (n > 0) {
            len += (size_t)n;
        } else {
            more = false;
            if (len > 0)
                buf[len++] = '\n';
        }
        while ((eol = memchr(line, '\n', (size_t)(buf + len - line))) != NULL) {
            *eol = '\0';
            if (!cpu_line(&acc, line) && acc.found) {
                more = false;
                break;
            }
            line = eol + 1;
        }
        if (line == buf && len == sizeof(buf) - 1)
            break;      /* a line longer than any cpu line: past them */
        len = (size_t)(buf + len - line);
        memmove(buf, line, len);
    }
    close(fd);
    return cpu_lines_totals(&acc, sysconf(_SC_CLK_TCK), out);
}
