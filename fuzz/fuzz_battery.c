/*
 * fuzz_battery: a power_supply battery's files as the battery source reads
 * them (sources/battery_read.c): a value file (power_now, current_now,
 * voltage_now, energy_now, charge_now, capacity, ...) is read into 64
 * bytes and turned into text by the sysfs reader (common/sysfs.c), then
 * into a signed number; the supply's directory name becomes an instance id.
 * The same input serves as the value file and as the name.
 *
 * Properties: a parsed value is the decimal the text spells (read back
 * with strtoll); the text has no trailing newline; a "BATn" name maps to n.
 */
#include "fuzz.h"
#include "battery.h"
#include "sysfs.h"

#include <errno.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[64], *name;
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;   /* read(fd, buf, size - 1) */
    int64_t value;
    int id;

    memcpy(text, data, n);
    sysfs_text_from_bytes(text, n);
    FUZZ_ASSERT(strlen(text) <= n && (!*text || text[strlen(text) - 1] != '\n'), "text \"%s\"", text);
    if (battery_parse_value(text, &value)) {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        FUZZ_ASSERT(errno == 0 && v == value, "\"%s\" read as %lld, strtoll says %lld", text,
                    (long long)value, v);
    }
    /* a directory name: no '/' and no NUL, up to NAME_MAX bytes */
    name = fuzz_text(data, size < 255 ? size : 255);
    if (!strchr(name, '/')) {
        id = battery_instance_id(name);
        FUZZ_ASSERT(id >= 0, "id %d for \"%s\"", id, name);
        if (strncmp(name, "BAT", 3) == 0 && strlen(name) <= 6 && strlen(name) > 3 &&
            strspn(name + 3, "0123456789") == strlen(name) - 3 && (name[3] != '0' || name[4] == '\0'))
            FUZZ_ASSERT(id == atoi(name + 3), "\"%s\" has id %d", name, id);
    }
    free(name);
    return 0;
}
