/* One interval's GPU energy shared among processes (sources/gpu_share.c):
 * by SM utilisation, by the running lists where utilisation is unsupported,
 * and the conservation the ledger relies on. */
#include "check.h"
#include "gpu_share.h"

static struct nvml_gpu_reading
gpu(enum nvml_result utilization)
{
    struct nvml_gpu_reading g;

    memset(&g, 0, sizeof(g));
    g.utilization = utilization;
    g.running = NVML_RESULT_OK;
    return g;
}

static void
add(struct nvml_gpu_reading *g, uint32_t pid, uint32_t sm_sum, uint32_t samples, bool running)
{
    g->process[g->nprocesses++] = (struct nvml_gpu_process){ pid, sm_sum, samples, running };
}

static const struct proc_gpu_energy *
find(const struct gpu_share *s, int32_t pid)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->proc[i].pid == pid)
            return &s->proc[i];
    return NULL;
}

int
main(void)
{
    struct gpu_share s = { 0 };
    struct nvml_gpu_reading a = gpu(NVML_RESULT_OK), b = gpu(NVML_RESULT_UNSUPPORTED), c = gpu(NVML_RESULT_OK);
    const struct proc_gpu_energy *p;
    double active = 0, all = 0;

    /* GPU a, 100 J: pid 10 at 60% SM (two samples 50, 70), pid 11 at 20% */
    add(&a, 10, 120, 2, true);
    add(&a, 11, 20, 1, true);
    gpu_share_begin(&s);
    CHECK(gpu_share_add(&s, 100, &a), "a GPU with utilisation samples");
    CHECK_NEAR(s.energy_j, 100, 1e-12, "its 100 J counted");
    CHECK_NEAR(s.active_j, 80, 1e-12, "busy 80%: 60% + 20% of the SMs");
    p = find(&s, 10);
    CHECK(p != NULL, "pid 10 has a share");
    if (p) {
        CHECK_NEAR(p->active_j, 60, 1e-12, "mode active: pid 10 gets 60 J (its 60% of 100 J)");
        CHECK_NEAR(p->all_j, 75, 1e-12, "mode all: pid 10 gets 3/4 of 100 J");
    }

    /* GPU b, 30 J: no utilisation (an older GPU): the running list, equal shares */
    add(&b, 11, 0, 0, true);
    add(&b, 12, 0, 0, true);
    CHECK(gpu_share_add(&s, 30, &b), "a GPU without utilisation");
    CHECK_NEAR(s.active_j, 110, 1e-12, "with processes running, all of its 30 J is busy");
    p = find(&s, 12);
    CHECK(p && fabs(p->active_j - 15) < 1e-12 && fabs(p->all_j - 15) < 1e-12, "pid 12: half of 30 J either way");
    p = find(&s, 11);
    CHECK(p && fabs(p->active_j - 35) < 1e-12 && fabs(p->all_j - 40) < 1e-12,
          "pid 11 sums over GPUs: 20 + 15 J active, 25 + 15 J all");

    /* GPU c, 50 J: utilisation answered with no sample, one process running */
    add(&c, 13, 0, 0, true);
    CHECK(gpu_share_add(&s, 50, &c), "a GPU nobody used");
    CHECK_NEAR(s.active_j, 110, 1e-12, "its 50 J is idle");
    p = find(&s, 13);
    CHECK(p && p->active_j == 0 && fabs(p->all_j - 50) < 1e-12, "mode all gives the running process the idle 50 J");

    for (size_t i = 0; i < s.count; i++) {
        active += s.proc[i].active_j;
        all += s.proc[i].all_j;
    }
    CHECK_NEAR(active, s.active_j, 1e-12, "mode active: processes' shares = the GPUs' busy energy");
    CHECK_NEAR(all, s.energy_j, 1e-12, "mode all: processes' shares = the GPUs' energy");

    /* over 100% (several processes' samples overlap): busy caps at 1 */
    gpu_share_begin(&s);
    a = gpu(NVML_RESULT_OK);
    add(&a, 20, 90, 1, true);
    add(&a, 21, 60, 1, true);
    gpu_share_add(&s, 10, &a);
    CHECK_NEAR(s.active_j, 10, 1e-12, "SM percentages over 100 in sum: all of it busy, no more");
    CHECK(s.count == 2 && fabs(s.proc[0].active_j - 6) < 1e-12, "shared 90:60 (%g)", s.count ? s.proc[0].active_j : -1);

    /* no energy: nothing */
    gpu_share_begin(&s);
    gpu_share_add(&s, 0, &a);
    CHECK(s.count == 0 && s.energy_j == 0, "an interval with no energy shares nothing");
    gpu_share_free(&s);
    return CHECK_DONE();
}
