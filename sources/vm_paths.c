/*
 * vm_paths.c: the VM source's paths: one spelling per file, the VM's name
 * from where its file lies (vm_label_from_path, vm.h), and the root as a
 * literal prefix of a glob. No I/O.
 */
#include "vm.h"
#include "vm_paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "a//b" -> "a/b": the exporter writes "scaphandre//intel-rapl:0" for a VM
 * without a name, a glob keeps the slashes it was given, and one file must
 * have one path. */
void
vm_squeeze_slashes(char *path)
{
    char *out = path;

    for (const char *in = path; *in; in++)
        if (!(*in == '/' && out > path && out[-1] == '/'))
            *out++ = *in;
    *out = '\0';
}

static bool
copy_label(char *label, size_t size, const char *start, size_t len)
{
    if (len >= size)
        return false;
    memcpy(label, start, len);
    label[len] = '\0';
    return true;
}

bool
vm_label_from_path(const char *path, char *label, size_t size)
{
    char dir[PATH_MAX], *slash, *comp;
    const char *p;

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return false;
    vm_squeeze_slashes(dir);
    /* the component right after a "scaphandre" directory, as the exporter lays them out */
    for (p = dir; (p = strstr(p, "scaphandre/")) != NULL; p++) {
        const char *start = p + strlen("scaphandre/"), *end = strchr(start, '/');
        if ((p != dir && p[-1] != '/') || !end)
            continue;
        if (strncmp(start, "intel-rapl", 10) != 0)
            return copy_label(label, size, start, (size_t)(end - start));
        /* scaphandre/intel-rapl:0/: no VM name in the path. In the exporter's
         * own directory (qemu.rs: /var/lib/libvirt/scaphandre) that is the
         * file of the VMs started without guest=; elsewhere, a guest's mount
         * of its host's directory for it (Scaphandre --vm reads /var/scaphandre). */
        bool in_libvirt = p >= dir + strlen("/libvirt/") &&
                          strncmp(p - strlen("/libvirt/"), "/libvirt/", strlen("/libvirt/")) == 0;
        return snprintf(label, size, "%s", in_libvirt ? VM_NAME_UNNAMED : VM_NAME_GUEST) < (int)size;
    }
    /* else the parent directory, skipping the powercap-style "intel-rapl:N" level */
    while ((slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';                          /* drop the last component */
        comp = strrchr(dir, '/');
        comp = comp ? comp + 1 : dir;
        if (*comp && strncmp(comp, "intel-rapl", 10) != 0)
            return snprintf(label, size, "%s", comp) < (int)size;
    }
    return false;
}

/* The root is a literal prefix: keep its characters out of the glob. */
char *
vm_glob_prefix(const char *root, const char *pattern)
{
    size_t n = strlen(root), m = strlen(pattern);
    char *out = malloc(2 * n + m + 1), *o = out;

    if (!out)
        return NULL;
    for (const char *r = root; *r; r++) {
        if (strchr("*?[\\", *r))
            *o++ = '\\';
        *o++ = *r;
    }
    memcpy(o, pattern, m + 1);
    return out;
}
