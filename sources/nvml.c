/*
 * nvml.c: the readings of each GPU through the bound NVML functions (see
 * nvml.h); nvml_load.c loads the library.
 */
#include "nvml_abi.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum nvml_result
device_text(struct nvml *lib, unsigned index, enum fn_id fn, char *buf, size_t size)
{
    char text[NVML_DEVICE_NAME_V2_BUFFER_SIZE > NVML_DEVICE_UUID_V2_BUFFER_SIZE ?
              NVML_DEVICE_NAME_V2_BUFFER_SIZE : NVML_DEVICE_UUID_V2_BUFFER_SIZE] = "";
    enum nvml_result result;
    nvml_device device;

    if (size > 0)
        buf[0] = '\0';
    if ((result = nvml_prepare(lib, index, fn, &device)) != NVML_RESULT_OK)
        return result;
    result = nvml_finish(lib, index, fn, ((fn_text)lib->fn[fn])(device, text, sizeof(text)));
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
    if ((result = nvml_prepare(lib, index, FN_PCI, &device)) != NVML_RESULT_OK)
        return result;
    result = nvml_finish(lib, index, FN_PCI, ((fn_pci)lib->fn[FN_PCI])(device, &pci));
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

    if ((result = nvml_prepare(lib, index, FN_ENERGY, &device)) != NVML_RESULT_OK)
        return result;
    result = nvml_finish(lib, index, FN_ENERGY, ((fn_u64)lib->fn[FN_ENERGY])(device, &value));
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

    if ((result = nvml_prepare(lib, index, fn, &device)) != NVML_RESULT_OK)
        return result;
    result = nvml_finish(lib, index, fn, ((fn_u32)lib->fn[fn])(device, &v));
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
    nvml_set_error(lib, "out of memory for %zu %s", want, what);
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
    if ((result = nvml_prepare(lib, index, FN_UTILIZATION, &device)) != NVML_RESULT_OK)
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
            return nvml_finish(lib, index, FN_UTILIZATION, rc);
        if (n > lib->utilization_capacity)
            n = lib->utilization_capacity;
        buf = out->sample;
        if (!reserve_or_say(lib, &buf, &out->capacity, n, sizeof(*out->sample), "utilisation samples"))
            return NVML_RESULT_ERROR;
        out->sample = buf;
        keep_samples(out, lib->utilization, n, last_seen_us);
        return NVML_RESULT_OK;
    }
    nvml_set_error(lib, "nvmlDeviceGetProcessUtilization: still Insufficient Size after %d larger buffers",
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
    if ((result = nvml_prepare(lib, index, fn, &device)) != NVML_RESULT_OK)
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
            return nvml_finish(lib, index, fn, rc);
        if (n > room)
            n = (unsigned int)room;
        buf = out->process;
        if (!reserve_or_say(lib, &buf, &out->capacity, n, sizeof(*out->process), "processes"))
            return NVML_RESULT_ERROR;
        out->process = buf;
        keep_processes(out, lib->process_raw, n, stride);
        return NVML_RESULT_OK;
    }
    nvml_set_error(lib, "%s: still Insufficient Size after %d larger buffers", lib->symbol[fn], SIZING_ROUNDS);
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
