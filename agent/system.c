#include "system.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const known_candidates[] = {
    "meter", "battery", "hwmon:power_meter", "rapl:psys", "rapl:package+dram", "powermetrics", "model",
};

bool
system_candidate_includes_gpus(const char *name)
{
    return strcmp(name, "rapl:package+dram") != 0 && strcmp(name, "model") != 0;
}

bool
system_known_candidate(const char *name)
{
    for (size_t i = 0; i < sizeof(known_candidates) / sizeof(known_candidates[0]); i++)
        if (strcmp(name, known_candidates[i]) == 0)
            return true;
    return false;
}

unsigned
system_init(struct system_state *s, const char *priority, const char **unknown)
{
    static char bad[32];
    const char *p = priority;

    memset(s, 0, sizeof(*s));
    s->chosen = -1;
    if (unknown)
        *unknown = NULL;
    while (*p && s->ncandidates < SYSTEM_MAX_CANDIDATES) {
        char name[32];
        size_t n = 0;

        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        while (*p && *p != ',' && !isspace((unsigned char)*p)) {
            if (n + 1 < sizeof(name))
                name[n++] = *p;
            p++;
        }
        name[n] = '\0';
        if (n == 0)
            continue;
        if (!system_known_candidate(name)) {
            if (unknown && !*unknown) {
                snprintf(bad, sizeof(bad), "%s", name);
                *unknown = bad;
            }
            continue;
        }
        snprintf(s->candidates[s->ncandidates++], sizeof(s->candidates[0]), "%s", name);
    }
    return s->ncandidates;
}

void
system_update(struct system_state *s, double dt_s,
              const struct candidate_reading *readings,
              const struct cpu_totals *cpu)
{
    double delta = 0.0;
    uint64_t busy = 0, total = 0;

    s->chosen = -1;
    for (unsigned i = 0; i < s->ncandidates; i++) {
        const struct candidate_reading *now = &readings[i], *was = &s->previous[i];
        if (now->valid && was->valid && now->energy_j >= was->energy_j) {
            s->chosen = (int)i;
            delta = now->energy_j - was->energy_j;
            break;
        }
    }
    if (s->chosen < 0) {
        /* first interval of a source: name it now, its deltas count from the next */
        for (unsigned i = 0; i < s->ncandidates && s->chosen < 0; i++)
            if (readings[i].valid)
                s->chosen = (int)i;
        dt_s = 0;
    }
    for (unsigned i = 0; i < s->ncandidates; i++)
        s->previous[i] = readings[i];
    s->gpu_added = s->chosen >= 0 && dt_s > 0 && s->add_gpu &&
                   !system_candidate_includes_gpus(s->candidates[s->chosen]) && s->gpu.valid;
    if (s->gpu_added)
        delta += s->gpu.energy_j;
    /* the GPUs' part of a figure that holds them; a meter's interval may end
     * a little before the GPUs' did: never more than the whole */
    s->interval_gpu_j = 0.0;
    if (s->chosen >= 0 && s->gpu.valid && s->gpu.shared_j > 0 &&
        (s->gpu_added || system_candidate_includes_gpus(s->candidates[s->chosen])))
        s->interval_gpu_j = s->gpu.shared_j < delta ? s->gpu.shared_j : delta;
    if (s->interval_gpu_j < 0)
        s->interval_gpu_j = 0.0;
    s->gpu_scale = s->interval_gpu_j > 0 ? s->interval_gpu_j / s->gpu.shared_j : 0.0;
    s->interval_gpu_active_j = s->gpu.active_j * s->gpu_scale;
    if (s->chosen >= 0)
        snprintf(s->source_name, sizeof(s->source_name), "%s%s", s->candidates[s->chosen],
                 s->gpu_added ? "+gpu" : "");

    if (cpu) {
        if (s->have_cpu) {
            uint64_t b1 = cpu_totals_busy(cpu), b0 = cpu_totals_busy(&s->last_cpu);
            uint64_t t1 = cpu_totals_all(cpu), t0 = cpu_totals_all(&s->last_cpu);
            busy = b1 > b0 ? b1 - b0 : 0;
            total = t1 > t0 ? t1 - t0 : 0;
            if (busy > total)
                busy = total;
        }
        s->last_cpu = *cpu;
        s->have_cpu = true;
    }
    s->interval_busy_ns = busy;
    s->interval_total_ns = total;
    s->utilization = total ? (double)busy / (double)total : 0.0;

    if (s->chosen < 0 || dt_s <= 0) {
        /* no source covered this interval: no power rather than the last one */
        s->interval_energy_j = s->interval_active_j = 0.0;
        s->interval_gpu_j = s->interval_gpu_active_j = s->gpu_scale = 0.0;
        s->power_fresh = false;
        return;
    }
    s->power_fresh = true;
    s->energy_j += delta;
    s->power_w = delta / dt_s;
    s->have_power = true;
    /* with no CPU accounting for the interval, call it all idle rather than invent a split */
    s->interval_energy_j = delta;
    s->interval_active_j = (total ? (delta - s->interval_gpu_j) * (double)busy / (double)total : 0.0) +
                           s->interval_gpu_active_j;
    s->active_j += s->interval_active_j;
    s->idle_j += delta - s->interval_active_j;
    s->active_power_w = s->interval_active_j / dt_s;
}

const char *
system_source_name(const struct system_state *s)
{
    if (s->chosen < 0 || (unsigned)s->chosen >= s->ncandidates)
        return "none";
    return s->source_name;
}
