/*
 * nvml_load.c: NVML loaded with dlopen(), its functions bound by name, its
 * errors turned into results and texts (see nvml.h and nvml_abi.h).
 */
#include "nvml_abi.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The symbol each function is bound to, newest first. */
static const char *const fn_symbols[FN_IDS][3] = {
    [FN_INIT]         = { "nvmlInit_v2" },
    [FN_SHUTDOWN]     = { "nvmlShutdown" },
    [FN_ERROR_STRING] = { "nvmlErrorString" },
    [FN_COUNT]        = { "nvmlDeviceGetCount_v2" },
    [FN_HANDLE]       = { "nvmlDeviceGetHandleByIndex_v2" },
    [FN_NAME]         = { "nvmlDeviceGetName" },
    [FN_UUID]         = { "nvmlDeviceGetUUID" },
    [FN_PCI]          = { "nvmlDeviceGetPciInfo_v3" },
    [FN_ENERGY]       = { "nvmlDeviceGetTotalEnergyConsumption" },
    [FN_POWER]        = { "nvmlDeviceGetPowerUsage" },
    [FN_LIMIT]        = { "nvmlDeviceGetEnforcedPowerLimit" },
    [FN_UTILIZATION]  = { "nvmlDeviceGetProcessUtilization" },
    [FN_COMPUTE]      = { "nvmlDeviceGetComputeRunningProcesses_v3",
                          "nvmlDeviceGetComputeRunningProcesses_v2",
                          "nvmlDeviceGetComputeRunningProcesses" },
    [FN_GRAPHICS]     = { "nvmlDeviceGetGraphicsRunningProcesses_v3",
                          "nvmlDeviceGetGraphicsRunningProcesses_v2",
                          "nvmlDeviceGetGraphicsRunningProcesses" },
    [FN_CONF_COMPUTE_MEM]     = { "nvmlDeviceGetConfComputeMemSizeInfo" },
    [FN_PROCESS_DETAIL_LIST]  = { "nvmlDeviceGetRunningProcessDetailList" },
};

const char *
nvml_result_name(enum nvml_result result)
{
    switch (result) {
    case NVML_RESULT_OK:            return "ok";
    case NVML_RESULT_ABSENT:        return "absent";
    case NVML_RESULT_MISSING:       return "not supported by this driver";
    case NVML_RESULT_UNSUPPORTED:   return "not supported by this GPU";
    case NVML_RESULT_NO_PERMISSION: return "no permission";
    case NVML_RESULT_GPU_LOST:      return "GPU is lost";
    case NVML_RESULT_ERROR:         return "error";
    }
    return "?";
}

void
nvml_set_error(struct nvml *lib, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(lib->error, sizeof(lib->error), fmt, ap);
    va_end(ap);
}

const char *
nvml_last_error(const struct nvml *lib)
{
    return lib ? lib->error : "";
}

/* NVML's own text when the library has nvmlErrorString, else the meaning
 * nvml.h gives the code. */
static const char *
error_text(const struct nvml *lib, nvml_return rc, char *buf, size_t size)
{
    const char *text = NULL;

    if (lib->fn[FN_ERROR_STRING])
        text = ((fn_error_string)lib->fn[FN_ERROR_STRING])(rc);
    if (!text) {
        switch (rc) {
        case NVML_ERROR_NOT_SUPPORTED:     text = "Not Supported"; break;
        case NVML_ERROR_NO_PERMISSION:     text = "Insufficient Permissions"; break;
        case NVML_ERROR_NOT_FOUND:         text = "Not Found"; break;
        case NVML_ERROR_INSUFFICIENT_SIZE: text = "Insufficient Size"; break;
        case NVML_ERROR_DRIVER_NOT_LOADED: text = "Driver Not Loaded"; break;
        case NVML_ERROR_GPU_IS_LOST:       text = "GPU is lost"; break;
        default:
            snprintf(buf, size, "NVML error %d", rc);
            return buf;
        }
    }
    snprintf(buf, size, "%s", text);
    return buf;
}

static enum nvml_result
translate(struct nvml *lib, enum fn_id fn, nvml_return rc)
{
    char text[128];

    if (rc == NVML_SUCCESS)
        return NVML_RESULT_OK;
    nvml_set_error(lib, "%s: %s", lib->symbol[fn], error_text(lib, rc, text, sizeof(text)));
    switch (rc) {
    case NVML_ERROR_NOT_SUPPORTED: return NVML_RESULT_UNSUPPORTED;
    case NVML_ERROR_NO_PERMISSION: return NVML_RESULT_NO_PERMISSION;
    case NVML_ERROR_GPU_IS_LOST:   return NVML_RESULT_GPU_LOST;
    default:                       return NVML_RESULT_ERROR;
    }
}

static void
bind_symbols(struct nvml *lib)
{
    for (int f = 0; f < FN_IDS; f++) {
        for (int v = 0; v < 3 && fn_symbols[f][v] && !lib->fn[f]; v++) {
            lib->fn[f] = dlsym(lib->dso, fn_symbols[f][v]);
            lib->symbol[f] = fn_symbols[f][v];
        }
        if (!lib->fn[f])
            lib->symbol[f] = fn_symbols[f][0];
    }
    for (int kind = NVML_PROCESSES_COMPUTE; kind <= NVML_PROCESSES_GRAPHICS; kind++) {
        const char *symbol = lib->symbol[kind == NVML_PROCESSES_COMPUTE ? FN_COMPUTE : FN_GRAPHICS];
        size_t len = strlen(symbol);

        if (len > 3 && strcmp(symbol + len - 3, "_v3") == 0)
            /* R535 drivers have the confidential-computing calls but not yet the
             * detail list (R550), and their _v3 appends usedGpuCcProtectedMemory */
            lib->process_stride[kind] = lib->fn[FN_CONF_COMPUTE_MEM] && !lib->fn[FN_PROCESS_DETAIL_LIST] ? 32 : 24;
        else if (len > 3 && strcmp(symbol + len - 3, "_v2") == 0)
            lib->process_stride[kind] = 24;
        else
            lib->process_stride[kind] = 16;
    }
}

