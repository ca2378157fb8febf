/*
 * fuzz_vm: what Scaphandre's qemu exporter leaves in a VM's energy_uj, as
 * the VM source reads it (sources/vm.c): 64 bytes through the sysfs reader
 * (common/sysfs.c), then a counter (parse_u64_text), which a half-written
 * file ("", "12a") must fail; and the file's path, which names the VM
 * (vm_label_from_path, sources/vm_paths.c). The same input serves as the
 * file and the path.
 *
 * Properties: a parsed counter is the decimal the text spells; a label is
 * a non-empty path component, NUL-terminated within its buffer, or one of
 * the names of the files that have no VM name in their path.
 */
#include "fuzz.h"
#include "counter.h"
#include "sysfs.h"
#include "vm.h"

#include <errno.h>
#include <limits.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[64], label[256], *path;
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
    uint64_t raw;

    memcpy(text, data, n);
    sysfs_text_from_bytes(text, n);
    if (parse_u64_text(text, &raw)) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        FUZZ_ASSERT(errno == 0 && v == raw && text[strspn(text, " \t")] != '-', "\"%s\" read as %llu",
                    text, (unsigned long long)raw);
    }
    path = fuzz_text(data, size < PATH_MAX ? size : PATH_MAX);
    if (vm_label_from_path(path, label, sizeof(label))) {
        FUZZ_ASSERT(label[0] && strlen(label) < sizeof(label) && !strchr(label, '/'), "label \"%s\"", label);
        FUZZ_ASSERT(strstr(path, label) != NULL || strcmp(label, VM_NAME_UNNAMED) == 0 ||
                    strcmp(label, VM_NAME_GUEST) == 0, "label \"%s\" not in the path", label);
    }
    free(path);
    return 0;
}
