/*
 * fake_nvml.c: a stand-in for NVIDIA's libnvidia-ml.so.1, for tests only.
 *
 * It exports the NVML functions sources/nvml_load.c binds, with NVML's calling
 * conventions and return codes as NVIDIA's nvml.h documents them (NVML 13.3,
 * NVIDIA/go-nvml gen/nvml/nvml.h; each function below names what it follows),
 * and answers from a scripted state file named by FAKE_NVML_STATE, read again
 * whenever the file changes (another inode, size or mtime: write a new file and
 * rename it over the old one). Without FAKE_NVML_STATE, one GPU.
 *
 * The GNUmakefile builds it three ways, each a driver generation:
 *   build/tests/libnvidia-ml.so.1       a current driver (R550+): every function,
 *                                       the running-process lists as _v3, _v2 and v1
 *   build/tests/libnvidia-ml-old.so.1   -DFAKE_NVML_OLD, a pre-Volta driver (R375
 *                                       era): no nvmlDeviceGetTotalEnergyConsumption,
 *                                       running-process lists in v1 only
 *   build/tests/libnvidia-ml-r535.so.1  -DFAKE_NVML_R535, an R535 driver: _v3 writes
 *                                       32-byte entries (usedGpuCcProtectedMemory
 *                                       appended, as NVIDIA/go-nvml issue 75 and
 *                                       gpuopenanalytics/pynvml PR 48 found on 535.x)
 *
 * State file: one record a line, "kind key=value ...", values may be "quoted",
 * # starts a comment. GPUs are indexed in the order of their lines.
 *   init result=ok|driver_not_loaded|no_permission|version_mismatch
 *   clock seconds=S        the fake's clock (default: CLOCK_MONOTONIC)
 *   gpu name="NVIDIA A100-SXM4-40GB" uuid=GPU-... pci=00000000:07:00.0
 *       power_mw=N limit_mw=N energy_mj=N (the counter's value when first seen)
 *       lost=1 (NVML_ERROR_GPU_IS_LOST from every call)  no_permission=1
 *       unsupported=energy,power,limit,utilization,compute,graphics (NOT_SUPPORTED)
 *       utilization_size=N (what the sizing query asks for at least: drivers
 *       answer their sample buffer's size, 100, Syllo/nvtop issue 110)
 *       unfiltered=1 (return samples not newer than lastSeenTimeStamp too, as
 *       nvtop issue 110 saw)
 *       stall=1 (every call on the GPU blocks until a state without it is
 *       written: a driver that hangs, as NVML calls can on a busy GPU)
 *       reloaded=1 (the driver was reloaded: the counter starts again from
 *       energy_mj instead of carrying on; nvml.h says it counts "since the
 *       driver was last reloaded")
 *   process gpu=I pid=N kind=compute|graphics used_bytes=N
 *   sample gpu=I pid=N ts_us=N sm=N mem=N enc=N dec=N
 * The energy counter grows by power_mw x elapsed clock seconds (mJ), with the
 * power that held before each change of the file.
 *
 * A library stand-in has the global state a library has; none of it is
 * the project's code.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

/* nvml.h: nvmlReturn_t */
typedef enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
    NVML_ERROR_UNKNOWN = 999
} nvmlReturn_t;

typedef struct fake_gpu *nvmlDevice_t;

/* nvml.h: nvmlPciInfo_t */
typedef struct {
    char busIdLegacy[16];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;
    unsigned int pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;

/* nvml.h: nvmlProcessInfo_v1_t, nvmlProcessInfo_v2_t (= nvmlProcessInfo_t of _v3) */
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;

typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_v2_t;

/* what R535's _v3 wrote (DCGM's sdk/nvidia/nvml/nvml.h of that time) */
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
    unsigned long long usedGpuCcProtectedMemory;
} nvmlProcessInfo_r535_t;

