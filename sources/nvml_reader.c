#include "nvml_reader.h"
#include "clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nvml_reader {
    pthread_t       thread;
    pthread_mutex_t lock;
    pthread_cond_t  wake;
    bool            stop;
    bool            pending;        /* a round was asked for and not begun */
    char            library[256];
    struct nvml_round latest;       /* under lock */
    struct nvml_round work;         /* the thread's own */
    struct nvml    *lib;            /* the thread's own */
    uint64_t        last_seen_us[NVML_READER_MAX_GPUS];    /* utilisation cursors */
    struct nvml_samples   samples;  /* the thread's buffers */
    struct nvml_processes processes;
};

/* The driver may load after the agent: try the library again every so many rounds. */
#define REOPEN_ROUNDS 60

static void
read_identity(struct nvml *lib, unsigned i, struct nvml_gpu_reading *g)
{
    if (nvml_device_name(lib, i, g->model, sizeof(g->model)) != NVML_RESULT_OK)
        g->model[0] = '\0';
    if (nvml_device_uuid(lib, i, g->uuid, sizeof(g->uuid)) != NVML_RESULT_OK)
        g->uuid[0] = '\0';
    if (nvml_device_pci_bus_id(lib, i, g->pci_bus_id, sizeof(g->pci_bus_id)) != NVML_RESULT_OK)
        g->pci_bus_id[0] = '\0';
}

/* A failure other than "this driver or GPU has no such figure" is worth a line. */
static void
note_failure(struct nvml *lib, enum nvml_result result, struct nvml_gpu_reading *g)
{
    if (result != NVML_RESULT_OK && result != NVML_RESULT_MISSING && result != NVML_RESULT_UNSUPPORTED &&
        !g->error[0])
        snprintf(g->error, sizeof(g->error), "%s", nvml_last_error(lib));
}

/* The entry for pid in g, added when there is room; NULL when full. */
static struct nvml_gpu_process *
process_entry(struct nvml_gpu_reading *g, uint32_t pid)
{
    for (unsigned i = 0; i < g->nprocesses; i++)
        if (g->process[i].pid == pid)
            return &g->process[i];
    if (g->nprocesses == NVML_READER_MAX_PROCS)
        return NULL;
    g->process[g->nprocesses] = (struct nvml_gpu_process){ .pid = pid };
    return &g->process[g->nprocesses++];
}

/* Who used GPU i since the last round: utilisation samples after the
 * cursor, and the compute and graphics running lists. */
static void
read_processes(struct nvml_reader *r, unsigned i, struct nvml_gpu_reading *g)
{
    g->nprocesses = 0;
    g->utilization = nvml_device_process_utilization(r->lib, i, r->last_seen_us[i], &r->samples);
    if (g->utilization == NVML_RESULT_OK) {
        r->last_seen_us[i] = r->samples.newest_us;
        for (size_t k = 0; k < r->samples.count; k++) {
            struct nvml_gpu_process *p = process_entry(g, r->samples.sample[k].pid);

            if (p) {
                p->sm_sum += r->samples.sample[k].sm_percent;
                p->samples++;
            }
        }
    }
    g->running = NVML_RESULT_OK;
    for (int kind = NVML_PROCESSES_COMPUTE; kind <= NVML_PROCESSES_GRAPHICS; kind++) {
        enum nvml_result result = nvml_device_processes(r->lib, i, kind, &r->processes);

        if (result != NVML_RESULT_OK) {
            if (kind == NVML_PROCESSES_COMPUTE || g->running != NVML_RESULT_OK)
                g->running = result;
            continue;
        }
        g->running = NVML_RESULT_OK;
        for (size_t k = 0; k < r->processes.count; k++) {
            struct nvml_gpu_process *p = process_entry(g, r->processes.process[k].pid);

            if (p)
                p->running = true;
        }
    }
}

static void
read_round(struct nvml_reader *r)
{
    struct nvml_round *w = &r->work;

    if (!r->lib && (w->number == 0 || w->number % REOPEN_ROUNDS == 0)) {
        w->opened = nvml_open(r->library, &r->lib, w->why, sizeof(w->why));
        w->count = 0;
        if (r->lib) {
            w->count = nvml_device_count(r->lib);
            if (w->count > NVML_READER_MAX_GPUS)
                w->count = NVML_READER_MAX_GPUS;
            for (unsigned i = 0; i < w->count; i++) {
                memset(&w->gpu[i], 0, sizeof(w->gpu[i]));
                read_identity(r->lib, i, &w->gpu[i]);
            }
        }
    }
    for (unsigned i = 0; r->lib && i < w->count; i++) {
        struct nvml_gpu_reading *g = &w->gpu[i];

        g->error[0] = '\0';
        /* a GPU lost at open, or whose identity failed, is asked again */
        if (!g->uuid[0])
            read_identity(r->lib, i, g);
        g->energy = nvml_device_energy_mj(r->lib, i, &g->energy_mj);
        note_failure(r->lib, g->energy, g);
        g->power = nvml_device_power_mw(r->lib, i, &g->power_mw);
        note_failure(r->lib, g->power, g);
        g->limit = nvml_device_power_limit_mw(r->lib, i, &g->limit_mw);
        note_failure(r->lib, g->limit, g);
        g->read_s = monotonic_seconds();
        read_processes(r, i, g);
    }
    w->number++;
}

static void *
reader_main(void *arg)
{
    struct nvml_reader *r = arg;

    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->stop && !r->pending)
            pthread_cond_wait(&r->wake, &r->lock);
        if (r->stop)
            break;
        r->pending = false;
        pthread_mutex_unlock(&r->lock);
        read_round(r);
        pthread_mutex_lock(&r->lock);
        r->latest = r->work;
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

struct nvml_reader *
nvml_reader_start(const char *library)
{
    struct nvml_reader *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    snprintf(r->library, sizeof(r->library), "%s", library ? library : "");
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (pthread_create(&r->thread, NULL, reader_main, r) != 0) {
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return NULL;
    }
    return r;
}

/* Waits for a round in progress: a stalled driver holds the agent's exit,
 * never its fetches. */
void
nvml_reader_stop(struct nvml_reader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    nvml_close(r->lib);
    nvml_samples_free(&r->samples);
    nvml_processes_free(&r->processes);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void
nvml_reader_request(struct nvml_reader *r)
{
    pthread_mutex_lock(&r->lock);
    r->pending = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
}

bool
nvml_reader_take(struct nvml_reader *r, struct nvml_round *out)
{
    bool newer;

    pthread_mutex_lock(&r->lock);
    newer = r->latest.number > out->number;
    if (newer)
        *out = r->latest;
    pthread_mutex_unlock(&r->lock);
    return newer;
}
