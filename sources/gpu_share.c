#include "gpu_share.h"

#include <stdlib.h>
#include <string.h>

void
gpu_share_begin(struct gpu_share *share)
{
    share->energy_j = share->active_j = 0.0;
    share->count = 0;
}

void
gpu_share_free(struct gpu_share *share)
{
    free(share->proc);
    memset(share, 0, sizeof(*share));
}

static struct proc_gpu_energy *
proc_of(struct gpu_share *share, int32_t pid)
{
    for (size_t i = 0; i < share->count; i++)
        if (share->proc[i].pid == pid)
            return &share->proc[i];
    if (share->count == share->capacity) {
        size_t grown = share->capacity ? share->capacity * 2 : 16;
        void *p = realloc(share->proc, grown * sizeof(*share->proc));

        if (!p)
            return NULL;
        share->proc = p;
        share->capacity = grown;
    }
    share->proc[share->count] = (struct proc_gpu_energy){ .pid = pid };
    return &share->proc[share->count++];
}

/* Process k's weight: its mean SM percent, or 1 if it runs (by_running). */
static double
weight(const struct nvml_gpu_process *p, bool by_running)
{
    if (by_running)
        return p->running ? 1.0 : 0.0;
    return p->samples ? (double)p->sm_sum / p->samples : 0.0;
}

bool
gpu_share_add(struct gpu_share *share, double energy_j, const struct nvml_gpu_reading *gpu)
{
    bool sampled = gpu->utilization == NVML_RESULT_OK;
    bool by_running = !sampled;
    double sum = 0.0, busy, running = 0.0;
    bool ok = true;

    if (!(energy_j > 0))
        return true;
    for (unsigned k = 0; k < gpu->nprocesses; k++) {
        sum += weight(&gpu->process[k], by_running);
        running += gpu->process[k].running;
    }
    busy = by_running ? (sum > 0) : (sum / 100.0 < 1.0 ? sum / 100.0 : 1.0);
    share->energy_j += energy_j;
    share->active_j += energy_j * busy;
    /* nobody on the SMs: in mode all, the running processes share it */
    if (sum <= 0 && running > 0) {
        by_running = true;
        sum = running;
        busy = 0.0;
    }
    for (unsigned k = 0; k < gpu->nprocesses && sum > 0; k++) {
        double w = weight(&gpu->process[k], by_running);
        struct proc_gpu_energy *p;

        if (w <= 0)
            continue;
        if (!(p = proc_of(share, (int32_t)gpu->process[k].pid))) {
            ok = false;
            continue;
        }
        p->active_j += energy_j * busy * w / sum;
        p->all_j += energy_j * w / sum;
    }
    return ok;
}
