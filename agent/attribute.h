/*
 * attribute.h: the agent's per-process and per-cgroup attribution: each
 * timer tick scans /proc (procfs/procscan) and hands the interval's system
 * energy and CPU times to the ledger (attribution/), which the agent then
 * publishes as power.proc.* and power.cgroup.*. No PCP calls here.
 */
#ifndef POWER_ATTRIBUTE_H
#define POWER_ATTRIBUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "attribution.h"
#include "procscan.h"
#include "source.h"

struct power_config;
struct system_state;

struct attribute_state {
    bool                 enabled;
    struct procscan     *scan;
    struct ledger       *ledger;
    enum procscan_basis  basis;
    double               last_s;        /* monotonic time of the latest update */
    double               scan_ms;       /* cost of the latest scan + update */
    double               cgroup_retain_s;   /* a cgroup with no process keeps its instance this long */
    uint64_t             errors;        /* failed scans */
    bool                 told_failure;
    power_log_fn         log;
};

/* Reads [attribution] from the config. Never fails: a disabled or
 * unavailable attribution leaves enabled false with the reason logged. */
void attribute_open(struct attribute_state *st, const char *root,
                    struct power_config *config, power_log_fn log);
void attribute_close(struct attribute_state *st);

/* One interval ending at now_s, after power.system was updated for it;
 * gpu: the processes' shares of the GPUs' energy in it (NULL, 0: none). */
void attribute_update(struct attribute_state *st, double now_s, const struct system_state *system,
                      const struct proc_gpu_energy *gpu, size_t ngpu);

bool attribute_set_mode(struct attribute_state *st, const char *mode);

/* Bytes the /proc scanner and the ledger hold, as they account for them:
 * they follow the processes alive (and in their grace), not the churn. */
uint64_t attribute_memory(const struct attribute_state *st);
const char *attribute_mode_name(const struct attribute_state *st);

#endif
