/*
 * cgroup_names.h: the names people look for in a cgroup v2 path, pure text
 * in, fields out. power.cgroup labels its instances with them, and power.vm
 * finds libvirt's VMs by them.
 *
 * What each manager writes (the sources the unit tests take their paths from):
 *   systemd     units by their own names: /system.slice/sshd.service,
 *               /user.slice/user-1000.slice/session-2.scope; the innermost
 *               .service or .scope (or, with neither, .slice) is the unit.
 *   docker      /system.slice/docker-<64 hex>.scope (systemd driver),
 *               /docker/<64 hex> (cgroupfs driver)
 *   podman      /machine.slice/libpod-<64 hex>.scope (rootful),
 *               .../user@1000.service/user.slice/libpod-<64 hex>.scope/container
 *               (rootless), libpod-conmon-<id>.scope for its monitor,
 *               .../libpod-payload-<id> (quadlet)
 *   containerd  .../cri-containerd-<64 hex>.scope (kubelet's systemd
 *               driver), /containerd/<64 hex>
 *   cri-o       .../crio-<64 hex>.scope, crio-conmon-<64 hex>.scope
 *   kubelet     /kubepods.slice/kubepods-burstable.slice/
 *               kubepods-burstable-pod<uid, '_' for '-'>.slice/<container>
 *               (systemd driver; a Guaranteed pod has no QoS level:
 *               kubepods-pod<uid>.slice); /kubepods/besteffort/pod<uid>/<64 hex>
 *               (cgroupfs driver, runtime not named); kind nests all of it
 *               under a node container's kubelet.slice/kubelet-kubepods.slice
 *   libvirt     /machine.slice/machine-qemu\x2d<id>\x2d<name>.scope: the
 *               machine name "qemu-<id>-<name>" (libvirt
 *               src/hypervisor/domain_driver.c, virDomainDriverGenerateMachineName:
 *               the domain name keeping only [A-Za-z0-9-.], at most 64
 *               characters in all) escaped as a systemd unit name, '-' as
 *               \x2d (src/util/virsystemd.c, virSystemdMakeScopeName);
 *               "qemu-<user>-<id>-<name>" for a user's session, and
 *               machine-qemu\x2d<name>.scope from libvirt before 1.3.
 *               Its threads sit below the scope (libvirt/emulator, vcpuN).
 *
 * Kepler reads container ids the same way (sustainable-computing-io/kepler,
 * internal/resource/container.go); its tests' paths are among ours.
 */
#ifndef POWER_CGROUP_NAMES_H
#define POWER_CGROUP_NAMES_H

#include <stdbool.h>

struct cgroup_names {
    char unit[256];           /* systemd unit, as named (escapes kept): "sshd.service" */
    char container_id[65];    /* hex */
    char runtime[16];         /* docker, podman, containerd, cri-o; "" when the path does not say */
    char pod_uid[37];         /* Kubernetes pod UID, with its dashes */
    char qos_class[12];       /* guaranteed, burstable, besteffort */
    char vm[128];             /* libvirt domain name (as the machine name keeps it) */
};

/* Fill what the path says; true when it said anything. */
bool cgroup_names_parse(const char *path, struct cgroup_names *out);

/* The libvirt domain of a path alone (into vm, size bytes); false when the
 * path is not inside a libvirt qemu machine scope. */
bool cgroup_names_vm(const char *path, char *vm, unsigned size);

#endif
