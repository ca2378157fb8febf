#include "nvml.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The NVML ABI this file relies on, with the values of NVIDIA's nvml.h
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

static void __attribute__((format(printf, 2, 3)))
set_error(struct nvml *lib, const char *fmt, ...)
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
    set_error(lib, "%s: %s", lib->symbol[fn], error_text(lib, rc, text, sizeof(text)));
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
static enum nvml_result
prepare(struct nvml *lib, unsigned index, enum fn_id fn, nvml_device *device)
{
    nvml_return rc;

    if (!lib->fn[fn]) {
        set_error(lib, "%s: not supported by this driver (%s has no %s)",
                  fn_symbols[fn][0], lib->library, fn_symbols[fn][0]);
        return NVML_RESULT_MISSING;
    }
    if (index >= lib->count) {
        set_error(lib, "no GPU %u: NVML counted %u", index, lib->count);
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
static enum nvml_result
finish(struct nvml *lib, unsigned index, enum fn_id fn, nvml_return rc)
{
    if (rc == NVML_ERROR_GPU_IS_LOST)
        lib->device[index] = NULL;
    return translate(lib, fn, rc);
}

static enum nvml_result
device_text(struct nvml *lib, unsigned index, enum fn_id fn, char *buf, size_t size)
{
    char text[NVML_DEVICE_NAME_V2_BUFFER_SIZE > NVML_DEVICE_UUID_V2_BUFFER_SIZE ?
              NVML_DEVICE_NAME_V2_BUFFER_SIZE : NVML_DEVICE_UUID_V2_BUFFER_SIZE] = "";
    enum nvml_result result;
    nvml_device device;

    if (size > 0)
        buf[0] = '\0';
    if ((result = prepare(lib, index, fn, &device)) != NVML_RESULT_OK)
        return result;
    result = finish(lib, index, fn, ((fn_text)lib->fn[fn])(device, text, sizeof(text)));
    if (result == NVML_RESULT_OK && size > 0) {
        text[sizeof(text) - 1] = '\0';
        snprintf(buf, size, "%s", text);
    }
    return result;
}

enum nvml_result
nvml_device_name(struct nvml *lib, unsigned index, char *buf, size_t size)
{
    return device_text(lib, index, FN_NAME, buf, size);
}

enum nvml_result
nvml_device_uuid(struct nvml *lib, unsigned index, char *buf, size_t size)
{
    return device_text(lib, index, FN_UUID, buf, size);
}

enum nvml_result
nvml_device_pci_bus_id(struct nvml *lib, unsigned index, char *buf, size_t size)
{
    struct nvml_pci_info pci;
    enum nvml_result result;
    nvml_device device;

    if (size > 0)
        buf[0] = '\0';
    memset(&pci, 0, sizeof(pci));
    if ((result = prepare(lib, index, FN_PCI, &device)) != NVML_RESULT_OK)
        return result;
    result = finish(lib, index, FN_PCI, ((fn_pci)lib->fn[FN_PCI])(device, &pci));
    if (result == NVML_RESULT_OK && size > 0) {
        pci.busId[sizeof(pci.busId) - 1] = '\0';
        snprintf(buf, size, "%s", pci.busId);
    }
    return result;
}

enum nvml_result
nvml_device_energy_mj(struct nvml *lib, unsigned index, uint64_t *mj)
{
    unsigned long long value = 0;
    enum nvml_result result;
    nvml_device device;

    if ((result = prepare(lib, index, FN_ENERGY, &device)) != NVML_RESULT_OK)
        return result;
    result = finish(lib, index, FN_ENERGY, ((fn_u64)lib->fn[FN_ENERGY])(device, &value));
    if (result == NVML_RESULT_OK)
        *mj = value;
    return result;
}

static enum nvml_result
device_u32(struct nvml *lib, unsigned index, enum fn_id fn, uint32_t *value)
{
    unsigned int v = 0;
    enum nvml_result result;
    nvml_device device;

    if ((result = prepare(lib, index, fn, &device)) != NVML_RESULT_OK)
        return result;
    result = finish(lib, index, fn, ((fn_u32)lib->fn[fn])(device, &v));
    if (result == NVML_RESULT_OK)
        *value = v;
    return result;
}

enum nvml_result
nvml_device_power_mw(struct nvml *lib, unsigned index, uint32_t *mw)
{
    return device_u32(lib, index, FN_POWER, mw);
}

enum nvml_result
nvml_device_power_limit_mw(struct nvml *lib, unsigned index, uint32_t *mw)
{
    return device_u32(lib, index, FN_LIMIT, mw);
}

/* Grows *buf to hold want elements of size each; false when out of memory. */
static bool
reserve(void **buf, size_t *capacity, size_t want, size_t each)
{
    void *grown;

    if (want <= *capacity)
        return true;
    if (!(grown = realloc(*buf, want * each)))
        return false;
    *buf = grown;
    *capacity = want;
    return true;
}

static bool
reserve_or_say(struct nvml *lib, void **buf, size_t *capacity, size_t want, size_t each, const char *what)
{
    if (reserve(buf, capacity, want, each))
        return true;
    set_error(lib, "out of memory for %zu %s", want, what);
    return false;
}

/* NVML may ask for more room between the sizing call and the next (a process
 * started): a few rounds, then give up for this sample. */
#define SIZING_ROUNDS 4

static void
keep_samples(struct nvml_samples *out, const struct nvml_utilization_sample *raw, unsigned n,
             uint64_t last_seen_us)
{
    for (unsigned i = 0; i < n; i++) {
        const struct nvml_utilization_sample *s = &raw[i];
        struct nvml_process_sample *kept;

        if (s->timeStamp <= last_seen_us) {
            out->dropped++;
            continue;
        }
        /* a bad reading is still seen: the cursor passes it */
        if (s->timeStamp > out->newest_us)
            out->newest_us = s->timeStamp;
        if (s->smUtil > 100 || s->memUtil > 100 || s->encUtil > 100 || s->decUtil > 100) {
            out->dropped++;
            continue;
        }
        kept = &out->sample[out->count++];
        kept->pid = s->pid;
        kept->timestamp_us = s->timeStamp;
        kept->sm_percent = s->smUtil;
        kept->memory_percent = s->memUtil;
        kept->encoder_percent = s->encUtil;
        kept->decoder_percent = s->decUtil;
    }
}

enum nvml_result
nvml_device_process_utilization(struct nvml *lib, unsigned index, uint64_t last_seen_us,
                                struct nvml_samples *out)
{
    enum nvml_result result;
    nvml_device device;
    nvml_return rc;

    out->count = 0;
    out->dropped = 0;
    out->newest_us = last_seen_us;
    if ((result = prepare(lib, index, FN_UTILIZATION, &device)) != NVML_RESULT_OK)
        return result;
    for (int round = 0; round < SIZING_ROUNDS; round++) {
        /* the first call passes no buffer: NVML's documented sizing query */
        unsigned int n = lib->utilization_capacity;
        size_t capacity = lib->utilization_capacity;
        void *buf = lib->utilization;

        rc = ((fn_utilization)lib->fn[FN_UTILIZATION])(device, lib->utilization, &n, last_seen_us);
        if (rc == NVML_ERROR_NOT_FOUND)
            return NVML_RESULT_OK;
        if (rc == NVML_ERROR_INSUFFICIENT_SIZE) {
            if (n <= lib->utilization_capacity)
                n = lib->utilization_capacity * 2 + 8;
            if (!reserve_or_say(lib, &buf, &capacity, n, sizeof(*lib->utilization), "utilisation samples"))
                return NVML_RESULT_ERROR;
            lib->utilization = buf;
            lib->utilization_capacity = (unsigned)capacity;
            continue;
        }
        if (rc != NVML_SUCCESS)
            return finish(lib, index, FN_UTILIZATION, rc);
        if (n > lib->utilization_capacity)
            n = lib->utilization_capacity;
        buf = out->sample;
        if (!reserve_or_say(lib, &buf, &out->capacity, n, sizeof(*out->sample), "utilisation samples"))
            return NVML_RESULT_ERROR;
        out->sample = buf;
        keep_samples(out, lib->utilization, n, last_seen_us);
        return NVML_RESULT_OK;
    }
    set_error(lib, "nvmlDeviceGetProcessUtilization: still Insufficient Size after %d larger buffers",
              SIZING_ROUNDS);
    return NVML_RESULT_ERROR;
}

static void
keep_processes(struct nvml_processes *out, const unsigned char *raw, unsigned n, size_t stride)
{
    for (unsigned i = 0; i < n; i++) {
        struct nvml_process *p = &out->process[out->count++];
        unsigned int pid;
        unsigned long long memory;

        memcpy(&pid, raw + i * stride + PROCESS_PID_OFFSET, sizeof(pid));
        memcpy(&memory, raw + i * stride + PROCESS_MEMORY_OFFSET, sizeof(memory));
        p->pid = pid;
        p->memory_known = memory != NVML_VALUE_NOT_AVAILABLE_U64;
        p->used_memory_bytes = p->memory_known ? memory : 0;
    }
}

enum nvml_result
nvml_device_processes(struct nvml *lib, unsigned index, enum nvml_process_kind kind,
                      struct nvml_processes *out)
{
    enum fn_id fn = kind == NVML_PROCESSES_COMPUTE ? FN_COMPUTE : FN_GRAPHICS;
    size_t stride = lib->process_stride[kind];
    enum nvml_result result;
    nvml_device device;
    nvml_return rc;

    out->count = 0;
    if ((result = prepare(lib, index, fn, &device)) != NVML_RESULT_OK)
        return result;
    for (int round = 0; round < SIZING_ROUNDS; round++) {
        size_t room = lib->process_raw_size / stride;
        unsigned int n = room > UINT_MAX ? UINT_MAX : (unsigned int)room;
        void *buf = lib->process_raw;
        size_t capacity = lib->process_raw_size;

        /* *infoCount 0 with no buffer asks how many (nvml.h) */
        rc = ((fn_processes)lib->fn[fn])(device, &n, n ? lib->process_raw : NULL);
        if (rc == NVML_ERROR_INSUFFICIENT_SIZE) {
            /* room for processes that start before the next call */
            size_t want = ((size_t)n * 2 + 8) * stride;

            if (!reserve_or_say(lib, &buf, &capacity, want, 1, "bytes of process entries"))
                return NVML_RESULT_ERROR;
            lib->process_raw = buf;
            lib->process_raw_size = capacity;
            continue;
        }
        if (rc != NVML_SUCCESS)
            return finish(lib, index, fn, rc);
        if (n > room)
            n = (unsigned int)room;
        buf = out->process;
        if (!reserve_or_say(lib, &buf, &out->capacity, n, sizeof(*out->process), "processes"))
            return NVML_RESULT_ERROR;
        out->process = buf;
        keep_processes(out, lib->process_raw, n, stride);
        return NVML_RESULT_OK;
    }
    set_error(lib, "%s: still Insufficient Size after %d larger buffers", lib->symbol[fn], SIZING_ROUNDS);
    return NVML_RESULT_ERROR;
}

void
nvml_samples_free(struct nvml_samples *samples)
{
    free(samples->sample);
    memset(samples, 0, sizeof(*samples));
}

void
nvml_processes_free(struct nvml_processes *processes)
{
    free(processes->process);
    memset(processes, 0, sizeof(*processes));
}
