/*
 * vm_glob.h: the files the VM source's globs ([vm] paths) match now.
 */
#ifndef POWER_VM_GLOB_H
#define POWER_VM_GLOB_H

#include <stddef.h>

#include "status.h"

struct vm_match {
    char  *path;
    size_t order;      /* position in glob order: earlier globs win a shared label */
};

/* Every file the globs match now, in the globs' order, each once (globs may
 * overlap), with its path's slashes squeezed after the root_len bytes of
 * root (a match outside root is left out). *out and each path are malloc'd
 * for the caller to free. A glob that runs out of memory is a status_error
 * of nospace_kind. */
size_t vm_glob_expand(char *const *patterns, size_t npatterns, const char *root, size_t root_len,
                      struct source_status *status, unsigned nospace_kind, struct vm_match **out);

#endif
