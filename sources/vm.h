/*
 * vm.h: per-VM energy counters as Scaphandre's qemu exporter writes them.
 *
 * On a KVM host, `scaphandre qemu` keeps one file per libvirt domain,
 * /var/lib/libvirt/scaphandre/<vm>/intel-rapl:0/energy_uj: the VM's share
 * of the host's energy in microjoules, as ASCII decimal with no newline,
 * rewritten in place (truncate, then write) every few seconds. Every file
 * matching the configured globs ([vm] paths, read under the agent's root)
 * is one instance, labelled by the directory after "scaphandre/" (or else
 * the parent directory's name, skipping "intel-rapl:*").
 *
 * The globs are expanded on every sample, so VMs that start and stop are
 * followed. A VM that vanishes keeps its instance without values; when it
 * returns its counter continues where it stopped (the time it was away is
 * not counted). A file that goes backwards while present is a reset: it
 * adds nothing and is counted. A file caught mid-rewrite ("" or "12a") is
 * an error, counted, and read again next sample; it is never a zero.
 *
 * Power is measured between the exporter's rewrites, as the file's mtime
 * stamps them, not between the agent's reads (which would see 0 W and then
 * a jump): the gain between the latest two rewrites over the time between
 * their stamps, held until the next rewrite, and gone after [vm]
 * rate_timeout seconds with none.
 *
 * VM energy is part of the host's, so this source offers no power.system
 * candidate.
 */
#ifndef POWER_VM_H
#define POWER_VM_H

#include "source.h"

extern const struct source_ops vm_source;

struct vm_info {
    const char *name;          /* instance name: the libvirt domain, e.g. "web01" */
    const char *path;          /* the energy_uj file, under the agent's root */
    unsigned    id;            /* instance id: order of first sight, kept while the agent runs */
    bool        present;       /* the latest sample read a good value */
    bool        has_energy;    /* energy_j holds a reading (possibly from an earlier sample) */
    bool        has_power;     /* power_w spans two rewrites, the latest one recent */
    double      energy_j;      /* monotonic in the agent */
    double      power_w;       /* mean between the latest two rewrites */
    uint64_t    resets;        /* backward steps while present */
    uint64_t    read_errors;   /* half-written or unreadable files */
};

/* VMs ever seen, present or not; the index is stable while the agent runs
 * and equals the instance id. */
size_t vm_count(void *state);
bool   vm_get(void *state, size_t index, struct vm_info *info);

/* "/var/lib/libvirt/scaphandre/web01/intel-rapl:0/energy_uj" -> "web01";
 * "/srv/energy/db/energy_uj" -> "db". path is relative to the agent's root.
 * Returns false when no label can be made (the path has no parent). */
bool vm_label_from_path(const char *path, char *label, size_t size);

#endif
