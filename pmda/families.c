/*
 * families.c: every metric family the agent publishes, the one table.
 * A new family (a new source's metrics) is one line here; its cluster and
 * instance domain numbers are in its own file, and export_init() refuses
 * two families that claim the same. The sources the families read are
 * opened in this order.
 */
#include "family.h"

extern const struct family system_family, rapl_family, model_family, control_family,
    source_family, proc_family, cgroup_family, meter_family, battery_family, vm_family,
    soc_family, phase_family, vmcg_family, gpu_family, hwmon_family;

const struct family *const power_families[] = {
    &system_family,
    &rapl_family,
    &model_family,
    &meter_family,
    &battery_family,
    &vm_family,
    &soc_family,
    &gpu_family,
    &hwmon_family,
    &control_family,
    &source_family,
    &proc_family,
    &cgroup_family,
    &phase_family,
    &vmcg_family,
    NULL
};
