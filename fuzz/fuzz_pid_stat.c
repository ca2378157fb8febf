/*
 * fuzz_pid_stat: /proc/PID/stat and /proc/PID/cmdline as the scanner reads
 * them (procfs/procscan.c): the fields counted from the last ')', and the
 * instance name made from the command line's first word or from "(comm)",
 * as the PCP proc PMDA makes it. The scanner reads a process's files into
 * a 4096-byte buffer, so the input is cut there; the same bytes serve as
 * the stat file and as the command line (NULs and all).
 *
 * Properties: comm lies inside the text; the name is "%06d " and a word,
 * NUL-terminated within PROCSCAN_NAME_MAX, with no space after the PID's.
 */
#include "fuzz.h"
#include "procscan.h"

static void
check_name(int32_t pid, const char *cmdline, size_t n, const char *comm, size_t comm_len)
{
    char name[PROCSCAN_NAME_MAX + 1], prefix[16];
    size_t len = procscan_format_name(name, pid, cmdline, n, comm, comm_len);
    int plen = snprintf(prefix, sizeof(prefix), "%06d ", (int)pid);

    FUZZ_ASSERT(len <= PROCSCAN_NAME_MAX && len == strlen(name), "name of %zu bytes, strlen %zu",
                len, strlen(name));
    FUZZ_ASSERT(strncmp(name, prefix, (size_t)plen) == 0, "name \"%.40s\" for PID %d", name, (int)pid);
    FUZZ_ASSERT(strchr(name + plen, ' ') == NULL, "a space after the PID's in \"%.80s\"", name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = size < 4095 ? size : 4095;      /* procscan_read_small's buffer */
    char *buf = fuzz_text(data, n);
    struct proc_stat_fields f;

    if (procscan_parse_stat(buf, n, &f)) {
        FUZZ_ASSERT(f.comm > buf && f.comm + f.comm_len < buf + n, "comm outside the text");
        check_name(12345, NULL, 0, f.comm, f.comm_len < 128 ? f.comm_len : 127);
        check_name(INT32_MAX, NULL, 0, f.comm, f.comm_len < 128 ? f.comm_len : 127);
    }
    check_name(1, buf, n, "", 0);
    check_name(4194304, buf, n, "", 0);
    free(buf);
    return 0;
}
