/*
 * vm.h: per-VM energy counters as Scaphandre's qemu exporter writes them.
 *
 * On a KVM host, `scaphandre qemu` keeps one file per qemu VM,
 * /var/lib/libvirt/scaphandre/<vm>/intel-rapl:0/energy_uj, named by the
 * guest= of the qemu command line (libvirt's domain name), as ASCII
 * decimal with no newline, rewritten in place (truncate, then write) once
 * per loop of the exporter, every 5 s and a little more. VMs started
 * without guest= all add into one file, scaphandre//intel-rapl:0/energy_uj.
 * Inside a guest the host's directory is mounted at /var/scaphandre. Every
 * file matching the configured globs ([vm] paths, read under the agent's
 * root) is one instance.
 *
 * What a rewrite adds depends on [vm] format:
 * - scaphandre-1.0 (the default; every 1.0.x release): the VM's share of
 *   the host's power over the exporter's latest loop, in microwatts
 *   (hubblo-org/scaphandre src/exporters/qemu.rs, issue #428). A loop's
 *   gain is its power; its energy is that power times the loop's length,
 *   the time between its rewrite and the previous one (mtime stamps). The
 *   history the file held when first read is not converted: energy
 *   starts at 0 J.
 * - microjoules: a true energy counter; energy starts at the file's value
 *   and power is the gain between the latest two rewrites over the time
 *   between their stamps.
 * In both, power.vm.energy only grows: a file that goes backwards (a
 * recreated tmpfs) adds nothing and is counted as a reset; a VM that
 * vanishes keeps its instance without values and, when it returns,
 * continues where it stopped (the time away is not counted); a file
 * caught mid-rewrite ("" or "12a") is an error, counted, and read again
 * next sample, never a zero. Power is held until the next rewrite and gone
 * after [vm] rate_timeout seconds with none.
 *
 * VM energy is part of the host's, so this source offers no power.system
 * candidate.
 */
#ifndef POWER_VM_H
#define POWER_VM_H

#include "source.h"

extern const struct source_ops vm_source;
/* Its state, as open() returns it: the accessors below take it. */
struct vm_state;

struct vm_info {
    const char *name;          /* instance name: the libvirt domain, e.g. "web01" */
    const char *path;          /* the energy_uj file, under the agent's root */
    unsigned    id;            /* instance id: order of first sight, kept while the agent runs */
    bool        present;       /* the latest sample read a good value */
    bool        has_energy;    /* energy_j holds a reading (possibly from an earlier sample) */
    bool        has_power;     /* power_w spans two rewrites, the latest one recent */
    double      energy_j;      /* monotonic in the agent */
    double      power_w;       /* of the latest rewrite (see [vm] format) */
    uint64_t    resets;        /* backward steps while present */
    uint64_t    read_errors;   /* half-written or unreadable files */
};

/* VMs ever seen, present or not; the index is stable while the agent runs
 * and equals the instance id. */
size_t vm_count(const struct vm_state *st);
bool   vm_get(const struct vm_state *st, size_t index, struct vm_info *info);

/* The instance name of a file; path is relative to the agent's root.
 * ".../scaphandre/web01/intel-rapl:0/energy_uj" -> "web01" (the directory
 * after scaphandre/); "/var/lib/libvirt/scaphandre//intel-rapl:0/energy_uj"
 * (the exporter's file for VMs started without guest=) -> VM_NAME_UNNAMED;
 * "/var/scaphandre/intel-rapl:0/energy_uj" (inside a guest) -> VM_NAME_GUEST;
 * elsewhere the parent directory, skipping "intel-rapl:N":
 * "/srv/energy/db/energy_uj" -> "db". Returns false when no label can be
 * made (the path has no parent). */
#define VM_NAME_UNNAMED "unnamed"
#define VM_NAME_GUEST   "guest"
bool vm_label_from_path(const char *path, char *label, size_t size);

#endif
