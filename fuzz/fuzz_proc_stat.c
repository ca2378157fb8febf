/*
 * fuzz_proc_stat: /proc/stat and /proc/loadavg, the host-wide files of every
 * scan: the CPU totals behind power.system's active/idle split and the
 * model (procfs/cpustat.c), the fork count and the PID cursor that plan
 * the /proc scan (procfs/procscan.c). The same input serves as each file.
 *
 * Properties: the totals add up (busy + idle + iowait = all, modulo 2^64
 * as the counters are); at least one CPU; the cursor is a PID (0..2^31-1).
 */
#include "fuzz.h"
#include "cpustat.h"
#include "procscan.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    struct cpu_totals t;
    uint64_t forks;
    int32_t pid;

    /* USER_HZ 100 as on every Linux host; 0 when sysconf cannot say */
    for (long hz = 0; hz <= 100; hz += 100) {
        if (cpu_totals_parse(text, hz, &t) == 0) {
            FUZZ_ASSERT(t.ncpu >= 1, "%u CPUs", t.ncpu);
            FUZZ_ASSERT(cpu_totals_all(&t) == cpu_totals_busy(&t) + t.idle + t.iowait, "totals");
        }
    }
    procscan_parse_forks(text, strlen(text), &forks);
    if (procscan_parse_last_pid(text, size < 256 ? size : 256, &pid))   /* read_last_pid's buffer */
        FUZZ_ASSERT(pid >= 0, "cursor %d", (int)pid);
    free(text);
    return 0;
}
