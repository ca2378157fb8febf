/*
 * fuzz_persist: the agent's saved counters ($PCP_VAR_DIR/config/pmda/
 * power.counters), read back by pmda/persist.c at start. The agent writes
 * it, but a disk, a crash or a hand edit can leave anything there.
 *
 * Properties: a file is used whole or not at all; a counter seen after
 * loading it exports a finite value that never falls below what it
 * counted this run; what the agent saves, it reads back whole (no
 * "malformed"), with the same values.
 */
#include "fuzz.h"
#include "persist.h"

#include <math.h>
#include <unistd.h>

static char path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* in memory where there is a tmpfs: the harness writes and reads two files an input */
    snprintf(path, sizeof(path), "%s/fuzz_persist.%d", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             (int)getpid());
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "w");
    struct persist *p;
    struct persist_hw hw = { .valid = true, .raw_j = 12.5, .wrap_j = 262143.32885, .value_is_raw = true };
    double system, zone, again;

    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    p = persist_open(path, "boot-a", fuzz_log);
    FUZZ_ASSERT(p != NULL, "no state from %zu bytes", size);
    persist_begin(p, 1e9);
    system = persist_see(p, 6144, -1, "", 3.0, NULL);
    zone = persist_see(p, 1024, 1, "package-0", 12.5, &hw);
    FUZZ_ASSERT(isfinite(system) && isfinite(zone), "system %g, zone %g", system, zone);
    FUZZ_ASSERT(isfinite(persist_gap_s(p)) && persist_gap_s(p) >= 0, "gap %g", persist_gap_s(p));
    persist_begin(p, 1e9 + 1);
    again = persist_see(p, 6144, -1, "", 5.0, NULL);
    FUZZ_ASSERT(again - system == 2.0 || fabs(again - system - 2.0) <= 1e-9 * fabs(system),
                "counted 2 J more, exported %.17g then %.17g", system, again);
    FUZZ_ASSERT(persist_save(p, false), "cannot save %s", path);
    persist_close(p);

    /* the round trip: read without a word in the log */
    fuzz_last_log[0] = '\0';
    p = persist_open(path, "boot-a", fuzz_log);
    FUZZ_ASSERT(p != NULL && !fuzz_last_log[0], "what the agent saved does not read back: %s", fuzz_last_log);
    persist_begin(p, 1e9 + 2);
    FUZZ_ASSERT(persist_see(p, 6144, -1, "", 0.0, NULL) == again, "the saved %.17g did not come back", again);
    persist_close(p);
    unlink(path);
    return 0;
}
