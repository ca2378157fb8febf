/*
 * battery_read.c: one sample's power_supply files of one battery, each
 * read at most once (see battery_read.h).
 */
#include "battery.h"
#include "battery_read.h"
#include "counter.h"
#include "sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    bool        signed_value;    /* the ABI makes power and current negative on discharge */
} file_table[F_COUNT] = {
    [F_POWER] = { "power_now", true },
    [F_CURRENT] = { "current_now", true },
    [F_VOLTAGE] = { "voltage_now", false },
    [F_ENERGY] = { "energy_now", false },
    [F_CHARGE] = { "charge_now", false },
    [F_CAPACITY] = { "capacity", false },
    [F_ENERGY_FULL] = { "energy_full", false },
    [F_CHARGE_FULL] = { "charge_full", false },
    [F_PRESENT] = { "present", false },
    [F_ONLINE] = { "online", false },
};

const char *
battery_file_name(enum file_id id)
{
    return file_table[id].name;
}

bool
battery_parse_value(const char *text, int64_t *value)
{
    const char *p = text;
    bool negative = false;
    uint64_t magnitude;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '-' || *p == '+')
        negative = *p++ == '-';
    if (!isdigit((unsigned char)*p) || !parse_u64_text(p, &magnitude) ||
        magnitude > (uint64_t)INT64_MAX)
        return false;
    *value = negative ? -(int64_t)magnitude : (int64_t)magnitude;
    return true;
}

static void
note_bad(struct reading *r, const char *file)
{
    size_t len = strlen(r->bad);

    snprintf(r->bad + len, sizeof(r->bad) - len, "%s%s", len ? ", " : "", file);
}

static enum file_state
read_number(struct source_status *status, struct reading *r, enum file_id id, int64_t *value)
{
    char path[PATH_MAX], text[64];
    int sts;

    if (path_join(path, sizeof(path), "%s/%s", r->dir, file_table[id].name) < 0)
        return FILE_ABSENT;
    if ((sts = sysfs_read_text(path, text, sizeof(text))) == -ENOENT)
        return FILE_ABSENT;
    if (sts == -ENODEV) {
        /* not a data error: counted once per file by the caller */
        r->unknown |= 1u << id;
        return FILE_UNKNOWN;
    }
    if (sts < 0 || !battery_parse_value(text, value) || (*value < 0 && !file_table[id].signed_value)) {
        status_count(status, 1);     /* logged with the battery's problem */
        note_bad(r, file_table[id].name);
        return FILE_BAD;
    }
    return FILE_OK;
}

enum file_state
battery_read(struct source_status *status, struct reading *r, enum file_id id, int64_t *value)
{
    if (!(r->read & (1u << id))) {
        r->read |= 1u << id;
        r->state[id] = read_number(status, r, id, &r->value[id]);
    }
    if (value)
        *value = r->state[id] == FILE_OK ? r->value[id] : 0;
    return r->state[id];
}

void
battery_read_status(struct source_status *status, struct reading *r)
{
    char path[PATH_MAX];
    int sts;

    if (path_join(path, sizeof(path), "%s/status", r->dir) < 0)
        sts = -ENAMETOOLONG;
    else
        sts = sysfs_read_text(path, r->status, sizeof(r->status));
    if (sts < 0 && sts != -ENOENT) {
        status_count(status, 1);
        note_bad(r, "status");
    }
    /* PCP's QA snapshots, and some firmware, have no status at all */
    if (sts < 0 || r->status[0] == '\0')
        snprintf(r->status, sizeof(r->status), "Unknown");
}
