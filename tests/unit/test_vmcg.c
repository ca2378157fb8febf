/*
 * test_vmcg.c: libvirt VMs measured from their qemu cgroups (agent/vmcg.h):
 * a domain's energy is its cgroups' energy in the ledger, summed over the
 * scope and the cgroups below it, and never goes back when the VM stops
 * or comes back with another id.
 */
#include "attribution.h"
#include "check.h"
#include "vmcg.h"

#define NS 1000000000ULL
#define TOL 1e-12

static struct proc_sample
sample(int32_t pid, uint64_t cpu_ns, const char *cgroup)
{
    struct proc_sample s = { pid, 1, cpu_ns, NULL, cgroup };
    return s;
}

int
main(void)
{
    struct ledger *l = ledger_new(ATTRIBUTE_ACTIVE, 1);
    struct vm_cgroups v = { 0 };
    struct proc_sample s[4];

    s[0] = sample(10, 0, "/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope/libvirt/emulator");
    s[1] = sample(11, 0, "/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope/libvirt/vcpu0");
    s[2] = sample(12, 0, "/machine.slice/machine-qemu\\x2d2\\x2ddb\\x2d1.scope");
    s[3] = sample(13, 0, "/system.slice/sshd.service");
    ledger_update(l, 0, 0, 0, 0, 0, s, 4);
    CHECK(vmcg_update(&v, l) == 0 && v.count == 2, "two domains found: %zu", v.count);
    /* 1 s: all busy; 40 J; web01's two cgroups 0.25 s each, db-1 0.25 s, sshd 0.25 s */
    for (int i = 0; i < 4; i++)
        s[i].cpu_ns += NS / 4;
    ledger_update(l, 1, 1, 40, NS, NS, s, 4);
    vmcg_update(&v, l);
    CHECK_STR(v.vms[0].name, "web01", "the first domain is named by its scope");
    CHECK_STR(v.vms[1].name, "db-1", "\\x2d in a domain name is its dash");
    CHECK_NEAR(v.vms[0].energy_j, 20, TOL, "web01: its emulator and vcpu cgroups, 10 J each");
    CHECK_NEAR(v.vms[0].power_w, 20, TOL, "web01: 20 W");
    CHECK_NEAR(v.vms[1].energy_j, 10, TOL, "db-1: 10 J");
    CHECK_STR(v.vms[0].scope, "/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope", "web01's scope");
    vmcg_update(&v, l);
    CHECK_NEAR(v.vms[0].energy_j, 20, TOL, "a second call for the same ledger update adds nothing");

    /* web01 stops; it keeps its energy, no power once gone from the ledger */
    struct proc_sample t[2] = { s[2], s[3] };
    t[0].cpu_ns += NS / 2;
    ledger_update(l, 2, 1, 40, NS, NS, t, 2);
    vmcg_update(&v, l);
    CHECK_NEAR(v.vms[1].energy_j, 30, TOL, "db-1 adds its 20 J");
    ledger_update(l, 4, 2, 0, 0, NS, t, 2);
    vmcg_update(&v, l);
    CHECK(!v.vms[0].present && v.vms[0].energy_j == 20, "web01 gone: not present, its 20 J kept");

    /* web01 back as domain id 7: the same VM, counting on */
    struct proc_sample u[3] = { sample(20, 0, "/machine.slice/machine-qemu\\x2d7\\x2dweb01.scope/libvirt/emulator"), t[0], t[1] };
    ledger_update(l, 5, 1, 0, 0, NS, u, 3);
    u[0].cpu_ns += NS;
    ledger_update(l, 6, 1, 10, NS, NS, u, 3);
    vmcg_update(&v, l);
    CHECK(v.count == 2 && v.vms[0].present, "web01 under a new id is the same instance");
    CHECK_NEAR(v.vms[0].energy_j, 30, TOL, "and its counter goes on: 20 + 10 J");
    CHECK_STR(v.vms[0].scope, "/machine.slice/machine-qemu\\x2d7\\x2dweb01.scope", "its scope now");
    vmcg_free(&v);
    ledger_free(l);
    return CHECK_DONE();
}
