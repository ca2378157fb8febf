/*
 * vm_accum.h: a VM's power and energy from the rewrites of its exporter
 * file, stamped by the file's mtime. Pure arithmetic, apart from any I/O so
 * it is unit-tested: vm.c reads the file, its mtime and the wrap-extended
 * counter, and hands them here.
 */
#ifndef POWER_VM_ACCUM_H
#define POWER_VM_ACCUM_H

#include <stdbool.h>
#include <stdint.h>

/* The qemu exporter sleeps this long between loops (qemu.rs, run():
 * thread::sleep(Duration::from_secs(5))); a loop also takes the time to
 * refresh its readings, so rewrites are at least this far apart. */
#define SCAPHANDRE_STEP_S 5.0

struct vm_accum {
    bool     rate_known;        /* power_w is known for the latest rewrite */
    double   power_w;
    /* format microjoules: power is measured between the exporter's
     * rewrites, stamped by the file's mtime, not between the agent's reads:
     * those see the same value several times over and then a jump. */
    double   anchor_mtime_s;    /* the rewrite the next rate is measured from */
    uint64_t anchor_counter_uj; /* the counter at that rewrite */
    /* format scaphandre-1.0: the energy is ours, built loop by loop */
    double   energy_j;
    double   loop_mtime_s;      /* the first rewrite of the exporter's latest loop */
    double   loop_s;            /* how long that loop's microwatts lasted */
    double   loop_count;        /* exporter loops that the latest gain adds up */
    double   step_s;            /* the exporter's loop as last measured on this file */
};

/* A reading that starts a baseline (first sight, a return, a reset) of the
 * counter counter_uj at a rewrite stamped mtime_s: no gain, no rate yet. */
void vm_accum_baseline(struct vm_accum *a, uint64_t counter_uj, double mtime_s);

/* Format microjoules: the counter (wrap-extended) at a rewrite stamped
 * mtime_s; a rate is the gain between two stamps no more than
 * rate_timeout_s apart. */
void vm_accum_microjoules(struct vm_accum *a, uint64_t counter_uj, double mtime_s, double rate_timeout_s);

/* Format scaphandre-1.0: a rewrite stamped mtime_s that gained gain (the
 * VM's microwatts over the exporter's loop); last_read_s is the wall time
 * of the agent's previous good read. */
void vm_accum_scaphandre(struct vm_accum *a, uint64_t gain, double mtime_s, double last_read_s);

#endif
