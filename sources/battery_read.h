/*
 * battery_read.h: inside the battery source: one sample's files of one
 * power_supply directory. Each is read at most once and only when needed,
 * since ACPI answers every read from the embedded controller. Bad files
 * are counted in the source's status (power.source.errors) and named in
 * the reading for the battery's note; a file the firmware calls unknown
 * (ENODEV) is marked, not counted: the sample counts it once per file.
 */
#ifndef POWER_BATTERY_READ_H
#define POWER_BATTERY_READ_H

#include <stdint.h>

#include "status.h"

/* The files a battery's sample may read; bit 1 << id in the masks below. */
enum file_id {
    F_POWER, F_CURRENT, F_VOLTAGE, F_ENERGY, F_CHARGE,
    F_CAPACITY, F_ENERGY_FULL, F_CHARGE_FULL, F_PRESENT, F_ONLINE,
    F_COUNT
};

const char *battery_file_name(enum file_id id);

/* What one read of a file gave. */
enum file_state {
    FILE_ABSENT = 0,     /* no such file: the battery does not offer it */
    FILE_OK = 1,
    FILE_BAD = -1,       /* unreadable or malformed: counted; a gap, never a zero */
    FILE_UNKNOWN = -2,   /* ENODEV: what drivers/acpi/battery.c answers when the
                          * firmware reports the value as unknown */
};

/* One sample's files, each read at most once and only when needed: ACPI
 * answers every read from the embedded controller. */
struct reading {
    const char     *dir;
    unsigned        read;            /* 1 << enum file_id */
    unsigned        unknown;         /* the files that answered ENODEV */
    enum file_state state[F_COUNT];
    int64_t         value[F_COUNT];
    char            status[32];
    char            bad[160];        /* the files that failed, for the note */
};

/* The file's state this sample, read on first use; *value (may be NULL)
 * is its value when FILE_OK, else 0. */
enum file_state battery_read(struct source_status *status, struct reading *r, enum file_id id, int64_t *value);
/* r->status: the status file's word, "Unknown" when there is none. */
void battery_read_status(struct source_status *status, struct reading *r);

#endif
