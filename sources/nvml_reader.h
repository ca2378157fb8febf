/*
 * nvml_reader.h: NVML read on a thread of its own, one round per request.
 *
 * The agent's timer asks for a round (nvml_reader_request) and takes the
 * latest finished one (nvml_reader_take) without waiting: an NVML call that
 * stalls delays only the thread. The thread opens the library itself (its
 * nvmlInit may be slow too), reads each GPU's identity once and then, each
 * round, its energy counter, power and enforced limit, stamped with the
 * monotonic clock at the read. No PCP, no log: what went wrong is in the
 * round's texts, for the source to log when it changes.
 */
#ifndef POWER_NVML_READER_H
#define POWER_NVML_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "nvml.h"

#define NVML_READER_MAX_GPUS 64
#define NVML_READER_MAX_PROCS 64
#define NVML_READER_TEXT 256

/* One process on one GPU in one round: its SM utilisation samples since the
 * round before (nvmlDeviceGetProcessUtilization), and whether it is in the
 * running-process lists (compute or graphics). */
struct nvml_gpu_process {
    uint32_t pid;
    uint32_t sm_sum;            /* sum of its samples' SM percent */
    uint32_t samples;
    bool     running;
};

struct nvml_gpu_reading {
    char     model[96], uuid[96], pci_bus_id[32];
    enum nvml_result energy, power, limit;      /* each figure's result */
    uint64_t energy_mj;
    uint32_t power_mw, limit_mw;
    double   read_s;                            /* monotonic, after the GPU's reads */
    enum nvml_result utilization, running;      /* the per-process calls' results */
    unsigned nprocesses;
    struct nvml_gpu_process process[NVML_READER_MAX_PROCS];
    char     error[NVML_READER_TEXT];           /* the latest failure's text, "" when none */
};

struct nvml_round {
    uint64_t number;            /* rounds finished; 0: none yet */
    enum nvml_result opened;    /* nvml_open's result */
    char     why[NVML_READER_TEXT];     /* when not opened */
    unsigned count;
    struct nvml_gpu_reading gpu[NVML_READER_MAX_GPUS];
};

struct nvml_reader;

/* Starts the thread; NULL when out of memory or no thread could start. */
struct nvml_reader *nvml_reader_start(const char *library);
void nvml_reader_stop(struct nvml_reader *reader);

/* Ask for a round (a no-op while one is pending). */
void nvml_reader_request(struct nvml_reader *reader);
/* Copy the latest finished round into out when it is newer than
 * out->number; true when it was. */
bool nvml_reader_take(struct nvml_reader *reader, struct nvml_round *out);

#endif
