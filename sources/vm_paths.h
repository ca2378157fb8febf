/* vm_paths.h: the VM source's path helpers (vm_paths.c); vm_label_from_path is in vm.h. */
#ifndef POWER_VM_PATHS_H
#define POWER_VM_PATHS_H

/* "a//b" -> "a/b", in place. */
void vm_squeeze_slashes(char *path);

/* root, its glob characters escaped, then pattern; malloc'd, NULL when out of memory. */
char *vm_glob_prefix(const char *root, const char *pattern);

#endif
