/*
 * nvml_abi.h: what the two halves of the NVML wrapper share, and nothing
 * else includes: NVML's ABI as declared below, the handle, and the three
 * calls every reading goes through. nvml_load.c loads the library and binds
 * its symbols (open, close, errors); nvml.c asks the GPUs for readings.
 */
#ifndef POWER_NVML_ABI_H
#define POWER_NVML_ABI_H

#include <stdbool.h>
#include <stddef.h>

#include "nvml.h"

/*
 * The NVML ABI this wrapper relies on, with the values of NVIDIA's nvml.h
 * (NVML 13.3.29, vendored by NVIDIA/go-nvml as gen/nvml/nvml.h; the same in
 * every version since 11.0 for what is used here).
 */
typedef int nvml_return;            /* nvmlReturn_t, an enum */
typedef void *nvml_device;          /* nvmlDevice_t, an opaque pointer */

enum {
    NVML_SUCCESS                       = 0,
    NVML_ERROR_NOT_SUPPORTED           = 3,
    NVML_ERROR_NO_PERMISSION           = 4,
    NVML_ERROR_NOT_FOUND               = 6,
    NVML_ERROR_INSUFFICIENT_SIZE       = 7,
    NVML_ERROR_DRIVER_NOT_LOADED       = 9,
    NVML_ERROR_GPU_IS_LOST             = 15,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
};

#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96

/* nvmlPciInfo_t as nvmlDeviceGetPciInfo_v3 fills it */
struct nvml_pci_info {
    char         busIdLegacy[16];
    unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
    char         busId[32];
};

/* nvmlProcessUtilizationSample_t */
struct nvml_utilization_sample {
    unsigned int       pid;
    unsigned long long timeStamp;
    unsigned int       smUtil, memUtil, encUtil, decUtil;
};

/* Every nvmlProcessInfo version starts {unsigned int pid; unsigned long long
 * usedGpuMemory;}: the pid at offset 0 and the memory at offset 8. */
#define PROCESS_PID_OFFSET    0
#define PROCESS_MEMORY_OFFSET 8
#define NVML_VALUE_NOT_AVAILABLE_U64 (~0ULL)

typedef nvml_return (*fn_void)(void);
typedef const char *(*fn_error_string)(nvml_return);
typedef nvml_return (*fn_count)(unsigned int *);
typedef nvml_return (*fn_handle)(unsigned int, nvml_device *);
typedef nvml_return (*fn_text)(nvml_device, char *, unsigned int);
typedef nvml_return (*fn_pci)(nvml_device, struct nvml_pci_info *);
typedef nvml_return (*fn_u64)(nvml_device, unsigned long long *);
typedef nvml_return (*fn_u32)(nvml_device, unsigned int *);
typedef nvml_return (*fn_utilization)(nvml_device, struct nvml_utilization_sample *, unsigned int *,
                                      unsigned long long);
typedef nvml_return (*fn_processes)(nvml_device, unsigned int *, void *);

enum fn_id {
    FN_INIT, FN_SHUTDOWN, FN_ERROR_STRING, FN_COUNT, FN_HANDLE,
    FN_NAME, FN_UUID, FN_PCI, FN_ENERGY, FN_POWER, FN_LIMIT, FN_UTILIZATION,
    FN_COMPUTE, FN_GRAPHICS,
    FN_CONF_COMPUTE_MEM, FN_PROCESS_DETAIL_LIST,    /* looked up only to tell drivers apart */
    FN_IDS
};

struct nvml {
    void        *dso;
    char         library[256];
    void        *fn[FN_IDS];
    const char  *symbol[FN_IDS];        /* the name fn[] was bound to */
    size_t       process_stride[2];     /* by enum nvml_process_kind */
    bool         initialized;
    unsigned     count;
    nvml_device *device;                /* by index; NULL until acquired */
    struct nvml_utilization_sample *utilization;   /* NVML's buffer, kept between calls */
    unsigned     utilization_capacity;
    unsigned char *process_raw;
    size_t       process_raw_size;
    char         error[512];
};

/* The text nvml_last_error() returns. */
void nvml_set_error(struct nvml *lib, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The function fn for GPU index, or why not (the handle acquired on first use). */
enum nvml_result nvml_prepare(struct nvml *lib, unsigned index, enum fn_id fn, nvml_device *device);

/* fn's return code as a result, its text kept for nvml_last_error(); a lost
 * GPU's handle is dropped, to be acquired anew if it comes back. */
enum nvml_result nvml_finish(struct nvml *lib, unsigned index, enum fn_id fn, nvml_return rc);

#endif
