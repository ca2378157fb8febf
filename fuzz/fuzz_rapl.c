/*
 * fuzz_rapl: a powercap zone's files as the RAPL source reads them
 * (sources/rapl.c): max_energy_range_uj once, then energy_uj at every
 * sample, each through the sysfs reader (common/sysfs.c: pread into 64
 * bytes, text, counter), and the counter extended across wraps
 * (common/counter.c). The input is the files' contents one after the
 * other, each ending at its newline; the first is the range.
 *
 * Properties: a parsed counter is the decimal its text spells; with a
 * known range a step is below the range; the extended counter only grows
 * and never by more than a step can add.
 */
#include "fuzz.h"
#include "counter.h"
#include "sysfs.h"

#include <errno.h>

/* The next file: up to and with its newline, at most 63 bytes as pread reads it. */
static bool
next_file(const uint8_t **p, const uint8_t *end, char buf[64], size_t *n)
{
    const uint8_t *nl;

    if (*p >= end)
        return false;
    nl = memchr(*p, '\n', (size_t)(end - *p));
    *n = nl ? (size_t)(nl - *p) + 1 : (size_t)(end - *p);
    if (*n > 63)
        *n = 63;
    memcpy(buf, *p, *n);
    *p += nl ? (size_t)(nl - *p) + 1 : (size_t)(end - *p);
    return true;
}

static void
check_counter(const char *text, uint64_t v)
{
    char *end;
    errno = 0;
    unsigned long long w = strtoull(text, &end, 10);
    FUZZ_ASSERT(errno == 0 && w == v && text[strspn(text, " \t")] != '-', "\"%s\" read as %llu",
                text, (unsigned long long)v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    struct wrap_counter c;
    char buf[64];
    size_t n;
    uint64_t range, raw;

    memset(&c, 0, sizeof(c));
    if (!next_file(&p, end, buf, &n))
        return 0;
    if (sysfs_u64_from_bytes(buf, n, &range) == 0) {
        check_counter(buf, range);
        c.range = range + 1;        /* the counter holds 0..max inclusive (add_zone) */
    }
    while (next_file(&p, end, buf, &n)) {
        uint64_t before = c.extended, delta;
        bool primed = c.primed;
        if (sysfs_u64_from_bytes(buf, n, &raw) != 0)
            continue;               /* a bad read: counted, the zone keeps its value */
        check_counter(buf, raw);
        delta = wrap_counter_update(&c, raw);
        FUZZ_ASSERT(!primed ? c.extended == raw && delta == 0 : c.extended == before + delta, "extended %llu + %llu", (unsigned long long)before,
                    (unsigned long long)delta);
        FUZZ_ASSERT(c.range == 0 || delta < c.range || raw >= c.range, "a step of %llu in a range of %llu",
                    (unsigned long long)delta, (unsigned long long)c.range);
    }
    return 0;
}