/* nvml.h: nvmlProcessUtilizationSample_t */
typedef struct {
    unsigned int pid;
    unsigned long long timeStamp;
    unsigned int smUtil;
    unsigned int memUtil;
    unsigned int encUtil;
    unsigned int decUtil;
} nvmlProcessUtilizationSample_t;

enum { UNSUP_ENERGY = 1, UNSUP_POWER = 2, UNSUP_LIMIT = 4, UNSUP_UTILIZATION = 8,
       UNSUP_COMPUTE = 16, UNSUP_GRAPHICS = 32 };

#define MAX_GPUS 16
#define MAX_PROCESSES 256
#define MAX_SAMPLES 1024
#define NOT_AVAILABLE (~0ULL)

struct fake_gpu {
    char name[96], uuid[96], pci[32];
    unsigned power_mw, limit_mw, unsupported, utilization_size;
    bool lost, no_permission, unfiltered, stall, reloaded;
    double energy_mj, energy_clock;
};

struct fake_process { int gpu; unsigned pid; bool graphics; unsigned long long used_bytes; };
struct fake_sample { int gpu; unsigned pid; unsigned long long ts_us; unsigned sm, mem, enc, dec; };

struct fake_state {
    nvmlReturn_t init_result;
    bool scripted_clock;
    double clock_s;
    int ngpus, nprocesses, nsamples;
    struct fake_gpu gpu[MAX_GPUS];
    struct fake_process process[MAX_PROCESSES];
    struct fake_sample sample[MAX_SAMPLES];
};

static struct fake_state state;
static bool loaded;
static struct stat loaded_stat;
static int init_count;

static double __attribute__((unused))
now_s(void)
{
    struct timespec ts;

    if (state.scripted_clock)
        return state.clock_s;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The counter integrates power over the fake's clock, as the hardware does. */
static void
advance_energy(struct fake_gpu *g, double now)
{
    if (now > g->energy_clock)
        g->energy_mj += (double)g->power_mw * (now - g->energy_clock);
    g->energy_clock = now;
}

static void
default_state(struct fake_state *s)
{
    memset(s, 0, sizeof(*s));
    s->ngpus = 1;
    snprintf(s->gpu[0].name, sizeof(s->gpu[0].name), "NVIDIA A100-SXM4-40GB");
    snprintf(s->gpu[0].uuid, sizeof(s->gpu[0].uuid), "GPU-00000000-0000-0000-0000-000000000000");
    snprintf(s->gpu[0].pci, sizeof(s->gpu[0].pci), "00000000:07:00.0");
    s->gpu[0].power_mw = 60000;
    s->gpu[0].limit_mw = 400000;
}

/* Next "key=value" of line into key and value; false at the end. */
static bool
next_pair(char **line, char *key, size_t ksize, char *value, size_t vsize)
{
    char *p = *line;
    size_t k = 0, v = 0;

    while (isspace((unsigned char)*p))
        p++;
    if (!*p || *p == '#')
        return false;
    while (*p && *p != '=' && !isspace((unsigned char)*p))
        if (k + 1 < ksize)
            key[k++] = *p++;
        else
            p++;
    key[k] = '\0';
    if (*p == '=')
        p++;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (v + 1 < vsize)
                value[v++] = *p;
        if (*p == '"')
            p++;
    } else {
        for (; *p && !isspace((unsigned char)*p); p++)
            if (v + 1 < vsize)
                value[v++] = *p;
    }
    value[v] = '\0';
    *line = p;
    return true;
}

static unsigned
parse_unsupported(const char *list)
{
    static const struct { const char *name; unsigned bit; } names[] = {
        { "energy", UNSUP_ENERGY }, { "power", UNSUP_POWER }, { "limit", UNSUP_LIMIT },
        { "utilization", UNSUP_UTILIZATION }, { "compute", UNSUP_COMPUTE },
        { "graphics", UNSUP_GRAPHICS },
    };
    unsigned bits = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *hit = strstr(list, names[i].name);
        size_t len = strlen(names[i].name);

        if (hit && (hit == list || hit[-1] == ',') && (hit[len] == '\0' || hit[len] == ','))
            bits |= names[i].bit;
    }
    return bits;
}

