/*
 * gpu_share.h: one interval's GPU energy shared among the processes using
 * the GPUs, for power.proc (the "GPU energy per process").
 *
 * Pure arithmetic over what nvml_reader gathered. For each GPU with energy
 * dG in the interval:
 *   - where nvmlDeviceGetProcessUtilization answered, process i's weight
 *     w_i is the mean SM percent of its samples, and the GPU's busy
 *     fraction is b = min(1, sum w_i / 100);
 *   - where it did not (older GPUs, vGPU), the running-process lists stand
 *     in: w_i = 1 for each running process, and b = 1 when any runs;
 *   - where it answered with no sample (nobody used the SMs), b = 0 and, for
 *     mode all only, the running processes share equally.
 * Then, summed over GPUs: active = sum dG*b, and for process i
 *   active_j = dG * b * w_i / sum w        (mode active: the busy share)
 *   all_j    = dG * w_i / sum w            (mode all: all of it)
 * The ledger (attribution/) takes one or the other by its mode; what no
 * process gets is the GPU's unattributed energy.
 */
#ifndef POWER_GPU_SHARE_H
#define POWER_GPU_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attribution.h"
#include "nvml_reader.h"

struct gpu_share {
    double  energy_j;               /* sum of dG */
    double  active_j;               /* sum of dG * b */
    struct proc_gpu_energy *proc;   /* by first appearance; a pid once */
    size_t  count, capacity;
};

/* Empties share for a new interval (keeps its memory). */
void gpu_share_begin(struct gpu_share *share);
/* Adds one GPU's interval; false when out of memory (that GPU's energy is
 * then counted but given to nobody). */
bool gpu_share_add(struct gpu_share *share, double energy_j, const struct nvml_gpu_reading *gpu);
void gpu_share_free(struct gpu_share *share);

#endif
