#include "system.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int
known_index(const char *name, const struct system_candidate *const *known, size_t nknown)
{
    for (size_t i = 0; i < nknown; i++)
        if (strcmp(name, known[i]->name) == 0)
            return (int)i;
    return -1;
}

unsigned
system_init(struct system_state *s, const char *priority,
            const struct system_candidate *const *known, size_t nknown,
            char *unknown, size_t unknown_size)
{
    const char *p = priority;

    memset(s, 0, sizeof(*s));
    s->chosen = -1;
    if (unknown && unknown_size)
        unknown[0] = '\0';
    while (*p && s->ncandidates < SYSTEM_MAX_CANDIDATES) {
        char name[32];
        size_t n = 0;
        int k;

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
        if ((k = known_index(name, known, nknown)) < 0) {
            if (unknown && unknown_size && !unknown[0])
                snprintf(unknown, unknown_size, "%s", name);
            continue;
        }
        s->known[s->ncandidates] = (unsigned)k;
        s->candidates[s->ncandidates++] = known[k];
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
    struct idle_split split;

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
                   !s->candidates[s->chosen]->whole_host && s->gpu.valid;
    if (s->gpu_added)
        delta += s->gpu.energy_j;
    /* the GPUs' part of a figure that holds them; a meter's interval may end
     * a little before the GPUs' did: never more than the whole */
    s->interval_gpu_j = 0.0;
    if (s->chosen >= 0 && s->gpu.valid && s->gpu.shared_j > 0 &&
        (s->gpu_added || s->candidates[s->chosen]->whole_host))
        s->interval_gpu_j = s->gpu.shared_j < delta ? s->gpu.shared_j : delta;
    if (s->interval_gpu_j < 0)
        s->interval_gpu_j = 0.0;
    s->gpu_scale = s->interval_gpu_j > 0 ? s->interval_gpu_j / s->gpu.shared_j : 0.0;
    s->interval_gpu_active_j = s->gpu.active_j * s->gpu_scale;
    if (s->chosen >= 0)
        snprintf(s->source_name, sizeof(s->source_name), "%s%s", s->candidates[s->chosen]->name,
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
    s->busy_s += (double)busy / 1e9;
    s->cpu_s += (double)total / 1e9;
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
    /* with no CPU accounting for the interval, utilisation calls it all
     * idle rather than invent a split; a baseline needs none */
    s->interval_energy_j = delta;
    /* the GPUs' part shared by GPU use is split by it; the rest by CPU time
     * or against the baseline */
    idle_split(s->idle_basis, s->idle_w, delta - s->interval_gpu_j, dt_s, busy, total, &split);
    s->interval_active_j = split.active + s->interval_gpu_active_j;
    s->unexplained_j += split.unexplained;
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