static void
set_text(char *dst, size_t size, const char *value)
{
    size_t len = strlen(value);

    if (len >= size)
        len = size - 1;
    memcpy(dst, value, len);
    dst[len] = '\0';
}

static void
parse_gpu(struct fake_gpu *g, char *rest)
{
    char key[64], value[256];

    while (next_pair(&rest, key, sizeof(key), value, sizeof(value))) {
        unsigned long long n = strtoull(value, NULL, 10);

        if (!strcmp(key, "name"))
            set_text(g->name, sizeof(g->name), value);
        else if (!strcmp(key, "uuid"))
            set_text(g->uuid, sizeof(g->uuid), value);
        else if (!strcmp(key, "pci"))
            set_text(g->pci, sizeof(g->pci), value);
        else if (!strcmp(key, "power_mw"))
            g->power_mw = (unsigned)n;
        else if (!strcmp(key, "limit_mw"))
            g->limit_mw = (unsigned)n;
        else if (!strcmp(key, "energy_mj"))
            g->energy_mj = (double)n;
        else if (!strcmp(key, "lost"))
            g->lost = n != 0;
        else if (!strcmp(key, "no_permission"))
            g->no_permission = n != 0;
        else if (!strcmp(key, "unfiltered"))
            g->unfiltered = n != 0;
        else if (!strcmp(key, "stall"))
            g->stall = n != 0;
        else if (!strcmp(key, "reloaded"))
            g->reloaded = n != 0;
        else if (!strcmp(key, "utilization_size"))
            g->utilization_size = (unsigned)n;
        else if (!strcmp(key, "unsupported"))
            g->unsupported = parse_unsupported(value);
    }
}

static void
parse_line(struct fake_state *s, char *line)
{
    char kind[32], key[64], value[256];
    int k = 0;

    while (isspace((unsigned char)*line))
        line++;
    while (*line && !isspace((unsigned char)*line) && k + 1 < (int)sizeof(kind))
        kind[k++] = *line++;
    kind[k] = '\0';
    if (!strcmp(kind, "gpu") && s->ngpus < MAX_GPUS) {
        parse_gpu(&s->gpu[s->ngpus++], line);
    } else if (!strcmp(kind, "init")) {
        while (next_pair(&line, key, sizeof(key), value, sizeof(value)))
            if (!strcmp(key, "result"))
                s->init_result = !strcmp(value, "driver_not_loaded") ? NVML_ERROR_DRIVER_NOT_LOADED :
                                 !strcmp(value, "no_permission") ? NVML_ERROR_NO_PERMISSION :
                                 !strcmp(value, "version_mismatch") ? NVML_ERROR_LIB_RM_VERSION_MISMATCH :
                                 NVML_SUCCESS;
    } else if (!strcmp(kind, "clock")) {
        while (next_pair(&line, key, sizeof(key), value, sizeof(value)))
            if (!strcmp(key, "seconds")) {
                s->scripted_clock = true;
                s->clock_s = strtod(value, NULL);
            }
    } else if (!strcmp(kind, "process") && s->nprocesses < MAX_PROCESSES) {
        struct fake_process *p = &s->process[s->nprocesses++];

        while (next_pair(&line, key, sizeof(key), value, sizeof(value))) {
            if (!strcmp(key, "gpu"))
                p->gpu = atoi(value);
            else if (!strcmp(key, "pid"))
                p->pid = (unsigned)strtoul(value, NULL, 10);
            else if (!strcmp(key, "kind"))
                p->graphics = !strcmp(value, "graphics");
            else if (!strcmp(key, "used_bytes"))
                p->used_bytes = strcmp(value, "unknown") ? strtoull(value, NULL, 10) : NOT_AVAILABLE;
        }
    } else if (!strcmp(kind, "sample") && s->nsamples < MAX_SAMPLES) {
        struct fake_sample *m = &s->sample[s->nsamples++];

        while (next_pair(&line, key, sizeof(key), value, sizeof(value))) {
            unsigned long long n = strtoull(value, NULL, 10);

            if (!strcmp(key, "gpu"))
                m->gpu = (int)n;
            else if (!strcmp(key, "pid"))
                m->pid = (unsigned)n;
            else if (!strcmp(key, "ts_us"))
                m->ts_us = n;
            else if (!strcmp(key, "sm"))
                m->sm = (unsigned)n;
            else if (!strcmp(key, "mem"))
                m->mem = (unsigned)n;
            else if (!strcmp(key, "enc"))
                m->enc = (unsigned)n;
            else if (!strcmp(key, "dec"))
                m->dec = (unsigned)n;
        }
    }
}

