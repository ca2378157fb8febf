/*
 * test_cgroup_names.c: the names in real cgroup v2 paths (procfs/cgroup_names.h).
 *
 * Where the paths come from:
 *   [K] sustainable-computing-io/kepler, internal/resource/container_test.go
 *       (TestContainerInfoFromCgroups, TestContainerIDFromPathWithCgroup):
 *       docker, cri-o, podman rootful/rootless/quadlet, kind's containerd,
 *       kubelet's cgroupfs layout, each taken from a live host there;
 *   [L] libvirt: the scope of a qemu domain, "machine-" + the machine name
 *       "qemu-<id>-<name>" escaped as a systemd unit name
 *       (src/hypervisor/domain_driver.c virDomainDriverGenerateMachineName,
 *       src/util/virsystemd.c virSystemdMakeScopeName), and its threads'
 *       cgroups below it (libvirt/emulator, libvirt/vcpu0); the paths as
 *       hosts show them, e.g. /machine.slice/machine-qemu\x2d1\x2ddebian12\x2d1.scope;
 *   [S] systemd's own units (systemd.special(7): system.slice, user.slice,
 *       machine.slice; session-N.scope; user@UID.service).
 */
#include "cgroup_names.h"
#include "check.h"

#define ID64 "ce82d94d69e1fbbc7feeb66930c69e9b96d9f151f594773e5d0e342741d15437"

struct want {
    const char *path, *unit, *id, *runtime, *pod, *qos, *vm;
};

