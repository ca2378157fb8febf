/*
 * vmcg.h: VMs measured natively: each libvirt qemu domain's energy is the
 * energy the ledger (attribution/) gave the cgroups of its machine scope,
 * /machine.slice/machine-qemu\x2d<id>\x2d<name>.scope and those below it
 * (procfs/cgroup_names.h), named by the domain. Kepler measures VMs from
 * their qemu processes the same way; no Scaphandre exporter is needed.
 *
 * It is attributed, not exported: the host's energy shared by the qemu
 * processes' CPU time as for any process, so it includes neither the
 * guest's share of idle power (mode active) nor work the host does for
 * the guest outside its scope (vhost threads, I/O in the kernel).
 * A domain's counter only grows: it adds each ledger update's energy of
 * its cgroups, and keeps its value while the domain is down (a restarted
 * domain has a new id in its scope name and the same name here).
 */
#ifndef POWER_VMCG_H
#define POWER_VMCG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attribution.h"

struct vm_account {
    char   name[128];         /* the domain */
    char   scope[512];        /* its machine scope's path, as last seen */
    double energy_j;          /* cumulative, never decreases */
    double power_w;           /* over the latest ledger interval */
    bool   present;           /* a cgroup of it is listed in the ledger now */
};

struct vm_cgroups {
    struct vm_account *vms;   /* in order of first sight: the index is stable */
    size_t             count, cap;
    uint64_t           seen_updates;   /* the ledger update last added */
};

/* After a ledger update (once per update; later calls for the same one
 * change nothing). -1 when a new domain could not be added (out of memory). */
int  vmcg_update(struct vm_cgroups *v, const struct ledger *ledger);
void vmcg_free(struct vm_cgroups *v);

#endif
