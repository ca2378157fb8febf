/*
 * fuzz_proc_stat: /proc/stat and /proc/loadavg, the host-wide files of every
 * scan: the CPU totals behind power.system's active/idle split and the
 * model (procfs/cpustat.c), read from the file in 4 KB pieces as the agent
 * does at each sample (cpu_totals_read) and from text (cpu_totals_parse);
 * the fork count and PID cursor that plan the /proc scan
 * (procfs/procscan.c). The same input serves as each file; for the reader
 * it is written to ROOT/proc/stat under a private directory in /dev/shm.
 *
 * Properties: the totals add up (busy + idle + iowait = all, modulo 2^64
 * as the counters are); at least one CPU; read in pieces, a file of cpu
 * lines alone gives what its text gives, however its lines straddle the
 * reads; the cursor is a PID (0..2^31-1).
 */
#include "fuzz.h"
#include "cpustat.h"
#include "procscan.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX], stat_path[PATH_MAX + 16];

static void
remove_root(void)
{
    unlink(stat_path);
    snprintf(stat_path, sizeof(stat_path), "%s/proc", root);
    rmdir(stat_path);
    rmdir(root);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

    (void)argc;
    (void)argv;
    snprintf(root, sizeof(root), "%s/pcp-power-fuzz.XXXXXX", base);
    if (!mkdtemp(root))
        abort();
    snprintf(stat_path, sizeof(stat_path), "%s/proc", root);
    mkdir(stat_path, 0700);
    snprintf(stat_path, sizeof(stat_path), "%s/proc/stat", root);
    atexit(remove_root);
    return 0;
}

/* Only "cpu" lines, each ended by a newline, none empty: the part of
 * /proc/stat the reader reads before it stops. */
static bool
cpu_lines_only(const char *text, size_t size)
{
    if (size == 0 || strlen(text) != size || text[size - 1] != '\n')
        return false;
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        if (strncmp(line, "cpu", 3) != 0 || (line[3] != ' ' && (line[3] < '0' || line[3] > '9')))
            return false;
        line = eol + 1;
    }
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    struct cpu_totals t, r;
    uint64_t forks;
    int32_t pid;
    int fd, sts;

    /* USER_HZ 100 as on every Linux host; 0 when sysconf cannot say */
    for (long hz = 0; hz <= 100; hz += 100) {
        if (cpu_totals_parse(text, hz, &t) == 0) {
            FUZZ_ASSERT(t.ncpu >= 1, "%u CPUs", t.ncpu);
            FUZZ_ASSERT(cpu_totals_all(&t) == cpu_totals_busy(&t) + t.idle + t.iowait, "totals");
        }
    }
    if ((fd = open(stat_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
        write(fd, data, size) != (ssize_t)size || close(fd) != 0)
        abort();
    if ((sts = cpu_totals_read(root, &r)) == 0)
        FUZZ_ASSERT(r.ncpu >= 1, "%u CPUs read", r.ncpu);
    if (cpu_lines_only(text, size)) {
        long hz = sysconf(_SC_CLK_TCK);
        int want = cpu_totals_parse(text, hz, &t);
        FUZZ_ASSERT(sts == want, "read gives %d, the text %d", sts, want);
        FUZZ_ASSERT(sts != 0 || (r.ncpu == t.ncpu && r.user == t.user && r.nice == t.nice &&
                                 r.system == t.system && r.idle == t.idle && r.iowait == t.iowait &&
                                 r.irq == t.irq && r.softirq == t.softirq && r.steal == t.steal),
                    "read in pieces: %u CPUs, user %llu; the text: %u CPUs, user %llu", r.ncpu,
                    (unsigned long long)r.user, t.ncpu, (unsigned long long)t.user);
    }
    procscan_parse_forks(text, strlen(text), &forks);
    if (procscan_parse_last_pid(text, size < 256 ? size : 256, &pid))   /* read_last_pid's buffer */
        FUZZ_ASSERT(pid >= 0, "cursor %d", (int)pid);
    free(text);
    return 0;
}