static enum nvml_result
open_failed(struct nvml *lib, enum nvml_result result, char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum nvml_result
open_failed(struct nvml *lib, enum nvml_result result, char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    nvml_close(lib);
    return result;
}

enum nvml_result
nvml_open(const char *library, struct nvml **out, char *why, size_t why_size)
{
    const char *path = library && *library ? library : NVML_DEFAULT_LIBRARY;
    struct nvml *lib;
    unsigned int count = 0;
    nvml_return rc;
    char text[128];

    *out = NULL;
    if (!(lib = calloc(1, sizeof(*lib)))) {
        snprintf(why, why_size, "out of memory");
        return NVML_RESULT_ERROR;
    }
    snprintf(lib->library, sizeof(lib->library), "%s", path);
    dlerror();
    if (!(lib->dso = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
        const char *err = dlerror();
        return open_failed(lib, NVML_RESULT_ABSENT, why, why_size,
                           "cannot load %s (%s): install the NVIDIA driver, or set [nvidia] library to its path",
                           path, err ? err : "dlopen failed");
    }
    bind_symbols(lib);
    for (int f = FN_INIT; f <= FN_HANDLE; f++)
        if (f != FN_ERROR_STRING && !lib->fn[f])
            return open_failed(lib, NVML_RESULT_MISSING, why, why_size,
                               "%s has no %s: not NVIDIA's NVML, or a driver older than NVML 5.319",
                               path, fn_symbols[f][0]);
    rc = ((fn_void)lib->fn[FN_INIT])();
    if (rc == NVML_ERROR_DRIVER_NOT_LOADED)
        return open_failed(lib, NVML_RESULT_ABSENT, why, why_size,
                           "the NVIDIA driver is not loaded (nvmlInit_v2: %s): no NVIDIA GPU here, or load the nvidia module",
                           error_text(lib, rc, text, sizeof(text)));
    if (rc == NVML_ERROR_NO_PERMISSION)
        return open_failed(lib, NVML_RESULT_NO_PERMISSION, why, why_size,
                           "nvmlInit_v2: %s: the agent's user may not open /dev/nvidia*",
                           error_text(lib, rc, text, sizeof(text)));
    if (rc == NVML_ERROR_LIB_RM_VERSION_MISMATCH)
        return open_failed(lib, NVML_RESULT_ERROR, why, why_size,
                           "nvmlInit_v2: %s: %s and the loaded driver differ in version (driver updated without reloading it): reboot, or reload the nvidia modules",
                           error_text(lib, rc, text, sizeof(text)), path);
    if (rc != NVML_SUCCESS)
        return open_failed(lib, NVML_RESULT_ERROR, why, why_size, "nvmlInit_v2: %s",
                           error_text(lib, rc, text, sizeof(text)));
    lib->initialized = true;
    if ((rc = ((fn_count)lib->fn[FN_COUNT])(&count)) != NVML_SUCCESS)
        return open_failed(lib, NVML_RESULT_ERROR, why, why_size, "nvmlDeviceGetCount_v2: %s",
                           error_text(lib, rc, text, sizeof(text)));
    if (count > 0 && !(lib->device = calloc(count, sizeof(*lib->device))))
        return open_failed(lib, NVML_RESULT_ERROR, why, why_size, "out of memory");
    lib->count = count;
    *out = lib;
    return NVML_RESULT_OK;
}

void
nvml_close(struct nvml *lib)
{
    if (!lib)
        return;
    if (lib->initialized)
        ((fn_void)lib->fn[FN_SHUTDOWN])();
    if (lib->dso)
        dlclose(lib->dso);
    free(lib->device);
    free(lib->utilization);
    free(lib->process_raw);
    free(lib);
}

unsigned
nvml_device_count(const struct nvml *lib)
{
    return lib ? lib->count : 0;
}

size_t
nvml_process_entry_size(const struct nvml *lib)
{
    return lib->process_stride[NVML_PROCESSES_COMPUTE];
}

/* The function fn for GPU index, or why not. */
enum nvml_result
nvml_prepare(struct nvml *lib, unsigned index, enum fn_id fn, nvml_device *device)
{
    nvml_return rc;

    if (!lib->fn[fn]) {
        nvml_set_error(lib, "%s: not supported by this driver (%s has no %s)",
                  fn_symbols[fn][0], lib->library, fn_symbols[fn][0]);
        return NVML_RESULT_MISSING;
    }
    if (index >= lib->count) {
        nvml_set_error(lib, "no GPU %u: NVML counted %u", index, lib->count);
        return NVML_RESULT_ERROR;
    }
    if (!lib->device[index]) {
        rc = ((fn_handle)lib->fn[FN_HANDLE])(index, &lib->device[index]);
        if (rc != NVML_SUCCESS) {
            lib->device[index] = NULL;
            return translate(lib, FN_HANDLE, rc);
        }
    }
    *device = lib->device[index];
    return NVML_RESULT_OK;
}

/* A lost GPU's handle is dropped: if it comes back it is acquired anew. */
enum nvml_result
nvml_finish(struct nvml *lib, unsigned index, enum fn_id fn, nvml_return rc)
{
    if (rc == NVML_ERROR_GPU_IS_LOST)
        lib->device[index] = NULL;
    return translate(lib, fn, rc);
}
