#include "vmcg.h"
#include "cgroup_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct vm_account *
vm_find(struct vm_cgroups *v, const char *name, bool add)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->vms[i].name, name) == 0)
            return &v->vms[i];
    if (!add)
        return NULL;
    if (v->count == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 8;
        struct vm_account *grown = realloc(v->vms, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        v->vms = grown;
        v->cap = cap;
    }
    memset(&v->vms[v->count], 0, sizeof(v->vms[0]));
    snprintf(v->vms[v->count].name, sizeof(v->vms[0].name), "%s", name);
    return &v->vms[v->count++];
}

/* The path up to and including its machine-*.scope component. */
static void
scope_of(const char *path, char *out, size_t size)
{
    const char *m = strstr(path, "/machine-"), *end = m ? strstr(m, ".scope") : NULL;

    if (end)
        snprintf(out, size, "%.*s", (int)(end + 6 - path), path);
    else
        snprintf(out, size, "%s", path);
}

int
vmcg_update(struct vm_cgroups *v, const struct ledger *ledger)
{
    uint64_t updates;
    int status = 0;

    if (!ledger || (updates = ledger_stats(ledger)->updates) == v->seen_updates)
        return 0;
    v->seen_updates = updates;
    for (size_t i = 0; i < v->count; i++) {
        v->vms[i].power_w = 0;
        v->vms[i].present = false;
    }
    for (size_t i = 0; i < ledger_cgroup_count(ledger); i++) {
        const struct cgroup_account *cg = ledger_cgroup(ledger, i);
        char name[128];
        struct vm_account *vm;

        if (!cgroup_names_vm(cg->path, name, sizeof(name)))
            continue;
        if ((vm = vm_find(v, name, true)) == NULL) {
            status = -1;
            continue;
        }
        vm->energy_j += cg->last_j > 0 ? cg->last_j : 0;
        vm->power_w += cg->power_w;
        vm->present = true;
        scope_of(cg->path, vm->scope, sizeof(vm->scope));
    }
    return status;
}

void
vmcg_free(struct vm_cgroups *v)
{
    free(v->vms);
    memset(v, 0, sizeof(*v));
}
