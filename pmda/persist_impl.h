/*
 * persist_impl.h: inside the saved counters, not for other modules: the
 * state persist.c (offsets, lookups) and persist_file.c (the file) share.
 */
#ifndef POWER_PERSIST_IMPL_H
#define POWER_PERSIST_IMPL_H

#include <stddef.h>
#include <stdio.h>

#include "persist.h"

#define PERSIST_NAME_MAX 3800     /* a line's nine numbers take at most 250 bytes more */
#define PERSIST_WALL_MAX 1e11     /* seconds since the epoch: the year 5138, far past any clock */

struct persist_entry {
    unsigned          metric;
    int               inst;          /* runtime id once seen this run */
    char             *name;
    uint32_t          name_hash;
    bool              seen;          /* its offset is fixed this run */
    bool              retired;       /* its id was taken by another name, or its name came back
                                        under another id: not written, not found */
    double            offset;
    double            value;         /* exported at the latest sample (or as saved) */
    double            saved_wall_s;  /* when value was last true */
    struct persist_hw hw;            /* the hardware's reading with it */
};

struct persist {
    char                 *path;
    char                  boot_id[64];
    power_log_fn          log;
    struct persist_entry *entries;
    size_t                n, cap;
    size_t               *index;     /* open addressing over seen entries, by (metric, inst) */
    size_t                nindex;
    bool                  index_lost;  /* out of memory once: lookups scan the entries */
    /* from the file */
    bool                  loaded;
    char                  saved_boot[64];
    double                saved_wall_s;
    double                saved_gap_s;
    uint64_t              saved_continued;
    /* this run */
    bool                  begun;
    double                wall_s;
    double                gap_s;
    uint64_t              continued;
    uint64_t              exact;
    bool                  save_failing;
    bool                  dropped_newline;   /* a name with a newline was not saved (logged once) */
};

uint32_t persist_name_hash(const char *name);
/* The entry of this counter by name, retired ones aside; NULL when there is none. */
struct persist_entry *persist_entry_named(struct persist *p, unsigned metric, const char *name);
/* A new entry at the end (NULL when out of memory); pointers to entries move. */
struct persist_entry *persist_entry_add(struct persist *p, unsigned metric, const char *name);
/* The file into p (NULL) or why it cannot be used; persist_file.c. */
const char *persist_load(struct persist *p, FILE *f);
/* Remove the temporary files of saves an agent was killed in the middle of. */
void persist_remove_leftovers(const char *path);
/* Drop what is not worth keeping (retired, or unseen for PERSIST_MAX_AGE_S) and index the rest anew. */
void persist_prune(struct persist *p);

#endif