/* A new state keeps each known GPU's counter (by UUID), advanced to the new
 * clock with the power that held until now. */
static void
adopt(struct fake_state *next)
{
    double now_next = next->scripted_clock ? next->clock_s : 0;

    if (!next->scripted_clock) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        now_next = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    }
    for (int i = 0; i < next->ngpus; i++) {
        struct fake_gpu *g = &next->gpu[i];

        g->energy_clock = now_next;
        for (int j = 0; loaded && j < state.ngpus; j++) {
            struct fake_gpu *old = &state.gpu[j];

            if (!strcmp(old->uuid, g->uuid) && !g->reloaded) {
                advance_energy(old, now_next);
                g->energy_mj = old->energy_mj;
                break;
            }
        }
    }
    state = *next;
    loaded = true;
}

static void
refresh(void)
{
    static struct fake_state next;
    const char *path = getenv("FAKE_NVML_STATE");
    struct stat sb;
    char line[1024];
    FILE *fp;

    if (!path || !*path) {
        if (!loaded) {
            default_state(&next);
            adopt(&next);
        }
        return;
    }
    if (stat(path, &sb) < 0)
        return;
    if (loaded && sb.st_ino == loaded_stat.st_ino && sb.st_size == loaded_stat.st_size &&
        sb.st_mtim.tv_sec == loaded_stat.st_mtim.tv_sec && sb.st_mtim.tv_nsec == loaded_stat.st_mtim.tv_nsec)
        return;
    if (!(fp = fopen(path, "r")))
        return;
    memset(&next, 0, sizeof(next));
    while (fgets(line, sizeof(line), fp))
        parse_line(&next, line);
    fclose(fp);
    loaded_stat = sb;
    adopt(&next);
}

/* The GPU behind a handle, or the error NVML gives for it. */
static nvmlReturn_t
gpu_of(nvmlDevice_t device, unsigned unsupported_bit, struct fake_gpu **g)
{
    refresh();
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || device < &state.gpu[0] || device >= &state.gpu[state.ngpus])
        return NVML_ERROR_INVALID_ARGUMENT;
    while (device < &state.gpu[state.ngpus] && device->stall) {
        struct timespec pause = { 0, 20 * 1000 * 1000 };

        nanosleep(&pause, NULL);
        refresh();
    }
    if (device >= &state.gpu[state.ngpus])
        return NVML_ERROR_GPU_IS_LOST;
    if (device->lost)
        return NVML_ERROR_GPU_IS_LOST;
    if (device->unsupported & unsupported_bit)
        return NVML_ERROR_NOT_SUPPORTED;
    *g = device;
    return NVML_SUCCESS;
}

/* nvml.h, nvmlInit_v2: ref-counted; DRIVER_NOT_LOADED, NO_PERMISSION */
EXPORT nvmlReturn_t
nvmlInit_v2(void)
{
    refresh();
    if (state.init_result != NVML_SUCCESS)
        return state.init_result;
    init_count++;
    return NVML_SUCCESS;
}

/* nvml.h, nvmlShutdown: "no error is reported if nvmlShutdown() is called
 * more times than nvmlInit()" */
