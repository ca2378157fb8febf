/*
 * gpu.h: every GPU's power and energy (power.gpu), from NVIDIA's NVML and
 * from the GPU drivers' hwmon sensors (amdgpu, i915, xe, nouveau).
 *
 * NVML is loaded at run time (nvml.h) and read by a thread of this source:
 * an NVML call can block for tens of milliseconds on a busy driver, and
 * sample() runs in the agent's PDU loop, so sample() only hands the thread
 * a request and takes the readings of the round before (stamped with the
 * thread's own monotonic clock, so the integration is exact). hwmon files
 * are read in sample() itself: a sysfs read does not stall.
 *
 * Energy per GPU is a counter from the agent's start: NVML's millijoule
 * counter (Volta and later) where the GPU has one, else the trapezoid
 * integral of its power; hwmon's energyN_input where the driver has one,
 * else its power. A counter that goes backwards (NVML's counter restarts
 * when the driver reloads) adds nothing and counts a reset.
 */
#ifndef POWER_GPU_H
#define POWER_GPU_H

#include "gpu_share.h"
#include "source.h"

extern const struct source_ops gpu_source;

/* Its state, as open() returns it: the accessors below take it. It offers
 * no power.system candidate: its energy joins one that excludes GPUs
 * (gpu_latest_interval, agent/system.c). */
struct gpu_state;

struct gpu_info {
    int         id;             /* instance id: from the UUID (NVML) or PCI address (hwmon) */
    const char *name;           /* "nvidia0" (NVML's index, as nvidia-smi -i), "amdgpu-0000:09:00.0" */
    const char *model;          /* NVML's name ("NVIDIA A100-SXM4-40GB"); "" for hwmon */
    const char *uuid;           /* "GPU-..."; "" when unknown */
    const char *pci_bus_id;     /* "00000000:07:00.0" (NVML), "0000:09:00.0" (hwmon) */
    const char *driver;         /* "nvidia", "amdgpu", "i915", "xe", "nouveau" */
    const char *via;            /* "nvml" or "hwmon" */
    const char *energy_method;  /* "counter", "power integral", "" before the first reading */
    bool        integrated;     /* an APU's GPU: its power includes the CPU's (amdgpu) */
    bool        live;           /* the latest reading succeeded */
    bool        has_energy, has_power, has_limit;
    double      energy_j, power_w, limit_w;
    uint64_t    resets;         /* times its energy counter went backwards */
    bool        has_counter;    /* energy_method "counter": the device's own counter, as read */
    double      counter_j;      /* (NVML's since the driver loaded; hwmon's), for continued counters */
};

size_t gpu_count(const struct gpu_state *st);
bool   gpu_get(const struct gpu_state *st, size_t index, struct gpu_info *out);

/* The sum over discrete GPUs (integrated ones excluded: their power is in
 * the CPU package's already): what power.system adds to a source that
 * excludes GPUs. false when no GPU has an energy reading. */
bool gpu_total(const struct gpu_state *st, double *energy_j, double *power_w);

/* The latest sample's GPU energy, for power.system and power.proc. */
struct gpu_interval {
    bool   valid;               /* some discrete GPU has an energy reading */
    double energy_j;            /* discrete GPUs' energy in the sample: what power.system adds */
    double shared_j;            /* of it, NVML GPUs': shared among their processes */
    double active_j;            /* the busy part of shared_j (gpu_share.h) */
    const struct proc_gpu_energy *proc;     /* per process; valid until the next sample */
    size_t nproc;
};

void gpu_latest_interval(const struct gpu_state *st, struct gpu_interval *out);

/* A stable instance id for a key (a UUID, a PCI address): 31 bits of its
 * FNV-1a hash, so an id survives restarts and a reordering of the GPUs. */
int gpu_instance_id(const char *key);

#endif
