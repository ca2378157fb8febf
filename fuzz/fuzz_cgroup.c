/*
 * fuzz_cgroup: /proc/PID/cgroup as the scanner reads it (procfs/procscan.c):
 * the cgroup v2 line "0::PATH" among v1 lines, into a 4096-byte buffer. The
 * path becomes a power.cgroup instance name.
 *
 * Properties: the path lies inside the text, after a "0::" that starts a
 * line, and holds no newline. Through the attribution ledger (attribution/)
 * it names a cgroup account that sums its process's energy.
 */
#include "fuzz.h"
#include "attribution.h"
#include "procscan.h"

#include <math.h>

/* Two processes, one in the parsed cgroup, over two intervals of 10 J. */
static void
attribute(const char *cgroup)
{
    struct ledger *l = ledger_new(ATTRIBUTE_ALL, 10.0);
    struct proc_sample procs[2] = {
        { 100, 5, 1000000000ULL, "000100 a", cgroup },
        { 200, 6, 1000000000ULL, "000200 b", "/" },
    };
    const struct cgroup_account *c;

    if (!l)
        abort();
    ledger_update(l, 1.0, 1.0, 0, 0, 0, procs, 2);
    procs[0].cpu_ns *= 2;
    procs[1].cpu_ns *= 2;
    ledger_update(l, 2.0, 1.0, 10.0, 2000000000ULL, 2000000000ULL, procs, 2);
    c = ledger_cgroup_find(l, cgroup);
    FUZZ_ASSERT(c != NULL, "no account for cgroup \"%.80s\"", cgroup);
    FUZZ_ASSERT(isfinite(c->energy_j) && c->energy_j >= 5.0 - 1e-9, "cgroup energy %g", c->energy_j);
    ledger_free(l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = size < 4095 ? size : 4095;      /* procscan_read_small's buffer */
    char *text = fuzz_text(data, n);
    const char *path;
    size_t len;

    if (procscan_parse_cgroup(text, &path, &len)) {
        FUZZ_ASSERT(path >= text + 3 && path + len <= text + strlen(text), "path outside the text");
        FUZZ_ASSERT(strncmp(path - 3, "0::", 3) == 0 && (path - 3 == text || path[-4] == '\n'),
                    "not a \"0::\" line");
        FUZZ_ASSERT(len > 0 && memchr(path, '\n', len) == NULL, "path of %zu bytes", len);
        {
            char *copy = fuzz_text((const uint8_t *)path, len);   /* copy_string() */
            attribute(copy);
            free(copy);
        }
    }
    free(text);
    return 0;
}