EXPORT nvmlReturn_t
nvmlShutdown(void)
{
    if (init_count > 0)
        init_count--;
    return NVML_SUCCESS;
}

EXPORT const char *
nvmlErrorString(nvmlReturn_t result)
{
    switch (result) {
    case NVML_SUCCESS:                       return "Success";
    case NVML_ERROR_UNINITIALIZED:           return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT:        return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED:           return "Not Supported";
    case NVML_ERROR_NO_PERMISSION:           return "Insufficient Permissions";
    case NVML_ERROR_NOT_FOUND:               return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE:       return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED:       return "Driver Not Loaded";
    case NVML_ERROR_GPU_IS_LOST:             return "GPU is lost";
    case NVML_ERROR_LIB_RM_VERSION_MISMATCH: return "RM has detected an NVML/RM version mismatch.";
    default:                                 return "Unknown Error";
    }
}

/* nvml.h, nvmlDeviceGetCount_v2: counts every GPU, also those whose handle
 * then answers NO_PERMISSION */
EXPORT nvmlReturn_t
nvmlDeviceGetCount_v2(unsigned int *deviceCount)
{
    refresh();
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!deviceCount)
        return NVML_ERROR_INVALID_ARGUMENT;
    *deviceCount = (unsigned)state.ngpus;
    return NVML_SUCCESS;
}

/* nvml.h, nvmlDeviceGetHandleByIndex_v2 */
EXPORT nvmlReturn_t
nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    refresh();
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || index >= (unsigned)state.ngpus)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (state.gpu[index].no_permission)
        return NVML_ERROR_NO_PERMISSION;
    if (state.gpu[index].lost)
        return NVML_ERROR_GPU_IS_LOST;
    *device = &state.gpu[index];
    return NVML_SUCCESS;
}

/* nvml.h, nvmlDeviceGetName / nvmlDeviceGetUUID: INSUFFICIENT_SIZE when
 * length is too small for the text and its NUL */
static nvmlReturn_t
copy_text(const char *text, char *buf, unsigned int length)
{
    if (!buf)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (strlen(text) + 1 > length)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(buf, text, strlen(text) + 1);
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t
nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    struct fake_gpu *g;
    nvmlReturn_t rc = gpu_of(device, 0, &g);

    return rc != NVML_SUCCESS ? rc : copy_text(g->name, name, length);
}

EXPORT nvmlReturn_t
nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    struct fake_gpu *g;
    nvmlReturn_t rc = gpu_of(device, 0, &g);

    return rc != NVML_SUCCESS ? rc : copy_text(g->uuid, uuid, length);
}

/* nvml.h, nvmlDeviceGetPciInfo_v3: busId "%08X:%02X:%02X.0", busIdLegacy
 * "%04X:%02X:%02X.0" */
EXPORT nvmlReturn_t
nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci)
{
    struct fake_gpu *g;
    nvmlReturn_t rc = gpu_of(device, 0, &g);
    unsigned domain = 0, bus = 0, dev = 0;

    if (rc != NVML_SUCCESS)
        return rc;
    if (!pci)
        return NVML_ERROR_INVALID_ARGUMENT;
    memset(pci, 0, sizeof(*pci));
    if (sscanf(g->pci, "%x:%x:%x", &domain, &bus, &dev) != 3)
        return NVML_ERROR_UNKNOWN;
    snprintf(pci->busId, sizeof(pci->busId), "%08X:%02X:%02X.0", domain, bus, dev);
    snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "%04X:%02X:%02X.0", domain & 0xffff, bus, dev);
    pci->domain = domain;
    pci->bus = bus;
    pci->device = dev;
    return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OLD
/* nvml.h, nvmlDeviceGetTotalEnergyConsumption: mJ since the driver was last
 * reloaded, Volta and later; NOT_SUPPORTED where the GPU has no counter */
