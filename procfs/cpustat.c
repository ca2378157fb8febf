#include "cpustat.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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

int
cpu_totals_parse(const char *text, long ticks_per_s, struct cpu_totals *out)
{
    uint64_t v[8] = { 0 };
    uint64_t ns_per_tick = ticks_per_s > 0 ? 1000000000ULL / (uint64_t)ticks_per_s : 10000000ULL;
    const char *line = text;
    bool found = false;

    memset(out, 0, sizeof(*out));
    while (line && *line) {
        if (strncmp(line, "cpu ", 4) == 0) {
            /* fields after idle may be missing on old kernels: they stay 0 */
            sscanf(line + 4, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            found = true;
        } else if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9')
            out->ncpu++;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (!found)
        return -EINVAL;
    out->user = v[0] * ns_per_tick;
    out->nice = v[1] * ns_per_tick;
    out->system = v[2] * ns_per_tick;
    out->idle = v[3] * ns_per_tick;
    out->iowait = v[4] * ns_per_tick;
    out->irq = v[5] * ns_per_tick;
    out->softirq = v[6] * ns_per_tick;
    out->steal = v[7] * ns_per_tick;
    if (out->ncpu == 0)
        out->ncpu = 1;
    return 0;
}

int
cpu_totals_read(const char *root, struct cpu_totals *out)
{
    char path[PATH_MAX], *buf;
    size_t cap = 1 << 16, len = 0;
    ssize_t n;
    int fd, sts;

    snprintf(path, sizeof(path), "%s/proc/stat", root ? root : "");
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -errno;
    if ((buf = malloc(cap)) == NULL) {
        close(fd);
        return -ENOMEM;
    }
    /* hosts with hundreds of CPUs have a /proc/stat of several pages */
    while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (len + 1 >= cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown)
                break;
            buf = grown;
        }
    }
    close(fd);
    buf[len] = '\0';
    sts = cpu_totals_parse(buf, sysconf(_SC_CLK_TCK), out);
    free(buf);
    return sts;
}
