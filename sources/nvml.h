/*
 * nvml.h: NVIDIA's management library (NVML), loaded at run time.
 *
 * Shaped as PCP's nvidia agent does it (src/pmdas/nvidia/localnvml.c and
 * localnvml.h in performancecopilot/pcp): the library is dlopen()ed by
 * path, each function is looked up with dlsym(), and a function the driver
 * does not export makes only that figure NVML_RESULT_MISSING ("not supported
 * by this driver"), never a failure of the rest. No NVIDIA header is needed
 * to build: nvml_abi.h declares the few NVML types and constants it uses, with
 * the values of NVIDIA's nvml.h (NVML 13.3, as vendored by NVIDIA/go-nvml in
 * gen/nvml/nvml.h).
 *
 * Unlike PCP's wrapper (which binds the unversioned nvmlInit,
 * nvmlDeviceGetCount, ... that the driver keeps only for old binaries),
 * this one binds the versioned symbols that NVIDIA's header maps the plain
 * names to: nvmlInit_v2, nvmlDeviceGetCount_v2, nvmlDeviceGetHandleByIndex_v2,
 * nvmlDeviceGetPciInfo_v3, and the running-process lists as _v3, else _v2,
 * else the original (see nvml_device_processes).
 *
 * Every call is synchronous and may block for tens of milliseconds on a
 * busy driver: call it from a thread of its own, never from the PDU path.
 * A handle is used by one thread at a time (it keeps the last error text);
 * there is no other state: each nvml_open() is its own handle.
 */
#ifndef POWER_NVML_H
#define POWER_NVML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVML_DEFAULT_LIBRARY "libnvidia-ml.so.1"

enum nvml_result {
    NVML_RESULT_OK,
    NVML_RESULT_ABSENT,         /* open: no library, no driver loaded */
    NVML_RESULT_MISSING,        /* this driver's library lacks the function */
    NVML_RESULT_UNSUPPORTED,    /* NVML_ERROR_NOT_SUPPORTED: not on this GPU */
    NVML_RESULT_NO_PERMISSION,  /* NVML_ERROR_NO_PERMISSION */
    NVML_RESULT_GPU_LOST,       /* NVML_ERROR_GPU_IS_LOST: fallen off the bus */
    NVML_RESULT_ERROR           /* any other NVML error; nvml_last_error says which */
};

struct nvml;

/* Loads library (NULL: NVML_DEFAULT_LIBRARY), binds its functions and calls
 * nvmlInit_v2. On success *lib is the handle; otherwise *lib is NULL and why
 * says what happened and what to do. */
enum nvml_result nvml_open(const char *library, struct nvml **lib, char *why, size_t why_size);
/* nvmlShutdown and dlclose; NULL is fine. */
void nvml_close(struct nvml *lib);

/* GPUs NVML counts (nvmlDeviceGetCount_v2, read at open); an index below
 * it may still answer NO_PERMISSION or GPU_LOST. */
unsigned nvml_device_count(const struct nvml *lib);

/* The failure of the latest call on this handle, for a log line:
 * "nvmlDeviceGetPowerUsage: GPU is lost" or "... not supported by this
 * driver (libnvidia-ml.so.1 has no nvmlDeviceGetTotalEnergyConsumption)". */
const char *nvml_last_error(const struct nvml *lib);
const char *nvml_result_name(enum nvml_result result);

/* Identity of GPU index (NVML's order, as nvidia-smi -i counts). Texts are
 * truncated to size, always NUL-terminated. */
enum nvml_result nvml_device_name(struct nvml *lib, unsigned index, char *buf, size_t size);
enum nvml_result nvml_device_uuid(struct nvml *lib, unsigned index, char *buf, size_t size);
/* "00000000:01:00.0": NVML's domain:bus:device.function, 8-digit domain */
enum nvml_result nvml_device_pci_bus_id(struct nvml *lib, unsigned index, char *buf, size_t size);

/* Millijoules since the driver was last loaded (Volta and later); resets
 * when the driver reloads. */
enum nvml_result nvml_device_energy_mj(struct nvml *lib, unsigned index, uint64_t *mj);
/* Milliwatts: instantaneous up to GA100, a 1 s mean on later Ampere and newer
 * (nvml.h, nvmlDeviceGetPowerUsage). */
enum nvml_result nvml_device_power_mw(struct nvml *lib, unsigned index, uint32_t *mw);
/* The limit the driver enforces after every limiter, in milliwatts. */
enum nvml_result nvml_device_power_limit_mw(struct nvml *lib, unsigned index, uint32_t *mw);

/* One process's utilisation of one GPU, as the driver sampled it. */
struct nvml_process_sample {
    uint32_t pid;
    uint64_t timestamp_us;      /* CPU wall clock (CLOCK_REALTIME), microseconds */
    uint32_t sm_percent;        /* SM (3D/compute) */
    uint32_t memory_percent;    /* frame buffer */
    uint32_t encoder_percent;
    uint32_t decoder_percent;
};

/* Caller-owned and reused between calls; zero it before the first. */
struct nvml_samples {
    struct nvml_process_sample *sample;
    size_t   count;             /* samples kept by the latest call */
    size_t   capacity;
    uint64_t newest_us;         /* pass as last_seen_us next time */
    size_t   dropped;           /* entries the latest call discarded (see below) */
};

/* nvmlDeviceGetProcessUtilization: the samples newer than last_seen_us
 * (0: every sample the driver keeps). NVML_ERROR_NOT_FOUND (no sample since
 * last_seen_us) is OK with count 0. Entries the driver returns although
 * they are not newer than last_seen_us, or with a percentage over 100, are
 * dropped and counted (Syllo/nvtop issue 110 saw both). newest_us becomes
 * the newest timestamp after last_seen_us, of a kept or an over-100% entry,
 * or stays last_seen_us. */
enum nvml_result nvml_device_process_utilization(struct nvml *lib, unsigned index,
                                                 uint64_t last_seen_us, struct nvml_samples *out);

enum nvml_process_kind { NVML_PROCESSES_COMPUTE, NVML_PROCESSES_GRAPHICS };

struct nvml_process {
    uint32_t pid;
    uint64_t used_memory_bytes;
    bool     memory_known;      /* false when NVML says NVML_VALUE_NOT_AVAILABLE */
};

struct nvml_processes {
    struct nvml_process *process;
    size_t count;
    size_t capacity;
};

/* nvmlDeviceGetComputeRunningProcesses / GetGraphicsRunningProcesses,
 * resolved as _v3, else _v2, else the original. Their entries differ in
 * size: v1 {pid, usedGpuMemory} is 16 bytes, v2 and v3 add gpuInstanceId
 * and computeInstanceId (24 bytes), and the R535 drivers' _v3 wrote 32-byte
 * entries (usedGpuCcProtectedMemory appended) that NVIDIA's header never
 * declared; nvml_load.c picks the stride by the symbols the driver exports, as
 * XuehaiPan/nvitop (nvitop/api/libnvml.py) does. */
enum nvml_result nvml_device_processes(struct nvml *lib, unsigned index, enum nvml_process_kind kind,
                                       struct nvml_processes *out);

/* The bytes per process entry the bound running-process function writes. */
size_t nvml_process_entry_size(const struct nvml *lib);

void nvml_samples_free(struct nvml_samples *samples);
void nvml_processes_free(struct nvml_processes *processes);

#endif