EXPORT nvmlReturn_t
nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy)
{
    struct fake_gpu *g;
    nvmlReturn_t rc = gpu_of(device, UNSUP_ENERGY, &g);

    if (rc != NVML_SUCCESS)
        return rc;
    if (!energy)
        return NVML_ERROR_INVALID_ARGUMENT;
    advance_energy(g, now_s());
    *energy = (unsigned long long)g->energy_mj;
    return NVML_SUCCESS;
}
#endif

/* nvml.h, nvmlDeviceGetPowerUsage: milliwatts */
EXPORT nvmlReturn_t
nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
{
    struct fake_gpu *g;
    nvmlReturn_t rc = gpu_of(device, UNSUP_POWER, &g);

    if (rc == NVML_SUCCESS && !power)
        rc = NVML_ERROR_INVALID_ARGUMENT;
    if (rc == NVML_SUCCESS)
        *power = g->power_mw;
    return rc;
}

/* nvml.h, nvmlDeviceGetEnforcedPowerLimit: milliwatts */
EXPORT nvmlReturn_t
nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned int *limit)
{
    struct fake_gpu *g;
    nvmlReturn_t rc = gpu_of(device, UNSUP_LIMIT, &g);

    if (rc == NVML_SUCCESS && !limit)
        rc = NVML_ERROR_INVALID_ARGUMENT;
    if (rc == NVML_SUCCESS)
        *limit = g->limit_mw;
    return rc;
}

/* nvml.h, nvmlDeviceGetProcessUtilization: samples with a timestamp greater
 * than lastSeenTimeStamp; NOT_FOUND when there are none; with utilization
 * NULL (or too small a count) INSUFFICIENT_SIZE and the count needed; on
 * success the count written. */
