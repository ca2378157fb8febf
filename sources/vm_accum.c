/*
 * vm_accum.c: a VM's power and energy from the rewrites of its file (see
 * vm_accum.h). Pure arithmetic: vm.c reads the file and its mtime.
 */
#include "vm_accum.h"

#include <math.h>

static void
anchor_rate(struct vm_accum *a, uint64_t counter_uj, double mtime_s)
{
    a->anchor_mtime_s = mtime_s;
    a->anchor_counter_uj = counter_uj;
}

/* A reading that starts a baseline (first sight, a return, a reset): what
 * the file held is not a gain, and no rate is known until the next rewrite.
 * For scaphandre-1.0 the reading counts as one loop of unknown power. */
void
vm_accum_baseline(struct vm_accum *a, uint64_t counter_uj, double mtime_s)
{
    a->rate_known = false;
    anchor_rate(a, counter_uj, mtime_s);
    a->loop_mtime_s = mtime_s;
    a->loop_s = a->step_s;
    a->loop_count = 1;
}

/* Format microjoules: the gain between the latest two rewrites over the
 * time between their stamps. */
void
vm_accum_microjoules(struct vm_accum *a, uint64_t counter_uj, double mtime_s, double rate_timeout_s)
{
    if (mtime_s - a->anchor_mtime_s > rate_timeout_s) {
        a->rate_known = false;         /* back after a silence: a rate starts afresh */
        anchor_rate(a, counter_uj, mtime_s);
    } else if (mtime_s > a->anchor_mtime_s) {
        a->power_w = (double)(counter_uj - a->anchor_counter_uj) / 1e6 /
                      (mtime_s - a->anchor_mtime_s);
        a->rate_known = true;
        anchor_rate(a, counter_uj, mtime_s);
    } else if (mtime_s < a->anchor_mtime_s) {
        a->rate_known = false;         /* an older file put back, or the clock stepped back */
        anchor_rate(a, counter_uj, mtime_s);
    }
    /* The same mtime: not rewritten since, or rewritten within the file
     * system's timestamp granularity; then its gain is counted in the rate
     * at the next rewrite with a later stamp. */
}

/* How many exporter loops a gain whose stamp is dt after the previous
 * loop's adds up. None came before the agent's previous read (it saw the
 * older stamp then) and they are at least SCAPHANDRE_STEP_S apart, so an
 * agent reading more often than the exporter writes sees one at a time,
 * however long the exporter was silent; one reading less often sees
 * several, about dt over the loop's length. */
static double
loops_in(const struct vm_accum *a, double dt, double mtime_s, double last_read_s)
{
    double by_time = floor(dt / a->step_s + 0.5);
    double by_watch = 1.0 + floor((mtime_s - last_read_s) / SCAPHANDRE_STEP_S);

    return fmax(1.0, fmin(by_time, by_watch));
}

/* Format scaphandre-1.0: each loop of the exporter adds the VM's share of
 * the host's power over that loop, in microwatts (qemu.rs, iterate():
 * uj_to_add = ratio * get_records_diff_power_microwatts() / 100; upstream
 * issue #428). The loop's power is its gain / 1e6 W; its energy that
 * power times the loop's length, the time since the previous loop's
 * rewrite. */
void
vm_accum_scaphandre(struct vm_accum *a, uint64_t gain, double mtime_s, double last_read_s)
{
    double gain_w = (double)gain / 1e6, dt = mtime_s - a->loop_mtime_s, loop_s;

    if (dt >= 0 && dt < SCAPHANDRE_STEP_S / 2) {
        /* Still the latest loop: the file of the VMs without guest= gets one
         * write per such VM in a loop, and a coarse timestamp can hide a
         * rewrite. Its gain is more of that loop's power, over that loop. */
        a->energy_j += gain_w * a->loop_s;
        a->power_w += gain_w / a->loop_count;
        return;
    }
    a->loop_count = 1;
    if (dt >= SCAPHANDRE_STEP_S / 2 && dt <= 1.5 * SCAPHANDRE_STEP_S) {
        loop_s = a->step_s = dt;      /* the loop right after the previous one: too short for two */
    } else {
        /* A longer gap: the exporter or the VM was stopped (its first loop
         * back covers one loop, not the gap), or several loops came between
         * two reads of an agent sampling slower than the exporter. Either
         * way each loop's microwatts lasted one loop. Or a clock step. */
        loop_s = a->step_s;
        a->loop_count = loops_in(a, dt, mtime_s, last_read_s);
    }
    a->energy_j += gain_w * loop_s;
    a->power_w = gain_w / a->loop_count;
    a->rate_known = true;
    a->loop_mtime_s = mtime_s;
    a->loop_s = loop_s;
}