static const struct want cases[] = {
    /* [S] plain systemd units */
    { "/system.slice/sshd.service", "sshd.service", "", "", "", "", "" },
    { "/user.slice/user-1000.slice/session-2.scope", "session-2.scope", "", "", "", "", "" },
    { "/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-1.scope",
      "vte-spawn-1.scope", "", "", "", "", "" },
    { "/init.scope", "init.scope", "", "", "", "", "" },
    { "/user.slice", "user.slice", "", "", "", "", "" },
    { "/", "", "", "", "", "", "" },
    /* [K] docker, both drivers */
    { "/system.slice/docker-2fa3e04b676df750842faf017052dd37ea0cc5bc7259a3487a1718c7fe100c94.scope",
      "docker-2fa3e04b676df750842faf017052dd37ea0cc5bc7259a3487a1718c7fe100c94.scope",
      "2fa3e04b676df750842faf017052dd37ea0cc5bc7259a3487a1718c7fe100c94", "docker", "", "", "" },
    { "/docker/" ID64, "", ID64, "docker", "", "", "" },
    /* [K] podman: rootful, rootless (the payload one level below its scope), quadlet */
    { "/machine.slice/libpod-06dc5f321aad8726aa26559f16ec203bc099245bc44894b14a89fc02b022d1d5.scope/container",
      "libpod-06dc5f321aad8726aa26559f16ec203bc099245bc44894b14a89fc02b022d1d5.scope",
      "06dc5f321aad8726aa26559f16ec203bc099245bc44894b14a89fc02b022d1d5", "podman", "", "", "" },
    { "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-3f05ee050f82c0145f1d88c94269c39dff0f07dbf8bba20aafd54b3a75dcaecc.scope/container",
      "libpod-3f05ee050f82c0145f1d88c94269c39dff0f07dbf8bba20aafd54b3a75dcaecc.scope",
      "3f05ee050f82c0145f1d88c94269c39dff0f07dbf8bba20aafd54b3a75dcaecc", "podman", "", "", "" },
    { "/system.slice/kepler.service/libpod-payload-8e363eb2287da4ccc9f52ffc5de11252ac5fe707e3ddb917a3c0bdf9bb64165b",
      "kepler.service", "8e363eb2287da4ccc9f52ffc5de11252ac5fe707e3ddb917a3c0bdf9bb64165b", "podman", "", "", "" },
    /* podman's monitor (conmon) has a scope of its own named by the container it watches,
     * labelled with that container; its cgroupfs manager's parent is /libpod_parent
     * (containers/podman, libpod: conmonScopeUnit and its tests) */
    { "/machine.slice/libpod-conmon-06dc5f321aad8726aa26559f16ec203bc099245bc44894b14a89fc02b022d1d5.scope",
      "libpod-conmon-06dc5f321aad8726aa26559f16ec203bc099245bc44894b14a89fc02b022d1d5.scope",
      "06dc5f321aad8726aa26559f16ec203bc099245bc44894b14a89fc02b022d1d5", "podman", "", "", "" },
    { "/libpod_parent/libpod-" ID64, "", ID64, "podman", "", "", "" },
    /* a docker scope below a user's manager (rootless docker): the same scope name */
    { "/user.slice/user-1000.slice/user@1000.service/docker-" ID64 ".scope",
      "docker-" ID64 ".scope", ID64, "docker", "", "", "" },
    /* the cgroupfs form of containerd that cgroup_names.h lists */
    { "/containerd/" ID64, "", ID64, "containerd", "", "", "" },
    /* cri-o's conmon beside its container */
    { "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2c9f8a79_5391_454b_88cb_86190881cb96.slice/crio-conmon-a09343ca97901516c25036e2b954421254f8c68b384b536064e8999f0c4ed18d.scope",
      "crio-conmon-a09343ca97901516c25036e2b954421254f8c68b384b536064e8999f0c4ed18d.scope",
      "a09343ca97901516c25036e2b954421254f8c68b384b536064e8999f0c4ed18d", "cri-o",
      "2c9f8a79-5391-454b-88cb-86190881cb96", "burstable", "" },
    /* [K] cri-o under kubelet's systemd driver: a burstable pod */
    { "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2c9f8a79_5391_454b_88cb_86190881cb96.slice/crio-a09343ca97901516c25036e2b954421254f8c68b384b536064e8999f0c4ed18d.scope",
      "crio-a09343ca97901516c25036e2b954421254f8c68b384b536064e8999f0c4ed18d.scope",
      "a09343ca97901516c25036e2b954421254f8c68b384b536064e8999f0c4ed18d", "cri-o",
      "2c9f8a79-5391-454b-88cb-86190881cb96", "burstable", "" },
    /* [K] kind: containerd in a node container, besteffort */
    { "/system.slice/docker-fd9d0ea06257a9780827cbc7fd92e3812a54fca26d63e191b73610d5d48b9cbd.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-podeab5a334_93fe_48a8_b139_9e8079c1f163.slice/cri-containerd-99f3a16ea25b7724cb56a4f0c0df1113ad9474fbf5545bead97fd5c7f61c13f4.scope",
      "cri-containerd-99f3a16ea25b7724cb56a4f0c0df1113ad9474fbf5545bead97fd5c7f61c13f4.scope",
      "99f3a16ea25b7724cb56a4f0c0df1113ad9474fbf5545bead97fd5c7f61c13f4", "containerd",
      "eab5a334-93fe-48a8-b139-9e8079c1f163", "besteffort", "" },
    /* [K] kubelet's cgroupfs driver: the runtime is not in the path */
    { "/kubepods/besteffort/podbdd4097d-6795-404e-9bd8-6a1383386198/c79788e0da15a6597263eb2b9c51d05dd1a9a1d08c53c1161dc8c45d2dac6b38",
      "", "c79788e0da15a6597263eb2b9c51d05dd1a9a1d08c53c1161dc8c45d2dac6b38", "",
      "bdd4097d-6795-404e-9bd8-6a1383386198", "besteffort", "" },
    /* a Guaranteed pod has no QoS level in its path (kubelet's pod_container_manager) */
    { "/kubepods.slice/kubepods-podd0511cd2_29d2_4215_be0f_f77bc0609d99.slice/crio-f93ee491b8ed2680d5a909eb098b14a9430173b57ca1c4efedd8768566d67e8e.scope",
      "crio-f93ee491b8ed2680d5a909eb098b14a9430173b57ca1c4efedd8768566d67e8e.scope",
      "f93ee491b8ed2680d5a909eb098b14a9430173b57ca1c4efedd8768566d67e8e", "cri-o",
      "d0511cd2-29d2-4215-be0f-f77bc0609d99", "guaranteed", "" },
    { "/kubepods/podf6adb0af-0855-4bab-b25b-c853f18d0ce2/35b97177dada20362ab90d90ac63cd54e8a41cf87bea34f270631b6da17f4a93",
      "", "35b97177dada20362ab90d90ac63cd54e8a41cf87bea34f270631b6da17f4a93", "",
      "f6adb0af-0855-4bab-b25b-c853f18d0ce2", "guaranteed", "" },
    /* a pod's own slice, no container */
    { "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2c9f8a79_5391_454b_88cb_86190881cb96.slice",
      "kubepods-burstable-pod2c9f8a79_5391_454b_88cb_86190881cb96.slice", "", "",
      "2c9f8a79-5391-454b-88cb-86190881cb96", "burstable", "" },
    /* [L] libvirt's qemu domains: the scope, and the threads' cgroups below it */
    { "/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope", "machine-qemu\\x2d1\\x2dweb01.scope", "", "", "", "", "web01" },
    { "/machine.slice/machine-qemu\\x2d1\\x2ddebian12\\x2d1.scope/libvirt/emulator",
      "machine-qemu\\x2d1\\x2ddebian12\\x2d1.scope", "", "", "", "", "debian12-1" },
    { "/machine.slice/machine-qemu\\x2d16\\x2dinstance\\x2d0000001d.scope/libvirt/vcpu0",
      "machine-qemu\\x2d16\\x2dinstance\\x2d0000001d.scope", "", "", "", "", "instance-0000001d" },
    { "/machine.slice/machine-qemu\\x2d2\\x2dubuntu20.04.scope", "machine-qemu\\x2d2\\x2dubuntu20.04.scope",
      "", "", "", "", "ubuntu20.04" },
    /* a user's session (qemu:///session): qemu-<user>-<id>-<name> */
    { "/user.slice/user-1000.slice/user@1000.service/machine.slice/machine-qemu\\x2dalice\\x2d3\\x2dlab.scope",
      "machine-qemu\\x2dalice\\x2d3\\x2dlab.scope", "", "", "", "", "lab" },
    /* the legacy scope name, machine-qemu\x2d<name>.scope, no id */
    { "/machine.slice/machine-qemu\\x2dold\\x2dvm.scope", "machine-qemu\\x2dold\\x2dvm.scope", "", "", "", "", "old-vm" },
    /* a libvirt LXC container is a machine but no qemu VM */
    { "/machine.slice/machine-lxc\\x2d123\\x2dbox.scope", "machine-lxc\\x2d123\\x2dbox.scope", "", "", "", "", "" },
    /* not ids: short or upper-case hex, a name that only looks like a runtime */
    { "/system.slice/docker-abc.scope", "docker-abc.scope", "", "", "", "", "" },
    { "/docker/CE82D94D69E1FBBC7FEEB66930C69E9B96D9F151F594773E5D0E342741D15437", "", "", "", "", "", "" },
    { "/system.slice/docker.service", "docker.service", "", "", "", "", "" },
    { "/system.slice/containerd.service", "containerd.service", "", "", "", "", "" },
};

int
main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct want *w = &cases[i];
        struct cgroup_names n;
        bool any = cgroup_names_parse(w->path, &n);
        bool ok = strcmp(n.unit, w->unit) == 0 && strcmp(n.container_id, w->id) == 0 &&
                  strcmp(n.runtime, w->runtime) == 0 && strcmp(n.pod_uid, w->pod) == 0 &&
                  strcmp(n.qos_class, w->qos) == 0 && strcmp(n.vm, w->vm) == 0;
        bool want_any = w->unit[0] || w->id[0] || w->pod[0] || w->vm[0];
        CHECK(ok && any == want_any, "%s: unit \"%s\" id \"%.12s\" runtime \"%s\" pod \"%s\" qos \"%s\" vm \"%s\"",
              w->path, n.unit, n.container_id, n.runtime, n.pod_uid, n.qos_class, n.vm);
        char vm[128] = "";
        bool is_vm = cgroup_names_vm(w->path, vm, sizeof(vm));
        CHECK(is_vm == (w->vm[0] != 0) && strcmp(vm, w->vm) == 0, "%s: a libvirt VM? %s \"%s\"", w->path,
              is_vm ? "yes" : "no", vm);
    }
    return CHECK_DONE();
}