EXPORT nvmlReturn_t
nvmlDeviceGetProcessUtilization(nvmlDevice_t device, nvmlProcessUtilizationSample_t *utilization,
                                unsigned int *processSamplesCount, unsigned long long lastSeenTimeStamp)
{
    struct fake_gpu *g;
    nvmlReturn_t rc = gpu_of(device, UNSUP_UTILIZATION, &g);
    int index = (int)(device - &state.gpu[0]);
    unsigned matching = 0, needed, written = 0;

    if (rc != NVML_SUCCESS)
        return rc;
    if (!processSamplesCount)
        return NVML_ERROR_INVALID_ARGUMENT;
    for (int i = 0; i < state.nsamples; i++)
        if (state.sample[i].gpu == index && (g->unfiltered || state.sample[i].ts_us > lastSeenTimeStamp))
            matching++;
    if (matching == 0)
        return NVML_ERROR_NOT_FOUND;
    needed = matching > g->utilization_size ? matching : g->utilization_size;
    if (!utilization || *processSamplesCount < needed) {
        *processSamplesCount = needed;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    for (int i = 0; i < state.nsamples; i++) {
        const struct fake_sample *m = &state.sample[i];

        if (m->gpu != index || !(g->unfiltered || m->ts_us > lastSeenTimeStamp))
            continue;
        utilization[written].pid = m->pid;
        utilization[written].timeStamp = m->ts_us;
        utilization[written].smUtil = m->sm;
        utilization[written].memUtil = m->mem;
        utilization[written].encUtil = m->enc;
        utilization[written].decUtil = m->dec;
        written++;
    }
    *processSamplesCount = written;
    return NVML_SUCCESS;
}

/* nvml.h, nvmlDeviceGetComputeRunningProcesses_v3 and its kin: *infoCount 0
 * asks how many (INSUFFICIENT_SIZE, or SUCCESS when none run; infos may then
 * be NULL); too small a count gives INSUFFICIENT_SIZE and the count needed. */
static nvmlReturn_t
running(nvmlDevice_t device, bool graphics, unsigned int *infoCount, void *infos, size_t stride)
{
    struct fake_gpu *g;
    nvmlReturn_t rc = gpu_of(device, graphics ? UNSUP_GRAPHICS : UNSUP_COMPUTE, &g);
    int index = (int)(device - &state.gpu[0]);
    unsigned n = 0, written = 0;

    if (rc != NVML_SUCCESS)
        return rc;
    if (!infoCount)
        return NVML_ERROR_INVALID_ARGUMENT;
    for (int i = 0; i < state.nprocesses; i++)
        n += state.process[i].gpu == index && state.process[i].graphics == graphics;
    if (*infoCount < n) {
        *infoCount = n;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    if (n > 0 && !infos)
        return NVML_ERROR_INVALID_ARGUMENT;
    for (int i = 0; i < state.nprocesses; i++) {
        const struct fake_process *p = &state.process[i];
        unsigned char *entry = (unsigned char *)infos + written * stride;

        if (p->gpu != index || p->graphics != graphics)
            continue;
        if (stride == sizeof(nvmlProcessInfo_v1_t)) {
            nvmlProcessInfo_v1_t e = { .pid = p->pid, .usedGpuMemory = p->used_bytes };
            memcpy(entry, &e, sizeof(e));
        } else if (stride == sizeof(nvmlProcessInfo_v2_t)) {
            nvmlProcessInfo_v2_t e = { .pid = p->pid, .usedGpuMemory = p->used_bytes,
                                       .gpuInstanceId = 0xFFFFFFFF, .computeInstanceId = 0xFFFFFFFF };
            memcpy(entry, &e, sizeof(e));
        } else {
            nvmlProcessInfo_r535_t e = { .pid = p->pid, .usedGpuMemory = p->used_bytes,
                                         .gpuInstanceId = 0xFFFFFFFF, .computeInstanceId = 0xFFFFFFFF,
                                         .usedGpuCcProtectedMemory = 0 };
            memcpy(entry, &e, sizeof(e));
        }
        written++;
    }
    *infoCount = written;
    return NVML_SUCCESS;
}

#ifdef FAKE_NVML_R535
#define V3_STRIDE sizeof(nvmlProcessInfo_r535_t)
#else
#define V3_STRIDE sizeof(nvmlProcessInfo_v2_t)
#endif

EXPORT nvmlReturn_t
nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_v1_t *infos)
{
    return running(device, false, infoCount, infos, sizeof(nvmlProcessInfo_v1_t));
}

EXPORT nvmlReturn_t
nvmlDeviceGetGraphicsRunningProcesses(nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_v1_t *infos)
{
    return running(device, true, infoCount, infos, sizeof(nvmlProcessInfo_v1_t));
}

#ifndef FAKE_NVML_OLD
EXPORT nvmlReturn_t
nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_v2_t *infos)
{
    return running(device, false, infoCount, infos, sizeof(nvmlProcessInfo_v2_t));
}

EXPORT nvmlReturn_t
nvmlDeviceGetGraphicsRunningProcesses_v2(nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_v2_t *infos)
{
    return running(device, true, infoCount, infos, sizeof(nvmlProcessInfo_v2_t));
}

EXPORT nvmlReturn_t
nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount, void *infos)
{
    return running(device, false, infoCount, infos, V3_STRIDE);
}

EXPORT nvmlReturn_t
nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount, void *infos)
{
    return running(device, true, infoCount, infos, V3_STRIDE);
}

/* present from R535 on; the wrapper only looks for the symbol */
EXPORT nvmlReturn_t
nvmlDeviceGetConfComputeMemSizeInfo(nvmlDevice_t device, void *memInfo)
{
    (void)device;
    (void)memInfo;
    return NVML_ERROR_NOT_SUPPORTED;
}
#endif

#if !defined(FAKE_NVML_OLD) && !defined(FAKE_NVML_R535)
/* present from R550 on; the wrapper only looks for the symbol */
EXPORT nvmlReturn_t
nvmlDeviceGetRunningProcessDetailList(nvmlDevice_t device, void *plist)
{
    (void)device;
    (void)plist;
    return NVML_ERROR_NOT_SUPPORTED;
}
#endif
